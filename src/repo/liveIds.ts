/**
 * The live-announcement-id table of the repository index: the id of each live announcement → its
 * address (or, with forged unverified input only, the sorted addresses sharing that id), to find
 * what an `e` deletion names. Kept in a run table (`util/runTable.ts`), one slot per id.
 *
 * @internal
 */
import type { RepoRef } from '../model/RepoRef.js'
import type { Columns } from '../util/hexNodes.js'
import { emptyRunTable, type RunEditor, type RunTable } from '../util/runTable.js'
import { insertSorted } from '../util/sorted.js'

/** Live announcement ids: one address, or (forged unverified input only) several, sorted. */
export type LiveIds = RunTable<RepoRef | ReadonlyArray<RepoRef>>

/** How the live-id table keeps its values: one slot, the address or the sorted addresses. */
const ONE_SLOT: Columns<RepoRef | ReadonlyArray<RepoRef>> = {
  width: 1,
  write: (v, out, at) => {
    out[at] = v
  },
  read: (vals, at) => vals[at] as RepoRef | ReadonlyArray<RepoRef>,
  holds: (vals, at, v) => vals[at] === v
}
export const emptyLiveIds: LiveIds = emptyRunTable(ONE_SLOT)

export const refsUnder = (v: RepoRef | ReadonlyArray<RepoRef> | undefined): ReadonlyArray<RepoRef> =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v

/**
 * How many authors one root-event id, and how many addresses one live announcement id, keep: two
 * events with one id and different authors or addresses exist only in forged, unverified input, so
 * this bounds what forging can cost without touching real events. The smallest (pubkey, address)
 * are kept, so the result still does not depend on arrival order (unless deletions later remove
 * some of the kept ones: what was dropped is not brought back). A dropped one is reported as a
 * `cap-exceeded` rejection.
 */
export const SAME_ID_MAX = 16

/** A value a same-id cap ({@link SAME_ID_MAX}) dropped. */
export interface SameIdDropped {
  readonly id: string
  /** The author (root events) or address (announcements) dropped. */
  readonly value: string
  readonly rule: 'authorsPerId' | 'addressesPerId'
}

const self = (r: RepoRef): string => r

/** Records that the live announcement at `ref` has id `id` (at most {@link SAME_ID_MAX} addresses per id, the smallest). */
export const linkLive = (live: RunEditor<RepoRef | ReadonlyArray<RepoRef>>, id: string, ref: RepoRef, dropped?: Array<SameIdDropped>): void => {
  const v = live.get(id)
  if (v === undefined) return live.set(id, ref)
  const refs = refsUnder(v)
  let next = insertSorted(refs, ref, self)
  if (next === refs) return
  if (next.length > SAME_ID_MAX) {
    dropped?.push({ id, value: next[next.length - 1] as RepoRef, rule: 'addressesPerId' })
    next = next.slice(0, SAME_ID_MAX)
  }
  live.set(id, next)
}

/** Forgets that the live announcement at `ref` has id `id`. */
export const unlinkLive = (live: RunEditor<RepoRef | ReadonlyArray<RepoRef>>, id: string, ref: RepoRef): void => {
  const refs = refsUnder(live.get(id)).filter((r) => r !== ref)
  if (refs.length === 0) live.remove(id)
  else live.set(id, refs.length === 1 ? (refs[0] as RepoRef) : refs)
}
