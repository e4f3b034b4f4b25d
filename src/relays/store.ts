/**
 * The engine behind `RelayIndex`: a persistent map from relay to target, each target a set of
 * repositories and, per repository, a set of root event ids. Empty root sets are never stored, so
 * structural equality is semantic equality.
 *
 * @internal
 */
import { Map as IMap, Record, Set as ISet, is } from 'immutable'
import { emptyHexSet } from '../util/hexTrie.js'
import type { IdSet } from '../repo/store.js'
import { either as E } from 'fp-ts'
import { relayUrl, type RelayUrl } from '../model/RelayUrl.js'
import { repoRef, type RepoRef } from '../model/RepoRef.js'

export interface TargetProps {
  readonly repos: ISet<RepoRef>
  readonly roots: IMap<RepoRef, IdSet>
}

export const Target = Record<TargetProps>({ repos: ISet(), roots: IMap() }, 'Target')
export type Target = ReturnType<typeof Target>

export const emptyTarget: Target = Target()

/**
 * How a target was made from an earlier one (by an incremental derivation): the repositories
 * added and removed, and the repositories whose root set may have changed. Lets `diff` answer in
 * the size of the change when the applied target is `from`.
 */
export interface TargetDelta {
  readonly from: Target
  readonly repos: ReadonlySet<RepoRef>
}

/** Deltas of targets made by incremental derivations (weak: a cache, never semantics). */
export const targetDeltas = new WeakMap<Target, TargetDelta>()

/** Which relays an index changed relative to an earlier index (incremental derivations only). */
export interface IndexDelta {
  readonly from: RelayIndexData
  readonly relays: ReadonlyArray<RelayUrl>
}

export interface RelayIndexData {
  readonly _tag: 'RelayIndex'
  readonly relays: IMap<RelayUrl, Target>
}

/** Every relay index this library made: the unforgeable brand, checked in O(1). */
const made = new WeakSet<object>()

/** Cache hints: the relays whose targets differ from `from`'s (never semantics). */
const deltas = new WeakMap<RelayIndexData, IndexDelta>()

/** What an incremental derivation recorded about how an index was made, if it still remembers. */
export const deltaOf = (d: RelayIndexData): IndexDelta | undefined => deltas.get(d)

/** Forgets how an index was made (one level of history is kept: see derive.ts). */
export const forgetDelta = (d: RelayIndexData): void => {
  deltas.delete(d)
}

export const make = (relays: IMap<RelayUrl, Target>, delta?: IndexDelta): RelayIndexData => {
  const d: RelayIndexData = Object.freeze({ _tag: 'RelayIndex', relays })
  made.add(d)
  if (delta !== undefined) deltas.set(d, delta)
  return d
}

export const empty: RelayIndexData = make(IMap())

/** Whether a value is a relay index this library made. */
export const isRelayIndexData = (u: unknown): u is RelayIndexData => typeof u === 'object' && u !== null && made.has(u)

/** Reads an index value defensively: anything that is not an index this library made reads as the empty one. */
export const dataOf = (u: unknown): RelayIndexData => (isRelayIndexData(u) ? u : empty)

export const equals = (a: RelayIndexData, b: RelayIndexData): boolean => a === b || is(a.relays, b.relays)

const isRepoRef = (x: unknown): x is RepoRef => typeof x === 'string' && E.isRight(repoRef(x))
const isEventId = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x)

/** The canonical form of a relay string, or `undefined` when it is not a relay URL. */
export const relayOf = (u: unknown): RelayUrl | undefined => {
  if (typeof u !== 'string') return undefined
  const r = relayUrl(u)
  return E.isRight(r) ? r.right : undefined
}

/** The valid repository addresses of an array (anything else is left out). */
export const reposOf = (u: unknown): Array<RepoRef> => (Array.isArray(u) ? u.filter(isRepoRef) : [])

/** The valid (repo, ids) pairs of a `rootEvents` object (anything else is left out). */
export const pairsOf = (u: unknown): Array<[RepoRef, Array<string>]> =>
  typeof u === 'object' && u !== null && !Array.isArray(u)
    ? Object.keys(u)
        .filter(isRepoRef)
        .map((k): [RepoRef, Array<string>] => {
          const ids = (u as { readonly [k: string]: unknown })[k]
          return [k, Array.isArray(ids) ? ids.filter(isEventId) : []]
        })
    : []

/** Adds repositories and (repo, root) pairs to a target. */
export const addTo = (
  t: Target,
  repos: Iterable<RepoRef>,
  roots: Iterable<readonly [RepoRef, Iterable<string>]>
): Target => {
  let next = t.set('repos', t.repos.union(repos))
  let r = next.roots
  for (const [repo, ids] of roots) {
    const merged = (r.get(repo) ?? emptyHexSet).union(ids)
    if (merged.size > 0) r = r.set(repo, merged)
  }
  next = next.set('roots', r)
  return next
}

/** Removes repositories and (repo, root) pairs from a target, dropping empty root sets. */
export const removeFrom = (
  t: Target,
  repos: Iterable<RepoRef>,
  roots: Iterable<readonly [RepoRef, Iterable<string>]>
): Target => {
  let r = t.roots
  for (const [repo, ids] of roots) {
    const current = r.get(repo)
    if (current === undefined) continue
    let left = current
    for (const id of ids) left = left.remove(id)
    r = left.size === 0 ? r.delete(repo) : r.set(repo, left)
  }
  return t.set('repos', t.repos.subtract(repos)).set('roots', r)
}
