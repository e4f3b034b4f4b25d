/**
 * The desired and applied targets of a sync (`SyncTargets`): the full index and the state-only
 * (GRASP-01 purgatory) index, read defensively (internal; public through `engine/Lifecycle.ts`).
 */
import { eq as Eq, option as O } from 'fp-ts'
import type { FilterTarget } from '../../wire/Filters.js'
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
} from '../../relays/RelayIndex.js'
import { asRecord, isString, orElse } from '../../wire/match.js'

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
export const asTargets = (u: unknown): SyncTargets => orElse(() => readTargets(u), () => ({ full: emptyRelayIndex, stateOnly: emptyRelayIndex }))

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

/** Whether a relay is in the full or the state-only targets. */
export const isPresent = (targets: SyncTargets, relay: string): boolean =>
  O.isSome(relayTarget(relay)(targets.full)) || O.isSome(relayTarget(relay)(targets.stateOnly))
