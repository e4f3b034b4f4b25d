/**
 * Repository groups: the live announcements that form one repository.
 *
 * With maintainer merging on, announcements that share a `d` identifier and whose authors list
 * each other in their `maintainers` tags (mutual listing) are joined; joining is transitive, so
 * a group is a connected component of the mutual-listing graph among the live announcements of
 * one identifier. A group is synced when at least one member is accepted. With merging off, or
 * for an announcement nobody lists back, a group has one member.
 *
 * Cost: a component is found by a breadth-first walk from one member. The neighbours of an
 * announcement are looked up by address (`30617:<maintainer>:<d>` is the only address a
 * maintainer can have for that identifier) and the listing back by binary search in the sorted
 * `maintainers`, so a component costs O(Σ maintainers · log) of its members, near-linear in its
 * input, never a scan of every announcement of the identifier.
 *
 * A component larger than `caps.membersPerGroup` is not merged: each member stands alone
 * (`oversized` says how large the component was). Only the component's own members can make it
 * grow (an edge needs both ends to list each other), so nobody else can split a group this way.
 *
 * @internal
 */
import type { ResolvedConfig } from '../Config.js'
import { hostOf, type RelayUrl } from '../RelayUrl.js'
import type { RepoRef } from '../RepoRef.js'
import { effectiveRelays, isOwnHost } from './effective.js'
import { liveAnnouncement, type AnnouncementFacts, type RepoIndexData } from './repoIndex.js'
import { compareStrings } from './sorted.js'

export interface RepoGroup {
  /** Members, sorted by repository address. */
  readonly members: ReadonlyArray<AnnouncementFacts>
  /** The members accepted on their own (listing us, or every member in archive mode). */
  readonly accepted: ReadonlyArray<AnnouncementFacts>
  /** The relays the group is synced from, in order (empty when no member is accepted). */
  readonly relays: ReadonlyArray<RelayUrl>
  /** The size of the mutual-listing component when it was over `membersPerGroup` (members then stand alone). */
  readonly oversized: number | undefined
  /**
   * For a member of an oversized component: every address of that component (one array shared
   * by all of them), so a change to any member regroups them all.
   */
  readonly component?: ReadonlyArray<RepoRef>
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

/** Whether a sorted array holds a value (binary search). */
const hasSorted = (xs: ReadonlyArray<string>, x: string): boolean => {
  let lo = 0
  let hi = xs.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const c = compareStrings(xs[mid] as string, x)
    if (c === 0) return true
    if (c < 0) lo = mid + 1
    else hi = mid - 1
  }
  return false
}

/** Whether `a` and `b` list each other as maintainers (self-listing never counts). */
export const mutual = (a: AnnouncementFacts, b: AnnouncementFacts): boolean =>
  a.pubkey !== b.pubkey && hasSorted(a.maintainers, b.pubkey) && hasSorted(b.maintainers, a.pubkey)

/** The live announcements that `a` lists and that list `a` back, under the same identifier. */
const neighbours = (data: RepoIndexData, a: AnnouncementFacts): Array<AnnouncementFacts> => {
  const out: Array<AnnouncementFacts> = []
  for (const m of a.maintainers) {
    if (m === a.pubkey) continue
    const b = liveAnnouncement(data, `30617:${m}:${a.identifier}` as RepoRef)
    if (b !== undefined && b.identifier === a.identifier && hasSorted(b.maintainers, a.pubkey)) out.push(b)
  }
  return out
}

/** The mutual-listing component of a live announcement (itself alone when merging is off). */
const componentOf = (config: ResolvedConfig, data: RepoIndexData, start: AnnouncementFacts): Array<AnnouncementFacts> => {
  if (!config.mergeMaintainers) return [start]
  const seen = new Set<RepoRef>([start.ref])
  const queue: Array<AnnouncementFacts> = [start]
  for (let i = 0; i < queue.length; i++)
    for (const b of neighbours(data, queue[i] as AnnouncementFacts))
      if (!seen.has(b.ref)) {
        seen.add(b.ref)
        queue.push(b)
      }
  return queue
}

const NONE: ReadonlyArray<never> = []

/** One group from its members (sorted by address). */
const makeGroup = (
  config: ResolvedConfig,
  members: ReadonlyArray<AnnouncementFacts>,
  oversized: number | undefined,
  component?: ReadonlyArray<RepoRef>
): RepoGroup => {
  const accepted = members.filter(acceptedBy(config))
  const synced = accepted.length > 0
  return {
    members,
    accepted: accepted.length === members.length ? members : accepted.length === 0 ? NONE : accepted,
    relays: synced ? groupRelays(config, members).relays : NONE,
    oversized,
    ...(component === undefined ? {} : { component })
  }
}

/**
 * The groups of the component that holds `start`: one group, or one per member when the
 * component is over `membersPerGroup`.
 */
export const groupsAround = (config: ResolvedConfig, data: RepoIndexData, start: AnnouncementFacts): Array<RepoGroup> => {
  const component = componentOf(config, data, start)
  if (component.length === 1) return [makeGroup(config, component, undefined)]
  component.sort((a, b) => compareStrings(a.ref, b.ref))
  if (component.length > config.caps.membersPerGroup) {
    const refs = component.map((m) => m.ref)
    return component.map((m) => makeGroup(config, [m], component.length, refs))
  }
  return [makeGroup(config, component, undefined)]
}

/** One relay value of a member, as the group's relay rule sees it. */
export interface GroupRelaySource {
  readonly member: AnnouncementFacts
  readonly relay: RelayUrl
  /** Whether the relay is among the group's relays (false: over `relaysPerGroup`). */
  readonly kept: boolean
}

/**
 * The relays of a group: the members' effective relays (members in address order, each in tag
 * order), without duplicates, up to `caps.relaysPerGroup`. With `provenance`, also every
 * (member, relay) pair that the rule looked at, so explanations read the same rule.
 */
export const groupRelays = (
  config: ResolvedConfig,
  members: ReadonlyArray<AnnouncementFacts>,
  provenance = false
): { readonly relays: ReadonlyArray<RelayUrl>; readonly sources: ReadonlyArray<GroupRelaySource> } => {
  const cap = config.caps.relaysPerGroup
  if (members.length === 1 && !provenance) {
    const targets = effectiveRelays(config, members[0] as AnnouncementFacts).targets
    return { relays: targets.length <= cap ? targets : targets.slice(0, cap), sources: NONE }
  }
  const relays: Array<RelayUrl> = []
  const chosen = new Set<RelayUrl>()
  const sources: Array<GroupRelaySource> = []
  for (const member of members)
    for (const relay of effectiveRelays(config, member).targets) {
      if (!chosen.has(relay) && relays.length < cap) {
        chosen.add(relay)
        relays.push(relay)
      }
      if (provenance) sources.push({ member, relay, kept: chosen.has(relay) })
    }
  return { relays, sources }
}

/** Every repository group of the index (accepted or not), each once. */
export const repoGroups = (config: ResolvedConfig, data: RepoIndexData): Array<RepoGroup> => {
  const placed = new Set<RepoRef>()
  const out: Array<RepoGroup> = []
  for (const [ref, state] of data.addrs) {
    if (state._tag !== 'Live' || placed.has(ref)) continue
    for (const g of groupsAround(config, data, state.ann)) {
      for (const m of g.members) placed.add(m.ref)
      out.push(g)
    }
  }
  return out
}
