/**
 * The engine behind `RepoIndex`: persistent hash tries (`util/strMap.ts`, `util/hexTrie.ts`) so that a batch costs what
 * the batch touches, whatever the size of the index, and old versions stay cheap to keep.
 *
 * Every field is a join-semilattice, so applying events in any order, in any split, any number of
 * times gives the same value.
 *
 * - `addrs`: per address, either the live announcement (the greatest version seen under the
 *   NIP-01 addressable order) or a deletion tombstone: the greatest position in that order that a
 *   NIP-09 deletion by the address's author covers. A version at or below the tombstone is
 *   deleted; since versions only matter through the greatest one, keeping one of the two is
 *   enough, and a tombstone below the live version is dropped (it can never matter again).
 * - `rootEvents`: every root event not deleted by its author, with the repositories it names,
 *   keyed by id and then by author (two authors can only share an id with unverified input, and
 *   must not make the result depend on arrival order); `roots` is its reverse index
 *   (repository → ids).
 * - `deletions`: (event id → pubkeys that asked to delete it) pairs, so a deletion that arrives
 *   before its target still wins; `deletedBy` is its reverse index (pubkey → ids). Bounded per
 *   author (`ledger.ts`): each pubkey is remembered for at most `perAuthor` ids, the smallest.
 *   Per id, the one pubkey (the usual case) is kept as the string itself, several as a set.
 * - `liveIds`: the id of each live announcement → its address, to find what an `e`
 *   deletion names.
 *
 * @internal
 */
import type { Announcement, Deletion, Nip34Event, RootEvent } from '../decode/Nip34Event.js'
import type { RepoRef } from '../model/RepoRef.js'
import { Editor, emptyHexSet, empty as emptyTrie, hexSet, type HexTrie } from '../util/hexTrie.js'
import { intern } from '../util/intern.js'
import { RunEditor } from '../util/runTable.js'
import { insertSorted } from '../util/sorted.js'
import { emptyLiveIds, linkLive, refsUnder, SAME_ID_MAX, unlinkLive, type LiveIds, type SameIdDropped } from './liveIds.js'
import { emptyStrMap, strMap, type StrMap, type StrMapEditor } from '../util/strMap.js'
import {
  compareAnnouncements,
  comparePositions,
  compareRoots,
  emptyRootTable,
  factsList,
  pack,
  positionOf,
  rootEqual,
  rootFactsOf,
  stateEqual,
  toFacts,
  toRootFacts,
  type AddrState,
  type AnnouncementFacts,
  type Position,
  type RootFacts,
  type RootTable
} from './facts.js'
import {
  addDeleter,
  authorsOf,
  DELETIONS_PER_AUTHOR,
  LedgerEditor,
  ledgerEquals,
  type Deleters,
  type DeletionLedger,
  type DeletionsByAuthor
} from './ledger.js'

export { SAME_ID_MAX, type LiveIds, type SameIdDropped } from './liveIds.js'
export {
  compareAnnouncements,
  comparePositions,
  factsEqual,
  rootFactsOf,
  type AddrState,
  type AnnouncementFacts,
  type Position,
  type RootFacts,
  type RootTable
} from './facts.js'
export { addDeleter, deletersOf, isDeleter, DELETIONS_PER_AUTHOR, type Deleters, type DeletionLedger, type DeletionsByAuthor } from './ledger.js'

/** A set of event ids (compact, persistent). */
export type IdSet = HexTrie<undefined>


/**
 * What changed since an ancestor version: the addresses whose live announcement changed
 * (appeared, was replaced or deleted) and the repositories whose root-event set changed. A
 * derivation made for `since` plus these changes gives the derivation of this version, so
 * `deriveTargets` costs what the batches touched. A cache hint only: equality, snapshots and every
 * reader ignore it, and without it a derivation is a full recompute with the same result.
 */
export interface Changes {
  readonly since: RepoIndexData
  readonly refs: ReadonlySet<RepoRef>
  readonly rootRepos: ReadonlySet<RepoRef>
}

/**
 * How the changes are kept between derivations: one link per batch (its own sets) back to the
 * version derived last, so a batch adds what it touched and nothing is copied until a derivation
 * reads them. Past about the size of the index the chain is cut (`TOO_MANY`): a derivation then
 * walks everything anyway.
 */
interface ChangeLink {
  readonly since: RepoIndexData
  readonly refs: ReadonlySet<RepoRef>
  readonly rootRepos: ReadonlySet<RepoRef>
  readonly prev: ChangeLink | undefined
  /** Entries in this link and every earlier one (duplicates counted). */
  readonly count: number
}

const TOO_MANY = 'too many' as const

export interface RepoIndexData {
  readonly _tag: 'RepoIndex'
  readonly addrs: StrMap<AddrState, RepoRef>
  /** id → the root events with that id, one per author, sorted by author (almost always one). */
  readonly rootEvents: RootTable
  readonly roots: StrMap<IdSet, RepoRef>
  readonly deletions: DeletionLedger
  /** The ledger's reverse index: pubkey → the ids it asked to delete (for the per-author bound). */
  readonly deletedBy: DeletionsByAuthor
  /** Announcement id → the address(es) whose live announcement has that id (almost always one). */
  readonly liveIds: LiveIds
}

/** What each version changed since an ancestor (see {@link Changes}); forgotten once it is derived. */
const changesTable = new WeakMap<RepoIndexData, ChangeLink | typeof TOO_MANY>()

/** What a version changed since an ancestor, while it remembers. */
export const changesOf = (d: RepoIndexData): Changes | undefined => {
  const link = changesTable.get(d)
  if (link === undefined || link === TOO_MANY) return undefined
  if (link.prev === undefined) return link
  const refs = new Set<RepoRef>()
  const rootRepos = new Set<RepoRef>()
  for (let l: ChangeLink | undefined = link; l !== undefined; l = l.prev) {
    for (const r of l.refs) refs.add(r)
    for (const r of l.rootRepos) rootRepos.add(r)
  }
  return { since: link.since, refs, rootRepos }
}

/** Every index value this module made: the unforgeable brand, checked in O(1). */
const made = new WeakSet<object>()

const make = (
  addrs: StrMap<AddrState, RepoRef>,
  rootEvents: RootTable,
  roots: StrMap<IdSet, RepoRef>,
  deletions: DeletionLedger,
  deletedBy: DeletionsByAuthor,
  liveIds: LiveIds,
  changes: ChangeLink | typeof TOO_MANY | undefined
): RepoIndexData => {
  const d: RepoIndexData = Object.freeze({ _tag: 'RepoIndex', addrs, rootEvents, roots, deletions, deletedBy, liveIds })
  made.add(d)
  if (changes !== undefined) changesTable.set(d, changes)
  return d
}

export const empty: RepoIndexData = make(emptyStrMap(), emptyRootTable, emptyStrMap(), emptyTrie(false), emptyStrMap(), emptyLiveIds, undefined)

/** Whether a value is an index this library made (a forged or foreign look-alike is not). */
export const isRepoIndexData = (u: unknown): u is RepoIndexData => typeof u === 'object' && u !== null && made.has(u)

/** Reads an index value defensively: anything that is not an index this library made reads as the empty one. */
export const dataOf = (u: unknown): RepoIndexData => (isRepoIndexData(u) ? u : empty)

/** Forgets the ancestor of a version (called once the version has a derivation of its own). */
export const forgetChanges = (d: RepoIndexData): void => {
  changesTable.delete(d)
}

const NO_DELETERS: StrMap<true> = emptyStrMap()

/**
 * Builds an index from its canonical parts (live announcements, tombstones, root events,
 * deletion ledger), rebuilding every derived table (`roots`, `liveIds`, `deletedBy`) from them.
 * Used by the snapshot decoder so that nothing but the canonical body decides how an index
 * behaves. The ledger is kept as given (the per-author bound applies to what batches add).
 */
export const fromParts = (
  addrs: Iterable<readonly [RepoRef, AddrState]>,
  rootEvents: Iterable<readonly [string, ReadonlyArray<RootFacts>]>,
  deletions: Iterable<readonly [string, Iterable<string>]>
): RepoIndexData => {
  const deletionMap = new Editor<Deleters>(emptyTrie(false))
  for (const [id, by] of deletions) {
    let d: Deleters = NO_DELETERS
    for (const p of by) d = addDeleter(d, intern(p))
    deletionMap.set(id, d)
  }
  const e = new RunEditor<RootFacts | ReadonlyArray<RootFacts>>(emptyRootTable)
  for (const [id, facts] of rootEvents) if (facts.length > 0) e.set(id, pack(facts.map(toRootFacts)))
  const table = e.done()
  const live = new RunEditor<RepoRef | ReadonlyArray<RepoRef>>(emptyLiveIds)
  const addrMap = emptyStrMap<AddrState, RepoRef>().edit()
  for (const [ref, s] of addrs) {
    addrMap.set(ref, s)
    if (s._tag === 'Live') linkLive(live, s.ann.id, ref)
  }
  const ids = new Map<RepoRef, Array<string>>()
  for (const id of table.keys())
    for (const f of rootFactsOf(table, id))
      for (const repo of f.repos) {
        const list = ids.get(repo)
        if (list === undefined) ids.set(repo, [id])
        else if (list[list.length - 1] !== id) list.push(id)
      }
  const roots = strMap<IdSet, RepoRef>([...ids].map(([repo, list]): [RepoRef, IdSet] => [repo, hexSet(list)]))
  const ledger = deletionMap.done()
  return make(addrMap.done(), table, roots, ledger, authorsOf(ledger), live.done(), undefined)
}

/** `<id>:<author>` of an announcement (kept for callers of 0.2; `liveIds` is keyed by id alone). */
export const liveKey = (a: { readonly id: string; readonly pubkey: string }): string => `${a.id}:${a.pubkey}`

/** A deletion the per-author bound did not keep (reported by `applyBatch`). */
export interface Forgotten {
  readonly id: string
  readonly pubkey: string
  /** The deletion event that named it when it was refused (not when an older entry was dropped). */
  readonly by: string
}

/**
 * One batch, applied on transient (mutable) copies of the tables: nodes a batch copies are
 * changed in place by the rest of the batch (owner tokens in `util/hexTrie.ts`, `util/strMap.ts`),
 * and sealed when the batch ends, so no version anyone holds ever changes.
 */
class Batch {
  /** Addresses whose live announcement changed, and repositories whose root set changed. */
  readonly changedRefs = new Set<RepoRef>()
  readonly changedRoots = new Set<RepoRef>()
  readonly forgotten: Array<Forgotten> = []
  readonly dropped: Array<SameIdDropped> = []

  constructor(
    readonly addrs: StrMapEditor<AddrState, RepoRef>,
    readonly rootEvents: RunEditor<RootFacts | ReadonlyArray<RootFacts>>,
    readonly roots: StrMapEditor<IdSet, RepoRef>,
    readonly ledger: LedgerEditor,
    readonly liveIds: RunEditor<RepoRef | ReadonlyArray<RepoRef>>
  ) {}

  /** Per repository whose root set this batch changes: an editor of that set. */
  private readonly rootSets = new Map<RepoRef, Editor<undefined>>()

  private rootSet(repo: RepoRef): Editor<undefined> {
    let e = this.rootSets.get(repo)
    if (e === undefined) {
      e = new Editor(this.roots.get(repo) ?? emptyHexSet)
      this.rootSets.set(repo, e)
    }
    return e
  }

  /** Writes the changed root sets back (an empty set leaves the map). */
  finish(): void {
    for (const [repo, e] of this.rootSets) {
      const set = e.done()
      if (set.size === 0) this.roots.delete(repo)
      else this.roots.set(repo, set)
    }
  }

  private setLive(ref: RepoRef, ann: AnnouncementFacts): void {
    const before = this.addrs.get(ref)
    if (before?._tag === 'Live') this.unlinkLive(before.ann)
    this.changedRefs.add(ref)
    this.addrs.set(ref, { _tag: 'Live', ann })
    linkLive(this.liveIds, ann.id, ref, this.dropped)
  }

  private unlinkLive(ann: AnnouncementFacts): void {
    unlinkLive(this.liveIds, ann.id, ann.ref)
  }

  private tombstone(ref: RepoRef, upTo: Position): void {
    const state = this.addrs.get(ref)
    if (state === undefined) {
      this.addrs.set(ref, { _tag: 'Deleted', upTo })
    } else if (state._tag === 'Live') {
      if (comparePositions(state.ann, upTo) <= 0) {
        this.unlinkLive(state.ann)
        this.changedRefs.add(ref)
        this.addrs.set(ref, { _tag: 'Deleted', upTo })
      }
    } else if (comparePositions(upTo, state.upTo) > 0) {
      this.addrs.set(ref, { _tag: 'Deleted', upTo })
    }
  }

  announcement(ev: Announcement): void {
    if (this.ledger.deletes(ev.id, ev.pubkey)) return this.tombstone(intern(ev.ref) as RepoRef, positionOf(ev))
    const state = this.addrs.get(ev.ref)
    if (state === undefined || (state._tag === 'Live' ? compareAnnouncements(ev, state.ann) > 0 : comparePositions(ev, state.upTo) > 0)) {
      const facts = toFacts(ev)
      this.setLive(facts.ref, facts)
    }
  }

  /** Removes `facts` (one author's event) from `rootEvents` and from the reverse index. */
  private removeRoot(facts: RootFacts): void {
    const all = rootFactsOf(this.rootEvents, facts.id)
    const remaining = all.filter((f) => f.pubkey !== facts.pubkey)
    if (remaining.length === 0) this.rootEvents.remove(facts.id)
    else this.rootEvents.set(facts.id, pack(remaining))
    for (const repo of facts.repos) {
      if (remaining.some((f) => f.repos.includes(repo))) continue
      const ids = this.rootSet(repo)
      if (!ids.has(facts.id)) continue
      ids.remove(facts.id)
      this.changedRoots.add(repo)
    }
  }

  /** Adds `id` to the root set of each of `repos`. */
  private linkRoot(id: string, repos: ReadonlyArray<RepoRef>): void {
    for (let i = 0; i < repos.length; i++) {
      const repo = repos[i] as RepoRef
      const ids = this.rootSet(repo)
      const before = ids.size
      ids.set(id, undefined)
      if (ids.size !== before) this.changedRoots.add(repo)
    }
  }

  root(ev: RootEvent): void {
    if (this.ledger.deletes(ev.id, ev.pubkey)) return
    const facts = toRootFacts(ev)
    // the usual case, a new id: one walk inserts it
    const prev = this.rootEvents.setIfAbsent(ev.id, facts)
    if (prev === undefined) return this.linkRoot(ev.id, facts.repos)
    const existing = factsList(prev)
    let others = existing
    const current = existing.find((f) => f.pubkey === ev.pubkey)
    if (current !== undefined) {
      if (compareRoots(ev, current) <= 0) return
      this.removeRoot(current)
      others = rootFactsOf(this.rootEvents, ev.id)
    }
    if (others.length >= SAME_ID_MAX) {
      // forged input only: keep the smallest authors
      const largest = others[others.length - 1] as RootFacts
      if (ev.pubkey > largest.pubkey) return void this.dropped.push({ id: ev.id, value: ev.pubkey, rule: 'authorsPerId' })
      this.dropped.push({ id: ev.id, value: largest.pubkey, rule: 'authorsPerId' })
      this.removeRoot(largest)
      others = rootFactsOf(this.rootEvents, ev.id)
    }
    this.rootEvents.set(ev.id, others.length === 0 ? facts : insertSorted(others, facts, (f) => f.pubkey))
    this.linkRoot(ev.id, facts.repos)
  }

  deletion(ev: Deletion): void {
    for (const ref of ev.addresses) this.tombstone(intern(ref) as RepoRef, { createdAt: ev.createdAt, id: '' })
    for (const id of ev.eventIds) {
      const dropped = this.ledger.add(id, ev.pubkey)
      if (dropped !== undefined) this.forgotten.push({ id: dropped, pubkey: ev.pubkey, by: ev.id })
      if (dropped === id) continue
      const root = rootFactsOf(this.rootEvents, id).find((f) => f.pubkey === ev.pubkey)
      if (root !== undefined) this.removeRoot(root)
      for (const ref of refsUnder(this.liveIds.get(id))) {
        const state = this.addrs.get(ref)
        if (state?._tag === 'Live' && state.ann.pubkey === ev.pubkey) this.tombstone(ref, positionOf(state.ann))
      }
    }
  }
}

/** Options of {@link applyEvents}. */
export interface ApplyOptions {
  /** Ids remembered per deleting pubkey ({@link DELETIONS_PER_AUTHOR} when absent). */
  readonly deletionsPerAuthor?: number
  /** Receives every deletion entry the per-author bound did not keep. */
  readonly forgotten?: Array<Forgotten>
  /** Receives every author or address a same-id cap ({@link SAME_ID_MAX}) dropped. */
  readonly dropped?: Array<SameIdDropped>
}

/** Applies decoded events; cost proportional to the events, not to the index. */
export const applyEvents = (index: RepoIndexData, events: ReadonlyArray<Nip34Event>, options: ApplyOptions = {}): RepoIndexData => {
  if (events.length === 0) return index
  const b = new Batch(
    index.addrs.edit(),
    new RunEditor(index.rootEvents),
    index.roots.edit(),
    new LedgerEditor(index.deletions, index.deletedBy, options.deletionsPerAuthor ?? DELETIONS_PER_AUTHOR),
    new RunEditor(index.liveIds)
  )
  for (let i = 0; i < events.length; i++) {
    const ev = events[i] as Nip34Event
    if (ev._tag === 'RootEvent') b.root(ev)
    else if (ev._tag === 'Announcement') b.announcement(ev)
    else b.deletion(ev)
  }
  b.finish()
  if (options.forgotten !== undefined) for (const f of b.forgotten) options.forgotten.push(f)
  if (options.dropped !== undefined) for (const d of b.dropped) options.dropped.push(d)
  const rootEvents = b.rootEvents.done()
  const { ledger, byAuthor } = b.ledger.done()
  if (!b.addrs.wasAltered() && rootEvents === index.rootEvents && ledger === index.deletions) return index
  return make(
    b.addrs.done(),
    rootEvents,
    b.roots.done(),
    ledger,
    byAuthor,
    b.liveIds.done(),
    nextChanges(index, b.changedRefs, b.changedRoots, index.addrs.size)
  )
}

/**
 * The changes of a new version: relative to its parent when the parent has no recorded ancestor
 * (it was derived, or is a root version), else accumulated onto the parent's (persistent unions,
 * so many batches between two derivations cost what they touched).
 */
const nextChanges = (parent: RepoIndexData, refs: ReadonlySet<RepoRef>, rootRepos: ReadonlySet<RepoRef>, size: number): ChangeLink | typeof TOO_MANY => {
  const p = changesTable.get(parent)
  if (p === TOO_MANY) return TOO_MANY
  const count = (p?.count ?? 0) + refs.size + rootRepos.size
  if (count > size + 64) return TOO_MANY
  return p === undefined ? { since: parent, refs, rootRepos, prev: undefined, count } : { since: p.since, refs, rootRepos, prev: p, count }
}

/** The live announcement of an address, if any. */
export const liveAnnouncement = (d: RepoIndexData, ref: RepoRef): AnnouncementFacts | undefined => {
  const s = d.addrs.get(ref)
  return s?._tag === 'Live' ? s.ann : undefined
}

export const equals = (a: RepoIndexData, b: RepoIndexData): boolean => {
  if (a === b) return true
  if (a.addrs.size !== b.addrs.size || a.rootEvents.size !== b.rootEvents.size || a.deletions.size !== b.deletions.size) return false
  for (const [ref, sa] of a.addrs) {
    const sb = b.addrs.get(ref)
    if (sb === undefined || !stateEqual(sa, sb)) return false
  }
  for (const id of a.rootEvents.keys()) {
    const ra = rootFactsOf(a.rootEvents, id)
    const rb = b.rootEvents.has(id) ? rootFactsOf(b.rootEvents, id) : undefined
    if (rb === undefined || ra.length !== rb.length || ra.some((r, i) => !rootEqual(r, rb[i] as RootFacts))) return false
  }
  return ledgerEquals(a.deletions, b.deletions)
}
