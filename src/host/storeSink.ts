/**
 * Writing to the own (store) relay (internal): the executor's default {@link EventSink}. `EVENT`s
 * with their `OK`s, a bounded window in flight, three tries each, reconnects; a write refused with
 * `auth-required:` waits for the operator's NIP-42 auth and goes out again.
 */
import { Connection, parseFrame, Reconnect } from './connection.js'
import type { Net } from './net.js'
import { isRefusal } from './grasp01.js'
import { StoreAuth } from './storeAuth.js'
import type { EventSink, NostrEventLike } from './ownRelayTypes.js'

export interface RelaySinkOptions {
  readonly url: string
  readonly net: Net
  readonly connectTimeoutMs: number
  readonly requestTimeoutMs: number
  /** Events published and not yet acknowledged, at most. */
  readonly window: number
  /** The operator's key: answers the store relay's NIP-42 challenge when it refuses a write with `auth-required:`. */
  readonly secretKey?: Uint8Array | undefined
  /** NIP-42 on the store connection: an auth event was sent, accepted, or auth failed (refused, no key, no challenge). */
  readonly onAuth?: (status: 'sent' | 'ok' | 'failed', reason?: string) => void
}

interface Entry {
  readonly event: NostrEventLike
  readonly done: (ok: boolean, refused?: boolean) => void
  tries: number
  sentAt: number
  /** Refused with `auth-required:`: kept in flight until the connection authenticates (sent again) or auth fails. */
  waitsAuth?: boolean
}

/** The store relay as an {@link EventSink}: `EVENT`s with their `OK`s, a window in flight, three tries each, reconnects. */
export const relaySink = (o: RelaySinkOptions): EventSink => {
  let conn: Connection | undefined
  let stopped = false
  const reconnect = new Reconnect(() => connect())
  let sweep: ReturnType<typeof setInterval> | undefined
  const queue: Array<Entry> = []
  const inFlight = new Map<string, Entry>()

  const pump = (): void => {
    if (stopped) return
    if (conn === undefined) {
      if (!reconnect.waiting) connect()
      return
    }
    if (!conn.open) return
    while (inFlight.size < o.window && queue.length > 0) {
      const e = queue.shift() as Entry
      if (inFlight.has(e.event.id)) {
        e.done(true) // the same event in flight already
        continue
      }
      e.tries++
      e.sentAt = Date.now()
      inFlight.set(e.event.id, e)
      conn.send(JSON.stringify(['EVENT', e.event]))
    }
    if (inFlight.size > 0 && sweep === undefined) sweep = setInterval(check, Math.max(250, Math.floor(o.requestTimeoutMs / 4)))
    if (inFlight.size === 0 && sweep !== undefined) {
      clearInterval(sweep)
      sweep = undefined
    }
  }

  const check = (): void => {
    const limit = Date.now() - o.requestTimeoutMs
    let late = false
    for (const [id, e] of inFlight)
      if (e.sentAt < limit) {
        inFlight.delete(id)
        late = true
        if (e.waitsAuth === true && !noChallenge) {
          // refused for auth, and no challenge came to answer (or no answer to the auth event) in time
          noChallenge = true
          o.onAuth?.('failed', auth.id === undefined ? 'no AUTH challenge' : 'no answer to AUTH')
        }
        e.waitsAuth = false
        if (e.tries >= 3) e.done(false)
        else queue.unshift(e)
      }
    if (late) pump()
  }

  // NIP-42 on the store connection (auth is per connection): the last challenge, the auth event
  // sent for it, and whether the relay accepted it or refused it
  const auth = new StoreAuth(o)
  let authed = false
  let authRefused = false
  /** A write waited for auth past the request timeout (reported once per connection). */
  let noChallenge = false

  const waiting = (): Array<Entry> => [...inFlight.values()].filter((e) => e.waitsAuth === true)

  /** Signs and sends the auth event for the known challenge, once per connection, when a write waits for it. */
  const answerAuth = (c: Connection): void => {
    if (!authed && !authRefused) auth.answer(c)
  }

  /** Auth is impossible or was refused: the writes waiting for it fail (store failures, not refusals of the events). */
  const failWaiting = (): void => {
    for (const e of waiting()) {
      inFlight.delete(e.event.id)
      e.done(false)
    }
  }

  const onOk = (c: Connection, m: ReadonlyArray<unknown>): void => {
    const id = m[1] as string
    const reason = typeof m[3] === 'string' ? m[3] : ''
    if (auth.answered(m)) {
      if (m[2] === true) {
        authed = true
        o.onAuth?.('ok')
        // the writes refused for auth go out again, first
        const again = waiting()
        for (const e of again) inFlight.delete(e.event.id)
        for (const e of again.reverse()) {
          e.waitsAuth = false
          queue.unshift(e)
        }
      } else {
        authRefused = true
        o.onAuth?.('failed', reason.slice(0, 200) || 'refused')
        failWaiting()
      }
      pump()
      return
    }
    const e = inFlight.get(id)
    if (e === undefined) return
    if (m[2] !== true && /^auth-required:/i.test(reason.trimStart()) && !authed && !authRefused) {
      if (o.secretKey === undefined) {
        inFlight.delete(id)
        o.onAuth?.('failed', 'no key to sign with (secretKey)')
        authRefused = true
        e.done(false)
        failWaiting()
        pump()
        return
      }
      // kept in flight (the sweep still times it out) until the connection authenticates
      e.waitsAuth = true
      e.sentAt = Date.now()
      answerAuth(c)
      return
    }
    inFlight.delete(id)
    const ok = m[2] === true || reason.startsWith('duplicate')
    e.done(ok, !ok && isRefusal(reason))
    pump()
  }

  const connect = (): void => {
    if (stopped) return
    auth.reset()
    authed = false
    authRefused = false
    noChallenge = false
    const c: Connection = new Connection(o.url, o.net, o.connectTimeoutMs, {
      onOpen: () => {
        reconnect.opened()
        pump()
      },
      onFrame: (data) => {
        const m = parseFrame(data)
        if (m === undefined) return
        if (m[0] === 'AUTH') {
          if (conn === c && auth.keep(m) && waiting().length > 0) answerAuth(c)
          return
        }
        if (m[0] !== 'OK' || typeof m[1] !== 'string' || conn !== c) return
        onOk(c, m)
      },
      onDrop: () => {
        conn = undefined
        // what was in flight is sent again on the next connection
        for (const e of inFlight.values()) {
          e.waitsAuth = false
          queue.unshift(e)
        }
        inFlight.clear()
        if (stopped) return
        reconnect.later()
      }
    })
    conn = c
    c.start()
  }

  return {
    store: (events) =>
      new Promise((resolve) => {
        if (stopped || events.length === 0) {
          resolve({ stored: 0, failed: events.length })
          return
        }
        let stored = 0
        let failed = 0
        const refused: Array<string> = []
        const done = (ok: boolean, refusedId?: string): void => {
          if (ok) stored++
          else failed++
          if (refusedId !== undefined) refused.push(refusedId)
          if (stored + failed === events.length) resolve({ stored, failed, ...(refused.length === 0 ? {} : { refused }) })
        }
        for (const event of events) queue.push({ event, done: (ok, no) => done(ok, no === true ? event.id : undefined), tries: 0, sentAt: 0 })
        pump()
      }),
    stop: () => {
      stopped = true
      reconnect.cancel()
      if (sweep !== undefined) clearInterval(sweep)
      sweep = undefined
      conn?.terminate()
      conn = undefined
      for (const e of [...inFlight.values(), ...queue.splice(0)]) e.done(false)
      inFlight.clear()
    }
  }
}
