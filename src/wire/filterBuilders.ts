/**
 * The filter builders behind `Filters.ts` (kept here so that the layout engine and the public
 * module can share them without an import cycle).
 *
 * @internal
 */
import type { NostrFilter } from './types.js'
import { repoRefParts, type RepoRef } from '../model/RepoRef.js'
import { asRecord, isNumber } from './match.js'
import { compareStrings, sortedUnique } from '../util/sorted.js'

export const ANNOUNCEMENT_KIND = 30617
export const STATE_KIND = 30618
export const GRASP_LIST_KIND = 10317

/** Consecutive slices of at most `size` elements (`size` below 1, or `NaN`, counts as 1). */
export const chunk = <A>(xs: ReadonlyArray<A>, size: number): Array<Array<A>> => {
  const n = size >= 1 ? Math.floor(size) : 1
  const out: Array<Array<A>> = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

export const discovery = (): NostrFilter => ({ kinds: [ANNOUNCEMENT_KIND, GRASP_LIST_KIND] })

/**
 * State filters for a set of repositories: per pubkey the list of its identifiers; pubkeys with
 * identical lists share one filter; lists longer than `maxValues` are cut in sorted chunks (every
 * pair of an authors chunk and an identifier chunk is a filter). A filter never covers a
 * (pubkey, d) pair that is not in `refs`.
 */
export const state = (refs: Iterable<RepoRef>, maxValues: number): Array<NostrFilter> => {
  const byPubkey = new Map<string, Set<string>>()
  for (const ref of refs) {
    const { pubkey, identifier } = repoRefParts(ref)
    let ds = byPubkey.get(pubkey)
    if (ds === undefined) byPubkey.set(pubkey, (ds = new Set()))
    ds.add(identifier)
  }
  const groups = new Map<string, { readonly ds: Array<string>; readonly pks: Array<string> }>()
  for (const pk of [...byPubkey.keys()].sort(compareStrings)) {
    const ds = sortedUnique(byPubkey.get(pk) ?? [])
    const key = JSON.stringify(ds)
    const g = groups.get(key)
    if (g === undefined) groups.set(key, { ds, pks: [pk] })
    else g.pks.push(pk)
  }
  const out: Array<NostrFilter> = []
  for (const { ds, pks } of groups.values())
    for (const authors of chunk(pks, maxValues))
      for (const d of chunk(ds, maxValues)) out.push({ kinds: [STATE_KIND], authors, '#d': d })
  return out
}

/**
 * Coarse state filters: `{kinds:[30618], authors:[...]}` over the distinct owners of `refs`, sorted
 * and cut in chunks of `maxValues`, with no `#d` condition. They match the state event of every
 * (pubkey, d) pair of those owners, tracked or not: the over-fetch of the coarse strategy.
 */
export const ownerState = (refs: Iterable<RepoRef>, maxValues: number): Array<NostrFilter> => {
  const owners = new Set<string>()
  for (const ref of refs) owners.add(repoRefParts(ref).pubkey)
  return chunk(sortedUnique(owners), maxValues).map((authors) => ({ kinds: [STATE_KIND], authors }))
}

/** `{ "#<tag>": values }` filters, values sorted, unique, in chunks of at most `maxValues`. */
export const tagged = (tag: string, values: Iterable<string>, maxValues: number): Array<NostrFilter> =>
  chunk(sortedUnique(values), maxValues).map((vs) => ({ [`#${tag}`]: vs }) as NostrFilter)

/**
 * The filters for a set of repositories synced in full, state-only repositories and root ids;
 * `coarse`: the state layer by owners ({@link ownerState}) instead of one filter per owner.
 */
export const render = (
  full: ReadonlyArray<RepoRef>,
  stateOnly: ReadonlyArray<RepoRef>,
  roots: ReadonlyArray<string>,
  maxValues: number,
  coarse = false
): Array<NostrFilter> => [
  ...(coarse ? ownerState : state)([...full, ...stateOnly], maxValues),
  ...tagged('a', full, maxValues),
  ...tagged('A', full, maxValues),
  ...tagged('q', [...full, ...roots], maxValues),
  ...tagged('e', roots, maxValues),
  ...tagged('E', roots, maxValues)
]

/** The filter without `since`, `until` and `limit`; a value that is not an object reads as `{}`. */
const base = (f: unknown): Record<string, unknown> => {
  const r = asRecord(f)
  if (r === undefined) return {}
  const { since: _s, until: _u, limit: _l, ...rest } = r
  return rest
}

/** The live variant: no `since`/`until`, `limit: 0` (new events only). */
export const live = (f: NostrFilter): NostrFilter => ({ ...base(f), limit: 0 }) as NostrFilter

/**
 * The history variant: `since` (left out when not a number above 0), `until` and `limit` as given
 * (each left out when not a finite number).
 */
export const history = (f: NostrFilter, since: unknown, until: unknown, limit: unknown): NostrFilter =>
  ({
    ...base(f),
    ...(isNumber(since) && since > 0 ? { since } : {}),
    ...(isNumber(until) ? { until } : {}),
    ...(isNumber(limit) ? { limit } : {})
  }) as NostrFilter
