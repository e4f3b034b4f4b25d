/**
 * The engine's state: the values it keeps per relay and connection, its options, and the brand that tells an engine from anything else.
 *
 * @internal
 */
import { Map as IMap } from 'immutable'
import { resolveConfig, type ResolvedConfig } from '../config/Config.js'
import { limitsFor, relayLimits, type LimitsInput, type RelayLimits } from '../config/Limits.js'
import type { FilterTarget } from '../wire/Filters.js'
import type { Subscription } from '../wire/Wire.js'
import type { PageCursor } from './Lifecycle.js'
import type { SlotLayout } from './slots.js'
import type { Strategy, StrategyChoice } from '../wire/layout.js'
import { DEFAULT_RECONNECT_WINDOW, MAX_TIMESTAMP } from './Lifecycle.js'
import { emptyRelayIndex, type RelayIndex } from '../relays/RelayIndex.js'
import { emptyRepoIndex, type RepoIndex } from '../repo/RepoIndex.js'
import { DEFAULT_MAX_CONNECTIONS_PER_RELAY, DEFAULT_REQUEST_TIMEOUT, type SyncEngine } from './types.js'
import { readHealthOptions, retryDelay, type Health, type HealthOptions } from './health.js'
import { readDiscoveryOptions, readFetchOptions, type DiscoveryConfig, type DiscoveryState, type FetchConfig, type FetchState } from './fetchState.js'
import type { NostrFilter } from '../wire/Filters.js'

export type LiveStatus = 'pending' | 'open' | 'failed'

/** How the engine uses NIP-77 negentropy: `auto` (a relay that proved it, or whose NIP-11 lists 77, is tried), `always` (every relay not known to fail is tried), `off`. */
export type NegMode = 'auto' | 'always' | 'off'

/** What the engine learned about one relay's NIP-77 support (negentropyPlan.ts). */
export interface NegKnown {
  /** `yes`: a session completed; `no`: a session failed before any success (or several in a row after); `unknown`: no evidence. */
  readonly support: 'unknown' | 'yes' | 'no'
  /** Its NIP-11 document lists 77 (a hint, never trusted alone). */
  readonly hinted: boolean
  /** Failed sessions in a row. */
  readonly failures: number
  /** `no` holds until then (unix seconds); then the relay counts as `unknown` again. */
  readonly until: number
  /** Sessions completed. */
  readonly sessions: number
}

/** A history run in negentropy mode: a session over `filter`, or the fetch by id of what a session found missing. */
export interface NegRun {
  readonly phase: 'session' | 'fetch'
  /** The session's one filter (without `limit`); for a fetch, the session's filter it came from. */
  readonly filter: NostrFilter
}


/** One live slot on one connection: the current attempt. */
export interface Live {
  readonly slot: string
  readonly wire: string
  readonly digest: string
  readonly status: LiveStatus
  /** A failed attempt that the relay may still hold (timed out): `CLOSE` it before the retry. */
  readonly mayBeOpen: boolean
  readonly retryAt: number
  readonly failures: number
  /** When the current attempt's `REQ` went out (for the engine's own request timeout). */
  readonly sentAt: number
  /** Refused with `auth-required:` (NIP-42): waits for `Authenticated` (health.ts). */
  readonly waitsAuth?: boolean
}

export interface Conn {
  readonly up: boolean
  readonly live: ReadonlyMap<string, Live>
  readonly failures: number
  readonly retryAt: number
}

/** One history subscription being fetched: its cursors and its current attempt. */
export interface Run {
  readonly job: number
  readonly slot: string
  readonly cursors: ReadonlyArray<PageCursor>
  readonly status: 'queued' | 'pending' | 'failed'
  /** The connection of the current attempt (-1: none). */
  readonly socket: number
  readonly wire: string
  readonly mayBeOpen: boolean
  readonly retryAt: number
  readonly failures: number
  /** When the current attempt's `REQ` went out. */
  readonly sentAt: number
  /** Refused with `auth-required:` (NIP-42): waits for `Authenticated` (health.ts). */
  readonly waitsAuth?: boolean
  /** A run in NIP-77 negentropy mode: a session, or the fetch by id of what a session found missing (negentropy.ts). */
  readonly neg?: NegRun
  /** Ended by its first `EOSE` (a fetch by id has one page; fetch.ts). */
  readonly once?: boolean
}

/** The attempt of a run not started yet: queued, on no connection, no attempt behind it. */
export const QUEUED = { status: 'queued', socket: -1, wire: '', mayBeOpen: false, retryAt: 0, failures: 0, sentAt: 0 } as const

/** A run not started yet (history, fetch by id, discovery; a session's fetch by id spreads {@link QUEUED} over its session). */
export const queuedRun = (job: number, slot: string, cursors: ReadonlyArray<PageCursor>): Run => ({ job, slot, cursors, ...QUEUED })

/** What a history fetch was asked for: kept so that new limits can lay it out again. */
export interface Job {
  readonly id: number
  readonly target: FilterTarget
  readonly since: number | undefined
  readonly discovery: boolean
  /** A job of explicit filters (one `REQ`), not of a target: fetch by id, discovery by author (fetch.ts). */
  readonly filters?: ReadonlyArray<NostrFilter>
  /** Its run ends with its first `EOSE` (fetch.ts). */
  readonly once?: boolean
}

export interface RelayState {
  readonly relay: string
  readonly limits: RelayLimits
  readonly target: FilterTarget | undefined
  /** The live plan, cut per connection (discovery first, on connection 0). */
  readonly plan: ReadonlyArray<ReadonlyArray<Subscription>>
  readonly overflow: ReadonlyArray<Subscription>
  readonly folded: number
  readonly conns: ReadonlyArray<Conn>
  readonly jobs: ReadonlyArray<Job>
  readonly runs: ReadonlyArray<Run>
  readonly lastEose: number | undefined
  /** A connection dropped after an `EOSE`: fetch history from the reconnect time when it reopens. */
  readonly resume: boolean
  /** The attempt counter: every fresh subscription id folds it in. */
  readonly seq: number
  /** What the live plan was laid out from, so that the next change re-plans only what it touches. */
  readonly slots: SlotLayout | undefined
  /** The state layer's strategy of the live plan (history uses the same). */
  readonly strategy: Strategy
  /** Connections the whole live plan needs (subscriptions and overflow). */
  readonly connectionsNeeded: number
  /** The relay's health (health.ts; `undefined`: healthy). */
  readonly health?: Health
  /** History of this relay is fetched with negentropy sessions (negentropy.ts; `undefined`: no). */
  readonly negentropy?: boolean
  /** Live subscriptions after the layout's: the maintainers asked for by kind 10317 discovery (discovery.ts). */
  readonly extra?: ReadonlyArray<Subscription>
}

export interface Options {
  readonly maxConnections: number
  readonly window: number
  readonly limits: LimitsInput | undefined
  readonly retryDelay: number
  readonly maxRetryDelay: number
  /** Seconds a `REQ` may wait for its `EOSE` or `CLOSED` before a `Tick` retries it (0: only the host's `Timeout`). */
  readonly requestTimeout: number
  /** The state layer's strategy asked of the layout. */
  readonly strategy: StrategyChoice
  /** Relay health: jitter seed, dead, naughty and cooldown delays (health.ts). */
  readonly health: HealthOptions
  /** NIP-77 negentropy for history: `auto`, `always` or `off` (negentropy.ts; `undefined`: `auto`). */
  readonly negentropy?: NegMode
  /** Fetching by id what accepted events tag (fetch.ts; `undefined`: the defaults). */
  readonly fetch?: FetchConfig
  /** Kind 10317 discovery (discovery.ts; `undefined`: off). */
  readonly discovery?: DiscoveryConfig
}

export interface EngineData {
  readonly config: ResolvedConfig
  readonly options: Options
  readonly index: RepoIndex
  readonly desired: RelayIndex
  readonly relays: IMap<string, RelayState>
  readonly limits: IMap<string, RelayLimits>
  /** Repositories in GRASP-01 purgatory: synced state-only. */
  readonly held: ReadonlySet<string>
  readonly now: number
  /** Limits learned from a relay's refusals (`CLOSED`/`NOTICE`): caps on top of its announced or default limits. */
  readonly learned: IMap<string, LearnedLimits>
  /** The last `EOSE` of relays restored from a snapshot and not yet planned again: their history resumes from it. */
  readonly memory: IMap<string, number>
  /** The health of relays not tracked now (restored from a snapshot, or left while parked): taken up when they are planned again. */
  readonly health?: IMap<string, Health>
  /** What each relay taught about its NIP-77 support (negentropy.ts), kept across its leaving and in snapshots. */
  readonly negentropy?: IMap<string, NegKnown>
  /** Fetch by id: what waits, what was asked, what the own relay refused (fetch.ts). */
  readonly fetch?: FetchState
  /** Kind 10317 discovery: the lists kept and the maintainers asked per relay (discovery.ts). */
  readonly discovery?: DiscoveryState
}

/** What refusals taught about a relay: the largest values it accepted, each at most the announced one. */
export interface LearnedLimits {
  readonly maxSubscriptions?: number
  readonly maxFiltersPerReq?: number
  readonly maxMessageBytes?: number
}

/** The values this module made: a value is an engine when it is in here (O(1), unforgeable). */
export const made = new WeakSet<object>()

export const wrap = (d: EngineData): SyncEngine => {
  made.add(d)
  return d as unknown as SyncEngine
}

export const num = (u: unknown, fallback: number, min: number, max: number): number =>
  typeof u === 'number' && Number.isFinite(u) && u >= min && u <= max ? u : fallback

export const readOptions = (u: unknown): Options => {
  const o: Record<string, unknown> = {}
  try {
    if (typeof u === 'object' && u !== null)
      for (const k of ['maxConnectionsPerRelay', 'reconnectWindow', 'limits', 'retryDelay', 'maxRetryDelay', 'requestTimeout', 'strategy', 'health', 'negentropy', 'fetchTagged', 'discovery']) o[k] = (u as Record<string, unknown>)[k]
  } catch {
    // a throwing getter: the defaults
  }
  const limits = o['limits']
  return {
    maxConnections: Math.floor(num(o['maxConnectionsPerRelay'], DEFAULT_MAX_CONNECTIONS_PER_RELAY, 1, 1000)),
    window: num(o['reconnectWindow'], DEFAULT_RECONNECT_WINDOW, 0, MAX_TIMESTAMP),
    limits: typeof limits === 'function' || (typeof limits === 'object' && limits !== null) ? (limits as LimitsInput) : undefined,
    retryDelay: num(o['retryDelay'], 5, 0, 86_400),
    maxRetryDelay: num(o['maxRetryDelay'], 300, 0, 86_400),
    requestTimeout: num(o['requestTimeout'], DEFAULT_REQUEST_TIMEOUT, 0, 86_400),
    strategy: o['strategy'] === 'exact' || o['strategy'] === 'owners' ? o['strategy'] : 'auto',
    health: readHealthOptions(o['health']),
    negentropy: o['negentropy'] === 'always' || o['negentropy'] === 'off' ? o['negentropy'] : 'auto',
    fetch: readFetchOptions(o['fetchTagged']),
    discovery: readDiscoveryOptions(o['discovery'])
  }
}

export const make = (config: unknown, options: unknown): EngineData => ({
  config: resolveConfig(config),
  options: readOptions(options),
  index: emptyRepoIndex,
  desired: emptyRelayIndex,
  relays: IMap(),
  limits: IMap(),
  held: new Set(),
  now: 0,
  learned: IMap(),
  memory: IMap()
})

export const emptyData: EngineData = make({ ownRelays: [] }, {})

/** The engine every value that is not one reads as. */
export const emptyEngine: SyncEngine = wrap(emptyData)

export const data = (e: SyncEngine): EngineData => (typeof e === 'object' && e !== null && made.has(e) ? (e as unknown as EngineData) : emptyData)

export const freshRelay = (relay: string, limits: RelayLimits): RelayState => ({
  relay,
  limits,
  target: undefined,
  plan: [],
  overflow: [],
  folded: 0,
  conns: [],
  jobs: [],
  runs: [],
  lastEose: undefined,
  resume: false,
  seq: 0,
  slots: undefined,
  strategy: 'exact',
  connectionsNeeded: 0
})

/** The retry delay after `failures` in a row: exponential, capped, with the relay's deterministic jitter (health.ts). */
export const backoff = (o: Options, failures: number, relay = ''): number => retryDelay(o.retryDelay, o.maxRetryDelay, o.health, relay, Math.max(1, failures))

export const CLOSED_CONN: Conn = { up: false, live: new Map(), failures: 0, retryAt: -Infinity }

/** A relay's limits: announced (a `Limits` input) or from the options, tightened by what its refusals taught. */
export const limitsOf = (d: EngineData, relay: string): RelayLimits => tighten(d.limits.get(relay) ?? limitsFor(d.options.limits)(relay), d.learned.get(relay))

/**
 * Limits tightened by learned caps. History keeps a quarter of the subscriptions (at least one)
 * when `maxSubscriptions` is cut, so the live plan keeps most of them.
 */
export const tighten = (l: RelayLimits, learned: LearnedLimits | undefined): RelayLimits => {
  if (learned === undefined) return l
  const maxSubscriptions = Math.min(l.maxSubscriptions, learned.maxSubscriptions ?? Infinity)
  const reservedSubscriptions =
    maxSubscriptions === l.maxSubscriptions ? l.reservedSubscriptions : maxSubscriptions < 2 ? 0 : Math.min(l.reservedSubscriptions, Math.max(1, Math.floor(maxSubscriptions / 4)))
  return relayLimits({
    ...l,
    maxSubscriptions,
    reservedSubscriptions,
    maxFiltersPerReq: Math.min(l.maxFiltersPerReq, learned.maxFiltersPerReq ?? Infinity),
    maxMessageBytes: Math.min(l.maxMessageBytes, learned.maxMessageBytes ?? Infinity)
  }).limits
}

export const setConn = (rs: RelayState, k: number, c: Conn): RelayState => {
  const conns = [...rs.conns]
  while (conns.length < k) conns.push(CLOSED_CONN)
  conns[k] = c
  return { ...rs, conns }
}

export const setLive = (rs: RelayState, k: number, c: Conn, l: Live): RelayState => setConn(rs, k, { ...c, live: new Map(c.live).set(l.slot, l) })

export const liveByWire = (c: Conn | undefined, id: string | undefined): Live | undefined => {
  if (c === undefined || id === undefined) return undefined
  for (const l of c.live.values()) if (l.wire === id) return l
  return undefined
}

export const runIndex = (rs: RelayState, k: number, id: string | undefined): number =>
  id === undefined ? -1 : rs.runs.findIndex((r) => r.socket === k && r.wire === id && r.status === 'pending')

export const setRun = (rs: RelayState, i: number, r: Run | undefined): RelayState => {
  const runs = [...rs.runs]
  if (r === undefined) runs.splice(i, 1)
  else runs[i] = r
  return { ...rs, runs }
}
