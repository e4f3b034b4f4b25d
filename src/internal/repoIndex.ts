/**
 * The engine behind `RepoIndex`: persistent hash tries (immutable.js) so that a batch costs what
 * the batch touches, whatever the size of the index, and old versions stay cheap to keep.
 *
 * Every field is a join-semilattice, so applying events in any order, in any split, any number of
 * times gives the same value:
 * - `anns`: per address, the live announcement (the greatest under {@link compareAnnouncements});
 * - `roots`: per repository, the set of root event ids that name it.
 *
 * @internal
 */
import { Map as IMap, Set as ISet } from 'immutable'
import type { Announcement, RootEvent } from '../Nip34Event.js'
import type { RepoRef } from '../RepoRef.js'
import { arrayEquals, compareArrays, compareStrings } from './sorted.js'

/** What the index keeps of a live announcement (the decoded event minus its tag). */
export type AnnouncementFacts = Omit<Announcement, '_tag'>

export interface RepoIndexData {
  readonly _tag: 'RepoIndex'
  readonly anns: IMap<RepoRef, AnnouncementFacts>
  readonly roots: IMap<RepoRef, ISet<string>>
}

export const empty: RepoIndexData = { _tag: 'RepoIndex', anns: IMap(), roots: IMap() }

/**
 * NIP-01 addressable rule as a total order: positive when `a` should replace `b`.
 * Greatest `created_at` wins; on a tie the lowest id wins; two events with one id (only possible
 * with unverified input) are ordered by their content so the choice never depends on arrival.
 */
export const compareAnnouncements = (a: AnnouncementFacts, b: AnnouncementFacts): number => {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt
  if (a.id !== b.id) return compareStrings(b.id, a.id)
  return (
    compareArrays(b.relays, a.relays) ||
    compareArrays(b.cloneHosts, a.cloneHosts) ||
    compareArrays(b.maintainers, a.maintainers) ||
    compareStrings(b.pubkey, a.pubkey) ||
    compareStrings(b.identifier, a.identifier)
  )
}

export const factsEqual = (a: AnnouncementFacts, b: AnnouncementFacts): boolean =>
  a === b ||
  (a.id === b.id &&
    a.createdAt === b.createdAt &&
    a.pubkey === b.pubkey &&
    a.identifier === b.identifier &&
    a.ref === b.ref &&
    arrayEquals(a.relays, b.relays) &&
    arrayEquals(a.cloneHosts, b.cloneHosts) &&
    arrayEquals(a.maintainers, b.maintainers))

const toFacts = (a: Announcement): AnnouncementFacts => ({
  id: a.id,
  pubkey: a.pubkey,
  createdAt: a.createdAt,
  identifier: a.identifier,
  ref: a.ref,
  relays: a.relays,
  cloneHosts: a.cloneHosts,
  maintainers: a.maintainers
})

/** Applies decoded events; cost proportional to the events, not to the index. */
export const applyEvents = (index: RepoIndexData, events: ReadonlyArray<Announcement | RootEvent>): RepoIndexData => {
  if (events.length === 0) return index
  const anns = index.anns.withMutations((m) => {
    for (const ev of events) {
      if (ev._tag !== 'Announcement') continue
      const current = m.get(ev.ref)
      if (current === undefined || compareAnnouncements(ev, current) > 0) m.set(ev.ref, toFacts(ev))
    }
  })
  const roots = index.roots.withMutations((m) => {
    for (const ev of events) {
      if (ev._tag !== 'RootEvent') continue
      for (const repo of ev.repos) {
        const current = m.get(repo) ?? ISet<string>()
        if (!current.has(ev.id)) m.set(repo, current.add(ev.id))
      }
    }
  })
  return anns === index.anns && roots === index.roots ? index : { _tag: 'RepoIndex', anns, roots }
}

export const equals = (a: RepoIndexData, b: RepoIndexData): boolean => {
  if (a === b) return true
  if (a.anns.size !== b.anns.size || a.roots.size !== b.roots.size) return false
  for (const [ref, fa] of a.anns) {
    const fb = b.anns.get(ref)
    if (fb === undefined || !factsEqual(fa, fb)) return false
  }
  return a.roots.equals(b.roots)
}
