/**
 * The sync engine: ONE value that owns all sync state, and ONE step function.
 *
 * A {@link SyncEngine} holds the {@link RepoIndex}, the desired {@link RelayIndex}, and per relay
 * its limits, its live plan (cut over as many connections as it needs, up to
 * `maxConnectionsPerRelay`), what each connection has open or in flight (every `REQ` an attempt
 * with its own subscription id), the history being fetched (paged newest first), and the time of
 * its last `EOSE`. {@link step} takes one input (a batch of events, or one piece of host
 * feedback) and returns the next engine and what to send, per relay and connection:
 *
 * ```text
 *            Events ─applyBatch→ RepoIndex ─deriveTargets→ desired ─diff→ actions ─┐
 * engine ──▶ Eose · Closed · Notice · Timeout · Connected · Disconnected · Limits · Tick ──▶ engine'
 *                                                                                    └─▶ RelayBatch[] (CLOSE…, REQ… per connection)
 * ```
 *
 * The engine is pure: no clock (time comes in as `now`, unix seconds), no randomness, no I/O.
 * A value that is not an engine made by this module reads as {@link emptySyncEngine}.
 *
 * @since 0.2.0
 */
import { option as O } from 'fp-ts'
import { Map as IMap } from 'immutable'
import { resolveConfig, type ResolvedConfig, type SyncConfig } from '../config/Config.js'
import type { FilterTarget, NostrFilter } from '../wire/Filters.js'
import { DEFAULT_RECONNECT_WINDOW, MAX_TIMESTAMP, nextPage, pageFilter, reconnectSince, startPaging, type PageCursor } from './Lifecycle.js'
import { limitsFor, liveSubscriptionBudget, relayLimits, type LimitsInput, type RelayLimits } from '../config/Limits.js'
import type { Rejection } from '../model/Rejection.js'
import { diff, type RelayAction } from '../relays/RelayAction.js'
import { deriveTargets, emptyRelayIndex, fromRelayTargets, relayTarget, type RelayIndex, type RelayTarget } from '../relays/RelayIndex.js'
import { applyBatch, emptyRepoIndex, type RepoIndex } from '../repo/RepoIndex.js'
import { addedTarget, type PlanProblem, type RelayBatch, type RelayPlan, type Subscription, type WireMessage } from '../wire/Wire.js'
import { digest, historyPlan } from '../wire/batches.js'
import { sha256Hex } from '../util/hash.js'
import { ID_PREFIX, idLength, layout, liveMode } from '../wire/layout.js'
import { compareStrings } from '../util/sorted.js'

// -------------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------------

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
}

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
  readonly code: PlanProblem['code'] | 'invalid-input' | 'closed' | 'notice' | 'invalid-limits'
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

// -------------------------------------------------------------------------------------------------
// state
// -------------------------------------------------------------------------------------------------

type LiveStatus = 'pending' | 'open' | 'failed'

/** One live slot on one connection: the current attempt. */
interface Live {
  readonly slot: string
  readonly wire: string
  readonly digest: string
  readonly status: LiveStatus
  /** A failed attempt that the relay may still hold (timed out): `CLOSE` it before the retry. */
  readonly mayBeOpen: boolean
  readonly retryAt: number
  readonly failures: number
}

interface Conn {
  readonly up: boolean
  readonly live: ReadonlyMap<string, Live>
  readonly failures: number
  readonly retryAt: number
}

/** One history subscription being fetched: its cursors and its current attempt. */
interface Run {
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
}

/** What a history fetch was asked for: kept so that new limits can lay it out again. */
interface Job {
  readonly id: number
  readonly target: FilterTarget
  readonly since: number | undefined
  readonly discovery: boolean
}

interface RelayState {
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
}

interface Options {
  readonly maxConnections: number
  readonly window: number
  readonly limits: LimitsInput | undefined
  readonly retryDelay: number
  readonly maxRetryDelay: number
}

interface EngineData {
  readonly config: ResolvedConfig
  readonly options: Options
  readonly index: RepoIndex
  readonly desired: RelayIndex
  readonly relays: IMap<string, RelayState>
  readonly limits: IMap<string, RelayLimits>
  /** Repositories in GRASP-01 purgatory: synced state-only. */
  readonly held: ReadonlySet<string>
  readonly now: number
}

/** The values this module made: a value is an engine when it is in here (O(1), unforgeable). */
const made = new WeakSet<object>()

const wrap = (d: EngineData): SyncEngine => {
  made.add(d)
  return d as unknown as SyncEngine
}

const num = (u: unknown, fallback: number, min: number, max: number): number =>
  typeof u === 'number' && Number.isFinite(u) && u >= min && u <= max ? u : fallback

const readOptions = (u: unknown): Options => {
  const o: Record<string, unknown> = {}
  try {
    if (typeof u === 'object' && u !== null)
      for (const k of ['maxConnectionsPerRelay', 'reconnectWindow', 'limits', 'retryDelay', 'maxRetryDelay']) o[k] = (u as Record<string, unknown>)[k]
  } catch {
    // a throwing getter: the defaults
  }
  const limits = o['limits']
  return {
    maxConnections: Math.floor(num(o['maxConnectionsPerRelay'], DEFAULT_MAX_CONNECTIONS_PER_RELAY, 1, 1000)),
    window: num(o['reconnectWindow'], DEFAULT_RECONNECT_WINDOW, 0, MAX_TIMESTAMP),
    limits: typeof limits === 'function' || (typeof limits === 'object' && limits !== null) ? (limits as LimitsInput) : undefined,
    retryDelay: num(o['retryDelay'], 5, 0, 86_400),
    maxRetryDelay: num(o['maxRetryDelay'], 300, 0, 86_400)
  }
}

const make = (config: unknown, options: unknown): EngineData => ({
  config: resolveConfig(config),
  options: readOptions(options),
  index: emptyRepoIndex,
  desired: emptyRelayIndex,
  relays: IMap(),
  limits: IMap(),
  held: new Set(),
  now: 0
})

const emptyData: EngineData = make({ ownRelays: [] }, {})

/**
 * The engine of a host that knows nothing and has asked nothing, under a configuration with no
 * own relay (so it accepts no announcement in `'listed'` mode). What every value that is not an
 * engine reads as.
 *
 * @example
 * import { emptySyncEngine, engineRelay } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * assert.deepStrictEqual(engineRelay('wss://r.example')(emptySyncEngine), O.none)
 *
 * @category constructors
 * @since 0.2.0
 */
export const emptySyncEngine: SyncEngine = wrap(emptyData)

const data = (e: SyncEngine): EngineData => (typeof e === 'object' && e !== null && made.has(e) ? (e as unknown as EngineData) : emptyData)

/**
 * A fresh engine for a configuration (checked once, and the same checked value is used at every
 * step, so the incremental derivation is reused). Total: unusable configuration values are
 * reported by the first `Events` step's `rejected`, unusable options take their defaults.
 *
 * @example
 * import { step, syncEngine } from 'nip34-sync'
 *
 * const engine = syncEngine({ ownRelays: ['wss://grasp.example.com'], bootstrapRelays: ['wss://bootstrap.example'] })
 * const { batches } = step({ _tag: 'Events', events: [], now: 1700000000 })(engine)
 * assert.deepStrictEqual(batches.map((b) => [b.relay, b.socket, b.connection]), [['wss://bootstrap.example', 0, 'open']])
 * // the discovery subscription live, and its history from the beginning
 * assert.deepStrictEqual(batches[0]?.messages.map((m) => m.slice(2)), [[{ kinds: [30617, 10317], limit: 0 }], [{ kinds: [30617, 10317], limit: 500 }]])
 *
 * @category constructors
 * @since 0.2.0
 */
export const syncEngine = (config: SyncConfig, options?: EngineOptions): SyncEngine => wrap(make(config, options))

// -------------------------------------------------------------------------------------------------
// readers
// -------------------------------------------------------------------------------------------------

/**
 * The repository index the engine holds.
 *
 * @example
 * import { emptySyncEngine, engineRepoIndex, repoRefs } from 'nip34-sync'
 *
 * assert.deepStrictEqual(repoRefs(engineRepoIndex(emptySyncEngine)), [])
 *
 * @category destructors
 * @since 0.2.0
 */
export const engineRepoIndex = (engine: SyncEngine): RepoIndex => data(engine).index

/**
 * The desired targets: `deriveTargets` of the repository index.
 *
 * @example
 * import { emptySyncEngine, engineDesired, relays } from 'nip34-sync'
 *
 * assert.deepStrictEqual(relays(engineDesired(emptySyncEngine)), [])
 *
 * @category destructors
 * @since 0.2.0
 */
export const engineDesired = (engine: SyncEngine): RelayIndex => data(engine).desired

const isSettledRelay = (rs: RelayState): boolean => {
  if (rs.runs.length > 0) return false
  for (let k = 0; k < Math.max(rs.plan.length, rs.conns.length); k++) {
    const want = rs.plan[k] ?? []
    const c = rs.conns[k]
    if (want.length === 0) {
      if (c !== undefined && c.up && c.live.size > 0) return false
      continue
    }
    if (c === undefined || !c.up || c.live.size !== want.length) return false
    for (const s of want) {
      const l = c.live.get(s.id)
      if (l === undefined || l.status !== 'open' || l.digest !== digest(s.filters)) return false
    }
  }
  return true
}

/**
 * The applied targets: the desired target of every relay whose live plan is open and confirmed
 * (every subscription's `EOSE` received, with the planned filters, no other subscription open) and
 * whose history is fetched. Equal to {@link engineDesired} when the engine {@link isSettled}.
 *
 * @example
 * import { emptySyncEngine, engineApplied, relays } from 'nip34-sync'
 *
 * assert.deepStrictEqual(relays(engineApplied(emptySyncEngine)), [])
 *
 * @category destructors
 * @since 0.2.0
 */
export const engineApplied = (engine: SyncEngine): RelayIndex => {
  const targets: Array<RelayTarget> = []
  const d = data(engine)
  for (const rs of d.relays.values())
    if (rs.target !== undefined && isSettledRelay(rs)) {
      const t = O.toUndefined(relayTarget(rs.relay)(d.desired))
      if (t !== undefined) targets.push(t)
    }
  return fromRelayTargets(targets)
}

/**
 * Nothing left to do: every desired relay has its live plan open and confirmed, no history is
 * being fetched, nothing is pending or waiting for a retry.
 *
 * @example
 * import { isSettled, step, syncEngine } from 'nip34-sync'
 *
 * const { engine } = step({ _tag: 'Events', events: [] })(syncEngine({ ownRelays: ['wss://g.example'], bootstrapRelays: ['wss://b.example'] }))
 * assert.strictEqual(isSettled(engine), false)
 *
 * @category destructors
 * @since 0.2.0
 */
export const isSettled = (engine: SyncEngine): boolean => {
  for (const rs of data(engine).relays.values()) if (!isSettledRelay(rs)) return false
  return true
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
    readonly live: ReadonlyArray<{ readonly slot: string; readonly id: string; readonly status: LiveStatus }>
    readonly history: ReadonlyArray<{ readonly slot: string; readonly id: string; readonly status: Run['status'] }>
  }>
  /** History subscriptions waiting for room on a connection. */
  readonly queuedHistory: number
  readonly settled: boolean
}

/**
 * One relay's state (`None` when the engine does not track it). Total: a relay that is not a
 * string is not tracked.
 *
 * @example
 * import { emptySyncEngine, engineRelay } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * assert.deepStrictEqual(engineRelay(42 as never)(emptySyncEngine), O.none)
 *
 * @category destructors
 * @since 0.2.0
 */
export const engineRelay =
  (relay: string) =>
  (engine: SyncEngine): O.Option<RelayStatus> => {
    if (typeof relay !== 'string') return O.none
    const rs = data(engine).relays.get(relay)
    if (rs === undefined) return O.none
    return O.some({
      relay,
      limits: rs.limits,
      lastEose: rs.lastEose,
      plan: rs.plan,
      overflow: rs.overflow,
      connections: rs.conns.map((c, socket) => ({
        socket,
        up: c.up,
        live: [...c.live.values()].map((l) => ({ slot: l.slot, id: l.wire, status: l.status })),
        history: rs.runs.filter((r) => r.socket === socket).map((r) => ({ slot: r.slot, id: r.wire, status: r.status }))
      })),
      queuedHistory: rs.runs.filter((r) => r.socket === -1).length,
      settled: isSettledRelay(rs)
    })
  }

/**
 * Every relay the engine tracks, sorted.
 *
 * @example
 * import { emptySyncEngine, engineRelays } from 'nip34-sync'
 *
 * assert.deepStrictEqual(engineRelays(emptySyncEngine), [])
 *
 * @category destructors
 * @since 0.2.0
 */
export const engineRelays = (engine: SyncEngine): ReadonlyArray<string> => [...data(engine).relays.keys()].sort(compareStrings)

// -------------------------------------------------------------------------------------------------
// planning
// -------------------------------------------------------------------------------------------------

const freshRelay = (relay: string, limits: RelayLimits): RelayState => ({
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
  seq: 0
})

const freezeSubscription = (s: Subscription): Subscription => {
  for (const f of s.filters) {
    for (const v of Object.values(f)) if (Array.isArray(v)) Object.freeze(v)
    Object.freeze(f)
  }
  Object.freeze(s.filters)
  return Object.freeze(s)
}

/** The live plan of a target, cut over up to `maxConnections` connections of one budget each. */
const replan = (rs: RelayState, o: Options, problems: Array<EngineProblem>): RelayState => {
  if (rs.target === undefined) return { ...rs, plan: [], overflow: [], folded: 0 }
  const budget = liveSubscriptionBudget(rs.limits)
  const total = budget * o.maxConnections
  const l = layout(rs.target, rs.limits, { ...liveMode(rs.limits), budget: total })
  const plan: Array<ReadonlyArray<Subscription>> = []
  // frozen (deeply): a plan is shared with the host, and its digests are remembered per filters array
  const subs = l.subscriptions.map(freezeSubscription)
  for (let i = 0; i < subs.length; i += budget) plan.push(Object.freeze(subs.slice(i, i + budget)))
  for (const p of l.problems) {
    if (p.code === 'over-budget')
      problems.push({
        code: 'over-budget',
        relay: rs.relay,
        message: `${l.subscriptions.length + l.overflow.length} live subscriptions needed; ${o.maxConnections} connection(s) of ${budget} hold ${total}: the last ${l.overflow.length} are not asked for (raise maxConnectionsPerRelay, or the relay's limits)`
      })
    else problems.push({ ...p, relay: rs.relay })
  }
  return { ...rs, plan, overflow: l.overflow, folded: l.folded }
}

/** Queues the history of `target` from `since` as a new job. */
const addJob = (rs: RelayState, target: FilterTarget, since: number | undefined, discovery: boolean, problems: Array<EngineProblem>): RelayState => {
  const h = historyPlan(target, since, rs.limits, discovery)
  if (h.subscriptions.length === 0) return rs
  if (rs.limits.reservedSubscriptions === 0) {
    problems.push({
      code: 'no-history-room',
      relay: rs.relay,
      message: `the relay allows ${rs.limits.maxSubscriptions} subscription(s) and the live plan uses them: its history is not fetched`
    })
    return rs
  }
  for (const p of h.problems) if (p.code !== 'invalid-repo' && p.code !== 'invalid-root-id') problems.push({ ...p, relay: rs.relay })
  const id = rs.jobs.reduce((m, j) => Math.max(m, j.id), 0) + 1
  const runs: Array<Run> = h.subscriptions.map((s) => ({
    job: id,
    slot: s.id,
    cursors: s.filters.map((f) => startPaging(f, rs.limits)),
    status: 'queued',
    socket: -1,
    wire: '',
    mayBeOpen: false,
    retryAt: 0,
    failures: 0
  }))
  return { ...rs, jobs: [...rs.jobs, { id, target, since, discovery }], runs: [...rs.runs, ...runs] }
}

const backoff = (o: Options, failures: number): number => Math.min(o.maxRetryDelay, o.retryDelay * 2 ** Math.max(0, Math.min(30, failures - 1)))

/** The subscription id of one attempt: the namespace letter, then hex of SHA-256 of the slot and the attempt counter. */
const attemptId = (namespace: 'l' | 'h', slot: string, seq: number, limits: RelayLimits): string =>
  `${ID_PREFIX}${namespace}${sha256Hex(`nip34-sync/engine ${slot} ${seq}`).slice(0, Math.max(1, idLength(limits) - ID_PREFIX.length - 1))}`

const pageFilters = (cursors: ReadonlyArray<PageCursor>): Array<NostrFilter> => {
  const out: Array<NostrFilter> = []
  for (const c of cursors) {
    const f = pageFilter(c)
    if (O.isSome(f)) out.push(f.value)
  }
  return out
}

interface Emit {
  readonly closes: Array<string>
  readonly reqs: Array<WireMessage>
  readonly history: Array<Subscription>
}

const CLOSED_CONN: Conn = { up: false, live: new Map(), failures: 0, retryAt: -Infinity }

/**
 * Brings every connection of a relay to its plan: `CLOSE`s for what is not wanted and for
 * attempts that may still be open, `REQ`s (with fresh attempt ids) for what is not open with the
 * planned filters, history started where a connection has room, connections opened and closed.
 */
const reconcile = (
  input: RelayState,
  o: Options,
  now: number,
  actions: ReadonlyArray<RelayAction>,
  extraCloses: ReadonlyMap<number, ReadonlyArray<string>> = new Map()
): { readonly rs: RelayState; readonly batches: Array<RelayBatch> } => {
  const rs = input
  const limits = rs.limits
  let seq = rs.seq
  const used = new Set<string>()
  for (const c of rs.conns) for (const l of c.live.values()) used.add(l.wire)
  for (const r of rs.runs) if (r.wire !== '') used.add(r.wire)
  const fresh = (ns: 'l' | 'h', slot: string): string => {
    let id: string
    do id = attemptId(ns, slot, ++seq, limits)
    while (used.has(id))
    used.add(id)
    return id
  }
  const runs: Array<Run> = [...rs.runs]
  const conns: Array<Conn> = [...rs.conns]
  const batches: Array<RelayBatch> = []
  let jobs = rs.jobs
  let resume = rs.resume
  const n = Math.max(rs.plan.length, conns.length)
  const budget = liveSubscriptionBudget(limits)
  for (let k = 0; k < n; k++) {
    const want = rs.plan[k] ?? []
    let c = conns[k] ?? CLOSED_CONN
    const e: Emit = { closes: [...(extraCloses.get(k) ?? [])], reqs: [], history: [] }
    if (want.length === 0) {
      if (c.up) {
        for (const l of [...c.live.values()].sort((a, b) => compareStrings(a.wire, b.wire)))
          if (l.status !== 'failed' || l.mayBeOpen) e.closes.push(l.wire)
        for (let i = 0; i < runs.length; i++) {
          const r = runs[i] as Run
          if (r.socket !== k) continue
          if (r.status === 'pending' || r.mayBeOpen) e.closes.push(r.wire)
          runs[i] = { ...r, socket: -1, status: r.status === 'pending' ? 'queued' : r.status, mayBeOpen: false }
        }
        batches.push(batchOf(rs, k, 'close', e, [], budget))
      }
      conns[k] = CLOSED_CONN
      continue
    }
    let opening = false
    if (!c.up) {
      if (now < c.retryAt) continue
      opening = true
      c = { ...c, up: true, live: new Map() }
      if (resume) {
        resume = false
        const since = reconnectSince(rs.lastEose, o.window)
        if (rs.target !== undefined && rs.limits.reservedSubscriptions > 0) {
          const sink: Array<EngineProblem> = []
          const withJob = addJob({ ...rs, jobs, runs }, rs.target, since, true, sink)
          jobs = withJob.jobs
          runs.push(...withJob.runs.slice(runs.length))
        }
      }
    }
    const live = new Map(c.live)
    const wanted = new Set(want.map((s) => s.id))
    for (const l of [...live.values()].sort((a, b) => compareStrings(a.wire, b.wire)))
      if (!wanted.has(l.slot)) {
        if (l.status !== 'failed' || l.mayBeOpen) e.closes.push(l.wire)
        live.delete(l.slot)
      }
    for (const s of want) {
      const d = digest(s.filters)
      const l = live.get(s.id)
      if (l !== undefined && l.status !== 'failed' && l.digest === d) continue
      if (l !== undefined && l.status === 'failed' && l.retryAt > now) continue
      if (l !== undefined && l.status === 'open') {
        // nothing outstanding on this id: a REQ with it replaces the subscription (NIP-01)
        e.reqs.push(['REQ', l.wire, ...s.filters])
        live.set(s.id, { ...l, digest: d, status: 'pending' })
        continue
      }
      // an answer may still come for the old attempt: a new attempt, a new id
      if (l !== undefined && (l.status === 'pending' || l.mayBeOpen)) e.closes.push(l.wire)
      const wire = fresh('l', s.id)
      e.reqs.push(['REQ', wire, ...s.filters])
      live.set(s.id, { slot: s.id, wire, digest: d, status: 'pending', mayBeOpen: false, retryAt: 0, failures: l?.failures ?? 0 })
    }
    // history attempts of this connection that failed: close what may be open, put them back in the queue
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i] as Run
      if (r.socket !== k || r.status !== 'failed') continue
      if (r.mayBeOpen) e.closes.push(r.wire)
      runs[i] = { ...r, socket: -1, mayBeOpen: false }
    }
    let free = limits.reservedSubscriptions - runs.filter((r) => r.socket === k && r.status === 'pending').length
    for (let i = 0; i < runs.length && free > 0; i++) {
      const r = runs[i] as Run
      if (r.socket !== -1 || (r.status === 'failed' && r.retryAt > now)) continue
      const filters = pageFilters(r.cursors)
      if (filters.length === 0) {
        runs.splice(i--, 1)
        continue
      }
      const wire = fresh('h', r.slot)
      e.reqs.push(['REQ', wire, ...filters])
      e.history.push({ id: wire, slot: r.slot, filters })
      runs[i] = { ...r, status: 'pending', socket: k, wire, mayBeOpen: false }
      free--
    }
    conns[k] = { ...c, live }
    if (opening || e.closes.length > 0 || e.reqs.length > 0)
      batches.push(batchOf({ ...rs, plan: rs.plan }, k, opening ? 'open' : 'keep', e, k === 0 ? actions : [], budget))
  }
  while (conns.length > rs.plan.length && !(conns[conns.length - 1] as Conn).up) conns.pop()
  const liveJobs = new Set(runs.map((r) => r.job))
  return { rs: { ...rs, conns, runs, jobs: jobs.filter((j) => liveJobs.has(j.id)), seq, resume }, batches }
}

const batchOf = (
  rs: RelayState,
  socket: number,
  connection: RelayBatch['connection'],
  e: Emit,
  actions: ReadonlyArray<RelayAction>,
  budget: number
): RelayBatch => {
  const messages: Array<WireMessage> = [...e.closes.map((id): WireMessage => ['CLOSE', id]), ...e.reqs]
  const subs = connection === 'close' ? [] : (rs.plan[socket] ?? [])
  const last = socket === rs.plan.length - 1
  const plan: RelayPlan = {
    relay: rs.relay,
    subscriptions: subs,
    overflow: last ? rs.overflow : [],
    budget,
    folded: socket === 0 ? rs.folded : 0,
    overBudget: last ? rs.overflow.length : 0,
    problems: []
  }
  return { relay: rs.relay, connection, socket, actions, messages, awaiting: e.reqs.map((m) => m[1]), plan, history: e.history, problems: [] }
}

// -------------------------------------------------------------------------------------------------
// step
// -------------------------------------------------------------------------------------------------

interface Read {
  readonly tag: string
  readonly relay: string | undefined
  readonly socket: number
  readonly id: string | undefined
  readonly now: number | undefined
  readonly events: ReadonlyArray<unknown> | undefined
  readonly text: string
  readonly limits: unknown
  readonly repos: ReadonlyArray<string> | undefined
}

const validTime = (u: unknown): number | undefined =>
  typeof u === 'number' && Number.isFinite(u) && u >= 0 && u <= MAX_TIMESTAMP ? u : undefined

const TAGS = new Set(['Events', 'Eose', 'Closed', 'Notice', 'Timeout', 'Connected', 'Disconnected', 'Limits', 'Tick', 'Held'])

/** The strings of an array or another iterable (read once, at most 1e6); `undefined` for anything else. */
const readStrings = (u: unknown): ReadonlyArray<string> | undefined => {
  if (typeof u !== 'object' || u === null || typeof (u as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') return undefined
  const out: Array<string> = []
  for (const v of u as Iterable<unknown>) {
    if (typeof v === 'string') out.push(v)
    if (out.length >= 1_000_000) break
  }
  return out
}

/** Reads an input once into a plain copy; `undefined` when it is not one (or reading it throws). */
const readInput = (u: unknown): Read | undefined => {
  try {
    if (typeof u !== 'object' || u === null) return undefined
    const r = u as Record<string, unknown>
    const tag = r['_tag']
    if (typeof tag !== 'string' || !TAGS.has(tag)) return undefined
    const relay = r['relay']
    const socket = r['socket']
    const id = r['id']
    const events = r['events']
    const reason = tag === 'Closed' ? r['reason'] : tag === 'Notice' ? r['message'] : undefined
    return {
      tag,
      relay: typeof relay === 'string' ? relay : undefined,
      socket: socket === undefined ? 0 : typeof socket === 'number' && Number.isSafeInteger(socket) && socket >= 0 ? socket : -1,
      id: typeof id === 'string' ? id : undefined,
      now: validTime(r['now']),
      events: Array.isArray(events) ? Array.prototype.slice.call(events) : undefined,
      text: typeof reason === 'string' ? reason.slice(0, 500) : '',
      limits: tag === 'Limits' ? r['limits'] : undefined,
      repos: tag === 'Held' ? readStrings(r['repos']) : undefined
    }
  } catch {
    return undefined
  }
}

const result = (d: EngineData, batches: ReadonlyArray<RelayBatch>, problems: ReadonlyArray<EngineProblem>, rejected: ReadonlyArray<Rejection> = []): StepResult => ({
  engine: wrap(d),
  batches,
  rejected,
  problems
})

const unchanged = (engine: SyncEngine, problems: ReadonlyArray<EngineProblem> = []): StepResult => ({
  engine: data(engine) === (engine as unknown) ? engine : emptySyncEngine,
  batches: [],
  rejected: [],
  problems
})

const invalid = (engine: SyncEngine, message: string): StepResult => unchanged(engine, [{ code: 'invalid-input', relay: '', message }])

/** Sorted by relay, then connection; two batches for one connection are merged (`CLOSE`s first). */
const byRelay = (batches: Array<RelayBatch>): Array<RelayBatch> => {
  const out = new Map<string, RelayBatch>()
  for (const b of batches) {
    const key = `${b.socket} ${b.relay}`
    const a = out.get(key)
    if (a === undefined) {
      out.set(key, b)
      continue
    }
    const messages = [...a.messages, ...b.messages]
    const reqs = messages.filter((m) => m[0] === 'REQ')
    out.set(key, {
      ...b,
      connection: a.connection === 'keep' ? b.connection : a.connection,
      actions: [...a.actions, ...b.actions],
      messages: [...messages.filter((m) => m[0] === 'CLOSE'), ...reqs],
      awaiting: reqs.map((m) => m[1]),
      history: [...a.history, ...b.history]
    })
  }
  return [...out.values()].sort((a, b) => compareStrings(a.relay, b.relay) || a.socket - b.socket)
}

/** A relay's target with the repositories in purgatory moved to `stateOnly` (without their root events). */
const split = (t: RelayTarget | FilterTarget, held: ReadonlySet<string>): FilterTarget => {
  if (held.size === 0 || !t.repos.some((r) => held.has(r))) return t
  const rootEvents: Record<string, ReadonlyArray<string>> = {}
  for (const [repo, ids] of Object.entries(t.rootEvents)) if (!held.has(repo)) rootEvents[repo] = ids
  return { relay: t.relay, repos: t.repos.filter((r) => !held.has(r)), rootEvents, stateOnly: t.repos.filter((r) => held.has(r)) }
}

const limitsOf = (d: EngineData, relay: string): RelayLimits => d.limits.get(relay) ?? limitsFor(d.options.limits)(relay)

/** A relay leaves: every connection closes (their subscriptions first). */
const closeRelay = (rs: RelayState, o: Options, now: number): Array<RelayBatch> =>
  reconcile({ ...rs, target: undefined, plan: [], overflow: [] }, o, now, []).batches

const onEvents = (d: EngineData, r: Read, now: number): StepResult => {
  if (r.events === undefined) return invalid(wrap(d), 'Events: `events` is not an array')
  const config = d.config as unknown as SyncConfig
  const applied = applyBatch(config, r.events, r.now === undefined ? {} : { now: r.now })(d.index)
  const desired = deriveTargets(config)(applied.index)
  const actions = diff(desired)(d.desired)
  const perRelay = new Map<string, Array<RelayAction>>()
  for (const a of actions) {
    const list = perRelay.get(a.relay)
    if (list === undefined) perRelay.set(a.relay, [a])
    else list.push(a)
  }
  const problems: Array<EngineProblem> = []
  const batches: Array<RelayBatch> = []
  let relays = d.relays
  for (const [relay, list] of perRelay) {
    const target = O.toUndefined(relayTarget(relay)(desired))
    const before = relays.get(relay)
    if (target === undefined) {
      if (before !== undefined) batches.push(...closeRelay(before, d.options, now).map((b) => ({ ...b, actions: b.socket === 0 ? list : [] })))
      relays = relays.delete(relay)
      continue
    }
    let rs = replan({ ...(before ?? freshRelay(relay, limitsOf(d, relay))), target: split(target, d.held) }, d.options, problems)
    for (const a of list) {
      const added = O.toUndefined(addedTarget(a))
      if (added !== undefined) rs = addJob(rs, split(added, d.held), undefined, a._tag === 'SpawnRelay', problems)
    }
    const next = reconcile(rs, d.options, now, list)
    batches.push(...next.batches)
    relays = relays.set(relay, next.rs)
  }
  return result({ ...d, index: applied.index, desired, relays, now }, byRelay(batches), problems, applied.rejected)
}

const withRelay = (
  engine: SyncEngine,
  d: EngineData,
  r: Read,
  now: number,
  f: (rs: RelayState, conn: Conn | undefined) => { readonly rs: RelayState; readonly extra?: Array<RelayBatch>; readonly problems?: Array<EngineProblem> } | undefined
): StepResult => {
  if (r.relay === undefined) return invalid(engine, `${r.tag}: \`relay\` is not a string`)
  if (r.socket < 0) return invalid(engine, `${r.tag}: \`socket\` is not a connection number`)
  const rs = d.relays.get(r.relay)
  if (rs === undefined) return unchanged(engine)
  const changed = f(rs, rs.conns[r.socket])
  if (changed === undefined) return unchanged(engine)
  const next = reconcile(changed.rs, d.options, now, [])
  const batches = byRelay([...(changed.extra ?? []), ...next.batches])
  return result({ ...d, relays: d.relays.set(r.relay, next.rs), now }, batches, changed.problems ?? [])
}

const setConn = (rs: RelayState, k: number, c: Conn): RelayState => {
  const conns = [...rs.conns]
  while (conns.length < k) conns.push(CLOSED_CONN)
  conns[k] = c
  return { ...rs, conns }
}

const setLive = (rs: RelayState, k: number, c: Conn, l: Live): RelayState => setConn(rs, k, { ...c, live: new Map(c.live).set(l.slot, l) })

const liveByWire = (c: Conn | undefined, id: string | undefined): Live | undefined => {
  if (c === undefined || id === undefined) return undefined
  for (const l of c.live.values()) if (l.wire === id) return l
  return undefined
}

const runIndex = (rs: RelayState, k: number, id: string | undefined): number =>
  id === undefined ? -1 : rs.runs.findIndex((r) => r.socket === k && r.wire === id && r.status === 'pending')

const setRun = (rs: RelayState, i: number, r: Run | undefined): RelayState => {
  const runs = [...rs.runs]
  if (r === undefined) runs.splice(i, 1)
  else runs[i] = r
  return { ...rs, runs }
}

const onEose = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => {
    const l = liveByWire(c, r.id)
    if (l !== undefined && c !== undefined && c.up) {
      if (l.status !== 'pending') return undefined
      return { rs: { ...setLive(rs, r.socket, c, { ...l, status: 'open', failures: 0 }), lastEose: now } }
    }
    const i = runIndex(rs, r.socket, r.id)
    if (i < 0) return undefined // a late EOSE of an attempt that is over: it answers nothing
    const run = rs.runs[i] as Run
    const cursors = run.cursors.map(nextPage(r.events ?? []))
    const filters = pageFilters(cursors)
    const paged = { ...rs, lastEose: now }
    if (filters.length > 0) {
      const sub: Subscription = { id: run.wire, slot: run.slot, filters }
      const batch: RelayBatch = {
        ...batchOf(rs, r.socket, 'keep', { closes: [], reqs: [['REQ', run.wire, ...filters]], history: [sub] }, [], liveSubscriptionBudget(rs.limits))
      }
      return { rs: setRun(paged, i, { ...run, cursors }), extra: [batch] }
    }
    const done = batchOf(rs, r.socket, 'keep', { closes: [run.wire], reqs: [], history: [] }, [], liveSubscriptionBudget(rs.limits))
    return { rs: setRun(paged, i, undefined), extra: [done] }
  })

const onClosed = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => {
    const problem: EngineProblem = { code: 'closed', relay: rs.relay, socket: r.socket, message: r.text, ...(r.id === undefined ? {} : { value: r.id }) }
    const l = liveByWire(c, r.id)
    if (l !== undefined && c !== undefined && l.status !== 'failed') {
      const failures = l.failures + 1
      return { rs: setLive(rs, r.socket, c, { ...l, status: 'failed', mayBeOpen: false, failures, retryAt: now + backoff(d.options, failures) }), problems: [problem] }
    }
    const i = runIndex(rs, r.socket, r.id)
    if (i < 0) return undefined // a late CLOSED of an attempt that is over
    const run = rs.runs[i] as Run
    const failures = run.failures + 1
    return { rs: setRun(rs, i, { ...run, status: 'failed', socket: -1, mayBeOpen: false, failures, retryAt: now + backoff(d.options, failures) }), problems: [problem] }
  })

const onTimeout = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => {
    if (c === undefined || !c.up) return undefined
    let changed = false
    const live = new Map(c.live)
    for (const l of c.live.values())
      if (l.status === 'pending' && (r.id === undefined || l.wire === r.id)) {
        live.set(l.slot, { ...l, status: 'failed', mayBeOpen: true, failures: l.failures + 1, retryAt: now })
        changed = true
      }
    const runs = rs.runs.map((x) => {
      if (x.socket !== r.socket || x.status !== 'pending' || (r.id !== undefined && x.wire !== r.id)) return x
      changed = true
      return { ...x, status: 'failed' as const, mayBeOpen: true, failures: x.failures + 1, retryAt: now }
    })
    return changed ? { rs: { ...setConn(rs, r.socket, { ...c, live }), runs } } : undefined
  })

const onDisconnected = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => {
    const was = c ?? CLOSED_CONN
    const failures = was.failures + 1
    const runs = rs.runs.map((x) => (x.socket === r.socket ? { ...x, socket: -1, status: x.status === 'pending' ? ('queued' as const) : x.status, mayBeOpen: false } : x))
    const conn: Conn = { up: false, live: new Map(), failures, retryAt: now + backoff(d.options, failures) }
    return { rs: { ...setConn(rs, r.socket, conn), runs, resume: rs.resume || rs.lastEose !== undefined } }
  })

const onConnected = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => (c === undefined || c.failures === 0 ? undefined : { rs: setConn(rs, r.socket, { ...c, failures: 0 }) }))

const onLimits = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult => {
  if (r.relay === undefined) return invalid(engine, 'Limits: `relay` is not a string')
  const checked = relayLimits(r.limits)
  const problems: Array<EngineProblem> = checked.problems.map((p) => ({ code: 'invalid-limits', relay: r.relay as string, message: `${p.field}: ${p.reason}`, value: p.value }))
  const limitsMap = d.limits.set(r.relay, checked.limits)
  const rs = d.relays.get(r.relay)
  if (rs === undefined) return result({ ...d, limits: limitsMap, now }, [], problems)
  // every history attempt stops (its REQ may break the new limits) and its job is laid out again
  const closes = new Map<number, Array<string>>()
  for (const run of rs.runs)
    if (run.socket >= 0 && (run.status === 'pending' || run.mayBeOpen)) closes.set(run.socket, [...(closes.get(run.socket) ?? []), run.wire])
  const jobs = rs.jobs.filter((j) => rs.runs.some((x) => x.job === j.id))
  let next = replan({ ...rs, limits: checked.limits, runs: [], jobs: [] }, d.options, problems)
  for (const j of jobs) next = addJob(next, j.target, j.since, j.discovery, problems)
  const out = reconcile(next, d.options, now, [], closes)
  // a connection with closes but nothing else to send still gets its CLOSEs
  const sent = new Set(out.batches.map((b) => b.socket))
  const extra: Array<RelayBatch> = []
  for (const [k, ids] of closes)
    if (!sent.has(k) && out.rs.conns[k]?.up === true)
      extra.push(batchOf(out.rs, k, 'keep', { closes: ids, reqs: [], history: [] }, [], liveSubscriptionBudget(checked.limits)))
  return result({ ...d, limits: limitsMap, relays: d.relays.set(r.relay, out.rs), now }, byRelay([...out.batches, ...extra]), problems)
}

/** Purgatory changed: relays with a repository that entered or left it are re-planned; what left it gets its full history. */
const onHeld = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult => {
  if (r.repos === undefined) return invalid(engine, 'Held: `repos` is not a list of repository addresses')
  const held = new Set(r.repos)
  const changed = new Set<string>()
  for (const x of held) if (!d.held.has(x)) changed.add(x)
  for (const x of d.held) if (!held.has(x)) changed.add(x)
  if (changed.size === 0) return unchanged(engine)
  const problems: Array<EngineProblem> = []
  const batches: Array<RelayBatch> = []
  let relays = d.relays
  for (const [relay, rs] of d.relays) {
    const t = O.toUndefined(relayTarget(relay)(d.desired))
    if (t === undefined || !t.repos.some((x) => changed.has(x))) continue
    let next = replan({ ...rs, target: split(t, held) }, d.options, problems)
    const released = t.repos.filter((x) => d.held.has(x) && !held.has(x))
    if (released.length > 0) {
      const rootEvents: Record<string, ReadonlyArray<string>> = {}
      for (const x of released) if (t.rootEvents[x] !== undefined) rootEvents[x] = t.rootEvents[x] as ReadonlyArray<string>
      next = addJob(next, { relay, repos: released, rootEvents }, undefined, false, problems)
    }
    const out = reconcile(next, d.options, now, [])
    batches.push(...out.batches)
    relays = relays.set(relay, out.rs)
  }
  return result({ ...d, held, relays, now }, byRelay(batches), problems)
}

const onTick = (d: EngineData, now: number): StepResult => {
  const batches: Array<RelayBatch> = []
  let relays = d.relays
  for (const [relay, rs] of d.relays) {
    const next = reconcile(rs, d.options, now, [])
    if (next.batches.length > 0) {
      batches.push(...next.batches)
      relays = relays.set(relay, next.rs)
    }
  }
  return result({ ...d, relays, now }, byRelay(batches), [])
}

/**
 * The one step: applies one input to the engine and says what to send. Events go through
 * `applyBatch → deriveTargets → diff`; every relay whose target changed is re-planned, and history
 * is fetched for what was added (from the beginning) and after a reconnect (from the last `EOSE`
 * minus the reconnect window). Every `REQ` is an attempt with its own subscription id, so an
 * answer (`EOSE`, `CLOSED`) belongs to exactly one attempt: late answers of an attempt that timed
 * out or failed change nothing. The host sends each batch's `messages` in order on connection
 * `socket` of `relay` (connecting first when `connection` is `'open'`, disconnecting after when
 * `'close'`), and feeds back what happens. Total: an input that is not one is reported
 * (`invalid-input`) and changes nothing; a value that is not an engine reads as
 * {@link emptySyncEngine}. Nothing throws.
 *
 * @example
 * import { isSettled, step, syncEngine, type SyncEngine } from 'nip34-sync'
 *
 * let engine: SyncEngine = syncEngine({ ownRelays: ['wss://g.example'], bootstrapRelays: ['wss://b.example'] })
 * const first = step({ _tag: 'Events', events: [], now: 1700000000 })(engine)
 * engine = first.engine
 * const [live, history] = first.batches[0]!.messages
 * engine = step({ _tag: 'Eose', relay: 'wss://b.example', id: live![1], now: 1700000001 })(engine).engine
 * // an empty page ends the history: its CLOSE is sent
 * const end = step({ _tag: 'Eose', relay: 'wss://b.example', id: history![1], events: [], now: 1700000002 })(engine)
 * assert.deepStrictEqual(end.batches[0]?.messages, [['CLOSE', history![1]]])
 * assert.strictEqual(isSettled(end.engine), true)
 *
 * @category combinators
 * @since 0.2.0
 */
export const step =
  (input: EngineInput) =>
  (engine: SyncEngine): StepResult => {
    try {
      const d = data(engine)
      const r = readInput(input)
      if (r === undefined) return invalid(engine, 'not an engine input (an object with a known `_tag`)')
      const now = Math.max(d.now, r.now ?? d.now)
      switch (r.tag) {
        case 'Events':
          return onEvents(d, r, now)
        case 'Eose':
          return onEose(engine, d, r, now)
        case 'Closed':
          return onClosed(engine, d, r, now)
        case 'Notice':
          return unchanged(engine, [{ code: 'notice', relay: r.relay ?? '', socket: r.socket, message: r.text }])
        case 'Timeout':
          return onTimeout(engine, d, r, now)
        case 'Connected':
          return onConnected(engine, d, r, now)
        case 'Disconnected':
          return onDisconnected(engine, d, r, now)
        case 'Limits':
          return onLimits(engine, d, r, now)
        case 'Held':
          return onHeld(engine, d, r, now)
        default:
          return r.now === undefined ? invalid(engine, 'Tick: `now` is not a time in seconds') : onTick(d, now)
      }
    } catch (e) {
      return invalid(engine, `internal error: ${e instanceof Error ? e.message : 'unknown'}`)
    }
  }
