/**
 * The options of the engine (re-exported by `types.ts` and `Engine.ts`, the public face): what
 * `syncEngine` takes, with the defaults that are public constants.
 *
 * @internal
 */
import type { LimitsInput } from '../config/Limits.js'

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
