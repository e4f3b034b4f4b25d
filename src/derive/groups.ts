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
 * (`oversized`). The walk stops at cap + 1 members, so grouping one member costs O(cap ·
 * maintainers) however large its component. Only the component's own members can make it grow
 * (an edge needs both ends to list each other), so nobody else can split a group this way.
 *
 * @internal
 */
import type { ResolvedConfig } from '../config/Config.js'
import { hostOf, type RelayUrl } from '../model/RelayUrl.js'
import type { RepoRef } from '../model/RepoRef.js'
import { effectiveRelays, isOwnHost } from '../decode/effective.js'
import { liveAnnouncement, type AnnouncementFacts, type RepoIndexData } from '../repo/store.js'
import { compareStrings } from '../util/sorted.js'

export interface RepoGroup {
  /** Members, sorted by repository address. */
  readonly members: ReadonlyArray<AnnouncementFacts>
  /** The members accepted on their own (listing us, or every member in archive mode). */
  readonly accepted: ReadonlyArray<AnnouncementFacts>
  /** The relays the group is synced from, in order (empty when no member is accepted). */
  readonly relays: ReadonlyArray<RelayUrl>
  /**
   * Set when the member's mutual-listing component has more than `membersPerGroup` members (the
   * cap): the member then stands alone. The walk that finds this stops at cap + 1 members.
   */
  readonly oversized: number | undefined
  /**
   * For a member standing alone because its component is over the cap: its mutual neighbours
   * when it was grouped (at most its `maintainers` count), so a change to it regroups them.
   */
  readonly neighbours?: ReadonlyArray<RepoRef>
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

/**
 * The mutual-listing component of a live announcement (itself alone when merging is off), found by
 * a walk that stops as soon as it holds more than `limit` members: then `complete` is false.
 * Whether a component is over the limit does not depend on where the walk starts, and the walk
 * costs at most about `limit` members' `maintainers`, whatever the component's size.
 */
const componentOf = (
  config: ResolvedConfig,
  data: RepoIndexData,
  start: AnnouncementFacts,
  limit: number
): { readonly members: Array<AnnouncementFacts>; readonly complete: boolean } => {
  if (!config.mergeMaintainers) return { members: [start], complete: true }
  const seen = new Set<RepoRef>([start.ref])
  const queue: Array<AnnouncementFacts> = [start]
  for (let i = 0; i < queue.length; i++)
    for (const b of neighbours(data, queue[i] as AnnouncementFacts))
      if (!seen.has(b.ref)) {
        seen.add(b.ref)
        queue.push(b)
        if (queue.length > limit) return { members: queue, complete: false }
      }
  return { members: queue, complete: true }
}

const NONE: ReadonlyArray<never> = []

/** The relays of an accepted one-member group that has none (told apart from an unaccepted one). */
const ACCEPTED_NO_RELAYS: ReadonlyArray<never> = Object.freeze([])

/**
 * A group of one member that stands alone by nature (not by the cap): the usual case, kept as
 * the announcement and its relays only (a desired index holds one group per repository). Reads
 * as a {@link RepoGroup}: `members` and `accepted` are made on each read.
 */
class SoleGroup implements RepoGroup {
  constructor(
    private readonly member: AnnouncementFacts,
    /** The relays; `NONE` when not accepted, `ACCEPTED_NO_RELAYS` when accepted without relays. */
    private readonly rs: ReadonlyArray<RelayUrl>
  ) {}
  get members(): ReadonlyArray<AnnouncementFacts> {
    return [this.member]
  }
  get accepted(): ReadonlyArray<AnnouncementFacts> {
    return this.rs === NONE ? NONE : [this.member]
  }
  get relays(): ReadonlyArray<RelayUrl> {
    return this.rs === ACCEPTED_NO_RELAYS ? NONE : this.rs
  }
  get oversized(): undefined {
    return undefined
  }
}

/** One group from its members (sorted by address). */
const makeGroup = (
  config: ResolvedConfig,
  members: ReadonlyArray<AnnouncementFacts>,
  oversized: number | undefined,
  around?: ReadonlyArray<RepoRef>
): RepoGroup => {
  if (members.length === 1 && oversized === undefined && around === undefined) {
    const only = members[0] as AnnouncementFacts
    if (!acceptedBy(config)(only)) return new SoleGroup(only, NONE)
    const relays = groupRelays(config, members).relays
    return new SoleGroup(only, relays.length === 0 ? ACCEPTED_NO_RELAYS : relays)
  }
  const accepted = members.filter(acceptedBy(config))
  const synced = accepted.length > 0
  return {
    members,
    accepted: accepted.length === members.length ? members : accepted.length === 0 ? NONE : accepted,
    relays: synced ? groupRelays(config, members).relays : NONE,
    oversized,
    ...(around === undefined ? {} : { neighbours: around })
  }
}

/**
 * The group of `start`: its whole component when the component has at most `membersPerGroup`
 * members, else `start` alone (with its mutual neighbours remembered).
 */
export const groupAround = (config: ResolvedConfig, data: RepoIndexData, start: AnnouncementFacts): RepoGroup => {
  const cap = config.caps.membersPerGroup
  const { members, complete } = componentOf(config, data, start, Math.max(cap, 1))
  if (members.length === 1) return makeGroup(config, members, undefined)
  if (!complete || members.length > cap)
    return makeGroup(config, [start], cap + 1, neighbours(data, start).map((n) => n.ref))
  members.sort((a, b) => compareStrings(a.ref, b.ref))
  return makeGroup(config, members, undefined)
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
    const g = groupAround(config, data, state.ann)
    for (const m of g.members) placed.add(m.ref)
    out.push(g)
  }
  return out
}
