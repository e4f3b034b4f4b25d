/**
 * `SyncState` is what a host has asked its relays for, as a value: the targets confirmed on each
 * relay (*applied*), the batches sent and not yet confirmed (*in flight*), the subscription ids
 * that may be open on each connection, and when each relay was last confirmed.
 *
 * The lifecycle of one relay's work is three-way and pure:
 *
 * ```text
 *            nextBatches                markSent               confirm (every EOSE)
 * desired ──────────────▶ SyncBatch ─────────────▶ in flight ─────────────────────▶ applied
 *                                                     │ fail / closed / disconnected
 *                                                     └──────────▶ dropped: the work comes back
 *                                                                  in the next nextBatches
 * ```
 *
 * - {@link pendingDiff} is {@link diff} that takes in-flight work into account: a relay with a
 *   batch in flight gets no new work until that batch is confirmed or failed, so nothing is
 *   requested twice and every `EOSE` belongs to exactly one batch.
 * - Every answer belongs to exactly one attempt (issue 9.4): each relay has an attempt counter,
 *   bumped by {@link fail}, {@link closed} and {@link disconnected}; what is sent again after a
 *   failure (live `REQ`s and history) goes under ids derived from the slot and that counter, so a
 *   late `EOSE` or `CLOSED` of the failed attempt names an id nothing awaits, and changes nothing.
 * - Repositories in GRASP-01 purgatory are synced in *state-only* mode: {@link SyncTargets} keeps
 *   them in a second {@link RelayIndex}, whose plan asks only for their state events. When a
 *   repository leaves purgatory it moves to the full index, which {@link pendingDiff} sees as new
 *   work (an `AddFilters` for it and its root events).
 * - {@link reconnectSince} and {@link startPaging}/{@link nextPage} are the two time helpers:
 *   the `since` of a quick reconnect, and history paging that cannot loop.
 *
 * The state never reads a clock: times (`at`, `lastConfirmed`) come from the host, in seconds.
 *
 * Every function is total. Opaque values read defensively: a value that is not a
 * {@link SyncState} reads as {@link emptySyncState}, one that is not a {@link RelayIndex} as the
 * empty index, one that is not {@link SyncTargets} as empty targets; a relay or id that is not a
 * string is unknown (reducers leave the state as it is); a batch that is not a {@link SyncBatch}
 * leaves the state as it is. Nothing throws, nothing is mutated.
 *
 * @since 0.1.0
 */
import { eq as Eq, option as O } from 'fp-ts'
import { Map as IMap, Set as ISet } from 'immutable'
import type { FilterTarget, NostrFilter } from '../wire/Filters.js'
import { limitsFor, relayLimits, type LimitsInput, type RelayLimits } from '../config/Limits.js'
import { applyActions, diff, type RelayAction } from '../relays/RelayAction.js'
import {
  emptyRelayIndex,
  eqRelayIndex,
  fromRelayTargets,
  relayData,
  relayTarget,
  relayTargets,
  wrapRelayIndex,
  type RelayIndex,
  type RelayTarget
} from '../relays/RelayIndex.js'
import { addedTarget, type PlanProblem, type RelayBatch, type Subscription, type WireMessage } from '../wire/Wire.js'
import { UNKNOWN, digest, historyPlan, reconcile, type OpenView } from '../wire/batches.js'
import { history as historyVariant } from '../wire/filterBuilders.js'
import { sha256Hex } from '../util/hash.js'
import { ID_PREFIX, livePlan } from '../wire/layout.js'
import { asArray, asEvent, asRecord, isNumber, isString, matches, orElse, stringsIn } from '../wire/match.js'
import { compareStrings, sortedUnique } from '../util/sorted.js'

// -------------------------------------------------------------------------------------------------
// targets
// -------------------------------------------------------------------------------------------------

/**
 * What to sync, in two modes: `full` (repositories and their root events, every layer) and
 * `stateOnly` (repositories in GRASP-01 purgatory: only their state events). A relay is connected
 * while it is in either index.
 *
 * @example
 * import { fromRelayTargets, syncTargets, withPurgatory } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }])
 * assert.deepStrictEqual(F.pipe(desired, withPurgatory([])), syncTargets(desired))
 *
 * @category model
 * @since 0.1.0
 */
export interface SyncTargets {
  readonly full: RelayIndex
  readonly stateOnly: RelayIndex
}

/** A value given as a relay index: itself when it is one, the empty index otherwise. */
const asIndex = (u: unknown): RelayIndex => wrapRelayIndex(relayData(u as RelayIndex))

/** A value given as sync targets: each index read with {@link asIndex}; not an object: both empty. */
const asTargets = (u: unknown): SyncTargets => orElse(() => readTargets(u), () => ({ full: emptyRelayIndex, stateOnly: emptyRelayIndex }))

const readTargets = (u: unknown): SyncTargets => {
  const r = asRecord(u)
  if (r === undefined) return { full: emptyRelayIndex, stateOnly: emptyRelayIndex }
  const full = asIndex(r['full'])
  const stateOnly = asIndex(r['stateOnly'])
  return full === r['full'] && stateOnly === r['stateOnly'] ? (u as SyncTargets) : { full, stateOnly }
}

/**
 * Builds sync targets; `stateOnly` defaults to the empty index (everything in full). A value that
 * is not a relay index reads as the empty one.
 *
 * @example
 * import { emptyRelayIndex, syncTargets } from 'nip34-sync'
 *
 * const targets = syncTargets(emptyRelayIndex)
 * assert.strictEqual(targets.stateOnly, emptyRelayIndex)
 *
 * @category constructors
 * @since 0.1.0
 */
export const syncTargets = (full: RelayIndex, stateOnly: RelayIndex = emptyRelayIndex): SyncTargets => ({
  full: orElse(() => asIndex(full), () => emptyRelayIndex),
  stateOnly: orElse(() => asIndex(stateOnly), () => emptyRelayIndex)
})

/** The strings of an iterable (an array, a `Set`, ...); anything else, a string included, has none. */
const iterableStrings = (u: unknown): ReadonlyArray<string> => {
  if (Array.isArray(u)) return u.filter(isString)
  if (typeof u !== 'object' || u === null || typeof (u as { readonly [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') return []
  return [...(u as Iterable<unknown>)].filter(isString)
}

/**
 * Splits desired targets by purgatory: the repositories listed (those waiting for their git data,
 * GRASP-01) move to the state-only index, without root events; every relay stays in the full
 * index, possibly with no repository, so its connection does not depend on the split. Total:
 * `stateOnlyRepos` that is not an iterable of strings holds nothing (a lone string too), and a
 * `desired` that is not a relay index reads as the empty one.
 *
 * @example
 * import { fromRelayTargets, relayRepos, withPurgatory } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const a = `30617:${'a'.repeat(64)}:a`
 * const b = `30617:${'b'.repeat(64)}:b`
 * const desired = fromRelayTargets([{ relay: 'wss://r.example', repos: [a, b], rootEvents: {} }])
 * const targets = F.pipe(desired, withPurgatory([b]))
 * assert.deepStrictEqual(relayRepos('wss://r.example')(targets.full), [a])
 * assert.deepStrictEqual(relayRepos('wss://r.example')(targets.stateOnly), [b])
 *
 * @category constructors
 * @since 0.1.0
 */
export const withPurgatory =
  (stateOnlyRepos: Iterable<string>) =>
  (desired: RelayIndex): SyncTargets =>
    orElse(() => purgatory(stateOnlyRepos, desired), () => syncTargets(desired))

const purgatory = (stateOnlyRepos: Iterable<string>, desired: RelayIndex): SyncTargets => {
    const held = new Set<string>(iterableStrings(stateOnlyRepos))
    if (held.size === 0) return syncTargets(desired)
    const full: Array<RelayTarget> = []
    const stateOnly: Array<RelayTarget> = []
    for (const t of relayTargets(desired)) {
      const rootEvents: Record<string, ReadonlyArray<string>> = {}
      for (const [repo, ids] of Object.entries(t.rootEvents)) if (!held.has(repo)) rootEvents[repo] = ids
      full.push({ relay: t.relay, repos: t.repos.filter((r) => !held.has(r)), rootEvents })
      const waiting = t.repos.filter((r) => held.has(r))
      if (waiting.length > 0) stateOnly.push({ relay: t.relay, repos: waiting, rootEvents: {} })
    }
    return syncTargets(fromRelayTargets(full), fromRelayTargets(stateOnly))
  }

/**
 * One relay's {@link FilterTarget} in the sync targets (`None` when the relay is in neither index):
 * repositories and root events of the full index, and the state-only repositories that are not
 * also synced in full. A `relay` that is not a string is in neither index (`None`).
 *
 * @example
 * import { fromRelayTargets, syncFilterTarget, syncTargets } from 'nip34-sync'
 * import { function as F, option as O } from 'fp-ts'
 *
 * const b = `30617:${'b'.repeat(64)}:b`
 * const targets = syncTargets(
 *   fromRelayTargets([]),
 *   fromRelayTargets([{ relay: 'wss://r.example', repos: [b], rootEvents: {} }])
 * )
 * assert.deepStrictEqual(F.pipe(targets, syncFilterTarget('wss://r.example')), O.some({
 *   relay: 'wss://r.example', repos: [], rootEvents: {}, stateOnly: [b]
 * }))
 *
 * @category destructors
 * @since 0.1.0
 */
export const syncFilterTarget =
  (relay: string) =>
  (targets: SyncTargets): O.Option<FilterTarget> => {
    if (typeof relay !== 'string') return O.none
    const t = asTargets(targets)
    const full = O.toUndefined(relayTarget(relay)(t.full))
    const held = O.toUndefined(relayTarget(relay)(t.stateOnly))
    if (full === undefined && held === undefined) return O.none
    const repos = full?.repos ?? []
    const inFull = new Set<string>(repos)
    return O.some({
      relay,
      repos,
      rootEvents: full?.rootEvents ?? {},
      stateOnly: (held?.repos ?? []).filter((r) => !inFull.has(r))
    })
  }

/**
 * Equality of sync targets: both indexes equal.
 *
 * @example
 * import { emptyRelayIndex, eqSyncTargets, syncTargets } from 'nip34-sync'
 *
 * assert.strictEqual(eqSyncTargets.equals(syncTargets(emptyRelayIndex), syncTargets(emptyRelayIndex)), true)
 *
 * @category instances
 * @since 0.1.0
 */
export const eqSyncTargets: Eq.Eq<SyncTargets> = Eq.fromEquals((a, b) => {
  const x = asTargets(a)
  const y = asTargets(b)
  return eqRelayIndex.equals(x.full, y.full) && eqRelayIndex.equals(x.stateOnly, y.stateOnly)
})

// -------------------------------------------------------------------------------------------------
// state
// -------------------------------------------------------------------------------------------------

/**
 * The in-flight state of a host. Opaque: read it with {@link appliedTargets}, {@link inFlight},
 * {@link lastConfirmed}, {@link openSubscriptions}; change it with {@link markSent},
 * {@link confirm}, {@link fail}, {@link closed}, {@link disconnected}.
 *
 * @example
 * import { emptySyncState, inFlight } from 'nip34-sync'
 *
 * assert.deepStrictEqual(inFlight(emptySyncState), [])
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category model
 * @since 0.1.0
 */
export interface SyncState {
  readonly _tag: 'SyncState'
}


interface InFlightData {
  readonly full: ReadonlyArray<RelayAction>
  readonly stateOnly: ReadonlyArray<RelayAction>
  readonly awaiting: ISet<string>
  /** Live `REQ` ids sent: unknown on the relay if the batch fails. */
  readonly sent: ReadonlyArray<string>
}

interface Resume {
  readonly target: FilterTarget
  readonly at: number | undefined
}

/**
 * The digest of a subscription the relay closed itself (a `CLOSED` after its `EOSE`): not open,
 * so never `CLOSE`d, but its slot is sent again, under a new id, in the next round.
 */
const GONE = '!'

/** A subscription id that may be open on a relay. */
interface OpenSub {
  /** The digest of its filters; {@link UNKNOWN}: a failed attempt the relay may hold; {@link GONE}: closed by the relay. */
  readonly digest: string
  /** The plan id of its slot (the id the slot has in attempt 0). */
  readonly slot: string
}

/** An open subscription whose `EOSE` came and that the relay has not closed: it may be replaced under its own id. */
const answered = (e: OpenSub): boolean => e.digest !== UNKNOWN && e.digest !== GONE

interface StateData {
  readonly _tag: 'SyncState'
  readonly applied: SyncTargets
  readonly inFlight: IMap<string, InFlightData>
  /** Per relay, per subscription id that may be open: the digest of its filters and its slot. */
  readonly open: IMap<string, IMap<string, OpenSub>>
  readonly confirmedAt: IMap<string, number>
  /** What a relay had before its connection dropped, to resume its history from `at`. */
  readonly resume: IMap<string, Resume>
  /**
   * Per relay, the attempt counter (absent: 0), bumped by every {@link fail}, {@link closed} and
   * {@link disconnected}: a subscription sent again after a failure gets an id derived from its
   * slot and this counter, so no answer to a failed attempt can be taken for one to its retry.
   */
  readonly attempts: IMap<string, number>
}

/** Every state this module made: the unforgeable brand, checked in O(1). */
const madeStates = new WeakSet<object>()

const wrap = (d: StateData): SyncState => {
  madeStates.add(d)
  return d as unknown as SyncState
}

const emptyData: StateData = {
  _tag: 'SyncState',
  applied: syncTargets(emptyRelayIndex),
  inFlight: IMap(),
  open: IMap(),
  confirmedAt: IMap(),
  resume: IMap(),
  attempts: IMap()
}

const isStateData = (u: unknown): u is StateData => {
  const r = asRecord(u)
  if (r === undefined || r['_tag'] !== 'SyncState') return false
  const applied = asRecord(r['applied'])
  return (
    applied !== undefined &&
    (asTargets(applied) as unknown) === applied &&
    IMap.isMap(r['inFlight']) &&
    IMap.isMap(r['open']) &&
    IMap.isMap(r['confirmedAt']) &&
    IMap.isMap(r['resume']) &&
    IMap.isMap(r['attempts'])
  )
}

/** Reads a state defensively: a value that is not a state reads as the empty one. */
const data = (s: SyncState): StateData =>
  typeof s === 'object' && s !== null && madeStates.has(s) && orElse(() => isStateData(s), () => false) ? (s as unknown as StateData) : emptyData

/**
 * The state of a host that has asked nothing of any relay.
 *
 * @example
 * import { appliedTargets, emptyRelayIndex, emptySyncState, eqRelayIndex } from 'nip34-sync'
 *
 * assert.strictEqual(eqRelayIndex.equals(appliedTargets(emptySyncState).full, emptyRelayIndex), true)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category constructors
 * @since 0.1.0
 */
export const emptySyncState: SyncState = wrap(emptyData)

/**
 * The targets every relay has confirmed.
 *
 * @example
 * import { appliedTargets, emptySyncState, eqSyncTargets, syncTargets, emptyRelayIndex } from 'nip34-sync'
 *
 * assert.strictEqual(eqSyncTargets.equals(appliedTargets(emptySyncState), syncTargets(emptyRelayIndex)), true)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category destructors
 * @since 0.1.0
 */
export const appliedTargets = (state: SyncState): SyncTargets => data(state).applied

/**
 * One batch in flight, as plain data.
 *
 * @example
 * import { emptySyncState, fromRelayTargets, inFlight, markSent, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * assert.strictEqual(inFlight(markSent(batch!)(emptySyncState))[0]?.full[0]?._tag, 'SpawnRelay')
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category model
 * @since 0.1.0
 */
export interface InFlight {
  readonly relay: string
  readonly full: ReadonlyArray<RelayAction>
  readonly stateOnly: ReadonlyArray<RelayAction>
  /** Subscription ids whose `EOSE` is still awaited, sorted. */
  readonly awaiting: ReadonlyArray<string>
}

/**
 * Every batch in flight, sorted by relay.
 *
 * @example
 * import { emptySyncState, inFlight } from 'nip34-sync'
 *
 * assert.deepStrictEqual(inFlight(emptySyncState), [])
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category destructors
 * @since 0.1.0
 */
export const inFlight = (state: SyncState): ReadonlyArray<InFlight> =>
  [...data(state).inFlight.entries()]
    .sort((a, b) => compareStrings(a[0], b[0]))
    .map(([relay, f]) => ({ relay, full: f.full, stateOnly: f.stateOnly, awaiting: f.awaiting.toArray().sort(compareStrings) }))

/**
 * When the relay last confirmed a batch (the host's time, in seconds), if it ever did. Kept across
 * a dropped connection, for {@link reconnectSince}.
 *
 * @example
 * import { emptySyncState, lastConfirmed } from 'nip34-sync'
 *
 * assert.strictEqual(lastConfirmed('wss://r.example')(emptySyncState), undefined)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category destructors
 * @since 0.1.0
 */
export const lastConfirmed =
  (relay: string) =>
  (state: SyncState): number | undefined =>
    typeof relay === 'string' ? data(state).confirmedAt.get(relay) : undefined

/**
 * The live subscription ids that may be open on a relay, sorted.
 *
 * @example
 * import { emptySyncState, openSubscriptions } from 'nip34-sync'
 *
 * assert.deepStrictEqual(openSubscriptions('wss://r.example')(emptySyncState), [])
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category destructors
 * @since 0.1.0
 */
export const openSubscriptions =
  (relay: string) =>
  (state: SyncState): ReadonlyArray<string> =>
    (typeof relay === 'string'
      ? data(state)
          .open.get(relay)
          ?.filter((e) => e.digest !== GONE)
          .keySeq()
          .toArray()
          .sort(compareStrings)
      : undefined) ?? []

/**
 * The work still to do: {@link diff} of the desired targets against the applied ones, in each
 * mode, leaving out every relay with a batch in flight (its work waits until that batch is
 * confirmed or failed).
 *
 * @example
 * import { emptySyncState, fromRelayTargets, pendingDiff, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * assert.deepStrictEqual(F.pipe(emptySyncState, pendingDiff(desired)), {
 *   full: [{ _tag: 'SpawnRelay', relay: 'wss://r.example', repos: [], rootEvents: {} }],
 *   stateOnly: []
 * })
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category combinators
 * @since 0.1.0
 */
export const pendingDiff =
  (desired: SyncTargets) =>
  (state: SyncState): { readonly full: ReadonlyArray<RelayAction>; readonly stateOnly: ReadonlyArray<RelayAction> } => {
    const d = data(state)
    const t = asTargets(desired)
    const idle = (a: RelayAction): boolean => !d.inFlight.has(a.relay)
    return {
      full: diff(t.full)(d.applied.full).filter(idle),
      stateOnly: diff(t.stateOnly)(d.applied.stateOnly).filter(idle)
    }
  }

// -------------------------------------------------------------------------------------------------
// batches
// -------------------------------------------------------------------------------------------------

/**
 * Everything a host does on one relay for one round of work: the one batch type
 * ({@link RelayBatch}) with the actions split by mode. Live messages only: its `history` is run
 * and paged by the host, at most `reservedSubscriptions` at a time, each confirmed when its paging
 * is done; `awaiting` holds the live `REQ` ids and (when the relay has room) the history ids; the
 * plan's `overflow` is not tracked (the engine, `step`, tracks it). The `plan` names each slot by
 * its plan id; the `messages` and `history` carry the ids of this attempt, which differ from the
 * plan ids once the relay has had a failure (see {@link nextBatches}).
 *
 * @example
 * import { emptySyncState, fromRelayTargets, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * assert.deepStrictEqual(batch?.awaiting.length, batch!.messages.length + batch!.history.length)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category model
 * @since 0.1.0
 */
export interface SyncBatch extends RelayBatch {
  /** The actions of the full index (`actions` holds these, then the state-only ones). */
  readonly full: ReadonlyArray<RelayAction>
  readonly stateOnly: ReadonlyArray<RelayAction>
}

/**
 * Options of {@link nextBatches}.
 *
 * @example
 * import { emptySyncState, fromRelayTargets, nextBatches, syncTargets, type NextBatchesOptions } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const options: NextBatchesOptions = { limits: { maxLimit: 100 }, reconnectWindow: 60 }
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * assert.strictEqual(F.pipe(emptySyncState, nextBatches(desired, options))[0]?.history[0]?.filters[0]?.limit, 100)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category model
 * @since 0.1.0
 */
export interface NextBatchesOptions {
  /** Limits for all relays, or per relay (default {@link defaultRelayLimits}). */
  readonly limits?: LimitsInput
  /** Seconds of overlap for a reconnect's history (default {@link DEFAULT_RECONNECT_WINDOW}). */
  readonly reconnectWindow?: number
}

/**
 * The default overlap of a reconnect's history: 15 minutes, wide enough for clock skew between
 * host and relay and for events that reach a relay late.
 *
 * @example
 * import { DEFAULT_RECONNECT_WINDOW, reconnectSince } from 'nip34-sync'
 *
 * assert.strictEqual(reconnectSince(1700000000, DEFAULT_RECONNECT_WINDOW), 1699999100)
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_RECONNECT_WINDOW = 900

/** The content the actions of one relay add, in both modes. */
const addedContent = (relay: string, full: ReadonlyArray<RelayAction>, stateOnly: ReadonlyArray<RelayAction>): FilterTarget => {
  const repos: Array<string> = []
  const roots: Record<string, Array<string>> = {}
  const held: Array<string> = []
  for (const a of full) {
    const t = O.toUndefined(addedTarget(a))
    if (t === undefined) continue
    repos.push(...t.repos)
    for (const [repo, ids] of Object.entries(t.rootEvents)) (roots[repo] ??= []).push(...ids)
  }
  for (const a of stateOnly) held.push(...(O.toUndefined(addedTarget(a))?.repos ?? []))
  const inFull = new Set(repos)
  return { relay, repos: sortedUnique(repos), rootEvents: roots, stateOnly: sortedUnique(held.filter((r) => !inFull.has(r))) }
}

/** Splits `t` into the part `known` already had and the rest. */
const splitKnown = (t: FilterTarget, known: FilterTarget): readonly [FilterTarget, FilterTarget] => {
  const knownRepos = new Set<string>([...known.repos, ...(known.stateOnly ?? [])])
  const knownRoots = new Set<string>(Object.values(known.rootEvents).flat())
  const pick = (keep: boolean): FilterTarget => {
    const rootEvents: Record<string, ReadonlyArray<string>> = {}
    for (const [repo, ids] of Object.entries(t.rootEvents)) {
      const chosen = ids.filter((id) => knownRoots.has(id) === keep)
      if (chosen.length > 0) rootEvents[repo] = chosen
    }
    return {
      relay: t.relay,
      repos: t.repos.filter((r) => knownRepos.has(r) === keep),
      rootEvents,
      stateOnly: (t.stateOnly ?? []).filter((r) => knownRepos.has(r) === keep)
    }
  }
  return [pick(true), pick(false)]
}

const historyOf = (target: FilterTarget, since: number | undefined, limits: RelayLimits, withDiscovery: boolean) =>
  historyPlan(target, since, limits, withDiscovery)

/** Problems in order, each once. */
const uniqueProblems = (problems: ReadonlyArray<PlanProblem>): ReadonlyArray<PlanProblem> => {
  const seen = new Set<string>()
  return problems.filter((p) => {
    const key = `${p.code} ${p.value ?? ''} ${p.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}


const isPresent = (targets: SyncTargets, relay: string): boolean =>
  O.isSome(relayTarget(relay)(targets.full)) || O.isSome(relayTarget(relay)(targets.stateOnly))

/**
 * The id of attempt `n` of a subscription whose plan id is `slot` (`k` > 0 only to step past an id
 * already taken): the plan id itself in attempt 0, otherwise the plan id's prefix (`n34` and the
 * namespace letter: live and history ids never meet) and hex of SHA-256 of the slot, the attempt
 * and `k`, as long as the plan id (so within the relay's `max_subid_length`).
 */
const attemptId = (slot: string, n: number, k: number): string => {
  if (n === 0 && k === 0) return slot
  const head = slot.slice(0, ID_PREFIX.length + 1)
  return `${head}${sha256Hex(`nip34-sync/lifecycle ${slot} ${n} ${k}`).slice(0, Math.max(1, slot.length - head.length))}`
}

/** The attempt counter of a relay (0 until its first failure). */
const attemptOf = (d: StateData, relay: string): number => d.attempts.get(relay) ?? 0

/** The attempt counter of a relay bumped: every id its next round derives is new. */
const bumped = (d: StateData, relay: string): IMap<string, number> => d.attempts.set(relay, attemptOf(d, relay) + 1)

/** What the differ sees of a relay's subscriptions: those that may be open (closed by the relay: not). */
const openView = (open: IMap<string, OpenSub>): OpenView => ({
  get: (id) => {
    const e = open.get(id)
    return e === undefined || e.digest === GONE ? undefined : e.digest
  },
  ids: () => open.filter((e) => e.digest !== GONE).keys()
})

/**
 * The batches of the next round: for every relay with pending work ({@link pendingDiff}) or with
 * subscriptions in an unknown state (after {@link fail}), the live messages that bring its open
 * subscriptions to the plan of its desired target, and the history subscriptions for what is
 * added. History `since`: after a dropped connection ({@link disconnected}), what the relay had
 * before resumes from {@link reconnectSince}; anything new is fetched from the beginning. Relays
 * with a batch in flight get nothing. Sorted by relay.
 *
 * Ids: a live subscription that is open and answered keeps its id (a `REQ` under it replaces it,
 * NIP-01). Anything else (a slot never sent, one whose attempt failed, one the relay closed) is a
 * new attempt: in a relay's first attempt its id is the plan id; after a {@link fail},
 * {@link closed} or {@link disconnected}, an id derived from the plan id and the relay's attempt
 * counter, of the same length. The ids of a failed attempt that the relay may still hold are
 * `CLOSE`d first. History ids are derived the same way. So a retry never awaits an id of the
 * attempt that failed (issue 9.4). Total: `options` that is not an object
 * counts as `{}` (a `reconnectWindow` that is not a number of seconds ≥ 0 resumes from the
 * beginning, as {@link reconnectSince} says).
 *
 * @example
 * import { emptySyncState, fromRelayTargets, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * assert.strictEqual(batch?.connection, 'open')
 * assert.deepStrictEqual(batch?.messages[0]?.slice(2), [{ kinds: [30617, 10317], limit: 0 }])
 * assert.deepStrictEqual(batch?.history[0]?.filters, [{ kinds: [30617, 10317], limit: 500 }])
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category combinators
 * @since 0.1.0
 */
export const nextBatches =
  (desired: SyncTargets, options: NextBatchesOptions = {}) =>
  (state: SyncState): ReadonlyArray<SyncBatch> =>
    orElse(() => batchesFor(desired, options, state), () => [])

const batchesFor = (desired: SyncTargets, options: NextBatchesOptions, state: SyncState): ReadonlyArray<SyncBatch> => {
    const d = data(state)
    const targets = asTargets(desired)
    const o: { readonly [key: string]: unknown } = asRecord(options) ?? {}
    const work = pendingDiff(targets)(state)
    const byRelay = new Map<string, { full: Array<RelayAction>; stateOnly: Array<RelayAction> }>()
    const entry = (relay: string) => {
      let e = byRelay.get(relay)
      if (e === undefined) byRelay.set(relay, (e = { full: [], stateOnly: [] }))
      return e
    }
    for (const a of work.full) entry(a.relay).full.push(a)
    for (const a of work.stateOnly) entry(a.relay).stateOnly.push(a)
    for (const [relay, subs] of d.open) if (!d.inFlight.has(relay) && subs.some((e) => !answered(e))) entry(relay)
    const limitsOf = limitsFor(o['limits'] as LimitsInput | undefined)
    const window = (o['reconnectWindow'] ?? DEFAULT_RECONNECT_WINDOW) as number
    const out: Array<SyncBatch> = []
    for (const relay of [...byRelay.keys()].sort(compareStrings)) {
      const { full, stateOnly } = byRelay.get(relay) as { full: Array<RelayAction>; stateOnly: Array<RelayAction> }
      const limits = limitsOf(relay)
      const target = O.toUndefined(syncFilterTarget(relay)(targets))
      const plan = livePlan(relay, target, limits)
      const open = d.open.get(relay) ?? IMap<string, OpenSub>()
      // ids: a slot open and answered keeps its id (a REQ under it replaces it, NIP-01); any other
      // slot (never sent, failed, closed by the relay) is a new attempt under a new id
      const attempt = attemptOf(d, relay)
      const used = new Set<string>(open.keys())
      const fresh = (slot: string): string => {
        let id = attemptId(slot, attempt, 0)
        for (let k = 1; used.has(id); k++) id = attemptId(slot, attempt, k)
        used.add(id)
        return id
      }
      const current = new Map<string, string>()
      for (const [id, e] of open) if (answered(e) && !(compareStrings(current.get(e.slot) ?? id, id) < 0)) current.set(e.slot, id)
      const wanted = plan.subscriptions.map((s) => ({ ...s, id: current.get(s.id) ?? fresh(s.id) }))
      const messages = reconcile(openView(open), wanted)
      const was = isPresent(d.applied, relay) || d.open.has(relay)
      const connection = target === undefined ? 'close' : was ? 'keep' : 'open'
      let history: ReadonlyArray<Subscription> = []
      const historyProblems: Array<PlanProblem> = []
      if (target !== undefined) {
        const added = addedContent(relay, full, stateOnly)
        const resume = d.resume.get(relay)
        // a relay new to the applied targets (first connection, reconnection, or a spawn that failed) gets discovery history
        const opening = !isPresent(d.applied, relay)
        const resumeSince = resume === undefined ? 0 : reconnectSince(resume.at, window)
        const parts =
          opening && resume !== undefined && resumeSince > 0
            ? (([known, fresh]) => [historyOf(known, resumeSince, limits, true), historyOf(fresh, undefined, limits, false)])(
                splitKnown(added, resume.target)
              )
            : [historyOf(added, undefined, limits, opening)]
        history = parts.flatMap((p) => p.subscriptions).map((s) => {
          const id = fresh(s.id)
          return id === s.id ? s : { ...s, id }
        })
        for (const p of parts) historyProblems.push(...p.problems)
      }
      // a relay that allows a single subscription leaves no room for history: it is not awaited
      const room = limits.reservedSubscriptions > 0
      if (!room && history.length > 0)
        historyProblems.push({
          code: 'no-history-room',
          message: `the relay allows ${limits.maxSubscriptions} subscription(s) and the live plan uses them: the history is not awaited (fetch it on another connection)`
        })
      const awaiting = sortedUnique([...messages.filter((m) => m[0] === 'REQ').map((m) => m[1]), ...(room ? history.map((s) => s.id) : [])])
      const problems = uniqueProblems([...plan.problems, ...historyProblems])
      out.push({ relay, connection, socket: 0, actions: [...full, ...stateOnly], full, stateOnly, messages, history, awaiting, plan, problems })
    }
    return out
  }

// -------------------------------------------------------------------------------------------------
// transitions
// -------------------------------------------------------------------------------------------------

const validTime = (at: unknown): number | undefined =>
  typeof at === 'number' && Number.isFinite(at) && at >= 0 && at <= MAX_TIMESTAMP ? Math.floor(at) : undefined

const complete = (d: StateData, relay: string, f: InFlightData, at: number | undefined): StateData => {
  const applied = syncTargets(applyActions(f.full)(d.applied.full), applyActions(f.stateOnly)(d.applied.stateOnly))
  const present = isPresent(applied, relay)
  const time = validTime(at)
  return {
    ...d,
    applied,
    inFlight: d.inFlight.delete(relay),
    open: present ? d.open : d.open.delete(relay),
    confirmedAt: !present ? d.confirmedAt.delete(relay) : time === undefined ? d.confirmedAt : d.confirmedAt.set(relay, time),
    resume: d.resume.delete(relay),
    attempts: present ? d.attempts : d.attempts.delete(relay)
  }
}

const CONNECTIONS: ReadonlySet<unknown> = new Set(['open', 'keep', 'close'])
const TAGS: ReadonlySet<unknown> = new Set(['SpawnRelay', 'AddFilters', 'RemoveFilters', 'CloseRelay'])

const isActionLike = (u: unknown): u is RelayAction => {
  const r = asRecord(u)
  return r !== undefined && TAGS.has(r['_tag']) && typeof r['relay'] === 'string'
}

const isMessage = (u: unknown): u is WireMessage => Array.isArray(u) && (u[0] === 'REQ' || u[0] === 'CLOSE') && typeof u[1] === 'string'

/**
 * A value given as a batch: `undefined` unless it is an object with a string `relay` and a
 * `connection` of `open`, `keep` or `close`; then its lists, with anything in them that is not an
 * action, a message or a string id left out (a list that is not an array is empty).
 */
const asBatch = (u: unknown): ReturnType<typeof readBatch> => orElse(() => readBatch(u), () => undefined)

const readBatch = (
  u: unknown
):
  | (Pick<SyncBatch, 'relay' | 'connection' | 'full' | 'stateOnly' | 'messages' | 'awaiting'> & {
      /** The plan ids of the live plan's subscriptions (`undefined`: the batch has no plan). */
      readonly slots: ReadonlyArray<string> | undefined
    })
  | undefined => {
  const r = asRecord(u)
  if (r === undefined || typeof r['relay'] !== 'string' || !CONNECTIONS.has(r['connection'])) return undefined
  const plan = asRecord(r['plan'])
  const subs = plan?.['subscriptions']
  return {
    relay: r['relay'],
    connection: r['connection'] as SyncBatch['connection'],
    full: asArray(r['full']).filter(isActionLike),
    stateOnly: asArray(r['stateOnly']).filter(isActionLike),
    messages: asArray(r['messages']).filter(isMessage),
    awaiting: stringsIn(r['awaiting']),
    slots: Array.isArray(subs) ? subs.map((x) => asRecord(x)?.['id']).filter(isString) : undefined
  }
}

/**
 * Records that a batch was sent: its live messages update the subscriptions open on the relay,
 * and it waits in flight for its `awaiting` ids. A batch that awaits nothing (only `CLOSE`s, or
 * nothing to send) is applied at once. A second batch for a relay already in flight joins it.
 * The batch's `plan` tells which slot each id of this attempt belongs to, so that a slot keeps
 * its id while it stays open (a batch without a plan: each id is its own slot).
 * Total: a value that is not a batch (an object with a string `relay` and a `connection` of
 * `open`, `keep` or `close`) leaves the state as it is; elements of its lists that are not
 * actions, messages or string ids are left out.
 *
 * @example
 * import { emptySyncState, fromRelayTargets, inFlight, markSent, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * const state = F.pipe(emptySyncState, markSent(batch!))
 * assert.strictEqual(inFlight(state)[0]?.awaiting.length, 2)
 * assert.deepStrictEqual(F.pipe(state, nextBatches(desired)), [])
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category reducers
 * @since 0.1.0
 */
export const markSent =
  (batch: SyncBatch) =>
  (state: SyncState): SyncState => {
    const b = asBatch(batch)
    if (b === undefined) return state
    const d = data(state)
    const relay = b.relay
    let subs = d.open.get(relay) ?? IMap<string, OpenSub>()
    // the slot of each id: plan ids and their ids in this attempt (anything else is its own slot)
    const attempt = attemptOf(d, relay)
    const slotOf = new Map<string, string>()
    for (const slot of b.slots ?? []) {
      slotOf.set(slot, slot)
      slotOf.set(attemptId(slot, attempt, 0), slot)
    }
    const sent: Array<string> = []
    const reqSlots = new Set<string>()
    for (const m of b.messages) {
      if (m[0] === 'CLOSE') subs = subs.delete(m[1])
      else {
        const slot = slotOf.get(m[1]) ?? subs.get(m[1])?.slot ?? m[1]
        subs = subs.set(m[1], { digest: digest(m.slice(2) as ReadonlyArray<NostrFilter>), slot })
        reqSlots.add(slot)
        sent.push(m[1])
      }
    }
    // a slot the relay closed is settled by a batch that sends it again or no longer plans it
    const planned = b.slots === undefined ? undefined : new Set(b.slots)
    subs = subs.filter((e) => e.digest !== GONE || !(reqSlots.has(e.slot) || (planned !== undefined && !planned.has(e.slot))))
    const open = b.connection === 'close' || subs.size === 0 ? d.open.delete(relay) : d.open.set(relay, subs)
    const prior = d.inFlight.get(relay)
    const f: InFlightData = {
      full: [...(prior?.full ?? []), ...b.full],
      stateOnly: [...(prior?.stateOnly ?? []), ...b.stateOnly],
      awaiting: (prior?.awaiting ?? ISet<string>()).union(b.awaiting),
      sent: [...(prior?.sent ?? []), ...sent]
    }
    const next: StateData = { ...d, open }
    return wrap(f.awaiting.size === 0 ? complete(next, relay, f, undefined) : { ...next, inFlight: next.inFlight.set(relay, f) })
  }

/**
 * Records the `EOSE` of one awaited subscription (or the end of a history subscription's paging)
 * at the host's time `at` (seconds). When the last awaited id of the relay's batch is confirmed,
 * the batch's actions become applied and `at` becomes the relay's {@link lastConfirmed}. An id
 * that is not awaited by the relay's batch in flight changes nothing (a late `EOSE` of a failed
 * attempt names an id of that attempt, never one of its retry), nor does a `relay` or `id` that
 * is not a string; an `at`
 * that is not a time in seconds (see {@link reconnectSince}) applies the batch without recording
 * a time.
 *
 * @example
 * import { appliedTargets, confirm, emptySyncState, fromRelayTargets, inFlight, markSent, nextBatches, syncTargets, eqSyncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * const state = batch!.awaiting.reduce((s, id) => confirm('wss://r.example', id, 1700000000)(s), markSent(batch!)(emptySyncState))
 * assert.deepStrictEqual(inFlight(state), [])
 * assert.strictEqual(eqSyncTargets.equals(appliedTargets(state), desired), true)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category reducers
 * @since 0.1.0
 */
export const confirm =
  (relay: string, id: string, at: number) =>
  (state: SyncState): SyncState => {
    if (typeof relay !== 'string' || typeof id !== 'string') return state
    const d = data(state)
    const f = d.inFlight.get(relay)
    if (f === undefined || !f.awaiting.has(id)) return state
    const awaiting = f.awaiting.delete(id)
    if (awaiting.size > 0) return wrap({ ...d, inFlight: d.inFlight.set(relay, { ...f, awaiting }) })
    return wrap(complete(d, relay, f, at))
  }

/**
 * Records that a relay's batch failed (a `CLOSED` of one of its subscriptions, a timeout, a
 * `NOTICE` refusing it): the batch leaves the flight and its work comes back in the next
 * {@link nextBatches}; the subscriptions it sent are marked unknown, so they are closed next time,
 * and sent again under new ids if still wanted; the relay's attempt counter is bumped, so the
 * retry's live and history ids all differ from this batch's (a late `EOSE` or `CLOSED` of this
 * attempt cannot confirm or fail the retry). With an `id` (the subscription a `CLOSED` names),
 * only a batch that awaits or sent that id fails: a late `CLOSED` of an older batch leaves the
 * current one alone (use {@link closed} for it). No batch in flight, a `relay` that is not a string, or an `id` given
 * that is not a string: nothing changes.
 *
 * @example
 * import { emptySyncState, fail, fromRelayTargets, inFlight, markSent, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * const sent = markSent(batch!)(emptySyncState)
 * assert.strictEqual(fail('wss://r.example', 'n34lnot-of-this-batch')(sent), sent)
 * const state = F.pipe(sent, fail('wss://r.example'))
 * assert.deepStrictEqual(inFlight(state), [])
 * const [retry] = F.pipe(state, nextBatches(desired))
 * // the retry awaits none of the failed batch's ids: their late answers match nothing
 * assert.strictEqual(retry!.awaiting.some((id) => batch!.awaiting.includes(id)), false)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category reducers
 * @since 0.1.0
 */
export const fail =
  (relay: string, id?: string) =>
  (state: SyncState): SyncState => {
    if (typeof relay !== 'string' || (id !== undefined && typeof id !== 'string')) return state
    const d = data(state)
    const f = d.inFlight.get(relay)
    if (f === undefined) return state
    if (id !== undefined && !f.awaiting.has(id) && !f.sent.includes(id)) return state
    const subs = d.open.get(relay) ?? IMap<string, OpenSub>()
    const marked = subs.withMutations((m) => {
      for (const sent of f.sent) m.set(sent, { digest: UNKNOWN, slot: m.get(sent)?.slot ?? sent })
    })
    return wrap({
      ...d,
      inFlight: d.inFlight.delete(relay),
      open: marked.size === 0 ? d.open.delete(relay) : d.open.set(relay, marked),
      attempts: bumped(d, relay)
    })
  }

/**
 * Records a relay's `CLOSED` for one subscription, whenever it comes. While the relay's batch in
 * flight still awaits that id, the batch fails ({@link fail}). Otherwise, when the id is open and
 * answered (a live subscription already confirmed, say after the relay restarted it), it is
 * marked closed and the relay's attempt counter is bumped: the next {@link nextBatches} sends that
 * slot again under a new id (no `CLOSE`: the relay closed it), once nothing is in flight. Any
 * other id (one of a failed attempt, a history subscription already done, an id never sent), a
 * `relay` or `id` that is not a string: nothing changes.
 *
 * @example
 * import { closed, confirm, emptySyncState, fromRelayTargets, markSent, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * const synced = batch!.awaiting.reduce((s, id) => confirm('wss://r.example', id, 1700000000)(s), markSent(batch!)(emptySyncState))
 * assert.deepStrictEqual(F.pipe(synced, nextBatches(desired)), [])
 * const [, live, ...filters] = batch!.messages[0]!
 * const [again] = F.pipe(synced, closed('wss://r.example', live), nextBatches(desired))
 * const [tag, id, ...refiltered] = again!.messages[0]!
 * assert.deepStrictEqual([tag, refiltered], ['REQ', filters])
 * assert.notStrictEqual(id, live)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category reducers
 * @since 0.1.0
 */
export const closed =
  (relay: string, id: string) =>
  (state: SyncState): SyncState => {
    if (typeof relay !== 'string' || typeof id !== 'string') return state
    const d = data(state)
    const failed = d.inFlight.get(relay)?.awaiting.has(id) === true ? data(fail(relay, id)(state)) : undefined
    const subs = (failed ?? d).open.get(relay)
    const e = subs?.get(id)
    if (failed !== undefined) return wrap(subs === undefined || e === undefined ? failed : { ...failed, open: failed.open.set(relay, subs.set(id, { ...e, digest: GONE })) })
    if (subs === undefined || e === undefined || !answered(e)) return state
    return wrap({ ...d, open: d.open.set(relay, subs.set(id, { ...e, digest: GONE })), attempts: bumped(d, relay) })
  }

/**
 * Records that a relay's connection dropped: its subscriptions are gone, its batch in flight is
 * dropped, and it leaves the applied targets, so the next {@link nextBatches} opens it again.
 * What it had is remembered, so that its history resumes from {@link reconnectSince} of its last
 * confirmation instead of from the beginning. The relay's attempt counter is bumped: what is
 * sent on the new connection goes under new ids, so a late answer read from the old one matches
 * nothing. A `relay` that is not a string leaves the state as it is.
 *
 * @example
 * import { confirm, disconnected, emptySyncState, fromRelayTargets, markSent, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * const synced = batch!.awaiting.reduce((s, id) => confirm('wss://r.example', id, 1700000000)(s), markSent(batch!)(emptySyncState))
 * const [again] = F.pipe(synced, disconnected('wss://r.example'), nextBatches(desired))
 * assert.strictEqual(again?.connection, 'open')
 * assert.deepStrictEqual(again?.history[0]?.filters, [{ kinds: [30617, 10317], since: 1700000000 - 900, limit: 500 }])
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category reducers
 * @since 0.1.0
 */
export const disconnected =
  (relay: string) =>
  (state: SyncState): SyncState => {
    if (typeof relay !== 'string') return state
    const d = data(state)
    const had = O.toUndefined(syncFilterTarget(relay)(d.applied))
    const close: ReadonlyArray<RelayAction> = [{ _tag: 'CloseRelay', relay }]
    const known = had !== undefined || d.inFlight.has(relay) || d.open.has(relay) || d.attempts.has(relay)
    return wrap({
      ...d,
      applied: syncTargets(applyActions(close)(d.applied.full), applyActions(close)(d.applied.stateOnly)),
      inFlight: d.inFlight.delete(relay),
      open: d.open.delete(relay),
      resume: had === undefined ? d.resume : d.resume.set(relay, { target: had, at: d.confirmedAt.get(relay) }),
      attempts: known ? bumped(d, relay) : d.attempts
    })
  }

// -------------------------------------------------------------------------------------------------
// time helpers
// -------------------------------------------------------------------------------------------------

/**
 * The largest timestamp accepted as seconds (year 2286): a larger value is almost surely
 * milliseconds (a JavaScript clock), and is refused rather than trusted.
 *
 * @example
 * import { MAX_TIMESTAMP, reconnectSince } from 'nip34-sync'
 *
 * assert.strictEqual(reconnectSince(MAX_TIMESTAMP + 1, 0), 0)
 *
 * @category constants
 * @since 0.1.0
 */
export const MAX_TIMESTAMP = 9_999_999_999

/**
 * The `since` of a quick reconnect: the last confirmed time minus an overlap window, in seconds,
 * never below 0. When the last confirmed time is unknown or unusable (not a whole number of
 * seconds from 0 to {@link MAX_TIMESTAMP}, such as a millisecond clock), or the window is not a
 * number of seconds ≥ 0, it is 0: the whole history, which may cost a refetch but never loses an
 * event. It is never computed from an elapsed duration (the reference server's `since` of "1970
 * plus the time since startup" refetched everything).
 *
 * @example
 * import { reconnectSince } from 'nip34-sync'
 *
 * assert.strictEqual(reconnectSince(1700000000, 900), 1699999100)
 * assert.strictEqual(reconnectSince(100, 900), 0)
 * assert.strictEqual(reconnectSince(undefined, 900), 0)
 * assert.strictEqual(reconnectSince(1700000000000, 900), 0)
 *
 * @category utils
 * @since 0.1.0
 */
export const reconnectSince = (lastConfirmedAt: number | undefined, window: number): number => {
  const at = validTime(lastConfirmedAt)
  if (at === undefined || typeof window !== 'number' || !Number.isFinite(window) || window < 0) return 0
  return Math.max(0, at - Math.ceil(window))
}

/**
 * What to do after one page of a history request:
 *
 * - `Done`: the page was empty; nothing older is left.
 * - `Until`: ask again with `until` set to the oldest `created_at` of the page (inclusive: events
 *   at that second are asked for again, deduplicate by id, so none is skipped), or, for a page
 *   shorter than its `limit` whose events all share one second, to the second below it. A short
 *   page is not taken as the end: a relay may cap `limit` below what it publishes (or publish
 *   nothing) and return fewer events than it holds. `until` strictly decreases, so paging ends.
 * - `Widen`: the page is full and every event has the same `created_at`: `until` cannot move
 *   without skipping events of that second. Ask for that second alone (`since = until =
 *   createdAt`) with a larger `limit`, then continue with `until = createdAt - 1`.
 *
 * @example
 * import { nextUntil, type UntilStep } from 'nip34-sync'
 *
 * const step: UntilStep = nextUntil({ events: [{ created_at: 5 }], limit: 1 })
 * assert.deepStrictEqual(step, { _tag: 'Widen', createdAt: 5 })
 *
 * @category model
 * @since 0.1.0
 */
export type UntilStep =
  | { readonly _tag: 'Done' }
  | { readonly _tag: 'Until'; readonly until: number }
  | { readonly _tag: 'Widen'; readonly createdAt: number }

/**
 * The next step of paging after a page: see {@link UntilStep}. `events` are the events of the page
 * that match the paged filter (any others, or any without an integer `created_at`, are ignored);
 * `limit` is the page size asked for. Only an empty page is `Done`. Total: a page that is not an
 * object, or whose `limit` is not an integer ≥ 1, is `Done`.
 *
 * @example
 * import { nextUntil } from 'nip34-sync'
 *
 * const at = (...ts: Array<number>) => ts.map((created_at) => ({ created_at }))
 * assert.deepStrictEqual(nextUntil({ events: [], limit: 3 }), { _tag: 'Done' })
 * // a short page is not the end: the relay may cap `limit` silently
 * assert.deepStrictEqual(nextUntil({ events: at(30, 20), limit: 3 }), { _tag: 'Until', until: 20 })
 * assert.deepStrictEqual(nextUntil({ events: at(20, 20), limit: 3 }), { _tag: 'Until', until: 19 })
 * assert.deepStrictEqual(nextUntil({ events: at(30, 20, 20), limit: 3 }), { _tag: 'Until', until: 20 })
 * assert.deepStrictEqual(nextUntil({ events: at(20, 20, 20), limit: 3 }), { _tag: 'Widen', createdAt: 20 })
 *
 * @category utils
 * @since 0.1.0
 */
export const nextUntil = (page: { readonly events: ReadonlyArray<unknown>; readonly limit: number }): UntilStep =>
  orElse((): UntilStep => untilOf(page), () => ({ _tag: 'Done' }))

const untilOf = (page: { readonly events: ReadonlyArray<unknown>; readonly limit: number }): UntilStep => {
  const p = asRecord(page)
  const times: Array<number> = []
  for (const e of asArray(p?.['events'])) {
    const t = asRecord(e)?.['created_at']
    if (typeof t === 'number' && Number.isSafeInteger(t) && t >= 0) times.push(t)
  }
  const limit = p?.['limit']
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || times.length === 0) return { _tag: 'Done' }
  times.sort((a, b) => b - a)
  const full = times.length >= limit
  const oldest = times[(full ? limit : times.length) - 1] as number
  if ((times[0] as number) > oldest) return { _tag: 'Until', until: oldest }
  return full ? { _tag: 'Widen', createdAt: oldest } : { _tag: 'Until', until: oldest - 1 }
}

/**
 * The state of paging one history filter.
 *
 * @example
 * import { startPaging } from 'nip34-sync'
 *
 * const cursor = startPaging({ kinds: [1617], since: 100 })
 * assert.deepStrictEqual([cursor.until, cursor.limit, cursor.done], [undefined, 500, false])
 *
 * @category model
 * @since 0.1.0
 */
export interface PageCursor {
  /** The filter paged, without `until` and `limit` (its `since` is the lower bound). */
  readonly filter: NostrFilter
  /** The upper bound of the next page (`undefined`: now). */
  readonly until: number | undefined
  /** The page size. */
  readonly limit: number
  /** The relay's largest `limit` (widening stops there). */
  readonly maxLimit: number
  /** While reading every event of one second: that second and the widened limit. */
  readonly widening: { readonly at: number; readonly limit: number } | undefined
  /**
   * Seconds whose events filled a page of `maxLimit`: the relay may hold more of them than it
   * will return, so some may be missing.
   */
  readonly incomplete: ReadonlyArray<number>
  readonly done: boolean
}

/**
 * Starts paging a history filter: its `since` is kept as the lower bound, its `until` (if any) is
 * the first upper bound, its `limit` the page size (missing or 0: `maxLimit`; never above
 * `maxLimit`). Total: a `since` that is not a finite number is left out; a filter that is not an
 * object gives a finished cursor (`done`, filter `{}`: nothing is asked for).
 *
 * @example
 * import { pageFilter, startPaging } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * const cursor = startPaging({ '#a': ['x'], since: 100, limit: 0 }, { maxLimit: 50 })
 * assert.deepStrictEqual(pageFilter(cursor), O.some({ '#a': ['x'], since: 100, limit: 50 }))
 *
 * @category constructors
 * @since 0.1.0
 */
export const startPaging = (filter: NostrFilter, limits?: Partial<RelayLimits>): PageCursor => {
  const maxLimit = relayLimits(limits).limits.maxLimit
  return orElse(
    () => cursorOf(filter, maxLimit),
    () => ({ filter: {}, until: undefined, limit: maxLimit, maxLimit, widening: undefined, incomplete: [], done: true })
  )
}

const cursorOf = (filter: NostrFilter, maxLimit: number): PageCursor => {
  const f = asRecord(filter)
  if (f === undefined) return { filter: {}, until: undefined, limit: maxLimit, maxLimit, widening: undefined, incomplete: [], done: true }
  const asked = f['limit']
  const limit = typeof asked === 'number' && Number.isSafeInteger(asked) && asked > 0 ? Math.min(asked, maxLimit) : maxLimit
  const until = validTime(f['until'])
  const since = isNumber(f['since']) ? f['since'] : undefined
  return {
    filter: historyVariant(filter, since, undefined, undefined),
    until,
    limit,
    maxLimit,
    widening: undefined,
    incomplete: [],
    done: until !== undefined && since !== undefined && until < since
  }
}

/**
 * A value given as a cursor: itself when it has the shape {@link startPaging} and {@link nextPage}
 * give (a filter object whose `since` is absent or a number; numbers for `until`, `limit`,
 * `maxLimit` and the widening; a boolean `done`; an array `incomplete`), `undefined` otherwise.
 */
const asCursor = (u: unknown): PageCursor | undefined => orElse(() => readCursor(u), () => undefined)

const readCursor = (u: unknown): PageCursor | undefined => {
  const c = asRecord(u)
  if (c === undefined) return undefined
  const f = asRecord(c['filter'])
  const until = c['until']
  const w = c['widening']
  const widening = asRecord(w)
  return f !== undefined &&
    (f['since'] === undefined || isNumber(f['since'])) &&
    (until === undefined || isNumber(until)) &&
    isNumber(c['limit']) &&
    isNumber(c['maxLimit']) &&
    typeof c['done'] === 'boolean' &&
    Array.isArray(c['incomplete']) &&
    (w === undefined || (widening !== undefined && isNumber(widening['at']) && isNumber(widening['limit'])))
    ? (u as PageCursor)
    : undefined
}

/**
 * The filter of the next page, or `None` when paging is done (or the value is not a cursor).
 *
 * @example
 * import { nextPage, pageFilter, startPaging } from 'nip34-sync'
 * import { function as F, option as O } from 'fp-ts'
 *
 * const cursor = F.pipe(startPaging({ kinds: [1617], limit: 2 }), nextPage([]))
 * assert.deepStrictEqual(pageFilter(cursor), O.none)
 *
 * @category destructors
 * @since 0.1.0
 */
export const pageFilter = (u: PageCursor): O.Option<NostrFilter> => {
  const cursor = asCursor(u)
  if (cursor === undefined || cursor.done) return O.none
  if (cursor.widening !== undefined)
    return O.some(historyVariant(cursor.filter, cursor.widening.at, cursor.widening.at, cursor.widening.limit))
  return O.some(historyVariant(cursor.filter, cursor.filter.since, cursor.until, cursor.limit))
}

const below = (cursor: PageCursor, at: number): PageCursor => {
  const until = at - 1
  const floor = cursor.filter.since ?? 0
  return { ...cursor, until, widening: undefined, done: until < floor || until < 0 }
}

/**
 * Advances paging with the events a relay returned for the last page (all events of the `REQ`
 * may be given: only those matching the page's filter count). Paging ends on an empty page only
 * (a short page may come from a relay that caps `limit` silently). The rule cannot loop: every
 * step either ends, strictly lowers `until` (a non-empty page has its newest event at or below
 * `until`, and moves `until` to its oldest, or below a single second), or doubles the `limit` of
 * a one-second page up to `maxLimit`; a second that still fills a page of `maxLimit` is recorded
 * in `incomplete` and `until` moves below it.
 * Total: `events` that is not an array is an empty page, values in it that are not events are
 * ignored, and a value that is not a cursor is returned as it is.
 *
 * @example
 * import { nextPage, pageFilter, startPaging } from 'nip34-sync'
 * import { function as F, option as O } from 'fp-ts'
 *
 * const ev = (created_at: number) => ({ id: String(created_at), pubkey: 'p', kind: 1617, created_at, tags: [] })
 * const cursor = F.pipe(startPaging({ kinds: [1617], limit: 2 }, { maxLimit: 4 }), nextPage([ev(20), ev(20)]))
 * assert.deepStrictEqual(pageFilter(cursor), O.some({ kinds: [1617], since: 20, until: 20, limit: 4 }))
 *
 * @category reducers
 * @since 0.1.0
 */
export const nextPage =
  (events: ReadonlyArray<unknown>) =>
  (u: PageCursor): PageCursor =>
    orElse(() => advance(events, u), () => u)

const advance = (events: ReadonlyArray<unknown>, u: PageCursor): PageCursor => {
    const cursor = asCursor(u)
    if (cursor === undefined) return u
    const current = pageFilter(cursor)
    if (O.isNone(current)) return cursor
    const page: Array<{ created_at: number }> = []
    for (const u of Array.isArray(events) ? events : []) {
      const e = asEvent(u)
      if (e !== undefined && matches(current.value, e)) page.push(e)
    }
    const w = cursor.widening
    if (w !== undefined) {
      if (page.length < w.limit) return below(cursor, w.at)
      if (w.limit >= cursor.maxLimit) return below({ ...cursor, incomplete: [...cursor.incomplete, w.at] }, w.at)
      return { ...cursor, widening: { at: w.at, limit: Math.min(w.limit * 2, cursor.maxLimit) } }
    }
    const step = nextUntil({ events: page, limit: cursor.limit })
    switch (step._tag) {
      case 'Done':
        return { ...cursor, done: true }
      case 'Until':
        return { ...cursor, until: step.until, done: step.until < (cursor.filter.since ?? 0) || step.until < 0 }
      case 'Widen':
        return cursor.limit >= cursor.maxLimit
          ? below({ ...cursor, incomplete: [...cursor.incomplete, step.createdAt] }, step.createdAt)
          : { ...cursor, widening: { at: step.createdAt, limit: Math.min(cursor.limit * 2, cursor.maxLimit) } }
    }
  }
