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
 * - `deletions`: every (event id → pubkeys that asked to delete it) pair seen, so a deletion that
 *   arrives before its target still wins. Per id, the one pubkey (the usual case) is kept as the
 *   string itself, several as a set (canonical, so structural equality is semantic equality).
 * - `liveIds`: `<id>:<author>` of each live announcement → its address, to find what an `e`
 *   deletion names.
 *
 * @internal
 */
import type { Announcement, Deletion, Nip34Event, RootEvent } from '../decode/Nip34Event.js'
import type { RepoRef } from '../model/RepoRef.js'
import { Editor, emptyHexSet, empty as emptyTrie, hexSet, type HexTrie } from '../util/hexTrie.js'
import { intern } from '../util/intern.js'
import { emptyStrMap, strMap, type StrMap, type StrMapEditor } from '../util/strMap.js'
import { arrayEquals, compareArrays, compareStrings } from '../util/sorted.js'

/** A set of event ids (compact, persistent). */
export type IdSet = HexTrie<undefined>
/**
 * Root events by id: the facts of the one author (the usual case), or, only with forged
 * unverified input, the facts of every author of that id sorted by author.
 */
export type RootTable = HexTrie<RootFacts | ReadonlyArray<RootFacts>>

/** Live announcement ids: one address, or (forged unverified input only) several, sorted. */
export type LiveIds = HexTrie<RepoRef | ReadonlyArray<RepoRef>>

const NO_FACTS: ReadonlyArray<RootFacts> = []

/** The root events with one id, one per author, sorted by author (empty when none). */
export const rootFactsOf = (table: Pick<RootTable, 'get'>, id: string): ReadonlyArray<RootFacts> => {
  const v = table.get(id)
  return v === undefined ? NO_FACTS : Array.isArray(v) ? (v as ReadonlyArray<RootFacts>) : [v as RootFacts]
}

const pack = (facts: ReadonlyArray<RootFacts>): RootFacts | ReadonlyArray<RootFacts> => (facts.length === 1 ? (facts[0] as RootFacts) : facts)

/** What the index keeps of a live announcement (the decoded event minus its tag). */
export type AnnouncementFacts = Omit<Announcement, '_tag'>

/** What the index keeps of a root event. */
export type RootFacts = Omit<RootEvent, '_tag'>

/** A position in the addressable order: greater `createdAt` is later; on a tie, lower id is later. */
export interface Position {
  readonly createdAt: number
  readonly id: string
}

export type AddrState =
  | { readonly _tag: 'Live'; readonly ann: AnnouncementFacts }
  | { readonly _tag: 'Deleted'; readonly upTo: Position }

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

/**
 * Who asked to delete one event id: one pubkey as the string itself, two or more as a set. (An
 * empty set only comes from a snapshot that lists an id with no pubkey, and is kept as given.)
 */
export type Deleters = string | StrMap<true>

/** The deletion ledger: event id → who asked to delete it. */
export type DeletionLedger = StrMap<Deleters>

/** Whether `pubkey` asked to delete the id whose deleters are `d`. */
export const isDeleter = (d: Deleters | undefined, pubkey: string): boolean =>
  d !== undefined && (typeof d === 'string' ? d === pubkey : d.has(pubkey))

/** `d` with `pubkey` added (`d` itself when it is already there). */
export const addDeleter = (d: Deleters | undefined, pubkey: string): Deleters => {
  if (d === undefined) return pubkey
  if (typeof d === 'string') return d === pubkey ? d : strMap<true>([[d, true], [pubkey, true]])
  return d.size === 0 ? pubkey : d.set(pubkey, true)
}

/** The pubkeys of `d`, unordered. */
export const deletersOf = (d: Deleters | undefined): Array<string> => (d === undefined ? [] : typeof d === 'string' ? [d] : [...d.keys()])

const NO_DELETERS: StrMap<true> = emptyStrMap()

export interface RepoIndexData {
  readonly _tag: 'RepoIndex'
  readonly addrs: StrMap<AddrState, RepoRef>
  /** id → the root events with that id, one per author, sorted by author (almost always one). */
  readonly rootEvents: RootTable
  readonly roots: StrMap<IdSet, RepoRef>
  readonly deletions: DeletionLedger
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
  liveIds: LiveIds,
  changes: ChangeLink | typeof TOO_MANY | undefined
): RepoIndexData => {
  const d: RepoIndexData = Object.freeze({ _tag: 'RepoIndex', addrs, rootEvents, roots, deletions, liveIds })
  made.add(d)
  if (changes !== undefined) changesTable.set(d, changes)
  return d
}

export const empty: RepoIndexData = make(emptyStrMap(), emptyTrie(false), emptyStrMap(), emptyStrMap(), emptyTrie(false), undefined)

/** Whether a value is an index this library made (a forged or foreign look-alike is not). */
export const isRepoIndexData = (u: unknown): u is RepoIndexData => typeof u === 'object' && u !== null && made.has(u)

/** Reads an index value defensively: anything that is not an index this library made reads as the empty one. */
export const dataOf = (u: unknown): RepoIndexData => (isRepoIndexData(u) ? u : empty)

/** Forgets the ancestor of a version (called once the version has a derivation of its own). */
export const forgetChanges = (d: RepoIndexData): void => {
  changesTable.delete(d)
}

/**
 * Builds an index from its canonical parts (live announcements, tombstones, root events,
 * deletion ledger), rebuilding every derived table (`roots`, `liveIds`) from them. Used by the
 * snapshot decoder so that nothing but the canonical body decides how an index behaves.
 */
export const fromParts = (
  addrs: Iterable<readonly [RepoRef, AddrState]>,
  rootEvents: Iterable<readonly [string, ReadonlyArray<RootFacts>]>,
  deletions: Iterable<readonly [string, Iterable<string>]>
): RepoIndexData => {
  const deletionMap = emptyStrMap<Deleters>().edit()
  for (const [id, by] of deletions) {
    let d: Deleters = NO_DELETERS
    for (const p of by) d = addDeleter(d, intern(p))
    deletionMap.set(id, d)
  }
  const e = new Editor<RootFacts | ReadonlyArray<RootFacts>>(emptyTrie(false))
  for (const [id, facts] of rootEvents) if (facts.length > 0) e.set(id, pack(facts.map(toRootFacts)))
  const table = e.done()
  const live = new Editor<RepoRef | ReadonlyArray<RepoRef>>(emptyTrie(false))
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
  return make(addrMap.done(), table, roots, deletionMap.done(), live.done(), undefined)
}

/** The position of an event, on its own (a tombstone keeps this, not the event). */
const positionOf = (p: Position): Position => ({ createdAt: p.createdAt, id: p.id })

/** Compares positions: positive when `a` is later than `b`. */
export const comparePositions = (a: Position, b: Position): number =>
  a.createdAt !== b.createdAt ? a.createdAt - b.createdAt : compareStrings(b.id, a.id)

/**
 * NIP-01 addressable rule as a total order: positive when `a` should replace `b`.
 * Greatest `created_at` wins; on a tie the lowest id wins; two events with one id (only possible
 * with unverified input) are ordered by their content so the choice never depends on arrival.
 */
export const compareAnnouncements = (a: AnnouncementFacts, b: AnnouncementFacts): number =>
  comparePositions(a, b) ||
  compareArrays(b.relays, a.relays) ||
  compareArrays(b.cloneHosts, a.cloneHosts) ||
  compareArrays(b.maintainers, a.maintainers) ||
  compareStrings(b.pubkey, a.pubkey) ||
  compareStrings(b.identifier, a.identifier) ||
  compareStrings(JSON.stringify(b.relaySources), JSON.stringify(a.relaySources)) ||
  compareStrings(JSON.stringify(b.excluded), JSON.stringify(a.excluded))

/** Total order on root facts with one id (only differs with forged, unverified input). */
const compareRoots = (a: RootFacts, b: RootFacts): number =>
  compareStrings(b.pubkey, a.pubkey) || b.kind - a.kind || b.createdAt - a.createdAt || compareArrays(b.repos, a.repos)

export const factsEqual = (a: AnnouncementFacts, b: AnnouncementFacts): boolean =>
  a === b ||
  (a.id === b.id &&
    a.createdAt === b.createdAt &&
    a.pubkey === b.pubkey &&
    a.identifier === b.identifier &&
    a.ref === b.ref &&
    arrayEquals(a.relays, b.relays) &&
    arrayEquals(a.cloneHosts, b.cloneHosts) &&
    arrayEquals(a.maintainers, b.maintainers) &&
    JSON.stringify(a.relaySources) === JSON.stringify(b.relaySources) &&
    JSON.stringify(a.excluded) === JSON.stringify(b.excluded))

const rootEqual = (a: RootFacts, b: RootFacts): boolean =>
  a === b || (a.id === b.id && a.pubkey === b.pubkey && a.kind === b.kind && a.createdAt === b.createdAt && arrayEquals(a.repos, b.repos))

const stateEqual = (a: AddrState, b: AddrState): boolean =>
  a === b ||
  (a._tag === 'Live' && b._tag === 'Live' && factsEqual(a.ann, b.ann)) ||
  (a._tag === 'Deleted' && b._tag === 'Deleted' && comparePositions(a.upTo, b.upTo) === 0)

const NO_STRINGS: ReadonlyArray<never> = Object.freeze([])
const internAll = <S extends string>(xs: ReadonlyArray<S>): ReadonlyArray<S> => (xs.length === 0 ? NO_STRINGS : xs.map((x) => intern(x) as S))

type Source = Announcement['relaySources'][number]

/**
 * One frozen object per distinct relay source (relay, tag index, spelling): most announcements
 * list popular relays at the same tag index with the canonical spelling, so their sources are
 * the same value. A bounded cache (cleared when full), never semantics.
 */
const sources = new Map<string, Source>()
const shareSource = (x: Source): Source => {
  const key = `${x.tag}\n${x.relay}\n${x.value}`
  let s = sources.get(key)
  if (s === undefined) {
    if (sources.size >= 1 << 16) sources.clear()
    s = Object.freeze({ relay: intern(x.relay) as Source['relay'], tag: x.tag, value: intern(x.value) })
    sources.set(key, s)
  }
  return s
}

/**
 * What the index keeps of an announcement: the decoded facts, with every string that many
 * announcements repeat (authors, relay URLs and their spellings, clone hosts, maintainers)
 * shared through the intern pool instead of each event's own copy.
 */
const toFacts = (ev: Announcement): AnnouncementFacts => ({
  id: ev.id,
  pubkey: intern(ev.pubkey),
  createdAt: ev.createdAt,
  identifier: ev.identifier,
  ref: intern(ev.ref) as RepoRef,
  relays: internAll(ev.relays),
  cloneHosts: internAll(ev.cloneHosts),
  maintainers: internAll(ev.maintainers),
  relaySources: ev.relaySources.map(shareSource),
  excluded: ev.excluded.length === 0 ? NO_STRINGS : ev.excluded
})

/** `<id>:<author>` of an announcement (kept for callers of 0.2; `liveIds` is keyed by id alone). */
export const liveKey = (a: { readonly id: string; readonly pubkey: string }): string => `${a.id}:${a.pubkey}`

const refsUnder = (v: RepoRef | ReadonlyArray<RepoRef> | undefined): ReadonlyArray<RepoRef> =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v

/** Records that the live announcement at `ref` has id `id`. */
const linkLive = (live: Editor<RepoRef | ReadonlyArray<RepoRef>>, id: string, ref: RepoRef): void => {
  const v = live.get(id)
  if (v === undefined) return live.set(id, ref)
  const refs = refsUnder(v)
  if (refs.includes(ref)) return
  live.set(id, [...refs, ref].sort(compareStrings))
}

/** Forgets that the live announcement at `ref` has id `id`. */
const unlinkLive = (live: Editor<RepoRef | ReadonlyArray<RepoRef>>, id: string, ref: RepoRef): void => {
  const refs = refsUnder(live.get(id)).filter((r) => r !== ref)
  if (refs.length === 0) live.remove(id)
  else live.set(id, refs.length === 1 ? (refs[0] as RepoRef) : refs)
}
/** What the index keeps of a root event: strings shared with the rest of the index where it can. */
const toRootFacts = (ev: RootFacts | RootEvent): RootFacts => ({
  id: ev.id,
  pubkey: intern(ev.pubkey),
  kind: ev.kind,
  createdAt: ev.createdAt,
  repos: ev.repos.length === 1 ? internRepos(ev.repos[0] as RepoRef) : ev.repos.map((r) => intern(r) as RepoRef)
})

/** One-repository lists are shared by every root event of that repository. */
const oneRepo = new Map<RepoRef, ReadonlyArray<RepoRef>>()
const internRepos = (ref: RepoRef): ReadonlyArray<RepoRef> => {
  let list = oneRepo.get(ref)
  if (list === undefined) {
    if (oneRepo.size >= 1 << 18) oneRepo.clear()
    list = Object.freeze([intern(ref) as RepoRef])
    oneRepo.set(ref, list)
  }
  return list
}

/** One batch, applied on transient (mutable) copies of the maps. */
class Batch {
  /** Addresses whose live announcement changed, and repositories whose root set changed. */
  readonly changedRefs = new Set<RepoRef>()
  readonly changedRoots = new Set<RepoRef>()

  constructor(
    readonly addrs: StrMapEditor<AddrState, RepoRef>,
    readonly rootEvents: Editor<RootFacts | ReadonlyArray<RootFacts>>,
    readonly roots: StrMapEditor<IdSet, RepoRef>,
    readonly deletions: StrMapEditor<Deleters>,
    readonly liveIds: Editor<RepoRef | ReadonlyArray<RepoRef>>
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

  private isDeletedBy(id: string, pubkey: string): boolean {
    return isDeleter(this.deletions.get(id), pubkey)
  }

  private setLive(ref: RepoRef, ann: AnnouncementFacts): void {
    const before = this.addrs.get(ref)
    if (before?._tag === 'Live') this.unlinkLive(before.ann)
    this.changedRefs.add(ref)
    this.addrs.set(ref, { _tag: 'Live', ann })
    linkLive(this.liveIds, ann.id, ref)
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
    if (this.isDeletedBy(ev.id, ev.pubkey)) return this.tombstone(intern(ev.ref) as RepoRef, positionOf(ev))
    const state = this.addrs.get(ev.ref)
    if (state === undefined || (state._tag === 'Live' ? compareAnnouncements(ev, state.ann) > 0 : comparePositions(ev, state.upTo) > 0)) {
      const facts = toFacts(ev)
      this.setLive(facts.ref, facts)
    }
  }

  private facts(id: string): ReadonlyArray<RootFacts> {
    return rootFactsOf(this.rootEvents, id)
  }

  /** Removes `facts` (one author's event) from `rootEvents` and from the reverse index. */
  private removeRoot(facts: RootFacts): void {
    const all = this.facts(facts.id)
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

  root(ev: RootEvent): void {
    if (this.isDeletedBy(ev.id, ev.pubkey)) return
    const existing = this.facts(ev.id)
    let others = existing
    if (existing.length > 0) {
      const current = existing.find((f) => f.pubkey === ev.pubkey)
      if (current !== undefined) {
        if (compareRoots(ev, current) <= 0) return
        this.removeRoot(current)
        others = this.facts(ev.id)
      }
    }
    const facts = toRootFacts(ev)
    this.rootEvents.set(ev.id, others.length === 0 ? facts : [...others, facts].sort((a, b) => compareStrings(a.pubkey, b.pubkey)))
    for (const repo of facts.repos) {
      const ids = this.rootSet(repo)
      if (ids.has(ev.id)) continue
      ids.set(ev.id, undefined)
      this.changedRoots.add(repo)
    }
  }

  deletion(ev: Deletion): void {
    for (const ref of ev.addresses) this.tombstone(intern(ref) as RepoRef, { createdAt: ev.createdAt, id: '' })
    for (const id of ev.eventIds) {
      const by = this.deletions.get(id)
      if (!isDeleter(by, ev.pubkey)) this.deletions.set(id, addDeleter(by, intern(ev.pubkey)))
      const root = this.facts(id).find((f) => f.pubkey === ev.pubkey)
      if (root !== undefined) this.removeRoot(root)
      for (const ref of refsUnder(this.liveIds.get(id))) {
        const state = this.addrs.get(ref)
        if (state?._tag === 'Live' && state.ann.pubkey === ev.pubkey) this.tombstone(ref, positionOf(state.ann))
      }
    }
  }
}

/** Applies decoded events; cost proportional to the events, not to the index. */
export const applyEvents = (index: RepoIndexData, events: ReadonlyArray<Nip34Event>): RepoIndexData => {
  if (events.length === 0) return index
  const b = new Batch(
    index.addrs.edit(),
    new Editor(index.rootEvents),
    index.roots.edit(),
    index.deletions.edit(),
    new Editor(index.liveIds)
  )
  for (const ev of events) {
    if (ev._tag === 'Deletion') b.deletion(ev)
    else if (ev._tag === 'Announcement') b.announcement(ev)
    else b.root(ev)
  }
  b.finish()
  const rootEvents = b.rootEvents.done()
  if (!b.addrs.wasAltered() && rootEvents === index.rootEvents && !b.deletions.wasAltered()) return index
  return make(
    b.addrs.done(),
    rootEvents,
    b.roots.done(),
    b.deletions.done(),
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
  return a.deletions.equals(b.deletions)
}
