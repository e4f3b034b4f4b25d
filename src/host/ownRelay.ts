/**
 * The server's own relay as the executor's default event source and sink (internal): reading
 * announcements, deletions and root events (history paged newest first, then live), and
 * publishing what the executor fetched, with acknowledgements, a bounded window in flight,
 * retries and reconnects. Both run on {@link Connection}, so they share its rules (no nostr-tools
 * timers, ordered sends, a fresh object per connection).
 */
import { option as O } from 'fp-ts'
import { nextPage, pageFilter, reconnectSince, startPaging, type NostrFilter, type PageCursor } from '../index.js'
import { Connection } from './connection.js'
import type { Net } from './net.js'
import type { SignedEvent } from '../decode/verifyBackend.js'
import { isRefusal } from './grasp01.js'
import { challengeOf, signAuth } from './auth.js'

/**
 * Where the executor reads the events that say what to sync (announcements, deletions, root
 * events): by default the server's own relay.
 *
 * @example
 * import type { EventSource } from 'nip34-sync/host'
 *
 * // a source that delivers a fixed list, then says it delivered everything it holds
 * const fixed = (events: ReadonlyArray<unknown>): EventSource => ({
 *   start: ({ onEvents, onCaughtUp }) => {
 *     onEvents(events)
 *     onCaughtUp()
 *   },
 *   stop: () => undefined
 * })
 * assert.strictEqual(typeof fixed([]).start, 'function')
 *
 * @category model
 * @since 0.3.0
 */
export interface EventSource {
  /** Starts delivering. `onEvents` may be called any number of times; `onCaughtUp` when every stored event was delivered. */
  readonly start: (handlers: SourceHandlers) => void
  /** Stops delivering, closing everything (no timer left). */
  readonly stop: () => void
}

/**
 * What an {@link EventSource} calls.
 *
 * @example
 * import type { SourceHandlers } from 'nip34-sync/host'
 *
 * const seen: Array<unknown> = []
 * const handlers: SourceHandlers = { onEvents: (e) => seen.push(...e), onCaughtUp: () => undefined }
 * handlers.onEvents([1, 2])
 * assert.strictEqual(seen.length, 2)
 *
 * @category model
 * @since 0.3.0
 */
export interface SourceHandlers {
  readonly onEvents: (events: ReadonlyArray<unknown>) => void
  readonly onCaughtUp: () => void
  /** The source's connection opened or dropped (for progress reports). */
  readonly onStatus?: (status: 'connected' | 'disconnected', detail?: string) => void
}

/**
 * Where the executor stores the events it fetched: by default the server's own (or store) relay.
 * `store` resolves when the events are stored (optionally with counts); a rejection counts them
 * as failed.
 *
 * @example
 * import type { EventSink } from 'nip34-sync/host'
 *
 * const kept: Array<unknown> = []
 * const sink: EventSink = { store: async (events) => void kept.push(...events) }
 * await sink.store([{ id: 'x' }])
 * assert.strictEqual(kept.length, 1)
 *
 * @category model
 * @since 0.3.0
 */
export interface EventSink {
  readonly store: (events: ReadonlyArray<NostrEventLike>) => Promise<void | StoreResult>
  /** Called once when the executor stops: close everything (no timer left). */
  readonly stop?: () => void
}

/**
 * What a sink's `store` may resolve with: how many events were stored and how many refused.
 *
 * @example
 * import type { StoreResult } from 'nip34-sync/host'
 *
 * const r: StoreResult = { stored: 2, failed: 0 }
 * assert.strictEqual(r.stored, 2)
 *
 * @category model
 * @since 0.3.0
 */
export interface StoreResult {
  readonly stored: number
  readonly failed: number
  /**
   * Ids of events the relay refused (`OK false` with a reason other than `duplicate:`,
   * `rate-limited:`, `error:` or `auth-required:`): the executor reports them to the engine (`Refused`), which does
   * not fetch them by id again for a while. @since 0.3.0
   */
  readonly refused?: ReadonlyArray<string>
}

/**
 * A nostr event as the executor passes it on: checked for its shape, for matching the
 * subscription it came on and, unless the configuration says `verify: false`, for its id and
 * signature (the core's verifier). The same fields the core's verifier reads.
 *
 * @example
 * import type { NostrEventLike } from 'nip34-sync/host'
 *
 * const e: NostrEventLike = { id: '0'.repeat(64), pubkey: '1'.repeat(64), created_at: 1, kind: 1621, tags: [], content: '', sig: '2'.repeat(128) }
 * assert.strictEqual(e.kind, 1621)
 *
 * @category model
 * @since 0.3.0
 */
export type NostrEventLike = SignedEvent

const LIVE = 'n34src-live'
const HIST = 'n34src-hist'

export interface RelaySourceOptions {
  readonly url: string
  readonly kinds: ReadonlyArray<number>
  readonly net: Net
  readonly connectTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly pageSize: number
  readonly reconnectWindow: number
  readonly now: () => number
  /** The operator's key: answers the store relay's NIP-42 challenge when it refuses a read with `auth-required:`. */
  readonly secretKey?: Uint8Array | undefined
  /** NIP-42 on the source connection: an auth event was sent, accepted, or refused. */
  readonly onAuth?: (status: 'sent' | 'ok' | 'failed', reason?: string) => void
}

/** Backoff with jitter: 1 s doubling to 30 s, times 0.5..1. */
const backoffMs = (failures: number): number => Math.min(30_000, 1000 * 2 ** Math.min(10, failures)) * (0.5 + Math.random() / 2)

/** The own relay as an {@link EventSource}: history newest first in pages, and live from the moment it connects. */
export const relaySource = (o: RelaySourceOptions): EventSource => {
  let conn: Connection | undefined
  let handlers: SourceHandlers | undefined
  let stopped = false
  let cursor: PageCursor | undefined
  let page: Array<unknown> = []
  let lastEose: number | undefined
  let caughtUp = false
  let failures = 0
  let retry: ReturnType<typeof setTimeout> | undefined
  let timeout: ReturnType<typeof setTimeout> | undefined

  const clearTimer = (): void => {
    if (timeout !== undefined) clearTimeout(timeout)
    timeout = undefined
  }
  const arm = (c: Connection): void => {
    clearTimer()
    timeout = setTimeout(() => {
      timeout = undefined
      c.terminate()
      dropped(new Error('no EOSE in time'))
    }, o.requestTimeoutMs)
  }

  // NIP-42 on the source connection: the challenge, the auth event sent, a read refused for auth
  let challenge: string | undefined
  let authId: string | undefined
  let authWanted = false
  let authedHere = false

  const answerAuth = (c: Connection): void => {
    if (o.secretKey === undefined || authId !== undefined || challenge === undefined) return
    const ev = signAuth(o.secretKey, o.url, challenge)
    if (ev === undefined) return
    authId = ev.id
    c.send(JSON.stringify(['AUTH', ev]))
    o.onAuth?.('sent')
  }

  /** The reads again on an authenticated connection: live, and the history page the cursor is at. */
  const resend = (c: Connection): void => {
    c.send(JSON.stringify(['REQ', LIVE, { kinds: [...o.kinds], limit: 0 }]))
    const next = cursor === undefined ? O.none : pageFilter(cursor)
    if (O.isSome(next)) {
      page = []
      c.send(JSON.stringify(['REQ', HIST, next.value]))
      arm(c)
    } else clearTimer()
  }

  const connect = (): void => {
    if (stopped) return
    challenge = undefined
    authId = undefined
    authWanted = false
    authedHere = false
    const base: NostrFilter = { kinds: [...o.kinds] }
    cursor ??= startPaging(caughtUp ? { ...base, since: reconnectSince(lastEose, o.reconnectWindow) } : base, { maxLimit: o.pageSize })
    page = []
    const c: Connection = new Connection(o.url, o.net, o.connectTimeoutMs, {
      onOpen: () => {
        failures = 0
        handlers?.onStatus?.('connected')
      },
      onFrame: (data) => onFrame(c, data),
      onDrop: (e) => dropped(e)
    })
    conn = c
    c.send(JSON.stringify(['REQ', LIVE, { kinds: [...o.kinds], limit: 0 }]))
    const first = cursor === undefined ? O.none : pageFilter(cursor)
    if (O.isSome(first)) {
      c.send(JSON.stringify(['REQ', HIST, first.value]))
      arm(c)
    }
    c.start()
  }

  const dropped = (e: unknown): void => {
    clearTimer()
    conn = undefined
    if (stopped) return
    handlers?.onStatus?.('disconnected', e instanceof Error ? e.message : String(e))
    if (caughtUp) cursor = undefined // resume from the last EOSE minus the window
    retry = setTimeout(() => {
      retry = undefined
      connect()
    }, backoffMs(failures++))
  }

  const onFrame = (c: Connection, data: string): void => {
    let m: unknown
    try {
      m = JSON.parse(data)
    } catch {
      return
    }
    if (!Array.isArray(m)) return
    if (m[0] === 'AUTH') {
      const ch = challengeOf(m)
      if (ch === undefined || conn !== c) return
      challenge = ch
      if (authWanted) answerAuth(c)
      return
    }
    if (m[0] === 'OK' && authId !== undefined && m[1] === authId) {
      authId = undefined
      if (m[2] === true) {
        o.onAuth?.('ok')
        authWanted = false
        authedHere = true
        resend(c)
      } else {
        o.onAuth?.('failed', typeof m[3] === 'string' && m[3] !== '' ? m[3].slice(0, 200) : 'refused')
        c.terminate()
        dropped(new Error('NIP-42 auth refused'))
      }
      return
    }
    if (m[0] === 'EVENT' && (m[1] === LIVE || m[1] === HIST)) {
      if (m[1] === HIST) page.push(m[2])
      handlers?.onEvents([m[2]])
      return
    }
    if (m[0] === 'EOSE' && m[1] === HIST && cursor !== undefined) {
      lastEose = o.now()
      cursor = nextPage(page)(cursor)
      page = []
      const next = pageFilter(cursor)
      if (O.isSome(next)) {
        c.send(JSON.stringify(['REQ', HIST, next.value]))
        arm(c)
        return
      }
      clearTimer()
      c.send(JSON.stringify(['CLOSE', HIST]))
      cursor = undefined
      if (!caughtUp) {
        caughtUp = true
        handlers?.onCaughtUp()
      }
      return
    }
    if (m[0] === 'EOSE' && m[1] === LIVE) {
      lastEose ??= o.now()
      return
    }
    if (m[0] === 'CLOSED' && (m[1] === LIVE || m[1] === HIST)) {
      // NIP-42: a read refused for auth waits for the auth event's answer (then both reads go again)
      // (auth is tried once per connection: refused again after it, the read is an ordinary refusal)
      if (typeof m[2] === 'string' && /^auth-required:/i.test(m[2].trimStart()) && o.secretKey !== undefined && !authedHere) {
        if (!authWanted) {
          authWanted = true
          // bounded: no challenge or no answer in time drops the connection (a backoff, then again)
          arm(c)
          answerAuth(c)
        }
        return
      }
      if (typeof m[2] === 'string' && /^auth-required:/i.test(m[2].trimStart()) && o.secretKey === undefined) o.onAuth?.('failed', 'no key to sign with (secretKey)')
      // refused: start again after a backoff
      c.terminate()
      dropped(new Error(`CLOSED ${String(m[2])}`))
    }
  }

  return {
    start: (h) => {
      handlers = h
      stopped = false
      connect()
    },
    stop: () => {
      stopped = true
      clearTimer()
      if (retry !== undefined) clearTimeout(retry)
      retry = undefined
      conn?.terminate()
      conn = undefined
    }
  }
}

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
  let failures = 0
  let retry: ReturnType<typeof setTimeout> | undefined
  let sweep: ReturnType<typeof setInterval> | undefined
  const queue: Array<Entry> = []
  const inFlight = new Map<string, Entry>()

  const pump = (): void => {
    if (stopped) return
    if (conn === undefined) {
      if (retry === undefined) connect()
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
          o.onAuth?.('failed', authId === undefined ? 'no AUTH challenge' : 'no answer to AUTH')
        }
        e.waitsAuth = false
        if (e.tries >= 3) e.done(false)
        else queue.unshift(e)
      }
    if (late) pump()
  }

  // NIP-42 on the store connection (auth is per connection): the last challenge, the auth event
  // sent for it, and whether the relay accepted it or refused it
  let challenge: string | undefined
  let authId: string | undefined
  let authed = false
  let authRefused = false
  /** A write waited for auth past the request timeout (reported once per connection). */
  let noChallenge = false

  const waiting = (): Array<Entry> => [...inFlight.values()].filter((e) => e.waitsAuth === true)

  /** Signs and sends the auth event for the known challenge, once per connection, when a write waits for it. */
  const answerAuth = (c: Connection): void => {
    if (o.secretKey === undefined || authed || authRefused || authId !== undefined || challenge === undefined) return
    const ev = signAuth(o.secretKey, o.url, challenge)
    if (ev === undefined) return
    authId = ev.id
    c.send(JSON.stringify(['AUTH', ev]))
    o.onAuth?.('sent')
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
    if (authId !== undefined && id === authId) {
      authId = undefined
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
    challenge = undefined
    authId = undefined
    authed = false
    authRefused = false
    noChallenge = false
    const c: Connection = new Connection(o.url, o.net, o.connectTimeoutMs, {
      onOpen: () => {
        failures = 0
        pump()
      },
      onFrame: (data) => {
        let m: unknown
        try {
          m = JSON.parse(data)
        } catch {
          return
        }
        if (!Array.isArray(m)) return
        if (m[0] === 'AUTH') {
          const ch = challengeOf(m)
          if (ch === undefined || conn !== c) return
          challenge = ch
          if (waiting().length > 0) answerAuth(c)
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
        retry = setTimeout(() => {
          retry = undefined
          connect()
        }, backoffMs(failures++))
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
      if (retry !== undefined) clearTimeout(retry)
      if (sweep !== undefined) clearInterval(sweep)
      retry = undefined
      sweep = undefined
      conn?.terminate()
      conn = undefined
      for (const e of [...inFlight.values(), ...queue.splice(0)]) e.done(false)
      inFlight.clear()
    }
  }
}
