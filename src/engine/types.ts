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
  readonly code: PlanProblem['code'] | 'invalid-input' | 'closed' | 'notice' | 'invalid-limits' | 'learned-limits'
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
  }>
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
