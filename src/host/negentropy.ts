/**
 * NIP-77 negentropy sessions of the executor (internal): the engine plans them (a batch's
 * `negentropy`), this module runs them with nostr-tools' implementation of the protocol
 * (its `nip77` module: `Negentropy` over a `NegentropyStorageVector`) and reports each one's end
 * to the engine (`NegentropyResult` with the ids the relay has and the host lacks, or
 * `NegentropyError`); the engine then fetches those ids with `REQ`s of `ids` filters.
 *
 * The "have" set of a session is the own (store) relay's events matching the session's filter,
 * read newest first in pages (the same paging as history). nostr-tools' `NegentropySync` is not
 * used: it rides on `AbstractRelay` subscriptions, which the executor does not make (see
 * connection.ts), so the frames are sent and read here, on the executor's own connections.
 */
import { option as O } from 'fp-ts'
// nostr-tools 2.x lists no `./nip77` subpath in its exports: its NIP-77 module is the root's `nip77` namespace
import { nip77 } from 'nostr-tools'
import { nextPage, pageFilter, startPaging, type EngineInput, type NostrFilter, type PageCursor } from '../index.js'
import { Connection, parseFrame } from './connection.js'
import type { Net } from './net.js'

/** One item of a "have" set: an event's id and time. */
export interface HaveItem {
  readonly id: string
  readonly created_at: number
}

/** The connection a session runs on (the executor's `Remote`). */
export interface NegPeer {
  readonly key: string
  readonly relay: string
  readonly socket: number
  readonly conn: { readonly send: (frame: string) => void }
}

export interface NegHandlers {
  /** An engine input (the end of a session). */
  readonly report: (input: EngineInput) => void
  /** The session is alive (a `NEG-MSG` came): its request timer starts over. */
  readonly touch: (peer: NegPeer, id: string) => void
  readonly event: (e: { readonly relay: string; readonly socket: number; readonly id: string; readonly phase: 'open' | 'done' | 'error'; readonly need?: number; readonly reason?: string }) => void
  readonly now: () => number
}

/** Ids a session collects at most (the engine pages a filter past its own, smaller cap). */
const MAX_NEED = 1_000_000
/** Items a "have" set holds at most. */
const MAX_HAVE = 1_000_000
const HEX64 = /^[0-9a-f]{64}$/

const { Negentropy, NegentropyStorageVector } = nip77
type Negentropy = InstanceType<typeof Negentropy>

interface Session {
  readonly peer: NegPeer
  readonly id: string
  neg: Negentropy | undefined
  readonly need: Array<string>
  closed: boolean
}

/** The frame size a session's messages keep to: half the relay's message size (hex doubles the bytes), 4 096 at least. */
export const frameLimit = (maxMessageBytes: number): number => Math.max(4096, Math.min(1_000_000, Math.floor((maxMessageBytes - 256) / 2)))

/** The sessions of one executor. */
export const negentropyHost = (have: (filter: NostrFilter) => Promise<ReadonlyArray<HaveItem>>, h: NegHandlers) => {
  const sessions = new Map<string, Session>()
  const keyOf = (peer: NegPeer, id: string): string => `${peer.key} ${id}`

  const end = (s: Session): void => {
    s.closed = true
    sessions.delete(keyOf(s.peer, s.id))
  }

  /** Opens a session: reads the "have" set, then sends `NEG-OPEN` with the initial message. */
  const open = (peer: NegPeer, id: string, filter: NostrFilter, maxMessageBytes: number): void => {
    const s: Session = { peer, id, neg: undefined, need: [], closed: false }
    const old = sessions.get(keyOf(peer, id))
    if (old !== undefined) end(old)
    sessions.set(keyOf(peer, id), s)
    const start = (items: ReadonlyArray<HaveItem>): void => {
      if (s.closed) return
      const storage = new NegentropyStorageVector()
      const seen = new Set<string>()
      for (const x of items)
        if (!seen.has(x.id) && HEX64.test(x.id) && Number.isSafeInteger(x.created_at) && x.created_at >= 0) {
          seen.add(x.id)
          storage.insert(x.created_at, x.id)
        }
      storage.seal()
      const neg = new Negentropy(storage, frameLimit(maxMessageBytes))
      s.neg = neg
      peer.conn.send(JSON.stringify(['NEG-OPEN', id, filter, neg.initiate()]))
      h.event({ relay: peer.relay, socket: peer.socket, id, phase: 'open' })
    }
    // the store not answering is no fault of the relay: the session starts with nothing in hand
    have(filter).then(start, () => start([]))
  }

  /** A `NEG-MSG` or `NEG-ERR` from the relay; `false` for any other frame. */
  const frame = (peer: NegPeer, m: ReadonlyArray<unknown>): boolean => {
    if (m[0] !== 'NEG-MSG' && m[0] !== 'NEG-ERR') return false
    const id = m[1]
    if (typeof id !== 'string') return true
    const s = sessions.get(keyOf(peer, id))
    if (s === undefined || s.closed) return true
    if (m[0] === 'NEG-ERR') {
      end(s)
      const reason = typeof m[2] === 'string' ? m[2].slice(0, 500) : ''
      h.event({ relay: peer.relay, socket: peer.socket, id, phase: 'error', reason })
      h.report({ _tag: 'NegentropyError', relay: peer.relay, socket: peer.socket, id, reason, now: h.now() })
      return true
    }
    if (s.neg === undefined || typeof m[2] !== 'string') return true
    h.touch(peer, id)
    let out: string | null
    try {
      out = s.neg.reconcile(m[2], undefined, (x: string) => {
        if (s.need.length < MAX_NEED) s.need.push(x)
      })
    } catch (e) {
      end(s)
      peer.conn.send(JSON.stringify(['NEG-CLOSE', id]))
      const reason = `error: a message this host cannot read (${e instanceof Error ? e.message.slice(0, 100) : 'unknown'})`
      h.event({ relay: peer.relay, socket: peer.socket, id, phase: 'error', reason })
      h.report({ _tag: 'NegentropyError', relay: peer.relay, socket: peer.socket, id, reason, now: h.now() })
      return true
    }
    if (out !== null) {
      peer.conn.send(JSON.stringify(['NEG-MSG', id, out]))
      return true
    }
    // reconciled: the relay is told the session is over, the engine what to fetch
    end(s)
    peer.conn.send(JSON.stringify(['NEG-CLOSE', id]))
    h.event({ relay: peer.relay, socket: peer.socket, id, phase: 'done', need: s.need.length })
    h.report({ _tag: 'NegentropyResult', relay: peer.relay, socket: peer.socket, id, need: s.need, now: h.now() })
    return true
  }

  /** A `CLOSE` of `id` from the engine: sent as `NEG-CLOSE` when `id` is a session (`true`). */
  const close = (peer: NegPeer, id: string): boolean => {
    const s = sessions.get(keyOf(peer, id))
    if (s === undefined) return false
    end(s)
    peer.conn.send(JSON.stringify(['NEG-CLOSE', id]))
    return true
  }

  /** Whether `id` is a session of `peer` (running or starting). */
  const has = (peer: NegPeer, id: string): boolean => sessions.has(keyOf(peer, id))

  /** The connection is gone: its sessions with it. */
  const forget = (key: string): void => {
    for (const s of [...sessions.values()]) if (s.peer.key === key) end(s)
  }

  const stop = (): void => {
    for (const s of [...sessions.values()]) end(s)
  }

  return { open, frame, close, has, forget, stop, size: () => sessions.size }
}

export type NegentropyHost = ReturnType<typeof negentropyHost>

export interface StoreHaveOptions {
  readonly url: string
  readonly net: Net
  readonly connectTimeoutMs: number
  readonly requestTimeoutMs: number
  /** Page size (the store relay's `limit`). */
  readonly pageSize: number
}

/** "Have" queries running at once on the store connection (each one subscription). */
const STORE_CONCURRENCY = 4

interface Query {
  readonly sub: string
  cursor: PageCursor
  page: Array<unknown>
  readonly items: Map<string, number>
  readonly resolve: (items: ReadonlyArray<HaveItem>) => void
  readonly reject: (e: Error) => void
  timer: ReturnType<typeof setTimeout> | undefined
}

/**
 * The "have" sets of filters from the store relay, on one connection of their own (opened when
 * first needed, kept until `stop`): each query pages its filter newest first (the same paging as
 * history) under its own subscription, at most {@link STORE_CONCURRENCY} at once, the rest
 * queued. A query fails (rejects) on a `CLOSED`, a drop or no answer in time; the session then
 * starts with nothing in hand (it fetches more, never less).
 */
export const storeHave = (o: StoreHaveOptions) => {
  let conn: Connection | undefined
  let seq = 0
  let stopped = false
  const running = new Map<string, Query>()
  const waiting: Array<Query> = []

  const send = (frame: unknown): void => conn?.send(JSON.stringify(frame))
  const clear = (q: Query): void => {
    if (q.timer !== undefined) clearTimeout(q.timer)
    q.timer = undefined
  }
  const done = (q: Query): void => {
    clear(q)
    running.delete(q.sub)
    send(['CLOSE', q.sub])
    q.resolve([...q.items].map(([id, created_at]) => ({ id, created_at })))
    pump()
  }
  const fail = (q: Query, e: unknown): void => {
    clear(q)
    running.delete(q.sub)
    q.reject(e instanceof Error ? e : new Error(String(e)))
  }
  const ask = (q: Query): void => {
    const f = pageFilter(q.cursor)
    if (O.isNone(f) || q.items.size >= MAX_HAVE) return done(q)
    q.page = []
    send(['REQ', q.sub, f.value])
    clear(q)
    q.timer = setTimeout(() => {
      fail(q, new Error('the store relay did not answer in time'))
      send(['CLOSE', q.sub])
      pump()
    }, o.requestTimeoutMs)
  }
  const connect = (): Connection => {
    const c: Connection = new Connection(o.url, o.net, o.connectTimeoutMs, {
      onOpen: () => undefined,
      onFrame: (data) => {
        const m = parseFrame(data)
        if (m === undefined || typeof m[1] !== 'string') return
        const q = running.get(m[1])
        if (q === undefined) return
        if (m[0] === 'EVENT') {
          const e = m[2] as { id?: unknown; created_at?: unknown } | null
          if (typeof e === 'object' && e !== null && typeof e.id === 'string' && typeof e.created_at === 'number') {
            q.items.set(e.id, e.created_at)
            q.page.push(e)
          }
        } else if (m[0] === 'EOSE') {
          q.cursor = nextPage(q.page)(q.cursor)
          ask(q)
        } else if (m[0] === 'CLOSED') {
          fail(q, new Error(`the store relay refused: ${String(m[2]).slice(0, 200)}`))
          pump()
        }
      },
      onDrop: (e) => {
        if (conn === c) conn = undefined
        for (const q of [...running.values()]) fail(q, e)
        pump()
      }
    })
    c.start()
    return c
  }
  const pump = (): void => {
    if (stopped) return
    while (running.size < STORE_CONCURRENCY && waiting.length > 0) {
      const q = waiting.shift() as Query
      conn ??= connect()
      running.set(q.sub, q)
      ask(q)
    }
  }
  const have = (filter: NostrFilter): Promise<ReadonlyArray<HaveItem>> =>
    new Promise((resolve, reject) => {
      if (stopped) return reject(new Error('stopped'))
      waiting.push({ sub: `n34neg-have-${++seq}`, cursor: startPaging(filter, { maxLimit: o.pageSize }), page: [], items: new Map(), resolve, reject, timer: undefined })
      pump()
    })
  const stop = (): void => {
    stopped = true
    for (const q of [...running.values(), ...waiting.splice(0)]) fail(q, new Error('stopped'))
    conn?.terminate()
    conn = undefined
  }
  return { have, stop }
}
