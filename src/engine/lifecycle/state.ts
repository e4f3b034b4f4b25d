/**
 * `SyncState` as a value: applied targets, work in flight, subscriptions that may be open, attempt
 * counters and last confirmations; its brand, its readers and `pendingDiff` (internal; public
 * through `engine/Lifecycle.ts`).
 */
import { Map as IMap, Set as ISet } from 'immutable'
import type { FilterTarget } from '../../wire/Filters.js'
import { diff, type RelayAction } from '../../relays/RelayAction.js'
import { emptyRelayIndex } from '../../relays/RelayIndex.js'
import { UNKNOWN } from '../../wire/batches.js'
import { sha256Hex } from '../../util/hash.js'
import { ID_PREFIX } from '../../wire/layout.js'
import { asRecord, orElse } from '../../wire/match.js'
import { compareStrings } from '../../util/sorted.js'
import { type SyncTargets, asTargets, syncTargets } from './targets.js'

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


export interface InFlightData {
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
export const GONE = '!'

/** A subscription id that may be open on a relay. */
export interface OpenSub {
  /** The digest of its filters; {@link UNKNOWN}: a failed attempt the relay may hold; {@link GONE}: closed by the relay. */
  readonly digest: string
  /** The plan id of its slot (the id the slot has in attempt 0). */
  readonly slot: string
}

/** An open subscription whose `EOSE` came and that the relay has not closed: it may be replaced under its own id. */
export const answered = (e: OpenSub): boolean => e.digest !== UNKNOWN && e.digest !== GONE

export interface StateData {
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

export const wrap = (d: StateData): SyncState => {
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
export const data = (s: SyncState): StateData =>
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

/**
 * The id of attempt `n` of a subscription whose plan id is `slot` (`k` > 0 only to step past an id
 * already taken): the plan id itself in attempt 0, otherwise the plan id's prefix (`n34` and the
 * namespace letter: live and history ids never meet) and hex of SHA-256 of the slot, the attempt
 * and `k`, as long as the plan id (so within the relay's `max_subid_length`).
 */
export const attemptId = (slot: string, n: number, k: number): string => {
  if (n === 0 && k === 0) return slot
  const head = slot.slice(0, ID_PREFIX.length + 1)
  return `${head}${sha256Hex(`nip34-sync/lifecycle ${slot} ${n} ${k}`).slice(0, Math.max(1, slot.length - head.length))}`
}

/** The attempt counter of a relay (0 until its first failure). */
export const attemptOf = (d: StateData, relay: string): number => d.attempts.get(relay) ?? 0

/** The attempt counter of a relay bumped: every id its next round derives is new. */
export const bumped = (d: StateData, relay: string): IMap<string, number> => d.attempts.set(relay, attemptOf(d, relay) + 1)
