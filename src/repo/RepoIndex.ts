/**
 * `RepoIndex` is everything the sync core knows about repositories: for each repository address,
 * its live announcement (NIP-01 addressable rule) and the root events that name it.
 *
 * It is the single source of truth; the per-relay targets are derived from it
 * ({@link deriveTargets}). It is immutable and opaque: read it with {@link lookupRepo},
 * {@link repoRefs}, {@link rootEventsOf}, compare with {@link eqRepoIndex}, and change it only with
 * {@link applyBatch}, which returns a new index and leaves the old one valid.
 *
 * What the index keeps depends on few settings. Decided when events are applied (change them
 * and re-apply the events): `rootKinds`, `verify`, `maxFutureSkew` (with `now`), and the caps
 * `tagsPerEvent`, `bytesPerTagValue`, `valuesPerTag`, `valuesPerEvent`, `reposPerRootEvent` and
 * `maintainersPerAnnouncement`. Decided when targets are derived
 * (change them freely): `ownRelays`, `bootstrapRelays`, `acceptance`, `relayPolicy`,
 * `mergeMaintainers` and `relaysPerAnnouncement`. The index keeps every usable relay URL of an
 * announcement; which of them become targets is decided by {@link deriveTargets}.
 *
 * Laws (checked with fast-check in `test/laws/laws.test.ts`): the index after a set of events does
 * not depend on their order, on how they are split into batches, or on duplicates.
 *
 * The deletion ledger (which event ids each pubkey asked to delete, kept so that a deletion that
 * arrives before its target still wins) is bounded per pubkey: a NIP-09 deletion only affects
 * events of its own author, so each pubkey is remembered for at most `caps.deletionsPerAuthor`
 * ids ({@link DELETIONS_PER_AUTHOR} by default), the smallest in hex order, and nobody can evict
 * another pubkey's deletions; an id past the bound is reported (`cap-exceeded`, rule
 * `deletionsPerAuthor`). It is not bounded in total: pubkeys cost nothing, so the ledger grows
 * linearly with the deletions received (K pubkeys hold up to K × `deletionsPerAuthor` ids); a
 * bound lowered between batches trims a pubkey to its smallest ids at its next deletion. The
 * ledger itself keeps the laws (the smallest ids per author of the union is a join-semilattice).
 * The laws above hold for every stream in which no pubkey names more ids than the bound; past
 * it, and for that pubkey's own events only, an event removed while its deletion was remembered
 * stays removed, while the same event arriving after the ledger forgot its deletion is kept.
 *
 * @since 0.1.0
 */
import { eq as Eq, option as O } from 'fp-ts'
import type { SyncConfig } from '../config/Config.js'
import { resolveConfig } from '../config/Config.js'
import { decodeNip34Event, type Announcement, type Nip34Event } from '../decode/Nip34Event.js'
import { rejection, type Rejection } from '../model/Rejection.js'
import type { RepoRef } from '../model/RepoRef.js'
import * as internal from './store.js'
import { readNow } from '../util/plain.js'
import { compareStrings } from '../util/sorted.js'

/**
 * An immutable index of repositories. Opaque: use the functions of this module to read it.
 *
 * @category model
 * @since 0.1.0
 */
export interface RepoIndex {
  readonly _tag: 'RepoIndex'
}

/**
 * The live announcement of a repository, as the index keeps it.
 *
 * @category model
 * @since 0.1.0
 */
export type AnnouncementInfo = Omit<Announcement, '_tag'>

/**
 * What the index knows of one repository address.
 *
 * @category model
 * @since 0.1.0
 */
export interface RepoInfo {
  readonly ref: RepoRef
  /** The live announcement, when one has been seen. */
  readonly announcement: O.Option<AnnouncementInfo>
  /** Ids of the root events that name this repository, sorted. */
  readonly rootEvents: ReadonlyArray<string>
}

/**
 * The result of {@link applyBatch}: the new index and everything refused.
 *
 * @category model
 * @since 0.1.0
 */
export interface BatchResult {
  readonly index: RepoIndex
  readonly rejected: ReadonlyArray<Rejection>
  /**
   * How many events of the batch were of a kind the project ignores on purpose
   * ({@link IGNORED_KINDS}: repository state, comments, statuses, GRASP lists). They are not
   * rejections: a sync fetches them alongside what it uses.
   * @since 0.2.0
   */
  readonly ignored: number
  /**
   * The ignored events per kind (`{ 30618: 3, 1111: 1 }`); kinds with none are absent.
   * @since 0.2.0
   */
  readonly ignoredKinds: Readonly<Record<number, number>>
}

/**
 * Options for one batch.
 *
 * @category model
 * @since 0.1.0
 */
export interface BatchOptions {
  /**
   * The current time in unix seconds. When given, announcements and deletions dated more than
   * the configuration's `maxFutureSkew` ahead of it are rejected (`future-dated`), so a far-future
   * version cannot pin a repository. The core has no clock: without `now` no such check is made.
   * A value that is not a finite number (`NaN`, `Infinity`, `-Infinity`, a string) is reported
   * once (`invalid-batch`) and no check is made, the same rule as {@link decodeNip34Event}.
   */
  readonly now?: number
}

const data = (index: RepoIndex): internal.RepoIndexData => internal.dataOf(index)
const wrap = (d: internal.RepoIndexData): RepoIndex => d as unknown as RepoIndex

/**
 * Whether a value is a `RepoIndex` this library made (O(1); the brand cannot be forged). A
 * look-alike object, a `structuredClone` of an index or an index wrapped in a Proxy (a reactive
 * store) is not, and every function reads it as the empty index: keep indexes out of such
 * wrappers, or check with this guard first.
 *
 * @example
 * import { emptyRepoIndex, isRepoIndex } from 'nip34-sync'
 *
 * assert.strictEqual(isRepoIndex(emptyRepoIndex), true)
 * assert.strictEqual(isRepoIndex({ _tag: 'RepoIndex' }), false)
 *
 * @category guards
 * @since 0.2.0
 */
export const isRepoIndex = (u: unknown): u is RepoIndex => internal.isRepoIndexData(u)

/**
 * The index that knows nothing.
 *
 * @example
 * import { emptyRepoIndex, repoRefs } from 'nip34-sync'
 *
 * assert.deepStrictEqual(repoRefs(emptyRepoIndex), [])
 *
 * @category constructors
 * @since 0.1.0
 */
export const emptyRepoIndex: RepoIndex = wrap(internal.empty)

/**
 * Applies a batch of untrusted events. Announcements (kind 30617) follow the addressable rule per
 * (pubkey, `d`); root events (the configured root kinds) join every repository their `a` tags
 * name, whether or not its announcement has arrived. Everything refused comes back in `rejected`
 * (whole events change nothing; partial rejections name the one value refused); configuration
 * problems are repeated in every result. Events of kinds the project ignores on purpose
 * ({@link IGNORED_KINDS}) are counted in `ignored` and `ignoredKinds`, not rejected. Total: never
 * throws, whatever the batch, its events or the options are (Proxies and throwing getters
 * included); each event is read once, into a plain copy.
 *
 * @example
 * import { applyBatch, emptyRepoIndex, rootEventsOf } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const pk = 'a'.repeat(64)
 * const patch = {
 *   id: '1'.repeat(64), pubkey: 'b'.repeat(64), created_at: 1, kind: 1617, content: '', sig: '0'.repeat(128),
 *   tags: [['a', `30617:${pk}:repo`]]
 * }
 * // verify: false because this hand-written event carries no real signature
 * const config = { ownRelays: ['wss://grasp.example.com'], verify: false }
 * const { index, rejected } = F.pipe(emptyRepoIndex, applyBatch(config, [patch, 42]))
 * assert.deepStrictEqual(rootEventsOf(`30617:${pk}:repo`)(index), ['1'.repeat(64)])
 * assert.strictEqual(rejected[0]?.code, 'not-an-object')
 *
 * @category reducers
 * @since 0.1.0
 */
export const applyBatch =
  (config: SyncConfig, events: ReadonlyArray<unknown>, options: BatchOptions = {}) =>
  (index: RepoIndex): BatchResult => {
    const resolved = resolveConfig(config)
    const rejected: Array<Rejection> = [...resolved.problems]
    const ignoredKinds: Record<number, number> = {}
    let ignored = 0
    const result = (i: RepoIndex): BatchResult => ({ index: i, rejected, ignored, ignoredKinds })
    const batch = readBatch(events)
    if (batch === undefined) {
      rejected.push(rejection('invalid-batch', 'the batch is not an array of events'))
      return result(index)
    }
    const { now, problem } = readNow(options)
    if (problem !== undefined) rejected.push(rejection('invalid-batch', problem))
    const decode = decodeNip34Event(resolved, { now })
    const accepted: Array<Nip34Event> = []
    for (let i = 0; i < batch.length; i++) {
      const { event, rejected: r, ignored: kind } = decode(batch[i], i)
      if (event !== undefined) accepted.push(event)
      if (kind !== undefined) {
        ignored++
        ignoredKinds[kind] = (ignoredKinds[kind] ?? 0) + 1
      }
      for (const x of r) rejected.push(x)
    }
    const forgotten: Array<internal.Forgotten> = []
    const dropped: Array<internal.SameIdDropped> = []
    const next = internal.applyEvents(data(index), accepted, { deletionsPerAuthor: deletionsPerAuthor(resolved.caps), forgotten, dropped })
    for (const d of dropped)
      rejected.push(
        rejection(
          'cap-exceeded',
          d.rule === 'authorsPerId'
            ? `more than ${internal.SAME_ID_MAX} authors of one root-event id (forged input only): the smallest pubkeys are kept, this one is not`
            : `more than ${internal.SAME_ID_MAX} addresses with one announcement id (forged input only): the smallest are kept, this one is not`,
          { eventId: d.id, partial: true, value: d.value, rule: d.rule }
        )
      )
    for (const f of forgotten)
      rejected.push(
        rejection('cap-exceeded', `the deletion ledger keeps at most ${deletionsPerAuthor(resolved.caps)} event ids per pubkey (the smallest); this one is forgotten`, {
          eventId: f.by,
          partial: true,
          value: f.id,
          rule: 'deletionsPerAuthor'
        })
      )
    return result(wrap(next))
  }

/**
 * How many event ids the deletion ledger remembers per pubkey when the configuration does not
 * say (`caps.deletionsPerAuthor`). A NIP-09 deletion only affects its own author's events, so
 * this bounds what any one pubkey can make the index keep, and what is forgotten can only ever
 * concern that pubkey's own events. Past the bound the smallest ids (hex order) are kept, so the
 * ledger still does not depend on arrival order; see {@link RepoIndex} for the one law that
 * weakens past it.
 *
 * @example
 * import { DELETIONS_PER_AUTHOR } from 'nip34-sync'
 *
 * assert.strictEqual(DELETIONS_PER_AUTHOR, 10_000)
 *
 * @category model
 * @since 0.3.0
 */
export const DELETIONS_PER_AUTHOR: number = internal.DELETIONS_PER_AUTHOR

/** The configured per-author bound of the deletion ledger, or the default. */
const deletionsPerAuthor = (caps: object): number => {
  const n: unknown = (caps as { readonly deletionsPerAuthor?: unknown }).deletionsPerAuthor
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : internal.DELETIONS_PER_AUTHOR
}

/** The batch's elements, read once (a Proxy or a throwing getter makes the batch unreadable). */
const readBatch = (events: unknown): ReadonlyArray<unknown> | undefined => {
  try {
    if (!Array.isArray(events)) return undefined
    const n: unknown = events.length
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return undefined
    const out: Array<unknown> = new Array(n)
    for (let i = 0; i < n; i++) out[i] = events[i]
    return out
  } catch {
    return undefined
  }
}

/**
 * Everything the index knows of one repository address, or `None` when it knows nothing.
 *
 * @example
 * import { emptyRepoIndex, lookupRepo } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * assert.deepStrictEqual(lookupRepo(`30617:${'a'.repeat(64)}:x`)(emptyRepoIndex), O.none)
 *
 * @category destructors
 * @since 0.1.0
 */
export const lookupRepo =
  (ref: string) =>
  (index: RepoIndex): O.Option<RepoInfo> => {
    const d = data(index)
    const key = ref as RepoRef
    const ann = internal.liveAnnouncement(d, key)
    const roots = d.roots.get(key)
    if (ann === undefined && roots === undefined) return O.none
    return O.some({
      ref: key,
      announcement: ann === undefined ? O.none : O.some(ann),
      rootEvents: roots === undefined ? [] : roots.toArray().sort(compareStrings)
    })
  }

/**
 * Ids of the root events that name a repository, sorted (empty when none).
 *
 * @example
 * import { emptyRepoIndex, rootEventsOf } from 'nip34-sync'
 *
 * assert.deepStrictEqual(rootEventsOf(`30617:${'a'.repeat(64)}:x`)(emptyRepoIndex), [])
 *
 * @category destructors
 * @since 0.1.0
 */
export const rootEventsOf =
  (ref: string) =>
  (index: RepoIndex): ReadonlyArray<string> =>
    data(index)
      .roots.get(ref as RepoRef)
      ?.toArray()
      .sort(compareStrings) ?? []

/**
 * Every repository address the index knows (announced, or named by a root event), sorted.
 *
 * @example
 * import { emptyRepoIndex, repoRefs } from 'nip34-sync'
 *
 * assert.deepStrictEqual(repoRefs(emptyRepoIndex), [])
 *
 * @category destructors
 * @since 0.1.0
 */
export const repoRefs = (index: RepoIndex): ReadonlyArray<RepoRef> => {
  const d = data(index)
  const refs = new Set<RepoRef>()
  for (const [ref, state] of d.addrs) if (state._tag === 'Live') refs.add(ref)
  for (const r of d.roots.keys()) refs.add(r)
  return [...refs].sort(compareStrings)
}

/**
 * Every live announcement, sorted by repository address.
 *
 * @example
 * import { emptyRepoIndex, announcements } from 'nip34-sync'
 *
 * assert.deepStrictEqual(announcements(emptyRepoIndex), [])
 *
 * @category destructors
 * @since 0.1.0
 */
export const announcements = (index: RepoIndex): ReadonlyArray<AnnouncementInfo> =>
  [...data(index).addrs.values()].flatMap((s) => (s._tag === 'Live' ? [s.ann] : [])).sort((a, b) => compareStrings(a.ref, b.ref))

/**
 * Equality of indexes: same live announcements and deletion tombstones per address, same root
 * events (with their authors and repositories), same deletion ledger (which ids each pubkey
 * asked to delete; it decides what happens to events that arrive later, so two indexes that
 * differ only there are not equal).
 *
 * @example
 * import { emptyRepoIndex, eqRepoIndex } from 'nip34-sync'
 *
 * assert.strictEqual(eqRepoIndex.equals(emptyRepoIndex, emptyRepoIndex), true)
 *
 * @category instances
 * @since 0.1.0
 */
export const eqRepoIndex: Eq.Eq<RepoIndex> = Eq.fromEquals((a, b) => internal.equals(data(a), data(b)))
