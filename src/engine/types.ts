/**
 * The public types of the engine (re-exported by `Engine.ts`, the public face): its inputs, its results, its options and the status of one relay.
 *
 * @internal
 */
import type { LimitsInput, RelayLimits } from '../config/Limits.js'
import type { SyncConfig } from '../config/Config.js'
import type { RepoIndex } from '../repo/RepoIndex.js'
import type { Rejection } from '../model/Rejection.js'
import type { PlanProblem, RelayBatch, Subscription } from '../wire/Wire.js'
export type { NegentropyOpen } from '../wire/plan.js'

/**
 * All sync state of a host, as one opaque, immutable value. Make one with {@link syncEngine};
 * advance it with {@link step}; read it with {@link engineRepoIndex}, {@link engineDesired},
 * {@link engineApplied}, {@link engineRelay}, {@link isSettled}.
 *
 * @example
 * import { emptySyncEngine, isSettled } from 'nip34-sync'
 *
 * assert.strictEqual(isSettled(emptySyncEngine), true)
 *
 * @category model
 * @since 0.2.0
 */
export interface SyncEngine {
  readonly _tag: 'SyncEngine'
}

/**
 * Options of {@link syncEngine}.
 *
 * @example
 * import { syncEngine, type EngineOptions } from 'nip34-sync'
 *
 * const options: EngineOptions = { maxConnectionsPerRelay: 8, reconnectWindow: 600 }
 * assert.strictEqual(typeof syncEngine({ ownRelays: ['wss://grasp.example.com'] }, options), 'object')
 *
 * @category model
 * @since 0.2.0
 */
export interface EngineOptions {
  /**
   * Connections the engine may open to one relay, each with its own subscription budget
   * (default {@link DEFAULT_MAX_CONNECTIONS_PER_RELAY}). A plan that needs more is cut at the
   * budget of all of them and reported (`over-budget`).
   */
  readonly maxConnectionsPerRelay?: number
  /** Seconds of overlap of a reconnect's history (default {@link DEFAULT_RECONNECT_WINDOW}). */
  readonly reconnectWindow?: number
  /** Limits known before any `Limits` input: one set, or a function of the relay (default {@link defaultRelayLimits}). */
  readonly limits?: LimitsInput
  /** Seconds before the first retry of a refused subscription or a dropped connection (default 5; doubles up to `maxRetryDelay`). */
  readonly retryDelay?: number
  /** The longest retry delay, in seconds (default 300). */
  readonly maxRetryDelay?: number
  /**
   * Seconds a `REQ` may wait for its `EOSE` or `CLOSED`: past it, a `Tick` fails the attempt as a
   * `Timeout` input would (`CLOSE`, then a retry under a new id). Default
   * {@link DEFAULT_REQUEST_TIMEOUT}; 0 turns it off (the host's `Timeout` inputs only).
   *
   * @since 0.3.0
   */
  readonly requestTimeout?: number
  /**
   * How a relay's state layer (the `30618` state events) is asked for: `exact` (one filter per
   * owner and identifiers, no over-fetch), `owners` (one filter per chunk of owners, no `#d`: it
   * also matches the state events of the owners' other repositories), or `auto` (the default
   * since 0.3.0): `exact` unless `owners` needs fewer connections (a relay of 1 000 repositories
   * of distinct owners: 1 connection instead of 5). History uses the live plan's choice. A host
   * drops the over-fetch with `wants(desired, relay)` (the `nip34-sync/host` executor does).
   *
   * @since 0.3.0
   */
  readonly strategy?: 'exact' | 'owners' | 'auto'
  /**
   * Relay health (see {@link EngineHealthOptions}): the jitter seed of every backoff, when a relay
   * counts as dead, how long a naughty relay is parked, the cooldown after a rate limit.
   *
   * @since 0.3.0
   */
  readonly health?: EngineHealthOptions
  /**
   * NIP-77 negentropy for history: `auto` (the default: a relay whose NIP-11 lists 77, a hint
   * given with a `Nips` input, is tried, and one that completed a session is used), `always`
   * (every relay not known to fail is tried), `off` (paged `REQ`s only). Support is learned from
   * evidence: a relay whose session fails (`NEG-ERR`, a `NOTICE` naming negentropy, no answer)
   * before any success is not tried again for 7 days; its history is paged. See docs/negentropy.md.
   *
   * @since 0.3.0
   */
  readonly negentropy?: 'auto' | 'always' | 'off'
  /**
   * GRASP-01 "tagged by": fetch by id what accepted root events and announcements tag (`e` and
   * `q` values; a `q` address as `{kinds, authors, #d}`), from the relays of their repository, and
   * never again what the own relay refused (a `Refused` input). On by default; `false` turns it
   * off. See {@link FetchTaggedOptions} and docs/grasp01.md.
   *
   * @since 0.3.0
   */
  readonly fetchTagged?: boolean | FetchTaggedOptions
  /**
   * Kind 10317 discovery, off by default: `true` (or options) asks the relays of each accepted
   * repository maintainer's GRASP list for that maintainer's announcements. See
   * {@link DiscoveryOptions} and docs/grasp01.md.
   *
   * @since 0.3.0
   */
  readonly discovery?: boolean | DiscoveryOptions
}

/**
 * Options of fetching by id what accepted events tag (`EngineOptions.fetchTagged`). Values past
 * a cap are left out and reported (`fetch-cap`).
 *
 * @example
 * import { syncEngine, type FetchTaggedOptions } from 'nip34-sync'
 *
 * const fetchTagged: FetchTaggedOptions = { perEvent: 10, delay: 0 }
 * assert.strictEqual(typeof syncEngine({ ownRelays: ['wss://g.example'] }, { fetchTagged }), 'object')
 *
 * @category model
 * @since 0.3.0
 */
export interface FetchTaggedOptions {
  /** `false`: off (default on). */
  readonly enabled?: boolean
  /** Values taken from one event's `e` and `q` tags, in tag order (default 20). */
  readonly perEvent?: number
  /** Values waiting to be fetched, at most (default 10 000). */
  readonly total?: number
  /** Seconds a value waits before it is asked for; one that arrives meanwhile is not asked (default 10). */
  readonly delay?: number
  /** Seconds an id the own relay refused is not fetched again (default 604 800: 7 days). */
  readonly refusedFor?: number
  /** Refused ids kept, at most; the oldest go first (default 100 000). */
  readonly maxRefused?: number
  /** Values remembered as asked, at most; the oldest go first (default 100 000). */
  readonly maxAsked?: number
  /** Seconds after which a value asked for and not refused may be asked again: it may have reached a relay since (default 86 400). */
  readonly retryAfter?: number
}

/**
 * Options of kind 10317 discovery (`EngineOptions.discovery`).
 *
 * @example
 * import { syncEngine, type DiscoveryOptions } from 'nip34-sync'
 *
 * const discovery: DiscoveryOptions = { relaysPerList: 2 }
 * assert.strictEqual(typeof syncEngine({ ownRelays: ['wss://g.example'] }, { discovery }), 'object')
 *
 * @category model
 * @since 0.3.0
 */
export interface DiscoveryOptions {
  /** `false`: off (discovery is off unless this option is given). */
  readonly enabled?: boolean
  /** Relays taken from one list, in its order of preference (default 4). */
  readonly relaysPerList?: number
  /** Lists kept, one per author (default 10 000). */
  readonly maxLists?: number
  /** Authors in one `{kinds:[30617], authors}` filter (default 100). */
  readonly authorsPerFilter?: number
}

/**
 * Options of relay health (`EngineOptions.health`). Every retry delay is `retryDelay · 2^(n-1)`
 * capped at `maxRetryDelay`, stretched by a jitter derived from `(seed, relay, n)`: equal seeds
 * give equal delays, and nothing random enters the engine (a host passes a random seed once).
 *
 * @example
 * import { engineRelay, step, syncEngine, type EngineHealthOptions } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * const health: EngineHealthOptions = { seed: 'host-1', deadAfter: 3, naughtyDelay: 3600 }
 * const engine = syncEngine({ ownRelays: ['wss://g.example'], bootstrapRelays: ['wss://b.example'] }, { health })
 * const e1 = step({ _tag: 'Events', events: [], now: 1000 })(engine).engine
 * const e2 = step({ _tag: 'Failed', relay: 'wss://b.example', kind: 'dns', reason: 'ENOTFOUND', now: 1001 })(e1).engine
 * assert.strictEqual(O.toUndefined(engineRelay('wss://b.example')(e2))?.health.state, 'naughty')
 *
 * @category model
 * @since 0.3.0
 */
export interface EngineHealthOptions {
  /** The jitter seed (a string or a number). Without one there is no jitter. */
  readonly seed?: string | number
  /** The largest jitter, as a fraction of a delay (default 0.5 with a seed; at most 1, so delays still grow with each failure). */
  readonly jitter?: number
  /** Failures in a row after which a relay is dead: its connections close and it is tried once per `deadRetryDelay` (default 10). */
  readonly deadAfter?: number
  /** Seconds between the tries of a dead relay (default 86 400: daily). */
  readonly deadRetryDelay?: number
  /** Seconds a relay is parked after a DNS, TLS, protocol or address failure, or a failed NIP-42 auth (default 43 200: 12 h). */
  readonly naughtyDelay?: number
  /** Seconds no `REQ` goes to a relay after it said it rate-limits (default: `retryDelay`). */
  readonly cooldown?: number
}

/**
 * The health of a relay as {@link RelayStatus} reports it: `ok`; `backoff` (connections failed,
 * retried after a growing delay); `cooling` (it rate-limits: no `REQ` until `until`); `dead`
 * (`deadAfter` failures in a row: tried once a day); `naughty` (a DNS, TLS, protocol or address
 * failure: parked for 12 h); `auth-required` (NIP-42: waiting for the host to authenticate);
 * `auth-failed` (auth refused or impossible: parked like a naughty relay).
 *
 * @example
 * import type { RelayHealthState } from 'nip34-sync'
 *
 * const parked = (s: RelayHealthState): boolean => s === 'dead' || s === 'naughty' || s === 'auth-failed'
 * assert.strictEqual(parked('naughty'), true)
 *
 * @category model
 * @since 0.3.0
 */
export type RelayHealthState = 'ok' | 'backoff' | 'cooling' | 'dead' | 'naughty' | 'auth-required' | 'auth-failed'

/**
 * A connection failure the host classified (`Failed` input): the host name does not resolve
 * (`dns`), the TLS handshake or certificate failed (`tls`), the server did not speak the
 * WebSocket or nostr protocol (`protocol`), or the relay policy refused the resolved address
 * (`refused-address`): each puts the relay on the naughty list. `rate-limited` (an HTTP 429 answer
 * to the upgrade, since 0.3.0) starts the relay's cooldown instead, as a `rate-limited:` `CLOSED` does.
 *
 * @example
 * import type { RelayFailureKind } from 'nip34-sync'
 *
 * const kind: RelayFailureKind = 'dns'
 * assert.strictEqual(kind, 'dns')
 *
 * @category model
 * @since 0.3.0
 */
export type RelayFailureKind = 'dns' | 'tls' | 'protocol' | 'refused-address' | 'rate-limited'

/**
 * The health part of {@link RelayStatus}.
 *
 * @example
 * import { engineRelay, step, syncEngine } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * const e = step({ _tag: 'Events', events: [], now: 1000 })(syncEngine({ ownRelays: ['wss://g.example'], bootstrapRelays: ['wss://b.example'] })).engine
 * assert.deepStrictEqual(O.toUndefined(engineRelay('wss://b.example')(e))?.health, { state: 'ok', failures: 0, until: undefined, reason: undefined, auth: undefined })
 *
 * @category model
 * @since 0.3.0
 */
export interface RelayHealth {
  readonly state: RelayHealthState
  /** Connection failures in a row (counted once per backoff period; 0 after an `EOSE`). */
  readonly failures: number
  /** Unix seconds until which the relay is paused (backoff, cooling, dead, naughty, auth-failed); `undefined` when it is not. */
  readonly until: number | undefined
  /** What put it there (the failure's text, the rate-limit or auth message). */
  readonly reason: string | undefined
  /** NIP-42: the relay asked for auth, accepted it, or auth failed; `undefined` when it never asked. */
  readonly auth: 'required' | 'ok' | 'failed' | undefined
}

/**
 * The default of `requestTimeout`: a `REQ` unanswered for 60 seconds is retried by the next `Tick`.
 *
 * @example
 * import { DEFAULT_REQUEST_TIMEOUT } from 'nip34-sync'
 *
 * assert.strictEqual(DEFAULT_REQUEST_TIMEOUT, 60)
 *
 * @category constants
 * @since 0.3.0
 */
export const DEFAULT_REQUEST_TIMEOUT = 60

/**
 * The default of `maxConnectionsPerRelay`: 8 connections of 18 live subscriptions each under
 * the default limits (1 000 repositories of distinct owners on one relay take 5 of them, 83
 * subscriptions).
 *
 * @example
 * import { DEFAULT_MAX_CONNECTIONS_PER_RELAY } from 'nip34-sync'
 *
 * assert.strictEqual(DEFAULT_MAX_CONNECTIONS_PER_RELAY, 8)
 *
 * @category constants
 * @since 0.2.0
 */
export const DEFAULT_MAX_CONNECTIONS_PER_RELAY = 8

/**
 * One input of {@link step}: a batch of events, or host feedback about one relay connection
 * (`socket`, default 0). `now` is the host's time in unix seconds; when it is left out the latest
 * time the engine has seen is used.
 *
 * | input | when | effect |
 * | --- | --- | --- |
 * | `Events` | events arrived (from any relay, any subscription) | indexed; relays whose targets changed are re-planned, history is fetched for what was added |
 * | `Eose` | `EOSE` for `id` | a live attempt is confirmed; a history attempt pages on with `events` (the events it received since its `REQ`), or ends |
 * | `Closed` | `CLOSED` for `id` | that attempt failed: retried after a backoff under a new id |
 * | `Notice` | a `NOTICE` | reported; the pending attempts run into their `Timeout` |
 * | `Timeout` | no answer in time (for `id`, or every pending attempt of the connection) | retried at once under new ids; the old ids are closed |
 * | `Connected` | the socket opened | its retry delay is reset |
 * | `Disconnected` | the socket dropped (or never opened) | its subscriptions are gone; it reopens after a backoff; history resumes from the last `EOSE` minus the reconnect window |
 * | `Limits` | the relay's NIP-11 limits (a partial {@link RelayLimits}) | the relay is re-planned under them, even if its target did not change |
 * | `Tick` | now and then | retries that are due are sent |
 * | `Held` | the repositories in GRASP-01 purgatory (waiting for their git data) changed: `repos` lists them all | they are synced state-only (their state events); one that leaves purgatory gets its full live plan and its history from the beginning |
 * | `Failed` | a connection attempt failed for a `kind` of reason that will not mend soon (DNS, TLS, protocol, refused address), or was rate-limited (`rate-limited`, HTTP 429) | as `Disconnected`, and the relay is parked for `naughtyDelay` (naughty list); `rate-limited`: as `Disconnected`, and the relay cools down |
 * | `Authenticated` | NIP-42 auth succeeded on the connection | the `REQ`s it refused with `auth-required:` are sent again |
 * | `AuthFailed` | NIP-42 auth failed or is impossible (no key) | the relay is parked for `naughtyDelay` |
 * | `Refused` | the own relay refused events (`ids`; `OK false`, not `duplicate:` or `rate-limited:`) | those ids are not fetched by id for `refusedFor` seconds (fetchTagged) |
 *
 * @example
 * import { type EngineInput } from 'nip34-sync'
 *
 * const input: EngineInput = { _tag: 'Eose', relay: 'wss://r.example', socket: 0, id: 'n34l0', now: 1700000000 }
 * assert.strictEqual(input._tag, 'Eose')
 *
 * @category model
 * @since 0.2.0
 */
export type EngineInput =
  | { readonly _tag: 'Events'; readonly events: ReadonlyArray<unknown>; readonly now?: number }
  | { readonly _tag: 'Eose'; readonly relay: string; readonly socket?: number; readonly id: string; readonly events?: ReadonlyArray<unknown>; readonly now?: number }
  | { readonly _tag: 'Closed'; readonly relay: string; readonly socket?: number; readonly id: string; readonly reason?: string; readonly now?: number }
  | { readonly _tag: 'Notice'; readonly relay: string; readonly socket?: number; readonly message: string; readonly now?: number }
  | { readonly _tag: 'Timeout'; readonly relay: string; readonly socket?: number; readonly id?: string; readonly now?: number }
  | { readonly _tag: 'Connected'; readonly relay: string; readonly socket?: number; readonly now?: number }
  | { readonly _tag: 'Disconnected'; readonly relay: string; readonly socket?: number; readonly now?: number }
  | { readonly _tag: 'Limits'; readonly relay: string; readonly limits: Partial<RelayLimits>; readonly now?: number }
  | { readonly _tag: 'Tick'; readonly now: number }
  | { readonly _tag: 'Held'; readonly repos: Iterable<string>; readonly now?: number }
  /** A connection attempt failed for a reason that will not mend soon: as `Disconnected`, and the relay is parked (naughty list). @since 0.3.0 */
  | { readonly _tag: 'Failed'; readonly relay: string; readonly socket?: number; readonly kind: RelayFailureKind; readonly reason?: string; readonly now?: number }
  /** NIP-42: the connection authenticated; the `REQ`s refused with `auth-required:` on it are sent again (once). @since 0.3.0 */
  | { readonly _tag: 'Authenticated'; readonly relay: string; readonly socket?: number; readonly now?: number }
  /** NIP-42: auth failed (refused, or no key to sign with): the relay is parked like a naughty one. @since 0.3.0 */
  | { readonly _tag: 'AuthFailed'; readonly relay: string; readonly socket?: number; readonly reason?: string; readonly now?: number }
  /** NIP-77: the negentropy session `id` (a batch's `negentropy`) completed; `need`: the ids the relay has and the host lacks (fetched by id). @since 0.3.0 */
  | { readonly _tag: 'NegentropyResult'; readonly relay: string; readonly socket?: number; readonly id: string; readonly need: ReadonlyArray<string>; readonly now?: number }
  /** NIP-77: the relay answered the session `id` with `NEG-ERR` (its `reason`): the session's filter is paged with `REQ`s. @since 0.3.0 */
  | { readonly _tag: 'NegentropyError'; readonly relay: string; readonly socket?: number; readonly id: string; readonly reason?: string; readonly now?: number }
  /** The relay's NIP-11 `supported_nips`: listing 77 is a hint (negentropy is tried, never trusted alone). @since 0.3.0 */
  | { readonly _tag: 'Nips'; readonly relay: string; readonly nips: ReadonlyArray<number>; readonly now?: number }
  /** The own relay refused these events (`OK false`, not `duplicate:` nor `rate-limited:`): they are not fetched by id again for `refusedFor` seconds. @since 0.3.0 */
  | { readonly _tag: 'Refused'; readonly ids: ReadonlyArray<string>; readonly now?: number }

/**
 * Something the host should know (log it): a plan's problem, a refusal by a relay, a `NOTICE`,
 * unusable limits, or an input that is not one.
 *
 * @example
 * import { step, syncEngine } from 'nip34-sync'
 *
 * const { problems } = step({ _tag: 'Nope' } as never)(syncEngine({ ownRelays: ['wss://grasp.example.com'] }))
 * assert.strictEqual(problems[0]?.code, 'invalid-input')
 *
 * @category model
 * @since 0.2.0
 */
export interface EngineProblem {
  readonly code: PlanProblem['code'] | 'invalid-input' | 'closed' | 'notice' | 'invalid-limits' | 'learned-limits' | 'health' | 'fetch-cap'
  /** The relay concerned (`''` for none). */
  readonly relay: string
  readonly socket?: number
  readonly message: string
  readonly value?: string
}

/**
 * What one {@link step} gives: the next engine, the batches to send (per relay and connection,
 * sorted by relay then connection; in each, `CLOSE`s first, then `REQ`s, live and history
 * together), the events the batch rejected, and the problems to log.
 *
 * @example
 * import { emptySyncEngine, step } from 'nip34-sync'
 *
 * const { batches, rejected } = step({ _tag: 'Tick', now: 1700000000 })(emptySyncEngine)
 * assert.deepStrictEqual([batches, rejected], [[], []])
 *
 * @category model
 * @since 0.2.0
 */
export interface StepResult {
  readonly engine: SyncEngine
  readonly batches: ReadonlyArray<RelayBatch>
  readonly rejected: ReadonlyArray<Rejection>
  readonly problems: ReadonlyArray<EngineProblem>
}

/**
 * The state of one relay as plain data.
 *
 * @example
 * import { engineRelay, step, syncEngine } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * const { engine } = step({ _tag: 'Events', events: [] })(syncEngine({ ownRelays: ['wss://g.example'], bootstrapRelays: ['wss://b.example'] }))
 * const relay = O.toUndefined(engineRelay('wss://b.example')(engine))
 * assert.strictEqual(relay?.connections[0]?.live[0]?.status, 'pending')
 *
 * @category model
 * @since 0.2.0
 */
export interface RelayStatus {
  readonly relay: string
  readonly limits: RelayLimits
  readonly lastEose: number | undefined
  /** The live plan per connection. */
  readonly plan: ReadonlyArray<ReadonlyArray<Subscription>>
  /** What no connection could hold (reported as `over-budget`). */
  readonly overflow: ReadonlyArray<Subscription>
  readonly connections: ReadonlyArray<{
    readonly socket: number
    readonly up: boolean
    readonly live: ReadonlyArray<{ readonly slot: string; readonly id: string; readonly status: 'pending' | 'open' | 'failed' }>
    readonly history: ReadonlyArray<{ readonly slot: string; readonly id: string; readonly status: 'queued' | 'pending' | 'failed' }>
    /** `REQ`s of this connection waiting for their `EOSE` or `CLOSED` (live and history). @since 0.3.0 */
    readonly inFlight: number
    /** Live subscriptions of this connection whose `EOSE` arrived. @since 0.3.0 */
    readonly open: number
    /** Drops of this connection in a row (reset by `Connected`). @since 0.3.0 */
    readonly failures: number
    /** When a closed connection is opened again (unix seconds; `undefined` while it is up). @since 0.3.0 */
    readonly reconnectAt: number | undefined
  }>
  /** History subscriptions waiting for room on a connection. */
  readonly queuedHistory: number
  readonly settled: boolean
  /** Some connection to the relay is up. @since 0.3.0 */
  readonly connected: boolean
  /** Live subscriptions the plan asks for, over all connections (discovery included). @since 0.3.0 */
  readonly subscriptions: number
  /** Live subscriptions open (their `EOSE` received with the planned filters), over all connections. @since 0.3.0 */
  readonly open: number
  /** `REQ`s sent and not answered yet (`EOSE` or `CLOSED`), live and history, over all connections. @since 0.3.0 */
  readonly inFlight: number
  /** History subscriptions still to fetch: running or queued. @since 0.3.0 */
  readonly historyLeft: number
  /**
   * Caught up: every live subscription of the plan is open with its planned filters and no
   * history is left to fetch (the same as `settled`). From then on the relay's events arrive live.
   *
   * @since 0.3.0
   */
  readonly caughtUp: boolean
  /** The earliest time (unix seconds) a retry or a reconnect of this relay is due; `undefined` when none waits. @since 0.3.0 */
  readonly nextDue: number | undefined
  /** Caps learned from the relay's refusals (`CLOSED` or `NOTICE` "too many …"), already applied in `limits`; `{}` when none. @since 0.3.0 */
  readonly learned: { readonly maxSubscriptions?: number; readonly maxFiltersPerReq?: number; readonly maxMessageBytes?: number }
  /** The state layer's strategy the live plan uses (`exact` or `owners`; see `EngineOptions.strategy`). @since 0.3.0 */
  readonly strategy: 'exact' | 'owners'
  /** Connections the whole live plan needs (more than `plan.length` when some is in `overflow`). @since 0.3.0 */
  readonly connectionsNeeded: number
  /** The relay's health: backoff, cooldown, dead, naughty, NIP-42 auth. @since 0.3.0 */
  readonly health: RelayHealth
  /** NIP-77 negentropy: what the relay taught, and the sessions of its history (always given by `engineRelay`). @since 0.3.0 */
  readonly negentropy?: RelayNegentropy
}

/**
 * A relay's NIP-77 negentropy as the engine knows it ({@link RelayStatus}`.negentropy`).
 *
 * @example
 * import { engineRelay, step, syncEngine } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * const e0 = step({ _tag: 'Events', events: [], now: 1000 })(syncEngine({ ownRelays: ['wss://g.example'], bootstrapRelays: ['wss://b.example'] })).engine
 * const e1 = step({ _tag: 'Nips', relay: 'wss://b.example', nips: [1, 11, 77], now: 1001 })(e0).engine
 * const neg = O.toUndefined(engineRelay('wss://b.example')(e1))?.negentropy
 * assert.deepStrictEqual([neg?.support, neg?.hinted, neg?.used], ['unknown', true, true])
 *
 * @category model
 * @since 0.3.0
 */
export interface RelayNegentropy {
  /** `yes`: a session completed; `no`: sessions failed (not tried again for 7 days); `unknown`: no evidence yet. */
  readonly support: 'unknown' | 'yes' | 'no'
  /** Its NIP-11 document lists 77 (a hint only). */
  readonly hinted: boolean
  /** Its history is fetched with negentropy now. */
  readonly used: boolean
  /** Sessions it completed. */
  readonly sessions: number
  /** Sessions running or queued. */
  readonly running: number
  /** Fetches by id (of what sessions found missing) running or queued. */
  readonly fetching: number
}

/**
 * An engine as plain JSON ({@link encodeEngine}): per relay the time of its last `EOSE`, the
 * limits it announced and the caps its refusals taught; the repositories in purgatory; the time.
 * What is in flight is not kept (sockets do not survive a restart), nor the repository index
 * (`encodeRepoIndex` keeps it).
 *
 * @category model
 * @since 0.3.0
 */
export interface EngineSnapshot {
  readonly format: 'nip34-sync/Engine'
  readonly version: 1
  readonly now: number
  readonly held: ReadonlyArray<string>
  readonly relays: ReadonlyArray<{
    readonly relay: string
    readonly lastEose?: number
    readonly limits?: RelayLimits
    readonly learned?: { readonly maxSubscriptions?: number; readonly maxFiltersPerReq?: number; readonly maxMessageBytes?: number }
    /** What it taught about NIP-77 negentropy, when anything. @since 0.3.0 */
    readonly negentropy?: { readonly support: 'unknown' | 'yes' | 'no'; readonly hinted: boolean; readonly failures: number; readonly until: number; readonly sessions: number }
    /** Its health when not healthy: failures in a row, and the park it is in until when. @since 0.3.0 */
    readonly health?: {
      readonly failures: number
      readonly park?: 'backoff' | 'cooling' | 'dead' | 'naughty' | 'auth-failed'
      readonly until?: number
      readonly reason?: string
      readonly auth?: 'required' | 'ok' | 'failed'
    }
  }>
  /** Fetch by id: the ids the own relay refused (with until when) and the values asked for (with when), oldest first. @since 0.3.0 */
  readonly fetch?: { readonly refused: ReadonlyArray<readonly [string, number]>; readonly asked: ReadonlyArray<readonly [string, number]> }
}

/**
 * Why {@link decodeEngine} refused a value: `not-json` (a string that does not parse), `format`
 * (not an engine snapshot, or another version), `invalid` (a field that does not have its shape,
 * or an `index` that is not a `RepoIndex`), with a message naming the field.
 *
 * @category model
 * @since 0.3.0
 */
export interface EngineSnapshotError {
  readonly code: 'not-json' | 'format' | 'invalid'
  readonly message: string
}

/**
 * What {@link decodeEngine} restores an engine with: the configuration and options (as for
 * `syncEngine`) and the repository index (default: empty).
 *
 * @category model
 * @since 0.3.0
 */
export interface EngineRestore {
  readonly config: SyncConfig
  readonly options?: EngineOptions
  readonly index?: RepoIndex
}
