/**
 * The executor: a GRASP-02 host on nostr-tools that runs the sync engine for real.
 *
 * It reads announcements, deletions and root events from the server's own relay (or an
 * {@link EventSource}), feeds them to the engine in batches (one `Events` step per batch, never
 * one per event), opens, replaces and closes subscriptions on remote relays exactly as the
 * engine's batches say, stores every event it fetches in the own relay (or an
 * {@link EventSink}), and reports `EOSE`, `CLOSED`, `NOTICE`, request timeouts, opened and
 * dropped connections, and each relay's NIP-11 limits back to the engine. It owns the clock, the
 * jitter and the sockets; the engine stays pure. See docs/host.md.
 *
 * @since 0.3.0
 */
import { option as O } from 'fp-ts'
import { matchFilters, type Filter } from 'nostr-tools/filter'
import {
  ANNOUNCEMENT_KIND,
  DEFAULT_RECONNECT_WINDOW,
  DEFAULT_ROOT_KINDS,
  DELETION_KIND,
  GRASP_LIST_KIND,
  enableWasmVerification,
  engineDesired,
  engineFetchStatus,
  engineRelay,
  engineRelays,
  isSettled,
  limitsFromRelayInfo,
  step,
  syncEngine,
  trustRelays,
  wants,
  type EngineInput,
  type NostrFilter,
  type RelayBatch,
  type RelayPolicy,
  type SyncConfig,
  type SyncEngine
} from '../index.js'
import { verifies } from '../decode/verifyBackend.js'
import { canonicalRelay, type RelayUrl } from '../model/RelayUrl.js'
import { dataOf } from '../relays/store.js'
import { Connection } from './connection.js'
import { fetchRelayInfo, makeNet, Refused } from './net.js'
import { relaySink, relaySource, type EventSink, type EventSource, type NostrEventLike, type StoreResult } from './ownRelay.js'
import { int, isEvent, readOptions } from './options.js'
import { challengeOf, classifyFailure, signAuth } from './auth.js'
import { engineWithSeed, isParked } from './healthHooks.js'
import { discoveryOn, isDirect } from './grasp01.js'
import { negentropyHost, storeHave } from './negentropy.js'
import type { ConnectionState, Executor, ExecutorEvent, ExecutorOptions, ExecutorRelayState, ExecutorState } from './types.js'

export type { ConnectionState, Executor, ExecutorCounters, ExecutorEvent, ExecutorOptions, ExecutorRelayState, ExecutorState } from './types.js'

// -------------------------------------------------------------------------------------------------
// the executor
// -------------------------------------------------------------------------------------------------

/** Events a history page may hold beyond the `limit` its `REQ` asked for (relays round a little). */
const PAGE_SLACK = 16
/** The most events a history page keeps, whatever its filters say. */
const MAX_PAGE = 10_000

interface Remote {
  readonly relay: string
  readonly socket: number
  readonly key: string
  conn: Connection
  connected: boolean
  /** Subscriptions requested and not closed: id → filters (an event must match the filters of the id it came on). */
  readonly subs: Map<string, ReadonlyArray<NostrFilter>>
  /** `REQ`s not answered yet: id → time sent (ms). */
  readonly inFlight: Map<string, number>
  /**
   * Filters an id had until a `CLOSE` or a replacing `REQ`, kept for {@link GRACE_MS}: the relay
   * may have sent events on them before it read the change, and such an event is wanted (a slot
   * that split or moved is asked for under new ids, live, from the moment the relay reads them).
   */
  readonly recent: Map<string, Array<{ readonly filters: ReadonlyArray<NostrFilter>; readonly until: number }>>
  /** NIP-42: the last challenge, the id of the auth event sent for it, whether the relay accepted it. */
  challenge?: string | undefined
  authId?: string | undefined
  authed?: boolean
  /** A `REQ` was refused with `auth-required:` before any challenge came (ms): auth fails if none comes in time. */
  authAwaited?: number | undefined
}

/** How long the filters of a closed or replaced subscription still admit events. */
const GRACE_MS = 15_000

/**
 * Makes an executor: the engine, the own relay as source and sink, and connections to the
 * remote relays the engine asks for. Nothing happens before {@link Executor.start}. Total: an
 * option that is not usable takes its default (an unusable `ownRelay` is reported by the engine
 * as an `invalid-config` rejection, and `start` rejects when there is nothing to read from).
 *
 * @example
 * import { createExecutor } from 'nip34-sync/host'
 *
 * const host = createExecutor({
 *   ownRelay: 'wss://grasp.example.com', // what announcements list
 *   storeRelay: 'ws://127.0.0.1:7777', // where this server's relay listens
 *   bootstrapRelays: ['wss://relay.example.org']
 * })
 * host.on((e) => {
 *   if (e.type === 'caught-up') console.log('caught up', host.state().counters)
 * })
 * // await host.start(); await host.whenCaughtUp(); ...; await host.stop()
 * assert.strictEqual(host.state().running, false)
 *
 * @category constructors
 * @since 0.3.0
 */
export const createExecutor = (options: ExecutorOptions): Executor => {
  const o = readOptions(options)
  const clock = o.clock
  const nowSec = (): number => Math.floor(clock() / 1000)
  const storeUrl = o.storeRelay ?? o.ownRelays[0]
  const trusted = [...o.ownRelays, ...(storeUrl === undefined ? [] : [storeUrl]), ...o.bootstrapRelays, ...o.allowRelays]
  const policy: Partial<RelayPolicy> = trustRelays(trusted)((o.config['relayPolicy'] as Partial<RelayPolicy> | undefined) ?? {})
  const config = {
    ...o.config,
    ownRelays: o.ownRelays,
    bootstrapRelays: o.bootstrapRelays,
    relayPolicy: policy,
    ...(o.acceptance === undefined ? {} : { acceptance: o.acceptance })
  } as SyncConfig
  const rootKinds = Array.isArray(o.config['rootKinds']) ? (o.config['rootKinds'] as Array<unknown>).filter((k): k is number => Number.isSafeInteger(k)) : DEFAULT_ROOT_KINDS
  const engineKinds = new Set<number>([ANNOUNCEMENT_KIND, DELETION_KIND, ...rootKinds])
  // kind 10317 discovery (off by default): the engine reads the GRASP lists (host/grasp01.ts)
  if (discoveryOn(o.engine)) engineKinds.add(GRASP_LIST_KIND)
  // o.engine is a plain copy (host/options.ts): read here, by discoveryOn and by engineWithSeed alike
  const reconnectWindow = int(o.engine?.reconnectWindow, DEFAULT_RECONNECT_WINDOW, 0, 1e10)
  // bootstrap relays are trusted for their URL as written, not for where their names resolve (a
  // hijacked public name must not reach into the host's network); own, store and allowRelays are trusted exactly
  const exact = [...o.ownRelays, ...(storeUrl === undefined ? [] : [storeUrl]), ...o.allowRelays]
  const exactSet = new Set(exact.map((r) => canonicalRelay(r) ?? r))
  const addressChecked = new Set(o.bootstrapRelays.map((r) => canonicalRelay(r) ?? r).filter((r) => !exactSet.has(r)))
  const addressPolicy = trustRelays(exact)((o.config['relayPolicy'] as Partial<RelayPolicy> | undefined) ?? {})
  const net = makeNet({
    policy,
    WebSocket: o.WebSocket,
    resolve: o.resolve,
    connectTimeoutMs: o.connectTimeoutMs,
    pingMs: o.pingMs,
    maxPayload: 16 * 1024 * 1024,
    addressChecked,
    addressPolicy
  })

  let engine: SyncEngine = o.initialEngine ?? syncEngine(config, engineWithSeed(o.engine, o.jitterSeed))
  let running = false
  let stopped = false
  const listeners = new Set<(e: ExecutorEvent) => void>()
  const remotes = new Map<string, Remote>()
  /** Events of each history subscription since its `REQ` (the page the engine pages with), by `socket relay id`. */
  const pages = new Map<string, Array<unknown>>()
  // whether a relay is reachable, and when a connection reopens, is the engine's relay health
  // alone (its failure count, parks and seeded jitter): the executor keeps no count of its own
  const infoAsked = new Set<string>()
  let seen = new Set<string>()
  let inbox: Array<unknown> = []
  let feedback: Array<EngineInput> = []
  let toStore: Array<NostrEventLike> = []
  let flushTimer: ReturnType<typeof setTimeout> | undefined
  /** How long the last `Events` step took (ms): the next batch window is at least that long. */
  let lastEventsMs = 0
  let tickTimer: ReturnType<typeof setInterval> | undefined
  let abort = new AbortController()
  let source: EventSource | undefined
  let sink: EventSink | undefined
  let sourceConnected = false
  let sourceCaughtUp = false
  let caughtUp = false
  const waiters = new Set<(ok: boolean) => void>()
  /** Over-fetched events per relay (see `counters.overFetched`). */
  const overFetchedBy = new Map<string, number>()
  const counters = {
    received: 0, unmatched: 0, overFetched: 0, invalid: 0, pageOverflow: 0, stored: 0, storeFailed: 0, storePending: 0, steps: 0, rejected: 0, reqs: 0, closes: 0,
    negentropySessions: 0, negentropyFailed: 0, negentropyNeed: 0
  }

  const emit = (e: ExecutorEvent): void => {
    for (const l of [o.onProgress, ...listeners])
      if (l !== undefined)
        try {
          l(e)
        } catch {
          // a listener's error is its own
        }
  }

  /** Whether to check ids and signatures here (the engine's `verify`, default on). */
  const verifying = o.config['verify'] !== false
  /**
   * Remembers a new, valid event's id. The id and signature are checked first (the core's
   * verifier, WASM when enabled), so a forged copy (a real id, a bad signature or other content)
   * is never remembered: it cannot hide the genuine event, and it never reaches the store.
   */
  const admit = (e: NostrEventLike): boolean => {
    if (seen.has(e.id)) return false
    if (verifying && verifies(e) !== undefined) {
      counters.invalid++
      return false
    }
    return remember(e.id)
  }

  const remember = (id: string): boolean => {
    if (seen.has(id)) return false
    if (seen.size >= o.dedupCapacity) seen = new Set()
    seen.add(id)
    return true
  }

  // ---- the engine ------------------------------------------------------------------------------

  const feed = (input: EngineInput): void => {
    const t0 = clock()
    const r = step(input)(engine)
    engine = r.engine
    counters.steps++
    if (r.rejected.length > 0) {
      counters.rejected += r.rejected.filter((x) => x.position !== undefined).length
      emit({ type: 'rejected', rejections: r.rejected.map((x) => ({ code: x.code, message: x.message, ...(x.eventId === undefined ? {} : { eventId: x.eventId }) })) })
    }
    for (const p of r.problems) emit({ type: 'problem', code: p.code, relay: p.relay, message: p.message })
    for (const b of r.batches) apply(b)
    if (input._tag === 'Events' || r.batches.length > 0)
      emit({ type: 'step', input: input._tag, events: input._tag === 'Events' ? input.events.length : 0, batches: r.batches.length, rejected: r.rejected.length, ms: clock() - t0 })
  }

  const pageKey = (key: string, id: string): string => `${key} ${id}`

  /** The most events a history page keeps: the sum of its filters' `limit`s plus {@link PAGE_SLACK} ({@link MAX_PAGE} without limits). */
  const pageCap = (filters: ReadonlyArray<NostrFilter> | undefined): number => {
    if (filters === undefined) return 0
    let n = PAGE_SLACK
    for (const f of filters) n += typeof f.limit === 'number' && f.limit >= 0 ? Math.min(f.limit, MAX_PAGE) : MAX_PAGE
    return Math.min(n, MAX_PAGE)
  }

  const forget = (rem: Remote): void => {
    for (const id of rem.subs.keys()) pages.delete(pageKey(rem.key, id))
    neg.forget(rem.key)
  }

  // NIP-77: sessions the engine plans, run with the store relay's events as the "have" set (negentropy.ts)
  const haves = storeUrl === undefined ? undefined : storeHave({ url: storeUrl, net, connectTimeoutMs: o.connectTimeoutMs, requestTimeoutMs: o.requestTimeoutMs, pageSize: 500 })
  const neg = negentropyHost(haves === undefined ? async () => [] : haves.have, {
    report: (input) => queue(input),
    touch: (peer, id) => {
      const rem = remotes.get(peer.key)
      if (rem !== undefined && rem.inFlight.has(id)) rem.inFlight.set(id, clock())
    },
    event: (e) => {
      if (e.phase === 'done') {
        counters.negentropySessions++
        counters.negentropyNeed += e.need ?? 0
      } else if (e.phase === 'error') counters.negentropyFailed++
      emit({ type: 'negentropy', ...e })
    },
    now: nowSec
  })

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
    for (const h of b.history) pages.set(pageKey(key, h.id), [])
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
      const maxBytes = O.toUndefined(engineRelay(b.relay)(engine))?.limits.maxMessageBytes ?? 65_536
      for (const s of b.negentropy) {
        rem.inFlight.set(s.id, sent)
        neg.open(rem, s.id, s.filter, maxBytes)
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
    rem.conn = new Connection(relay, net, o.connectTimeoutMs, {
      onOpen: () => {
        if (remotes.get(key) !== rem) return
        rem.connected = true
        emit({ type: 'connected', relay, socket })
        queue({ _tag: 'Connected', relay, socket, now: nowSec() })
      },
      onFrame: (data) => {
        if (remotes.get(key) === rem) onRemoteFrame(rem, data)
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
    if (socket === 0) askInfo(relay)
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

  /**
   * The exact GRASP-02 predicate of a relay (`wants`), rebuilt only when that relay's own target
   * (the persistent index shares a target a step did not change: compared by identity) or its
   * limits changed, not after every change anywhere.
   */
  const predicates = new Map<string, { readonly target: unknown; readonly limits: string; readonly wanted: (event: unknown) => boolean }>()
  const wantedFrom = (relay: string): ((event: unknown) => boolean) => {
    const desired = engineDesired(engine)
    const target: unknown = dataOf(desired).relays.get((canonicalRelay(relay) ?? relay) as RelayUrl)
    const limits = O.toUndefined(engineRelay(relay)(engine))?.limits
    const limitsKey = limits === undefined ? '' : JSON.stringify(limits)
    const cached = predicates.get(relay)
    if (cached !== undefined && cached.target === target && cached.limits === limitsKey) return cached.wanted
    const wanted = wants(desired, relay, limits)
    predicates.set(relay, { target, limits: limitsKey, wanted })
    return wanted
  }

  const onRemoteFrame = (rem: Remote, data: string): void => {
    let m: unknown
    try {
      m = JSON.parse(data)
    } catch {
      return
    }
    if (!Array.isArray(m) || typeof m[1] !== 'string') return
    const id = m[1]
    const { relay, socket } = rem
    switch (m[0]) {
      case 'EVENT': {
        const filters = rem.subs.get(id)
        const e: unknown = m[2]
        let ok = false
        try {
          ok = filters !== undefined && isEvent(e) && matchFilters(filters as Array<Filter>, e as never)
        } catch {
          ok = false
        }
        if (!ok && isEvent(e)) ok = matchesRecent(rem, id, e)
        if (!ok) {
          counters.unmatched++
          return
        }
        const ev = e as NostrEventLike
        // history paging sees every event its filter matched, over-fetch included (or `until` could skip some)
        // at most what the REQ asked for (its limits, plus a little): more is the relay misbehaving, and is not kept
        const page = pages.get(pageKey(rem.key, id))
        if (page !== undefined) {
          if (page.length < pageCap(filters)) page.push(ev)
          else counters.pageOverflow++
        }
        // a subscription of exact events (fetch by id, discovery by author: host/grasp01.ts) keeps what it asked for
        if (!wantedFrom(relay)(ev) && !isDirect(filters)) {
          counters.overFetched++
          overFetchedBy.set(relay, (overFetchedBy.get(relay) ?? 0) + 1)
          return
        }
        if (!admit(ev)) return
        counters.received++
        if (engineKinds.has(ev.kind)) inbox.push(ev)
        if (sink !== undefined) toStore.push(ev)
        schedule()
        return
      }
      case 'EOSE': {
        if (!rem.subs.has(id)) return
        rem.inFlight.delete(id)
        const k = pageKey(rem.key, id)
        const page = pages.get(k)
        if (page !== undefined) pages.set(k, [])
        emit({ type: 'eose', relay, socket, id })
        queue({ _tag: 'Eose', relay, socket, id, ...(page === undefined ? {} : { events: page }), now: nowSec() })
        return
      }
      case 'CLOSED': {
        // a relay that takes NEG-OPEN for a subscription closes it: as NEG-ERR
        if (!rem.subs.has(id) && neg.has(rem, id)) {
          rem.inFlight.delete(id)
          neg.frame(rem, ['NEG-ERR', id, typeof m[2] === 'string' ? m[2] : 'closed'])
          return
        }
        if (!rem.subs.has(id)) return
        rem.subs.delete(id)
        rem.inFlight.delete(id)
        pages.delete(pageKey(rem.key, id))
        const reason = typeof m[2] === 'string' ? m[2].slice(0, 500) : ''
        emit({ type: 'closed', relay, socket, id, reason })
        queue({ _tag: 'Closed', relay, socket, id, reason, now: nowSec() })
        if (/^auth-required:/i.test(reason.trimStart())) authNeeded(rem)
        return
      }
      case 'AUTH': {
        // kept; answered only once the relay refuses a REQ for auth (no key shown to relays that do not ask)
        const challenge = challengeOf(m)
        if (challenge === undefined) return
        rem.challenge = challenge
        if (rem.authAwaited !== undefined) answerAuth(rem, challenge)
        return
      }
      case 'OK': {
        if (rem.authId === undefined || id !== rem.authId) return
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
        return
      }
      case 'NEG-MSG':
      case 'NEG-ERR':
        if (neg.has(rem, id) && m[0] === 'NEG-ERR') rem.inFlight.delete(id)
        neg.frame(rem, m)
        if (!neg.has(rem, id)) rem.inFlight.delete(id)
        return
      case 'NOTICE': {
        const message = id.slice(0, 500)
        emit({ type: 'notice', relay, socket, message })
        queue({ _tag: 'Notice', relay, socket, message, now: nowSec() })
        return
      }
      default:
        return
    }
  }

  // ---- NIP-42 ----------------------------------------------------------------------------------

  /** Signs and sends the auth event for a challenge (with the operator's key; nothing without one). */
  const answerAuth = (rem: Remote, challenge: string): void => {
    rem.challenge = challenge
    if (o.secretKey === undefined || rem.authed === true) return
    const ev = signAuth(o.secretKey, rem.relay, challenge)
    if (ev === undefined) return
    rem.authId = ev.id
    rem.conn.send(JSON.stringify(['AUTH', ev]))
    emit({ type: 'auth', relay: rem.relay, socket: rem.socket, status: 'sent' })
  }

  /** A `REQ` was refused with `auth-required:`: auth is answered (or pending), or it cannot be (no key). */
  const authNeeded = (rem: Remote): void => {
    if (rem.authed === true || rem.authId !== undefined) return
    const { relay, socket } = rem
    if (o.secretKey === undefined) {
      emit({ type: 'auth', relay, socket, status: 'failed', reason: 'no key to sign with (secretKey)' })
      queue({ _tag: 'AuthFailed', relay, socket, reason: 'no key to sign with', now: nowSec() })
      return
    }
    rem.authAwaited ??= clock()
    if (rem.challenge !== undefined) answerAuth(rem, rem.challenge)
  }

  // ---- NIP-11 ----------------------------------------------------------------------------------

  const askInfo = (relay: string): void => {
    if (o.fetch === undefined || infoAsked.has(relay)) return
    infoAsked.add(relay)
    const signal = abort.signal
    fetchRelayInfo(relay, o.fetch, net, o.infoTimeoutMs, signal, o.fetchGiven).then(
      (doc) => {
        if (!running || signal.aborted || doc === undefined) return
        // the document overrides what the engine uses for this relay (the host's own limits included)
        const current = O.toUndefined(engineRelay(relay)(engine))?.limits
        const r = current === undefined ? limitsFromRelayInfo(doc) : limitsFromRelayInfo(doc, current)
        emit({ type: 'limits', relay, limits: r.limits, problems: r.problems.map((p) => `${p.field}: ${p.reason}`) })
        // NIP-11 `supported_nips`: a hint for NIP-77 (the engine trusts evidence only)
        const nips: unknown = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['supported_nips'] : undefined
        if (Array.isArray(nips)) queue({ _tag: 'Nips', relay, nips: nips.filter((n): n is number => Number.isSafeInteger(n)).slice(0, 1000), now: nowSec() })
        if (current !== undefined && JSON.stringify(current) === JSON.stringify(r.limits)) return
        queue({ _tag: 'Limits', relay, limits: r.limits, now: nowSec() })
      },
      (e: unknown) => {
        if (!running || signal.aborted) return
        if (e instanceof Refused) emit({ type: 'refused', relay, socket: -1, rule: e.refusal.rule, reason: `NIP-11: ${e.refusal.reason}` })
        else infoAsked.delete(relay) // asked again when the relay's first connection opens again
      }
    )
  }

  // ---- batching --------------------------------------------------------------------------------

  const queue = (input: EngineInput): void => {
    feedback.push(input)
    schedule()
  }

  const schedule = (): void => {
    if (!running) return
    if (inbox.length >= o.batchMax || toStore.length >= o.batchMax) {
      if (flushTimer !== undefined) clearTimeout(flushTimer)
      flushTimer = setTimeout(flush, 0)
      return
    }
    // the window grows to the last Events step's duration (at most 2 s): under a steady stream the
    // engine works at most about half of the time and the event loop stays responsive
    flushTimer ??= setTimeout(flush, Math.max(o.batchWindowMs, Math.min(lastEventsMs, 2000)))
  }

  /** One engine step for every event collected, then the feedback in the order it came, then the store. */
  const flush = (): void => {
    if (flushTimer !== undefined) clearTimeout(flushTimer)
    flushTimer = undefined
    if (!running) return
    if (inbox.length > 0) {
      const events = inbox
      inbox = []
      const t0 = clock()
      feed({ _tag: 'Events', events, now: nowSec() })
      lastEventsMs = clock() - t0
    }
    const inputs = feedback
    feedback = []
    for (const i of inputs) feed(i)
    if (toStore.length > 0 && sink !== undefined) {
      const events = toStore
      toStore = []
      counters.storePending += events.length
      const s = sink
      let promise: Promise<void | StoreResult>
      try {
        promise = Promise.resolve(s.store(events))
      } catch (e) {
        promise = Promise.reject(e)
      }
      promise.then(
        (r) => {
          counters.storePending -= events.length
          const stored = r !== undefined && typeof r === 'object' && typeof r.stored === 'number' ? r.stored : events.length
          const failed = events.length - stored
          counters.stored += stored
          counters.storeFailed += failed
          // GRASP-01: ids the own relay refused are not fetched by id again (the engine's Refused input)
          const no = r !== undefined && typeof r === 'object' && Array.isArray(r.refused) ? r.refused.filter((x): x is string => typeof x === 'string') : []
          if (no.length > 0) queue({ _tag: 'Refused', ids: no, now: nowSec() })
          emit({ type: 'stored', stored, failed })
          check()
        },
        () => {
          counters.storePending -= events.length
          counters.storeFailed += events.length
          emit({ type: 'stored', stored: 0, failed: events.length })
          check()
        }
      )
    }
    check()
  }

  const tick = (): void => {
    const now = clock()
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
          feedback.push({ _tag: 'Timeout', relay: rem.relay, socket: rem.socket, id, now: nowSec() })
        }
    // auth required and no challenge, or no answer to the auth event, in time: auth failed
    for (const rem of remotes.values())
      if (rem.authAwaited !== undefined && rem.authAwaited < limit && rem.authed !== true) {
        const reason = rem.authId === undefined ? 'no AUTH challenge' : 'no answer to AUTH'
        rem.authAwaited = undefined
        rem.authId = undefined
        emit({ type: 'auth', relay: rem.relay, socket: rem.socket, status: 'failed', reason })
        feedback.push({ _tag: 'AuthFailed', relay: rem.relay, socket: rem.socket, reason, now: nowSec() })
      }
    feedback.push({ _tag: 'Tick', now: nowSec() })
    flush()
  }

  // ---- caught up -------------------------------------------------------------------------------

  /**
   * The engine's health says so: parked (dead, naughty: a policy refusal of the address included,
   * auth failed), or `giveUpAfter` failures in a row by the engine's count (once per backoff
   * period; an open alone does not reset it, an answer does).
   */
  const unreachable = (relay: string): boolean => {
    const health = O.toUndefined(engineRelay(relay)(engine))?.health
    return isParked(health) || (health?.failures ?? 0) >= o.giveUpAfter
  }

  const isCaughtUp = (): boolean => {
    if (!running || !sourceCaughtUp || inbox.length > 0 || feedback.length > 0 || toStore.length > 0 || counters.storePending > 0) return false
    if (isSettled(engine)) return true
    // GRASP-01: values tagged by accepted events still waiting for their delay (fetched at a later tick)
    if (engineFetchStatus(engine).pending > 0) return false
    for (const relay of engineRelays(engine)) {
      if (unreachable(relay)) continue
      if (O.toUndefined(engineRelay(relay)(engine))?.settled !== true) return false
    }
    return true
  }

  const check = (): void => {
    const now = isCaughtUp()
    if (now === caughtUp) return
    caughtUp = now
    emit({ type: now ? 'caught-up' : 'behind' })
    if (now) {
      for (const w of waiters) w(true)
      waiters.clear()
    }
  }

  // ---- life cycle ------------------------------------------------------------------------------

  const start = async (): Promise<void> => {
    if (running) return
    if (stopped) throw new Error('this executor was stopped: make a new one')
    const src =
      o.source ??
      (storeUrl === undefined
        ? undefined
        : relaySource({
            url: storeUrl,
            kinds: [...engineKinds],
            net,
            connectTimeoutMs: o.connectTimeoutMs,
            requestTimeoutMs: o.requestTimeoutMs,
            pageSize: 500,
            reconnectWindow,
            now: nowSec,
            // NIP-42 on the store relay's reads (CLOSED auth-required:), as on its writes
            secretKey: o.secretKey,
            onAuth: (status, reason) => emit({ type: 'auth', relay: storeUrl, socket: -1, status, ...(reason === undefined ? {} : { reason }) })
          }))
    if (src === undefined) throw new Error('nothing to read from: give `ownRelay`, `storeRelay` or `source`')
    sink =
      o.sink ??
      (storeUrl === undefined
        ? undefined
        : relaySink({
            url: storeUrl,
            net,
            connectTimeoutMs: o.connectTimeoutMs,
            requestTimeoutMs: o.requestTimeoutMs,
            window: o.storeWindow,
            // NIP-42 on the store relay: `OK false "auth-required:"` is answered with the operator's key, and the write sent again
            secretKey: o.secretKey,
            onAuth: (status, reason) => emit({ type: 'auth', relay: storeUrl, socket: -1, status, ...(reason === undefined ? {} : { reason }) })
          }))
    if (o.wasm) await enableWasmVerification()
    if (running || stopped) return
    source = src
    running = true
    abort = new AbortController()
    emit({ type: 'started' })
    tickTimer = setInterval(tick, o.tickMs)
    // the bootstrap relays (and, from a snapshot, every relay) open at once
    feed({ _tag: 'Events', events: [], now: nowSec() })
    src.start({
      onEvents: (events) => {
        if (!running) return
        for (const e of events) {
          if (!isEvent(e) || !engineKinds.has(e.kind) || !admit(e)) continue
          inbox.push(e)
        }
        schedule()
      },
      onCaughtUp: () => {
        if (!running) return
        sourceCaughtUp = true
        emit({ type: 'source', status: 'caught-up' })
        schedule()
      },
      onStatus: (status, detail) => {
        sourceConnected = status === 'connected'
        emit({ type: 'source', status, ...(detail === undefined ? {} : { detail }) })
      }
    })
  }

  const stop = async (): Promise<void> => {
    if (!running) {
      stopped = true
      return
    }
    running = false
    stopped = true
    if (flushTimer !== undefined) clearTimeout(flushTimer)
    if (tickTimer !== undefined) clearInterval(tickTimer)
    flushTimer = undefined
    tickTimer = undefined
    abort.abort()
    for (const rem of remotes.values()) rem.conn.terminate()
    remotes.clear()
    neg.stop()
    haves?.stop()
    predicates.clear()
    pages.clear()
    try {
      source?.stop()
    } catch {
      // the caller's source
    }
    try {
      sink?.stop?.()
    } catch {
      // the caller's sink
    }
    inbox = []
    feedback = []
    toStore = []
    caughtUp = false
    for (const w of waiters) w(false)
    waiters.clear()
    emit({ type: 'stopped' })
  }

  const whenCaughtUp = (timeoutMs?: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (caughtUp) return resolve(true)
      if (!running && stopped) return resolve(false)
      let timer: ReturnType<typeof setTimeout> | undefined
      const done = (ok: boolean): void => {
        if (timer !== undefined) clearTimeout(timer)
        waiters.delete(done)
        resolve(ok)
      }
      waiters.add(done)
      if (typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs >= 0) timer = setTimeout(() => done(false), timeoutMs)
    })

  const state = (): ExecutorState => {
    const relays: Array<ExecutorRelayState> = []
    for (const relay of engineRelays(engine)) {
      const st = O.toUndefined(engineRelay(relay)(engine))
      const connections: Array<ConnectionState> = []
      for (const rem of remotes.values())
        if (rem.relay === relay) connections.push({ socket: rem.socket, connected: rem.connected, subscriptions: rem.subs.size, inFlight: rem.inFlight.size })
      connections.sort((a, b) => a.socket - b.socket)
      relays.push({
        relay,
        connections,
        lastEose: st?.lastEose,
        settled: st?.settled === true,
        unreachable: unreachable(relay),
        ...(st === undefined ? {} : { health: st.health, planned: st.subscriptions }),
        overFetched: overFetchedBy.get(relay) ?? 0
      })
    }
    return { running, caughtUp, source: { connected: sourceConnected, caughtUp: sourceCaughtUp }, relays, counters: { ...counters } }
  }

  return {
    start,
    stop,
    whenCaughtUp,
    state,
    engine: () => engine,
    on: (listener) => {
      if (typeof listener !== 'function') return () => undefined
      listeners.add(listener)
      return () => void listeners.delete(listener)
    }
  }
}
