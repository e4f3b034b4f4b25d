/**
 * The status of one relay as the engine reports it (re-exported by `types.ts` and `Engine.ts`,
 * the public face): its plan and connections, its health, its NIP-77 negentropy.
 *
 * @internal
 */
import type { RelayLimits } from '../config/Limits.js'
import type { Subscription } from '../wire/Wire.js'

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
