/**
 * The engine behind `RelayIndex`: a persistent map from relay to target, each target a set of
 * repositories and, per repository, a set of root event ids. Empty root sets are never stored, so
 * structural equality is semantic equality.
 *
 * @internal
 */
import { emptyHexSet } from '../util/hexTrie.js'
import { emptyStrMap, type StrMap } from '../util/strMap.js'
import type { IdSet } from '../repo/store.js'
import { either as E } from 'fp-ts'
import { relayUrl, type RelayUrl } from '../model/RelayUrl.js'
import { repoRef, type RepoRef } from '../model/RepoRef.js'

/**
 * Root ids kept for a repository that is not in the target's repository set (only reachable
 * through outside input: an `AddFilters` naming ids of a repository it does not add, or a
 * `RemoveFilters` removing a repository but not its ids).
 */
export class Orphan {
  constructor(readonly ids: IdSet) {}
  equals(other: unknown): boolean {
    return other instanceof Orphan && this.ids.equals(other.ids)
  }
  hashCode(): number {
    return this.ids.hashCode() ^ 0x5bd1e995
  }
}

/** Per repository: its root ids when it is in the target (possibly the empty set), or an orphan. */
export type Entry = IdSet | Orphan

const idsOfEntry = (e: Entry | undefined): IdSet | undefined => (e === undefined ? undefined : e instanceof Orphan ? e.ids : e)

/**
 * One relay's target: one persistent map from repository to its entry, so a (relay, repository)
 * pair costs one map entry. The repository set R is the keys whose entry is an id set; the
 * (repository, id) pairs P are every entry's ids. Empty root sets are stored only as the shared
 * empty set of a member, so structural equality is semantic equality.
 */
export class Target {
  constructor(
    readonly entries: StrMap<Entry>,
    /** How many entries are orphans (0 in every derived target). */
    readonly orphans: number
  ) {}

  /** Whether `repo` is in the repository set. */
  hasRepo(repo: RepoRef): boolean {
    const e = this.entries.get(repo)
    return e !== undefined && !(e instanceof Orphan)
  }

  /** The root ids of `repo` when there is at least one, else `undefined`. */
  rootsOf(repo: RepoRef): IdSet | undefined {
    const ids = idsOfEntry(this.entries.get(repo))
    return ids === undefined || ids.size === 0 ? undefined : ids
  }

  /** The number of repositories in the repository set. */
  get repoCount(): number {
    return this.entries.size - this.orphans
  }

  /** Repositories of the repository set (unordered). */
  repoList(): Array<RepoRef> {
    const out: Array<RepoRef> = []
    this.entries.forEach((e, repo) => {
      if (!(e instanceof Orphan)) out.push(repo as RepoRef)
    })
    return out
  }

  /** Every (repository, non-empty id set) pair (unordered). */
  rootPairs(): Array<[RepoRef, IdSet]> {
    const out: Array<[RepoRef, IdSet]> = []
    this.entries.forEach((e, repo) => {
      const ids = idsOfEntry(e) as IdSet
      if (ids.size > 0) out.push([repo as RepoRef, ids])
    })
    return out
  }

  /** Read-only view of the repository set (`toArray`, `has`, `size`). */
  get repos(): { toArray(): Array<RepoRef>; has(repo: RepoRef): boolean; readonly size: number } {
    return { toArray: () => this.repoList(), has: (r) => this.hasRepo(r), size: this.repoCount }
  }

  /** Read-only view of the non-empty root sets (`get`, `has`, `keySeq().toArray()`; kept for 0.2 readers). */
  get roots(): { get(repo: RepoRef): IdSet | undefined; has(repo: RepoRef): boolean; keySeq(): { toArray(): Array<RepoRef> } } {
    return {
      get: (r) => this.rootsOf(r),
      has: (r) => this.rootsOf(r) !== undefined,
      keySeq: () => ({ toArray: () => this.rootPairs().map(([r]) => r) })
    }
  }

  equals(other: unknown): boolean {
    return other instanceof Target && targetEquals(this, other)
  }

  hashCode(): number {
    return this.entries.hashCode()
  }
}

const entryEquals = (a: Entry, b: Entry | undefined): boolean =>
  a === b ||
  (b !== undefined &&
    (a instanceof Orphan ? b instanceof Orphan && a.ids.equals(b.ids) : !(b instanceof Orphan) && a.equals(b)))

/** Same repository set and same (repository, id) pairs, orphans included (structural: targets are canonical). */
export const targetEquals = (a: Target, b: Target): boolean => {
  if (a === b) return true
  if (a.orphans !== b.orphans || a.entries.size !== b.entries.size) return false
  if (a.entries === b.entries) return true
  for (const [repo, e] of a.entries) if (!entryEquals(e, b.entries.get(repo))) return false
  return true
}

/** Same relays, each with an equal target. */
export const relaysEqual = (a: StrMap<Target, RelayUrl>, b: StrMap<Target, RelayUrl>): boolean => {
  if (a === b) return true
  if (a.size !== b.size) return false
  for (const [relay, t] of a) {
    const u = b.get(relay)
    if (u === undefined || !targetEquals(t, u)) return false
  }
  return true
}

export const emptyTarget: Target = new Target(emptyStrMap(), 0)

/** A target of members only (every derived target). */
export const memberTarget = (entries: StrMap<IdSet>): Target => (entries.size === 0 ? emptyTarget : new Target(entries, 0))

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
  readonly relays: StrMap<Target, RelayUrl>
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

export const make = (relays: StrMap<Target, RelayUrl>, delta?: IndexDelta): RelayIndexData => {
  const d: RelayIndexData = Object.freeze({ _tag: 'RelayIndex', relays })
  made.add(d)
  if (delta !== undefined) deltas.set(d, delta)
  return d
}

export const empty: RelayIndexData = make(emptyStrMap())

/** Whether a value is a relay index this library made. */
export const isRelayIndexData = (u: unknown): u is RelayIndexData => typeof u === 'object' && u !== null && made.has(u)

/** Reads an index value defensively: anything that is not an index this library made reads as the empty one. */
export const dataOf = (u: unknown): RelayIndexData => (isRelayIndexData(u) ? u : empty)

export const equals = (a: RelayIndexData, b: RelayIndexData): boolean => a === b || relaysEqual(a.relays, b.relays)

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
  let orphans = t.orphans
  const m = t.entries.edit()
  for (const repo of repos) {
    const e = m.get(repo)
    if (e === undefined) m.set(repo, emptyHexSet)
    else if (e instanceof Orphan) {
      m.set(repo, e.ids)
      orphans--
    }
  }
  for (const [repo, ids] of roots) {
    const e = m.get(repo)
    const current = idsOfEntry(e) ?? emptyHexSet
    const merged = current.union(ids)
    if (merged === current) continue
    if (e === undefined) {
      if (merged.size === 0) continue
      m.set(repo, new Orphan(merged))
      orphans++
    } else m.set(repo, e instanceof Orphan ? new Orphan(merged) : merged)
  }
  const entries = m.done()
  return entries === t.entries ? t : new Target(entries, orphans)
}

/** Removes repositories and (repo, root) pairs from a target, dropping empty root sets. */
export const removeFrom = (
  t: Target,
  repos: Iterable<RepoRef>,
  roots: Iterable<readonly [RepoRef, Iterable<string>]>
): Target => {
  let orphans = t.orphans
  const m = t.entries.edit()
  for (const [repo, ids] of roots) {
    const e = m.get(repo)
    if (e === undefined) continue
    let left = idsOfEntry(e) as IdSet
    for (const id of ids) left = left.remove(id)
    if (e instanceof Orphan) {
      if (left.size === 0) {
        m.delete(repo)
        orphans--
      } else if (left !== e.ids) m.set(repo, new Orphan(left))
    } else if (left !== e) m.set(repo, left.size === 0 ? emptyHexSet : left)
  }
  for (const repo of repos) {
    const e = m.get(repo)
    if (e === undefined || e instanceof Orphan) continue
    if (e.size === 0) m.delete(repo)
    else {
      m.set(repo, new Orphan(e))
      orphans++
    }
  }
  const entries = m.done()
  return entries === t.entries ? t : new Target(entries, orphans)
}
