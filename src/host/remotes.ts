/**
 * The executor's connections to remote relays (internal), and what each asked for: a batch of the
 * engine sent as it says (open, `CLOSE`s then `REQ`s, NIP-77 sessions, close); the filters of each
 * subscription, and for a grace period those of one just closed or replaced (an event the relay
 * sent before it read the change is still wanted); the page of each history subscription; the
 * requests waiting for an answer, and their timeouts. What the relays say is read in frames.ts.
 */
import { option as O } from 'fp-ts'
import { matchFilters, type Filter } from 'nostr-tools/filter'
import { engineRelay, type EngineInput, type NostrFilter, type RelayBatch } from '../index.js'
import { classifyFailure } from './auth.js'
import { Connection } from './connection.js'
import { Refused } from './net.js'
import type { NegentropyHost } from './negentropy.js'
import type { NostrEventLike } from './ownRelayTypes.js'
import { pageKey, type Remote, type Shared } from './shared.js'

/** Events a history page may hold beyond the `limit` its `REQ` asked for (relays round a little). */
const PAGE_SLACK = 16
/** The most events a history page keeps, whatever its filters say. */
const MAX_PAGE = 10_000
/** How long the filters of a closed or replaced subscription still admit events. */
const GRACE_MS = 15_000

/** The most events a history page keeps: the sum of its filters' `limit`s plus {@link PAGE_SLACK} ({@link MAX_PAGE} without limits). */
export const pageCap = (filters: ReadonlyArray<NostrFilter> | undefined): number => {
  if (filters === undefined) return 0
  let n = PAGE_SLACK
  for (const f of filters) n += typeof f.limit === 'number' && f.limit >= 0 ? Math.min(f.limit, MAX_PAGE) : MAX_PAGE
  return Math.min(n, MAX_PAGE)
}

export interface RemoteHooks {
  readonly queue: (input: EngineInput) => void
  /** A frame from a connection (frames.ts). */
  readonly onFrame: (rem: Remote, data: string) => void
  /** The relay's NIP-11 document is asked for when its first connection opens (relayInfo.ts). */
  readonly askInfo: (relay: string) => void
  readonly neg: NegentropyHost
}

/** The remote connections of one executor. */
export const makeRemotes = (s: Shared, h: RemoteHooks) => {
  const { o, clock, nowSec, remotes, pages, counters, emit } = s
  const { queue, neg } = h

  const forget = (rem: Remote): void => {
    for (const id of rem.subs.keys()) pages.delete(pageKey(rem.key, id))
    neg.forget(rem.key)
  }

  /** Sends one batch: opens the connection when asked, `CLOSE`s then `REQ`s in order, disconnects when asked. */
  const apply = (b: RelayBatch): void => {
    const key = `${b.socket} ${b.relay}`
    let rem = remotes.get(key)
    if (b.connection === 'open') {
      if (rem !== undefined) {
        forget(rem)
        rem.conn.terminate()
      }
      rem = openRemote(b.relay, b.socket, key)
    }
    // no connection: it dropped, and the engine is (or will be, in this batch window) told so
    if (rem === undefined) return
    for (const hist of b.history) pages.set(pageKey(key, hist.id), [])
    let since: number | undefined
    let reqs = 0
    let closes = 0
    const sent = clock()
    const retire = (id: string): void => {
      const old = rem.subs.get(id)
      if (old === undefined) return
      const list = rem.recent.get(id) ?? []
      list.push({ filters: old, until: sent + GRACE_MS })
      rem.recent.set(id, list)
    }
    for (const m of b.messages) {
      if (m[0] === 'CLOSE' && neg.close(rem, m[1])) {
        // a session's CLOSE goes out as NEG-CLOSE
        rem.inFlight.delete(m[1])
        closes++
        continue
      }
      retire(m[1])
      if (m[0] === 'CLOSE') {
        rem.subs.delete(m[1])
        rem.inFlight.delete(m[1])
        pages.delete(pageKey(key, m[1]))
        closes++
      } else {
        const filters = m.slice(2) as Array<NostrFilter>
        rem.subs.set(m[1], filters)
        rem.inFlight.set(m[1], sent)
        for (const f of filters) if (typeof f.since === 'number' && f.since > 0) since = Math.min(since ?? f.since, f.since)
        reqs++
      }
      rem.conn.send(JSON.stringify(m))
    }
    if (b.negentropy !== undefined && b.negentropy.length > 0) {
      const maxBytes = O.toUndefined(engineRelay(b.relay)(s.engine))?.limits.maxMessageBytes ?? 65_536
      for (const session of b.negentropy) {
        rem.inFlight.set(session.id, sent)
        neg.open(rem, session.id, session.filter, maxBytes)
      }
    }
    counters.reqs += reqs
    counters.closes += closes
    emit({ type: 'sent', relay: b.relay, socket: b.socket, connection: b.connection, reqs, closes, ...(since === undefined ? {} : { since }) })
    if (b.connection === 'close') {
      forget(rem)
      rem.conn.close()
      remotes.delete(key)
    }
  }

  const openRemote = (relay: string, socket: number, key: string): Remote => {
    const rem: Remote = { relay, socket, key, conn: undefined as unknown as Connection, connected: false, subs: new Map(), inFlight: new Map(), recent: new Map() }
    rem.conn = new Connection(relay, s.net, o.connectTimeoutMs, {
      onOpen: () => {
        if (remotes.get(key) !== rem) return
        rem.connected = true
        emit({ type: 'connected', relay, socket })
        queue({ _tag: 'Connected', relay, socket, now: nowSec() })
      },
      onFrame: (data) => {
        if (remotes.get(key) === rem) h.onFrame(rem, data)
      },
      onDrop: (error, cause) => {
        // a close reported by a connection that is no longer the current one changes nothing
        if (remotes.get(key) !== rem) return
        remotes.delete(key)
        forget(rem)
        if (error instanceof Refused) {
          emit({ type: 'refused', relay, socket, rule: error.refusal.rule, reason: error.refusal.reason })
        } else emit({ type: 'disconnected', relay, socket, reason: error instanceof Error ? error.message : String(error) })
        // DNS, TLS, protocol and address failures park the relay (the engine's naughty list); others back off
        const failure = classifyFailure(error, cause)
        if (failure !== undefined && (!rem.connected || failure.kind === 'protocol')) {
          emit({ type: 'failed', relay, socket, kind: failure.kind, reason: failure.reason })
          queue({ _tag: 'Failed', relay, socket, kind: failure.kind, reason: failure.reason, now: nowSec() })
        } else queue({ _tag: 'Disconnected', relay, socket, now: nowSec() })
      }
    })
    remotes.set(key, rem)
    // the engine opened it when its health allows (the backoff with its seeded jitter): at once
    rem.conn.start(0)
    if (socket === 0) h.askInfo(relay)
    return rem
  }

  /** The event matches filters the id had a moment ago (see {@link Remote.recent}). */
  const matchesRecent = (rem: Remote, id: string, e: NostrEventLike): boolean => {
    const list = rem.recent.get(id)
    if (list === undefined) return false
    const now = clock()
    try {
      return list.some((r) => r.until >= now && matchFilters(r.filters as Array<Filter>, e as never))
    } catch {
      return false
    }
  }

  /** At a tick (`now` in ms): grace periods over end, and `REQ`s unanswered past the request timeout are reported (`Timeout`). */
  const sweep = (now: number): void => {
    const limit = now - o.requestTimeoutMs
    for (const rem of remotes.values())
      for (const [id, list] of rem.recent) {
        const kept = list.filter((r) => r.until >= now)
        if (kept.length === 0) rem.recent.delete(id)
        else if (kept.length < list.length) rem.recent.set(id, kept)
      }
    for (const rem of remotes.values())
      for (const [id, at] of rem.inFlight)
        if (at < limit) {
          rem.inFlight.delete(id)
          pages.delete(pageKey(rem.key, id))
          emit({ type: 'timeout', relay: rem.relay, socket: rem.socket, id })
          s.feedback.push({ _tag: 'Timeout', relay: rem.relay, socket: rem.socket, id, now: nowSec() })
        }
  }

  return { apply, matchesRecent, sweep }
}

export type Remotes = ReturnType<typeof makeRemotes>
