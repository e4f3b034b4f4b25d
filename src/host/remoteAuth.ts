/**
 * NIP-42 on the executor's remote connections (internal): a relay's challenge is kept, and
 * answered with the operator's key only once the relay refuses a `REQ` for auth (no key is shown
 * to relays that do not ask); the relay's `OK` to the auth event, or no challenge or no answer in
 * time, is reported to the engine (`Authenticated`, `AuthFailed`).
 */
import type { EngineInput } from '../index.js'
import { challengeOf, sendAuth } from './auth.js'
import type { Remote, Shared } from './shared.js'

/** NIP-42 of one executor's remote connections. */
export const makeRemoteAuth = (s: Shared, queue: (input: EngineInput) => void) => {
  const { o, clock, nowSec, emit } = s

  /** Signs and sends the auth event for a challenge (with the operator's key; nothing without one). */
  const answer = (rem: Remote, challenge: string): void => {
    rem.challenge = challenge
    if (o.secretKey === undefined || rem.authed === true) return
    const id = sendAuth(rem.conn, o.secretKey, rem.relay, challenge)
    if (id === undefined) return
    rem.authId = id
    emit({ type: 'auth', relay: rem.relay, socket: rem.socket, status: 'sent' })
  }

  /** A `REQ` was refused with `auth-required:`: auth is answered (or pending), or it cannot be (no key). */
  const needed = (rem: Remote): void => {
    if (rem.authed === true || rem.authId !== undefined) return
    const { relay, socket } = rem
    if (o.secretKey === undefined) {
      emit({ type: 'auth', relay, socket, status: 'failed', reason: 'no key to sign with (secretKey)' })
      queue({ _tag: 'AuthFailed', relay, socket, reason: 'no key to sign with', now: nowSec() })
      return
    }
    rem.authAwaited ??= clock()
    if (rem.challenge !== undefined) answer(rem, rem.challenge)
  }

  /** `["AUTH", challenge]`: kept; answered only once the relay refuses a `REQ` for auth. */
  const onChallenge = (rem: Remote, m: ReadonlyArray<unknown>): void => {
    const challenge = challengeOf(m)
    if (challenge === undefined) return
    rem.challenge = challenge
    if (rem.authAwaited !== undefined) answer(rem, challenge)
  }

  /** `["OK", id, ok, reason]`: the relay's answer to the auth event `id` (any other `OK` is not for auth, and ignored). */
  const onOk = (rem: Remote, m: ReadonlyArray<unknown>): void => {
    if (rem.authId === undefined || m[1] !== rem.authId) return
    const { relay, socket } = rem
    rem.authId = undefined
    if (m[2] === true) {
      rem.authed = true
      rem.authAwaited = undefined
      emit({ type: 'auth', relay, socket, status: 'ok' })
      queue({ _tag: 'Authenticated', relay, socket, now: nowSec() })
    } else {
      const why = typeof m[3] === 'string' ? m[3].slice(0, 200) : 'refused'
      rem.authAwaited = undefined
      emit({ type: 'auth', relay, socket, status: 'failed', reason: why })
      queue({ _tag: 'AuthFailed', relay, socket, reason: why, now: nowSec() })
    }
  }

  /** At a tick: auth required and no challenge, or no answer to the auth event, since before `limit` (ms): auth failed. */
  const sweep = (limit: number): void => {
    for (const rem of s.remotes.values())
      if (rem.authAwaited !== undefined && rem.authAwaited < limit && rem.authed !== true) {
        const reason = rem.authId === undefined ? 'no AUTH challenge' : 'no answer to AUTH'
        rem.authAwaited = undefined
        rem.authId = undefined
        emit({ type: 'auth', relay: rem.relay, socket: rem.socket, status: 'failed', reason })
        s.feedback.push({ _tag: 'AuthFailed', relay: rem.relay, socket: rem.socket, reason, now: nowSec() })
      }
  }

  return { needed, onChallenge, onOk, sweep }
}

export type RemoteAuth = ReturnType<typeof makeRemoteAuth>
