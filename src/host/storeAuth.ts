/**
 * NIP-42 on one connection to the store relay (internal), for its reader (storeSource.ts) and its
 * writer (storeSink.ts) alike: the relay's last challenge, and the auth event sent for it with the
 * operator's key. Auth is per connection: a new connection starts with neither.
 */
import { challengeOf, sendAuth } from './auth.js'

export interface StoreAuthOptions {
  readonly url: string
  /** The operator's key (nothing is signed without one). */
  readonly secretKey?: Uint8Array | undefined
  /** An auth event was sent, accepted, or auth failed. */
  readonly onAuth?: (status: 'sent' | 'ok' | 'failed', reason?: string) => void
}

export class StoreAuth {
  /** The relay's last challenge on this connection. */
  private challenge: string | undefined = undefined
  /** The id of the auth event sent and not answered yet. */
  id: string | undefined = undefined

  constructor(private readonly o: StoreAuthOptions) {}

  /** A new connection: no challenge, no auth event sent. */
  reset(): void {
    this.challenge = undefined
    this.id = undefined
  }

  /** Keeps the challenge of an `["AUTH", challenge]` frame; `false` when it holds none. */
  keep(m: ReadonlyArray<unknown>): boolean {
    const ch = challengeOf(m)
    if (ch === undefined) return false
    this.challenge = ch
    return true
  }

  /** Signs and sends the auth event for the kept challenge (not while one waits for its `OK`; nothing without a key). */
  answer(c: { readonly send: (frame: string) => void }): void {
    if (this.o.secretKey === undefined || this.id !== undefined || this.challenge === undefined) return
    this.id = sendAuth(c, this.o.secretKey, this.o.url, this.challenge)
    if (this.id !== undefined) this.o.onAuth?.('sent')
  }

  /** The frame is the relay's `OK` to the auth event sent (then that event is answered: `m[2]` says how). */
  answered(m: ReadonlyArray<unknown>): boolean {
    if (m[0] !== 'OK' || this.id === undefined || m[1] !== this.id) return false
    this.id = undefined
    return true
  }
}
