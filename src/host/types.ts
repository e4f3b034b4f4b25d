/**
 * The executor's public types: its options, its progress events and its state as plain data.
 *
 * @since 0.3.0
 */
import type { Acceptance, EngineInput, EngineOptions, RelayBatch, RelayHealth, RelayLimits, SyncConfig, SyncEngine } from '../index.js'
import type { Resolver, WebSocketClass } from './net.js'
import type { EventSink, EventSource } from './ownRelayTypes.js'

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
  /**
   * Ignored since 0.3.0: a connection reopens when the engine's relay health says so, with the
   * engine's seeded jitter (`jitterSeed`, `engine.health.jitter`). Kept so that existing options
   * still type-check.
   * @deprecated the engine's seeded backoff jitter replaces it
   */
  readonly jitterMs?: number
  /** Keep-alive ping period on `ws` sockets (default 30 000 ms; 0: none). */
  readonly pingMs?: number
  /** A relay whose engine health counts this many failures in a row no longer holds back "caught up" (default 3; it is still retried with the engine's backoff). */
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
  /**
   * The operator's secret key (32 bytes, or 64 hex characters), to answer NIP-42 `AUTH`
   * challenges: the executor signs a kind 22242 event for the relay and challenge and reports
   * `Authenticated`, so the `REQ`s refused with `auth-required:` are sent again. Without it a
   * relay that requires auth is parked (`AuthFailed`). Only used to sign auth events; never logged.
   *
   * @since 0.3.0
   */
  readonly secretKey?: Uint8Array | string
  /**
   * The seed of the engine's backoff jitter (`EngineOptions.health.seed`; default: a random one per
   * executor, so hosts do not retry a relay in step). Set it to make the delays reproducible.
   *
   * @since 0.3.0
   */
  readonly jitterSeed?: string | number
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
  /** NIP-42: an auth event was sent, accepted or refused (or could not be made: no key, no challenge); `socket` -1: the store relay's write connection. @since 0.3.0 */
  | { readonly type: 'auth'; readonly relay: string; readonly socket: number; readonly status: 'sent' | 'ok' | 'failed'; readonly reason?: string }
  /** A connection failure classified as one that will not mend soon: the relay is parked (naughty list); `rate-limited` (HTTP 429): it cools down. @since 0.3.0 */
  | { readonly type: 'failed'; readonly relay: string; readonly socket: number; readonly kind: 'dns' | 'tls' | 'protocol' | 'refused-address' | 'rate-limited'; readonly reason: string }
  /** A NIP-77 negentropy session: opened, done (`need`: the ids the relay has and the store lacks, fetched next), or failed (`reason`). @since 0.3.0 */
  | { readonly type: 'negentropy'; readonly relay: string; readonly socket: number; readonly id: string; readonly phase: 'open' | 'done' | 'error'; readonly need?: number; readonly reason?: string }

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
  /** Its engine health counts `giveUpAfter` failures in a row, or it is dead, naughty (its address refused included) or failed auth: it does not hold back "caught up". */
  readonly unreachable: boolean
  /** The engine's health of the relay (backoff, cooling, dead, naughty, auth). @since 0.3.0 */
  readonly health?: RelayHealth
  /** Events it sent that matched their subscription but are not wanted from it (dropped with `wants`). @since 0.3.0 */
  readonly overFetched?: number
  /** Live subscriptions the plan asks of it, over all connections. @since 0.3.0 */
  readonly planned?: number
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
  /** NIP-77 negentropy sessions completed. @since 0.3.0 */
  readonly negentropySessions?: number
  /** NIP-77 negentropy sessions that failed (`NEG-ERR`, a message this host cannot read). @since 0.3.0 */
  readonly negentropyFailed?: number
  /** Ids that completed sessions found missing (fetched by id). @since 0.3.0 */
  readonly negentropyNeed?: number
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
