/**
 * Repository groups: the live announcements that form one repository.
 *
 * With maintainer merging on, announcements that share a `d` identifier and whose authors list
 * each other in their `maintainers` tags (mutual listing) are joined; joining is transitive, so
 * a group is a connected component of the mutual-listing graph among the live announcements of
 * one identifier. A group is synced when at least one member is accepted. With merging off, or
 * for an announcement nobody lists back, a group has one member.
 *
 * @internal
 */
import type { ResolvedConfig } from '../Config.js'
import { hostOf } from '../RelayUrl.js'
import { isOwnHost } from './effective.js'
import { compareStrings } from './sorted.js'
import type { AnnouncementFacts, RepoIndexData } from './repoIndex.js'

export interface RepoGroup {
  /** Members, sorted by repository address. */
  readonly members: ReadonlyArray<AnnouncementFacts>
  /** The members accepted on their own (listing us, or every member in archive mode). */
  readonly accepted: ReadonlyArray<AnnouncementFacts>
}

/** GRASP-01: one of our hosts appears both as a `relays` host and as a `clone` host. */
export const acceptedBy =
  (config: ResolvedConfig) =>
  (ann: Pick<AnnouncementFacts, 'relays' | 'cloneHosts'>): boolean => {
    if (config.acceptance === 'all') return true
    const cloneHosts: ReadonlyArray<unknown> = Array.isArray(ann?.cloneHosts) ? ann.cloneHosts : []
    const relayList: ReadonlyArray<unknown> = Array.isArray(ann?.relays) ? ann.relays : []
    // relays on our hosts are few: find them through the memoised check, then match their host
    for (const r of relayList) {
      if (typeof r !== 'string' || !isOwnHost(config, r)) continue
      const host = hostOf(r)
      if (host !== undefined && cloneHosts.includes(host)) return true
    }
    return false
  }

/** Whether `a` and `b` list each other as maintainers (self-listing never counts). */
export const mutual = (a: AnnouncementFacts, b: AnnouncementFacts): boolean =>
  a.pubkey !== b.pubkey && a.maintainers.includes(b.pubkey) && b.maintainers.includes(a.pubkey)

/** Splits the announcements of one identifier into groups. */
const componentsOf = (anns: ReadonlyArray<AnnouncementFacts>, merge: boolean): Array<Array<AnnouncementFacts>> => {
  if (!merge || anns.length === 1) return anns.map((a) => [a])
  const byPubkey = new Map(anns.map((a) => [a.pubkey, a]))
  const parent = new Map<string, string>(anns.map((a) => [a.pubkey, a.pubkey]))
  const find = (k: string): string => {
    let root = k
    while (parent.get(root) !== root) root = parent.get(root) as string
    let x = k
    while (x !== root) {
      const next = parent.get(x) as string
      parent.set(x, root)
      x = next
    }
    return root
  }
  for (const a of anns)
    for (const m of a.maintainers) {
      const b = byPubkey.get(m)
      if (b !== undefined && mutual(a, b)) parent.set(find(a.pubkey), find(b.pubkey))
    }
  const groups = new Map<string, Array<AnnouncementFacts>>()
  for (const a of anns) {
    const root = find(a.pubkey)
    const g = groups.get(root)
    if (g === undefined) groups.set(root, [a])
    else g.push(a)
  }
  return [...groups.values()]
}

/** Every repository group of the index (accepted or not). */
export const repoGroups = (config: ResolvedConfig, data: RepoIndexData): Array<RepoGroup> => {
  const byIdentifier = new Map<string, Array<AnnouncementFacts>>()
  for (const state of data.addrs.values()) {
    if (state._tag !== 'Live') continue
    const list = byIdentifier.get(state.ann.identifier)
    if (list === undefined) byIdentifier.set(state.ann.identifier, [state.ann])
    else list.push(state.ann)
  }
  const accepted = acceptedBy(config)
  const out: Array<RepoGroup> = []
  for (const anns of byIdentifier.values())
    for (const members of componentsOf(anns, config.mergeMaintainers)) {
      members.sort((a, b) => compareStrings(a.ref, b.ref))
      out.push({ members, accepted: members.filter(accepted) })
    }
  return out
}
