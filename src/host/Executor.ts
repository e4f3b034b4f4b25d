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
  enableWasmVerification,
  engineDesired,
  engineRelay,
  engineRelays,
  isSettled,
  limitsFromRelayInfo,
  step,
  syncEngine,
  trustRelays,
  wants,
  type Acceptance,
  type EngineInput,
  type EngineOptions,
  type NostrFilter,
  type RelayBatch,
  type RelayLimits,
  type RelayPolicy,
  type SyncConfig,
  type SyncEngine
} from '../index.js'
import { verifies } from '../decode/verifyBackend.js'
import { canonicalRelay, type RelayUrl } from '../model/RelayUrl.js'
import { dataOf } from '../relays/store.js'
import { Connection } from './connection.js'
import { defaultResolver, fetchRelayInfo, makeNet, Refused, type Resolver, type WebSocketClass } from './net.js'
import { relaySink, relaySource, type EventSink, type EventSource, type NostrEventLike, type StoreResult } from './ownRelay.js'

// -------------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------------

/**
 * Options of {@link createExecutor}. Only `ownRelay` is needed; every other field has a default.
 *
 * @example
 * import type { ExecutorOptions } from 'nip34-sync/host'
 *
 * const options: ExecutorOptions = {
 *   ownRelay: 'wss://grasp.example.com',
 *   storeRelay: 'ws://127.0.0.1:7777',
 *   bootstrapRelays: ['wss://relay.damus.io'],
 *   allowRelays: ['ws://10.0.0.5:7000']
 * }
 * assert.strictEqual(options.ownRelay, 'wss://grasp.example.com')
 *
 * @category model
 * @since 0.3.0
 */
export interface ExecutorOptions {
  /**
   * The server's public relay URL(s): the URL announcements must list (`SyncConfig.ownRelays`),
   * never a sync target. Also where events are read and stored unless `storeRelay` is given.
   */
  readonly ownRelay: string | ReadonlyArray<string>
  /**
   * The relay the executor reads announcements and root events from and stores fetched events in
   * (default: the first `ownRelay`), such as the local address of the own relay
   * (`ws://127.0.0.1:7777`). Trusted (see `allowRelays`).
   */
  readonly storeRelay?: string
  /**
   * Relays always synced for discovery (announcements). Trusted for their URL as written (`ws://`,
   * a loopback or private address literal), but the addresses a host name of theirs resolves to are
   * checked like any relay's: list a name in `allowRelays` too to let it resolve anywhere.
   */
  readonly bootstrapRelays?: ReadonlyArray<string>
  /**
   * Relays trusted exactly (canonical URL match): accepted as sync targets and connected to even
   * on loopback, private addresses or `ws://`, which the relay policy refuses otherwise (a trusted
   * host name may resolve anywhere). The own and store relays are trusted the same way; bootstrap
   * relays only for their URL (see `bootstrapRelays`).
   */
  readonly allowRelays?: ReadonlyArray<string>
  /** `'listed'` (default, GRASP-01) or `'all'` (GRASP-05 archive). */
  readonly acceptance?: Acceptance
  /** The rest of the engine's configuration (`rootKinds`, `caps`, `relayPolicy`, `verify`, ...). */
  readonly config?: Partial<Omit<SyncConfig, 'ownRelays' | 'bootstrapRelays' | 'acceptance'>>
  /** Options of the engine (`maxConnectionsPerRelay`, `reconnectWindow`, `retryDelay`, `limits`, ...). */
  readonly engine?: EngineOptions
  /** An engine to start from (a snapshot of an earlier run); its own configuration is used. */
  readonly initialEngine?: SyncEngine
  /** Where announcements and root events come from (default: the store relay). */
  readonly source?: EventSource
  /** Where fetched events go (default: the store relay). */
  readonly sink?: EventSink
  /**
   * The WebSocket implementation. Default: in Node, the `ws` package (loaded when first needed),
   * which lets the executor connect only to addresses it checked; else `globalThis.WebSocket`.
   */
  readonly WebSocket?: WebSocketClass
  /**
   * The `fetch` used for NIP-11 documents; `false`: do not fetch them. Default: on Node,
   * `node:http(s)` through the same checked lookup as the sockets; elsewhere `globalThis.fetch`.
   * A `fetch` of your own is used after the pre-resolution check only (it resolves again).
   */
  readonly fetch?: typeof fetch | false
  /**
   * Resolves host names for the connect-time address check (default: Node's `dns.lookup`;
   * none in browsers, which cannot resolve names). `false` skips the check of resolved addresses
   * (the URL is still checked).
   */
  readonly resolve?: Resolver | false
  /** Collect incoming events for this long before one engine step (default 50 ms). */
  readonly batchWindowMs?: number
  /** ...or until this many arrived (default 2000). */
  readonly batchMax?: number
  /** A `REQ` without `EOSE` or `CLOSED` after this long is a `Timeout` (default 30 000 ms). */
  readonly requestTimeoutMs?: number
  /** Connect timeout (default 10 000 ms). */
  readonly connectTimeoutMs?: number
  /** NIP-11 fetch timeout (default 5 000 ms). */
  readonly infoTimeoutMs?: number
  /** How often retries and timeouts are checked (default 1 000 ms). */
  readonly tickMs?: number
  /** A reconnect waits a random 0..`jitterMs` more than the engine's backoff (default 1 000 ms). */
  readonly jitterMs?: number
  /** Keep-alive ping period on `ws` sockets (default 30 000 ms; 0: none). */
  readonly pingMs?: number
  /** A relay that failed this many connection attempts in a row no longer holds back "caught up" (default 3; it is still retried). */
  readonly giveUpAfter?: number
  /** Events published to the store relay and not yet acknowledged, at most (default 500). */
  readonly storeWindow?: number
  /** Event ids remembered to feed and store each event once (default 200 000). */
  readonly dedupCapacity?: number
  /**
   * Verify signatures with libsecp256k1 in WebAssembly (default `true`: `start` calls the core's
   * `enableWasmVerification`, a process-wide switch; the JavaScript path costs about 25 ms per
   * event on a small machine). Nothing changes where WebAssembly cannot load.
   */
  readonly wasm?: boolean
  /** The clock, in milliseconds (default `Date.now`). */
  readonly clock?: () => number
  /** Called with every progress event (see also {@link Executor.on}). */
  readonly onProgress?: (event: ExecutorEvent) => void
}

/**
 * A progress event of the executor (`type` says which).
 *
 * @example
 * import type { ExecutorEvent } from 'nip34-sync/host'
 *
 * const log = (e: ExecutorEvent): string => (e.type === 'caught-up' ? 'caught up' : e.type)
 * assert.strictEqual(log({ type: 'caught-up' }), 'caught up')
 *
 * @category model
 * @since 0.3.0
 */
export type ExecutorEvent =
  | { readonly type: 'started' }
  | { readonly type: 'stopped' }
  | { readonly type: 'caught-up' }
  | { readonly type: 'behind' }
  | { readonly type: 'source'; readonly status: 'connected' | 'disconnected' | 'caught-up'; readonly detail?: string }
  | { readonly type: 'connected'; readonly relay: string; readonly socket: number }
  | { readonly type: 'disconnected'; readonly relay: string; readonly socket: number; readonly reason: string }
  | { readonly type: 'refused'; readonly relay: string; readonly socket: number; readonly rule: string; readonly reason: string }
  | {
      readonly type: 'sent'
      readonly relay: string
      readonly socket: number
      readonly connection: RelayBatch['connection']
      readonly reqs: number
      readonly closes: number
      /** The smallest `since` among the `REQ`s (a history fetch from that time), if any. */
      readonly since?: number
    }
  | { readonly type: 'eose'; readonly relay: string; readonly socket: number; readonly id: string }
  | { readonly type: 'closed'; readonly relay: string; readonly socket: number; readonly id: string; readonly reason: string }
  | { readonly type: 'notice'; readonly relay: string; readonly socket: number; readonly message: string }
  | { readonly type: 'timeout'; readonly relay: string; readonly socket: number; readonly id: string }
  | { readonly type: 'limits'; readonly relay: string; readonly limits: RelayLimits; readonly problems: ReadonlyArray<string> }
  | { readonly type: 'step'; readonly input: EngineInput['_tag']; readonly events: number; readonly batches: number; readonly rejected: number; readonly ms: number }
  | { readonly type: 'rejected'; readonly rejections: ReadonlyArray<{ readonly code: string; readonly message: string; readonly eventId?: string }> }
  | { readonly type: 'problem'; readonly code: string; readonly relay: string; readonly message: string }
  | { readonly type: 'stored'; readonly stored: number; readonly failed: number }

/**
 * One connection to a relay, as the executor sees it.
 *
 * @example
 * import type { ConnectionState } from 'nip34-sync/host'
 *
 * const c: ConnectionState = { socket: 0, connected: true, subscriptions: 18, inFlight: 0 }
 * assert.strictEqual(c.subscriptions, 18)
 *
 * @category model
 * @since 0.3.0
 */
export interface ConnectionState {
  readonly socket: number
  readonly connected: boolean
  /** Subscriptions open or requested on it (`REQ` sent, no `CLOSE` or `CLOSED`). */
  readonly subscriptions: number
  /** `REQ`s not answered yet (no `EOSE` nor `CLOSED`). */
  readonly inFlight: number
}

/**
 * One relay, as the executor sees it.
 *
 * @example
 * import type { ExecutorRelayState } from 'nip34-sync/host'
 *
 * const r: ExecutorRelayState = { relay: 'wss://r.example', connections: [], lastEose: undefined, settled: false, unreachable: true }
 * assert.strictEqual(r.unreachable, true)
 *
 * @category model
 * @since 0.3.0
 */
export interface ExecutorRelayState {
  readonly relay: string
  readonly connections: ReadonlyArray<ConnectionState>
  /** Unix seconds of its last `EOSE` (the engine's record). */
  readonly lastEose: number | undefined
  /** Its live plan is open and confirmed, and no history is being fetched. */
  readonly settled: boolean
  /** Its last connection attempts failed (`giveUpAfter` in a row) or its address was refused: it does not hold back "caught up". */
  readonly unreachable: boolean
}

/**
 * Counters since `start`.
 *
 * @example
 * import type { ExecutorCounters } from 'nip34-sync/host'
 *
 * const zero: ExecutorCounters = { received: 0, unmatched: 0, overFetched: 0, invalid: 0, pageOverflow: 0, stored: 0, storeFailed: 0, storePending: 0, steps: 0, rejected: 0, reqs: 0, closes: 0 }
 * assert.strictEqual(zero.stored, 0)
 *
 * @category model
 * @since 0.3.0
 */
export interface ExecutorCounters {
  /** Events received from remote relays that matched their subscription (each id counted once). */
  readonly received: number
  /** Events dropped: not an event, or not matching the subscription they came on, or on none. */
  readonly unmatched: number
  /** Events that matched their subscription but are not wanted from that relay (coarse filters over-fetch; `wants`). */
  readonly overFetched: number
  /** Events dropped because their id is not their hash or their signature does not verify (a forged copy never hides the real event). */
  readonly invalid: number
  /** Events a relay sent on a history subscription past the `limit` it asked for: not kept for paging (still handled as events). */
  readonly pageOverflow: number
  readonly stored: number
  readonly storeFailed: number
  /** Events handed to the sink and not stored or failed yet. */
  readonly storePending: number
  /** Engine steps run. */
  readonly steps: number
  /** Events the engine rejected. */
  readonly rejected: number
  readonly reqs: number
  readonly closes: number
}

/**
 * The executor's state: running, caught up, per relay its connections, and counters.
 *
 * @example
 * import { createExecutor } from 'nip34-sync/host'
 *
 * const host = createExecutor({ ownRelay: 'wss://grasp.example.com' })
 * assert.deepStrictEqual([host.state().running, host.state().relays], [false, []])
 *
 * @category model
 * @since 0.3.0
 */
export interface ExecutorState {
  readonly running: boolean
  /** The source delivered what it holds, every event was fed and stored, every reachable relay is settled. */
  readonly caughtUp: boolean
  readonly source: { readonly connected: boolean; readonly caughtUp: boolean }
  readonly relays: ReadonlyArray<ExecutorRelayState>
  readonly counters: ExecutorCounters
}

/**
 * A running (or stopped) executor: see {@link createExecutor}.
 *
 * @example
 * import { createExecutor, type Executor } from 'nip34-sync/host'
 *
 * const host: Executor = createExecutor({ ownRelay: 'wss://grasp.example.com' })
 * assert.strictEqual(host.state().caughtUp, false)
 *
 * @category model
 * @since 0.3.0
 */
export interface Executor {
  /** Starts reading the source and syncing. Resolves once everything is started (not when caught up). */
  readonly start: () => Promise<void>
  /** Closes every connection and clears every timer (the process can exit); pending stores are given up. */
  readonly stop: () => Promise<void>
  /** Resolves `true` once caught up (at once if it is), `false` on timeout or stop. */
  readonly whenCaughtUp: (timeoutMs?: number) => Promise<boolean>
  readonly state: () => ExecutorState
  /** The engine as it is now (for a snapshot). */
  readonly engine: () => SyncEngine
  /** Adds a progress listener; returns the function that removes it. */
  readonly on: (listener: (event: ExecutorEvent) => void) => () => void
}

// -------------------------------------------------------------------------------------------------
// options
// -------------------------------------------------------------------------------------------------

const str = (u: unknown): string | undefined => (typeof u === 'string' ? u : undefined)
const strs = (u: unknown): Array<string> => (Array.isArray(u) ? u.filter((x): x is string => typeof x === 'string') : typeof u === 'string' ? [u] : [])
const int = (u: unknown, fallback: number, min: number, max: number): number =>
  typeof u === 'number' && Number.isFinite(u) && u >= min && u <= max ? Math.floor(u) : fallback

interface Resolved {
  readonly ownRelays: Array<string>
  readonly storeRelay: string | undefined
  readonly bootstrapRelays: Array<string>
  readonly allowRelays: Array<string>
  readonly acceptance: Acceptance | undefined
  readonly config: Record<string, unknown>
  readonly engine: EngineOptions | undefined
  readonly initialEngine: SyncEngine | undefined
  readonly source: EventSource | undefined
  readonly sink: EventSink | undefined
  readonly WebSocket: WebSocketClass | undefined
  readonly fetch: typeof fetch | undefined
  /** `fetch` is the caller's (not the global one, which is replaced by a checked one on Node). */
  readonly fetchGiven: boolean
  readonly resolve: Resolver | undefined
  readonly batchWindowMs: number
  readonly batchMax: number
  readonly requestTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly infoTimeoutMs: number
  readonly tickMs: number
  readonly jitterMs: number
  readonly pingMs: number
  readonly giveUpAfter: number
  readonly storeWindow: number
  readonly dedupCapacity: number
  readonly wasm: boolean
  readonly clock: () => number
  readonly onProgress: ((e: ExecutorEvent) => void) | undefined
}

/** Reads the options once, field by field (a throwing getter gives the default). */
const readOptions = (u: unknown): Resolved => {
  const r: Record<string, unknown> = {}
  if (typeof u === 'object' && u !== null)
    for (const k of [
      'ownRelay', 'storeRelay', 'bootstrapRelays', 'allowRelays', 'acceptance', 'config', 'engine', 'initialEngine', 'source', 'sink', 'WebSocket',
      'fetch', 'resolve', 'batchWindowMs', 'batchMax', 'requestTimeoutMs', 'connectTimeoutMs', 'infoTimeoutMs', 'tickMs', 'jitterMs', 'pingMs',
      'giveUpAfter', 'storeWindow', 'dedupCapacity', 'wasm', 'clock', 'onProgress'
    ])
      try {
        r[k] = (u as Record<string, unknown>)[k]
      } catch {
        // a throwing getter: the default
      }
  const fn = <T>(x: unknown): T | undefined => (typeof x === 'function' ? (x as T) : undefined)
  const obj = <T>(x: unknown): T | undefined => (typeof x === 'object' && x !== null ? (x as T) : undefined)
  const globalFetch = (globalThis as { fetch?: typeof fetch }).fetch
  const acceptance = r['acceptance']
  return {
    ownRelays: strs(r['ownRelay']),
    storeRelay: str(r['storeRelay']),
    bootstrapRelays: strs(r['bootstrapRelays']),
    allowRelays: strs(r['allowRelays']),
    acceptance: acceptance === 'listed' || acceptance === 'all' ? acceptance : undefined,
    config: { ...(obj<Record<string, unknown>>(r['config']) ?? {}) },
    engine: obj<EngineOptions>(r['engine']),
    initialEngine: obj<SyncEngine>(r['initialEngine']),
    source: obj<EventSource>(r['source']),
    sink: obj<EventSink>(r['sink']),
    WebSocket: fn<WebSocketClass>(r['WebSocket']),
    fetch: r['fetch'] === false ? undefined : (fn<typeof fetch>(r['fetch']) ?? globalFetch),
    fetchGiven: fn<typeof fetch>(r['fetch']) !== undefined,
    resolve: r['resolve'] === false ? undefined : (fn<Resolver>(r['resolve']) ?? defaultResolver()),
    batchWindowMs: int(r['batchWindowMs'], 50, 0, 60_000),
    batchMax: int(r['batchMax'], 2000, 1, 1_000_000),
    requestTimeoutMs: int(r['requestTimeoutMs'], 30_000, 100, 3_600_000),
    connectTimeoutMs: int(r['connectTimeoutMs'], 10_000, 100, 600_000),
    infoTimeoutMs: int(r['infoTimeoutMs'], 5000, 100, 600_000),
    tickMs: int(r['tickMs'], 1000, 10, 600_000),
    jitterMs: int(r['jitterMs'], 1000, 0, 600_000),
    pingMs: int(r['pingMs'], 30_000, 0, 3_600_000),
    giveUpAfter: int(r['giveUpAfter'], 3, 1, 1_000_000),
    storeWindow: int(r['storeWindow'], 500, 1, 100_000),
    dedupCapacity: int(r['dedupCapacity'], 200_000, 1000, 100_000_000),
    wasm: r['wasm'] !== false,
    clock: fn<() => number>(r['clock']) ?? Date.now,
    onProgress: fn<(e: ExecutorEvent) => void>(r['onProgress'])
  }
}

// -------------------------------------------------------------------------------------------------
// the executor
// -------------------------------------------------------------------------------------------------

/** Events a history page may hold beyond the `limit` its `REQ` asked for (relays round a little). */
const PAGE_SLACK = 16
/** The most events a history page keeps, whatever its filters say. */
const MAX_PAGE = 10_000

const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/

/** The shape of a nostr event (not its signature: the engine and the store relay verify). */
const isEvent = (u: unknown): u is NostrEventLike => {
  if (typeof u !== 'object' || u === null) return false
  const e = u as Record<string, unknown>
  return (
    typeof e['id'] === 'string' &&
    HEX64.test(e['id']) &&
    typeof e['pubkey'] === 'string' &&
    HEX64.test(e['pubkey']) &&
    typeof e['sig'] === 'string' &&
    HEX128.test(e['sig']) &&
    Number.isSafeInteger(e['kind']) &&
    Number.isSafeInteger(e['created_at']) &&
    typeof e['content'] === 'string' &&
    Array.isArray(e['tags']) &&
    (e['tags'] as Array<unknown>).every((t) => Array.isArray(t) && t.every((v) => typeof v === 'string'))
  )
}

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
  const reconnectWindow = int((o.engine as Record<string, unknown> | undefined)?.['reconnectWindow'], DEFAULT_RECONNECT_WINDOW, 0, 1e10)
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

  let engine: SyncEngine = o.initialEngine ?? syncEngine(config, o.engine)
  let running = false
  let stopped = false
  const listeners = new Set<(e: ExecutorEvent) => void>()
  const remotes = new Map<string, Remote>()
  /** Events of each history subscription since its `REQ` (the page the engine pages with), by `socket relay id`. */
  const pages = new Map<string, Array<unknown>>()
  /** Relays with a failed connection attempt in a row (0 after an open), and those refused by policy. */
  const failures = new Map<string, number>()
  const refused = new Set<string>()
  /** Connections that dropped once: their reopening is jittered. */
  const reopened = new Set<string>()
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
  const counters = { received: 0, unmatched: 0, overFetched: 0, invalid: 0, pageOverflow: 0, stored: 0, storeFailed: 0, storePending: 0, steps: 0, rejected: 0, reqs: 0, closes: 0 }

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
        failures.set(relay, 0)
        refused.delete(relay)
        emit({ type: 'connected', relay, socket })
        queue({ _tag: 'Connected', relay, socket, now: nowSec() })
      },
      onFrame: (data) => {
        if (remotes.get(key) === rem) onRemoteFrame(rem, data)
      },
      onDrop: (error) => {
        // a close reported by a connection that is no longer the current one changes nothing
        if (remotes.get(key) !== rem) return
        remotes.delete(key)
        forget(rem)
        reopened.add(key)
        if (!rem.connected) failures.set(relay, (failures.get(relay) ?? 0) + 1)
        if (error instanceof Refused) {
          refused.add(relay)
          emit({ type: 'refused', relay, socket, rule: error.refusal.rule, reason: error.refusal.reason })
        } else emit({ type: 'disconnected', relay, socket, reason: error instanceof Error ? error.message : String(error) })
        queue({ _tag: 'Disconnected', relay, socket, now: nowSec() })
      }
    })
    remotes.set(key, rem)
    rem.conn.start(reopened.has(key) && o.jitterMs > 0 ? Math.floor(Math.random() * o.jitterMs) : 0)
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
        if (!wantedFrom(relay)(ev)) {
          counters.overFetched++
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
        if (!rem.subs.has(id)) return
        rem.subs.delete(id)
        rem.inFlight.delete(id)
        pages.delete(pageKey(rem.key, id))
        const reason = typeof m[2] === 'string' ? m[2].slice(0, 500) : ''
        emit({ type: 'closed', relay, socket, id, reason })
        queue({ _tag: 'Closed', relay, socket, id, reason, now: nowSec() })
        return
      }
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
    feedback.push({ _tag: 'Tick', now: nowSec() })
    flush()
  }

  // ---- caught up -------------------------------------------------------------------------------

  const unreachable = (relay: string): boolean => refused.has(relay) || (failures.get(relay) ?? 0) >= o.giveUpAfter

  const isCaughtUp = (): boolean => {
    if (!running || !sourceCaughtUp || inbox.length > 0 || feedback.length > 0 || toStore.length > 0 || counters.storePending > 0) return false
    if (isSettled(engine)) return true
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
            now: nowSec
          }))
    if (src === undefined) throw new Error('nothing to read from: give `ownRelay`, `storeRelay` or `source`')
    sink =
      o.sink ??
      (storeUrl === undefined
        ? undefined
        : relaySink({ url: storeUrl, net, connectTimeoutMs: o.connectTimeoutMs, requestTimeoutMs: o.requestTimeoutMs, window: o.storeWindow }))
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
      relays.push({ relay, connections, lastEose: st?.lastEose, settled: st?.settled === true, unreachable: unreachable(relay) })
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
