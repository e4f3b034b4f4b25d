/**
 * Explanations: why the core asks a relay for a repository or a root event, and why it does not.
 *
 * Operators debugging a GRASP server need to trace every subscription back to the signed event
 * that caused it. {@link explainRelay} answers for one relay: for each repository it is asked for,
 * the announcement (id, author, `created_at`) and the `relays` tag (index and value as written)
 * that put it there, whether through the repository's own announcement or a co-maintainer's, and
 * the root events that come with it; and, for `relays` values that name this relay but were not
 * used, the rule that excluded them. {@link explainRepo} answers the same for one repository.
 *
 * The results are plain JSON data, stable and sorted, for logs and for a CLI's `--explain`.
 * Explanations read the same derivation as {@link deriveTargets} (the same groups and the same
 * relay rule, read with provenance), so they cannot disagree with it. `explainRelay` walks every
 * group: a debugging aid, not a hot path.
 *
 * @since 0.1.0
 */
import { either as E } from 'fp-ts'
import { resolveConfig, type ResolvedConfig, type SyncConfig } from '../config/Config.js'
import { relayUrl } from '../model/RelayUrl.js'
import type { RepoIndex } from '../repo/RepoIndex.js'
import type { RejectionCode } from '../model/Rejection.js'
import { effectiveRelays, isOwnHost } from '../decode/effective.js'
import { derivation } from './derive.js'
import { groupRelays, type GroupRelaySource, type RepoGroup } from './groups.js'
import { dataOf, type AnnouncementFacts, type RepoIndexData } from '../repo/store.js'
import { compareStrings } from '../util/sorted.js'

/**
 * An announcement, identified.
 *
 * @category model
 * @since 0.1.0
 */
export interface AnnouncementRef {
  readonly repo: string
  readonly id: string
  readonly author: string
  readonly createdAt: number
}

/**
 * A `relays` tag value that named a relay.
 *
 * @category model
 * @since 0.1.0
 */
export interface RelayTagSource {
  readonly announcement: AnnouncementRef
  /** Index of the tag in the announcement's `tags`. */
  readonly tag: number
  /** The value as written. */
  readonly value: string
}

/**
 * A `relays` value that was not used, and why.
 *
 * @category model
 * @since 0.1.0
 */
export interface ExclusionReason extends RelayTagSource {
  readonly code: RejectionCode | 'own-relay' | 'not-accepted'
  readonly rule?: string
  readonly reason: string
}

/**
 * Why one repository is asked of one relay.
 *
 * @category model
 * @since 0.1.0
 */
export interface RepoOnRelay {
  readonly repo: string
  /** The `relays` values (in this repository's group) that name the relay. */
  readonly listedBy: ReadonlyArray<RelayTagSource>
  /** The group members accepted on their own (they list us, or archive mode). */
  readonly acceptedThrough: ReadonlyArray<AnnouncementRef>
  /** Root event ids that come with the repository, sorted. */
  readonly rootEvents: ReadonlyArray<string>
}

/**
 * Everything about one relay.
 *
 * @category model
 * @since 0.1.0
 */
export interface RelayExplanation {
  /** The relay in canonical form, or the input as given when it is not a relay URL. */
  readonly relay: string
  /** Whether the derived targets contain this relay. */
  readonly asked: boolean
  readonly bootstrap: boolean
  /** On one of our own hosts: never a target. */
  readonly own: boolean
  /** Repositories asked of this relay, sorted. */
  readonly repos: ReadonlyArray<RepoOnRelay>
  /** Values naming this relay that did not make it a target for their repository. */
  readonly excluded: ReadonlyArray<ExclusionReason>
}

/**
 * The state of one repository address.
 *
 * | status | meaning |
 * | --- | --- |
 * | `synced` | its group has an accepted member: it is asked of its relays |
 * | `not-accepted` | announced, but no member of its group lists our server (in `'listed'` mode) |
 * | `deleted` | its announcement was deleted by its author (NIP-09) |
 * | `not-announced` | only root events name it so far |
 * | `unknown` | the index knows nothing of it |
 *
 * @category model
 * @since 0.1.0
 */
export type RepoStatus = 'synced' | 'not-accepted' | 'deleted' | 'not-announced' | 'unknown'

/**
 * Everything about one repository.
 *
 * @category model
 * @since 0.1.0
 */
export interface RepoExplanation {
  readonly repo: string
  readonly status: RepoStatus
  readonly announcement?: AnnouncementRef
  /** Addresses merged into one repository with this one (itself included), sorted. */
  readonly group: ReadonlyArray<string>
  readonly acceptedThrough: ReadonlyArray<AnnouncementRef>
  /** Relays it is asked of, each with the tag that put it there. */
  readonly relays: ReadonlyArray<{ readonly relay: string; readonly listedBy: ReadonlyArray<RelayTagSource> }>
  /** Values of the group's `relays` tags that were not used. */
  readonly excluded: ReadonlyArray<ExclusionReason>
  readonly rootEvents: ReadonlyArray<string>
  /**
   * Present when this address belongs to a group of mutually listing co-maintainers with more
   * than `moreThan` (the `membersPerGroup` cap) members: the group was not merged, every member
   * stands alone.
   * @since 0.2.0
   */
  readonly unmergedGroup?: { readonly moreThan: number; readonly rule: 'membersPerGroup' }
}

const annRef = (a: AnnouncementFacts): AnnouncementRef => ({ repo: a.ref, id: a.id, author: a.pubkey, createdAt: a.createdAt })

const rootsOf = (d: RepoIndexData, repo: string): ReadonlyArray<string> =>
  d.roots
    .get(repo as never)
    ?.toArray()
    .sort(compareStrings) ?? []

/** A group read with provenance: which (member, relay) pairs the group's relay rule kept. */
interface Reading {
  readonly group: RepoGroup
  readonly synced: boolean
  readonly sources: ReadonlyArray<GroupRelaySource>
}

const read = (config: ResolvedConfig, group: RepoGroup): Reading => ({
  group,
  synced: group.accepted.length > 0,
  sources: groupRelays(config, group.members, true).sources
})

/** Every value of a group's `relays` tags that was not used, and why (same rules as the derivation). */
const exclusionsOf = (config: ResolvedConfig, { group, synced, sources }: Reading): Array<ExclusionReason> => {
  const out: Array<ExclusionReason> = []
  for (const ann of group.members) {
    const effective = effectiveRelays(config, ann)
    for (const x of [...ann.excluded, ...effective.excluded])
      out.push({ announcement: annRef(ann), tag: x.tag, value: x.value, code: x.code, ...(x.rule === undefined ? {} : { rule: x.rule }), reason: x.reason })
    for (const s of effective.own)
      out.push({ announcement: annRef(ann), tag: s.tag, value: s.value, code: 'own-relay', reason: 'one of our own hosts: never a sync target' })
    if (!synced) {
      const targets = new Set(effective.targets)
      for (const s of ann.relaySources)
        if (targets.has(s.relay))
          out.push({
            announcement: annRef(ann),
            tag: s.tag,
            value: s.value,
            code: 'not-accepted',
            reason: 'no announcement of this repository lists our server in both relays and clone (GRASP-01)'
          })
    }
  }
  if (synced)
    for (const src of sources) {
      if (src.kept) continue
      for (const s of src.member.relaySources)
        if (s.relay === src.relay)
          out.push({
            announcement: annRef(src.member),
            tag: s.tag,
            value: s.value,
            code: 'cap-exceeded',
            rule: 'relaysPerGroup',
            reason: `the repository group already has ${config.caps.relaysPerGroup} relays; this one is not used`
          })
    }
  return out
}

/** The `relays` values of a synced group that put `relay` among its targets. */
const listedByOf = ({ sources }: Reading, relay: string): Array<RelayTagSource> => {
  const out: Array<RelayTagSource> = []
  for (const src of sources)
    if (src.kept && src.relay === relay)
      for (const s of src.member.relaySources) if (s.relay === relay) out.push({ announcement: annRef(src.member), tag: s.tag, value: s.value })
  return out
}

const byAnnouncementThenTag = (a: RelayTagSource, b: RelayTagSource): number =>
  compareStrings(a.announcement.repo, b.announcement.repo) || a.tag - b.tag || compareStrings(a.value, b.value)

/**
 * Explains one relay: why each repository and root event is asked of it, and which rule excluded
 * each value that names it but was not used. `relay` may be any string; it is canonicalised when
 * it is a relay URL, and matched as written against excluded values otherwise. Total.
 *
 * @example
 * import { applyBatch, emptyRepoIndex, explainRelay } from 'nip34-sync'
 *
 * const config = { ownRelays: ['wss://grasp.example.com'], verify: false }
 * const { index } = applyBatch(config, [])(emptyRepoIndex)
 * const e = explainRelay(config, index, 'WSS://Relay.Example.com/')
 * assert.deepStrictEqual(e, { relay: 'wss://relay.example.com', asked: false, bootstrap: false, own: false, repos: [], excluded: [] })
 *
 * @category explanations
 * @since 0.1.0
 */
export const explainRelay = (config: SyncConfig | ResolvedConfig, index: RepoIndex, relay: string): RelayExplanation => {
  const resolved = resolveConfig(config)
  const d = dataOf(index)
  const raw = typeof relay === 'string' ? relay : ''
  const parsed = relayUrl(raw)
  const canonical = E.isRight(parsed) ? parsed.right : raw
  const own = E.isRight(parsed) && isOwnHost(resolved, canonical)
  const bootstrap = E.isRight(parsed) && resolved.bootstrapRelays.includes(parsed.right)
  const names = (value: string): boolean => {
    if (value === raw) return true
    const r = relayUrl(value)
    return E.isRight(r) && r.right === canonical
  }
  const repos: Array<RepoOnRelay> = []
  const excluded: Array<ExclusionReason> = []
  for (const group of new Set(derivation(resolved, d).groupOf.values())) {
    const reading = read(resolved, group)
    for (const x of exclusionsOf(resolved, reading)) if (names(x.value)) excluded.push(x)
    if (!reading.synced || own) continue
    const listedBy = listedByOf(reading, canonical)
    if (listedBy.length === 0) continue
    listedBy.sort(byAnnouncementThenTag)
    for (const member of group.members)
      repos.push({ repo: member.ref, listedBy, acceptedThrough: group.accepted.map(annRef), rootEvents: rootsOf(d, member.ref) })
  }
  repos.sort((a, b) => compareStrings(a.repo, b.repo))
  excluded.sort(byAnnouncementThenTag)
  return { relay: canonical, asked: !own && (repos.length > 0 || bootstrap), bootstrap, own, repos, excluded }
}

/**
 * Explains one repository: its status, its group of co-maintainers, the relays it is asked of and
 * the tags that put them there, the values that were excluded and why, and its root events. Total.
 *
 * @example
 * import { emptyRepoIndex, explainRepo } from 'nip34-sync'
 *
 * const e = explainRepo({ ownRelays: ['wss://grasp.example.com'] }, emptyRepoIndex, `30617:${'a'.repeat(64)}:x`)
 * assert.strictEqual(e.status, 'unknown')
 *
 * @category explanations
 * @since 0.1.0
 */
export const explainRepo = (config: SyncConfig | ResolvedConfig, index: RepoIndex, repo: string): RepoExplanation => {
  const resolved = resolveConfig(config)
  const d = dataOf(index)
  const key = (typeof repo === 'string' ? repo : '') as never
  const state = d.addrs.get(key)
  const rootEvents = rootsOf(d, key)
  const base = { repo: key as string, group: [key as string], acceptedThrough: [], relays: [], excluded: [], rootEvents }
  if (state === undefined) return { ...base, status: rootEvents.length > 0 ? 'not-announced' : 'unknown' }
  if (state._tag === 'Deleted') return { ...base, status: 'deleted' }
  const group = derivation(resolved, d).groupOf.get(key)
  if (group === undefined) return { ...base, status: 'unknown' }
  const reading = read(resolved, group)
  const relays = new Map<string, Array<RelayTagSource>>()
  if (reading.synced) for (const relay of group.relays) relays.set(relay, listedByOf(reading, relay))
  const excluded = exclusionsOf(resolved, reading).sort(byAnnouncementThenTag)
  return {
    repo: key,
    status: reading.synced ? 'synced' : 'not-accepted',
    announcement: annRef(state.ann),
    group: group.members.map((m) => m.ref),
    acceptedThrough: group.accepted.map(annRef),
    relays: [...relays.keys()].sort(compareStrings).map((relay) => ({ relay, listedBy: (relays.get(relay) ?? []).sort(byAnnouncementThenTag) })),
    excluded,
    rootEvents,
    ...(group.oversized === undefined ? {} : { unmergedGroup: { moreThan: resolved.caps.membersPerGroup, rule: 'membersPerGroup' as const } })
  }
}

/**
 * `explain(config, index, relay)`: the same as {@link explainRelay}, under the name hosts and the
 * CLI's `--explain` use.
 *
 * @example
 * import { emptyRepoIndex, explain } from 'nip34-sync'
 *
 * assert.strictEqual(explain({ ownRelays: ['wss://grasp.example.com'] }, emptyRepoIndex, 'wss://r.example').asked, false)
 *
 * @category explanations
 * @since 0.1.0
 */
export const explain: (config: SyncConfig | ResolvedConfig, index: RepoIndex, relay: string) => RelayExplanation = explainRelay
