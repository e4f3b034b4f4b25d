/**
 * What the repository index keeps of each event (its "facts"), the orders that decide which
 * version wins, and the sharing of strings many facts repeat (authors, addresses, relay URLs).
 *
 * @internal
 */
import type { Announcement, RootEvent } from '../decode/Nip34Event.js'
import type { RepoRef } from '../model/RepoRef.js'
import type { Columns } from '../util/hexNodes.js'
import { emptyRunTable, type RunTable } from '../util/runTable.js'
import { intern } from '../util/intern.js'
import { arrayEquals, compareArrays, compareStrings } from '../util/sorted.js'

/** What the index keeps of a live announcement (the decoded event minus its tag). */
export type AnnouncementFacts = Omit<Announcement, '_tag'>

/** What the index keeps of a root event. */
export type RootFacts = Omit<RootEvent, '_tag'>

/**
 * Root events by id: the facts of the one author (the usual case), or, only with forged
 * unverified input, the facts of every author of that id sorted by author.
 */
export type RootTable = RunTable<RootFacts | ReadonlyArray<RootFacts>>

const NO_FACTS: ReadonlyArray<RootFacts> = []
const NO_REPOS: ReadonlyArray<RepoRef> = Object.freeze([])

/** The root kind whose facts keep their author alone in a table slot (NIP-34 patches). */
const PATCH_KIND = 1617

/** An author with a root kind other than {@link PATCH_KIND}: one shared value per pair. */
interface AuthorKind {
  readonly pubkey: string
  readonly kind: number
}

/** A bounded cache of the shared (author, kind) pairs (a cache only, never semantics). */
const authorKinds = new Map<number, Map<string, AuthorKind>>()
const authorKind = (pubkey: string, kind: number): AuthorKind => {
  let byAuthor = authorKinds.get(kind)
  if (byAuthor === undefined) {
    if (authorKinds.size >= 64) authorKinds.clear()
    authorKinds.set(kind, (byAuthor = new Map()))
  }
  let x = byAuthor.get(pubkey)
  if (x === undefined) {
    if (byAuthor.size >= 1 << 16) byAuthor.clear()
    x = Object.freeze({ pubkey, kind })
    byAuthor.set(pubkey, x)
  }
  return x
}

/**
 * How a root table keeps its values: three slots per id in the trie's leaves instead of one
 * object per root event (its header and a pointer to it cost more than the facts): the author
 * (a patch's) or the shared (author, kind) pair (any other root kind), created_at, and the
 * repositories. The facts are made again on each read, equal to those written (the id is the
 * key). The rare list of several authors' facts sits in the first slot on its own.
 */
const ROOT_COLUMNS: Columns<RootFacts | ReadonlyArray<RootFacts>> = {
  width: 3,
  write: (v, out, at) => {
    if (Array.isArray(v)) {
      out[at] = v
      out[at + 1] = 0
      out[at + 2] = NO_REPOS
    } else {
      const f = v as RootFacts
      out[at] = f.kind === PATCH_KIND ? f.pubkey : authorKind(f.pubkey, f.kind)
      out[at + 1] = f.createdAt
      out[at + 2] = f.repos
    }
  },
  read: (vals, at, key) => {
    const who = vals[at]
    if (Array.isArray(who)) return who as ReadonlyArray<RootFacts>
    const createdAt = vals[at + 1] as number
    const repos = vals[at + 2] as ReadonlyArray<RepoRef>
    if (typeof who === 'string') return { id: key, pubkey: who, kind: PATCH_KIND, createdAt, repos }
    const ak = who as AuthorKind
    return { id: key, pubkey: ak.pubkey, kind: ak.kind, createdAt, repos }
  },
  holds: (vals, at, v) => {
    const who = vals[at]
    if (Array.isArray(v) || Array.isArray(who)) return who === v
    const f = v as RootFacts
    const same =
      typeof who === 'string'
        ? f.kind === PATCH_KIND && who === f.pubkey
        : (who as AuthorKind).kind === f.kind && (who as AuthorKind).pubkey === f.pubkey
    return same && vals[at + 1] === f.createdAt && vals[at + 2] === f.repos
  }
}

/** The empty root table. */
export const emptyRootTable: RootTable = emptyRunTable(ROOT_COLUMNS)

/** The root events with one id, one per author, sorted by author (empty when none). */
export const rootFactsOf = (table: Pick<RootTable, 'get'>, id: string): ReadonlyArray<RootFacts> => factsList(table.get(id))

/** The facts a table keeps under one id, as a list (sorted by author). */
export const factsList = (v: RootFacts | ReadonlyArray<RootFacts> | undefined): ReadonlyArray<RootFacts> =>
  v === undefined ? NO_FACTS : Array.isArray(v) ? (v as ReadonlyArray<RootFacts>) : [v as RootFacts]

/** How a table keeps a list of facts: one author's facts on their own, several as the list. */
export const pack = (facts: ReadonlyArray<RootFacts>): RootFacts | ReadonlyArray<RootFacts> => (facts.length === 1 ? (facts[0] as RootFacts) : facts)

/** A position in the addressable order: greater `createdAt` is later; on a tie, lower id is later. */
export interface Position {
  readonly createdAt: number
  readonly id: string
}

export type AddrState =
  | { readonly _tag: 'Live'; readonly ann: AnnouncementFacts }
  | { readonly _tag: 'Deleted'; readonly upTo: Position }

/** The position of an event, on its own (a tombstone keeps this, not the event). */
export const positionOf = (p: Position): Position => ({ createdAt: p.createdAt, id: p.id })

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
export const compareRoots = (a: RootFacts, b: RootFacts): number =>
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

export const rootEqual = (a: RootFacts, b: RootFacts): boolean =>
  a === b || (a.id === b.id && a.pubkey === b.pubkey && a.kind === b.kind && a.createdAt === b.createdAt && arrayEquals(a.repos, b.repos))

export const stateEqual = (a: AddrState, b: AddrState): boolean =>
  a === b ||
  (a._tag === 'Live' && b._tag === 'Live' && factsEqual(a.ann, b.ann)) ||
  (a._tag === 'Deleted' && b._tag === 'Deleted' && comparePositions(a.upTo, b.upTo) === 0)

const NO_STRINGS: ReadonlyArray<never> = Object.freeze([])
const internAll = <S extends string>(xs: ReadonlyArray<S>): ReadonlyArray<S> => (xs.length === 0 ? NO_STRINGS : xs.map((x) => intern(x) as S))

type Source = Announcement['relaySources'][number]

/**
 * A bounded cache of shared values (a cache only, never semantics): per bucket key (an interned
 * string), the last few values made, found by comparing their parts, so no key string is built.
 */
class Shared<A> {
  private readonly buckets = new Map<string, Array<A>>()
  constructor(private readonly same: (a: A, b: A) => boolean) {}
  get(key: string, x: A, make: (x: A) => A): A {
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      if (this.buckets.size >= 1 << 16) this.buckets.clear()
      this.buckets.set(key, (bucket = []))
    }
    for (let i = 0; i < bucket.length; i++) if (this.same(bucket[i] as A, x)) return bucket[i] as A
    const made = make(x)
    if (bucket.length >= 8) bucket.shift()
    bucket.push(made)
    return made
  }
}

/**
 * One frozen object per distinct relay source (relay, tag index, spelling): most announcements
 * list popular relays at the same tag index with the canonical spelling, so their sources are
 * the same value.
 */
const sources = new Shared<Source>((a, b) => a.relay === b.relay && a.tag === b.tag && a.value === b.value)
const freezeSource = (x: Source): Source => Object.freeze({ relay: intern(x.relay) as Source['relay'], tag: x.tag, value: intern(x.value) })
const shareSource = (x: Source): Source => sources.get(intern(x.relay), x, freezeSource)

/**
 * One frozen list per distinct short list (relay URLs, clone hosts, maintainers, sources): most
 * announcements list the same few popular relays and hosts, so their lists are one value. The
 * elements are shared first, so comparing lists compares references.
 */
const sameList = (a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
const lists = new Shared<ReadonlyArray<unknown>>(sameList)
const freezeList = (xs: ReadonlyArray<unknown>): ReadonlyArray<unknown> => Object.freeze(xs.slice())
const bucketOf = (first: unknown): string => (typeof first === 'string' ? first : (first as Source).relay)
const shareList = <A>(xs: ReadonlyArray<A>): ReadonlyArray<A> => (xs.length > 16 ? xs : (lists.get(bucketOf(xs[0]), xs, freezeList) as ReadonlyArray<A>))
const shareStrings = <S extends string>(xs: ReadonlyArray<S>): ReadonlyArray<S> => (xs.length === 0 ? NO_STRINGS : shareList(internAll(xs)))
const shareSources = (xs: ReadonlyArray<Source>): ReadonlyArray<Source> => (xs.length === 0 ? NO_STRINGS : shareList(xs.map(shareSource)))

/**
 * What the index keeps of an announcement: the decoded facts, with every string and list that
 * many announcements repeat (authors, relay URLs and their spellings, clone hosts, maintainers,
 * the lists themselves) shared instead of each event's own copy.
 */
export const toFacts = (ev: Announcement): AnnouncementFacts => ({
  id: ev.id,
  pubkey: intern(ev.pubkey),
  createdAt: ev.createdAt,
  identifier: ev.identifier,
  ref: intern(ev.ref) as RepoRef,
  relays: shareStrings(ev.relays),
  cloneHosts: shareStrings(ev.cloneHosts),
  maintainers: shareStrings(ev.maintainers),
  relaySources: shareSources(ev.relaySources),
  excluded: ev.excluded.length === 0 ? NO_STRINGS : ev.excluded
})

/** What the index keeps of a root event: strings shared with the rest of the index where it can. */
export const toRootFacts = (ev: RootFacts | RootEvent): RootFacts => ({
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
