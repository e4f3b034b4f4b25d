/**
 * The engine behind `RelayIndex`: a persistent map from relay to target, each target a set of
 * repositories and, per repository, a set of root event ids. Empty root sets are never stored, so
 * structural equality is semantic equality.
 *
 * @internal
 */
import { Map as IMap, Record, Set as ISet, is } from 'immutable'
import type { RelayUrl } from '../RelayUrl.js'
import type { RepoRef } from '../RepoRef.js'

export interface TargetProps {
  readonly repos: ISet<RepoRef>
  readonly roots: IMap<RepoRef, ISet<string>>
}

export const Target = Record<TargetProps>({ repos: ISet(), roots: IMap() }, 'Target')
export type Target = ReturnType<typeof Target>

export const emptyTarget: Target = Target()

export interface RelayIndexData {
  readonly _tag: 'RelayIndex'
  readonly relays: IMap<RelayUrl, Target>
}

export const empty: RelayIndexData = { _tag: 'RelayIndex', relays: IMap() }

/** Reads an index value defensively: anything that is not an index reads as the empty one. */
export const dataOf = (u: unknown): RelayIndexData =>
  typeof u === 'object' && u !== null && (u as { _tag?: unknown })._tag === 'RelayIndex' && IMap.isMap((u as { relays?: unknown }).relays)
    ? (u as RelayIndexData)
    : empty

export const make = (relays: IMap<RelayUrl, Target>): RelayIndexData => ({ _tag: 'RelayIndex', relays })

export const equals = (a: RelayIndexData, b: RelayIndexData): boolean => a === b || is(a.relays, b.relays)

/** The strings of an array (anything else reads as empty). */
export const stringsOf = <A extends string>(u: unknown): Array<A> => (Array.isArray(u) ? (u.filter((x) => typeof x === 'string') as Array<A>) : [])

/** The (repo, ids) pairs of a `rootEvents` object (anything else reads as empty). */
export const pairsOf = (u: unknown): Array<[RepoRef, Array<string>]> =>
  typeof u === 'object' && u !== null && !Array.isArray(u)
    ? Object.keys(u).map((k): [RepoRef, Array<string>] => [k as RepoRef, stringsOf((u as { readonly [k: string]: unknown })[k])])
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
    const merged = (r.get(repo) ?? ISet<string>()).union(ids)
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
    const left = current.subtract(ids)
    r = left.size === 0 ? r.delete(repo) : r.set(repo, left)
  }
  return t.set('repos', t.repos.subtract(repos)).set('roots', r)
}
