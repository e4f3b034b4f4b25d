/**
 * The per-kind decoders (internal; used by `decodeNip34Event`): an event whose shape and
 * signature were checked becomes an announcement, a root event or a deletion, with a rejection
 * for every value that is not used.
 */
import { either as E } from 'fp-ts'
import type { ResolvedConfig } from '../config/Config.js'
import { hostOf, relayUrl, type RelayUrl } from '../model/RelayUrl.js'
import { ANNOUNCEMENT_KIND, makeRepoRef, repoRef, repoRefParts, type RepoRef } from '../model/RepoRef.js'
import { rejection, type Rejection } from '../model/Rejection.js'
import type { Decoded, ExcludedRelay, RelaySource } from '../model/events.js'
import { effectiveRelays } from './effective.js'
import type { NostrEvent } from './nostrEvent.js'
import { compareStrings, sortedUnique } from '../util/sorted.js'

/** The first value of every tag with this name (for `a` and `e`, whose later values are a relay hint and a marker). */
const firstValues = (tags: ReadonlyArray<ReadonlyArray<string>>, name: string): Array<string> => {
  const out: Array<string> = []
  for (const tag of tags) if (tag[0] === name && tag.length > 1) out.push(tag[1] as string)
  return out
}

/** Every value of every tag with this name (for multi-valued tags: `relays`, `clone`, `maintainers`). */
const tagValues = (tags: ReadonlyArray<ReadonlyArray<string>>, name: string): Array<string> => {
  const out: Array<string> = []
  for (const tag of tags) if (tag[0] === name) for (let i = 1; i < tag.length; i++) out.push(tag[i] as string)
  return out
}

export const decodeAnnouncement = (config: ResolvedConfig, ev: NostrEvent, position: number | undefined): Decoded => {
  const ctx = { position, eventId: ev.id }
  const dTag = ev.tags.find((tag) => tag[0] === 'd')
  const d = dTag?.[1]
  if (d === undefined || d === '')
    return {
      event: undefined,
      rejected: [rejection('missing-d', dTag === undefined ? 'announcement has no d tag' : 'announcement has an empty d tag', ctx)]
    }
  const ref = makeRepoRef(ev.pubkey, d)
  if (E.isLeft(ref)) return { event: undefined, rejected: [rejection('missing-d', ref.left.reason, ctx)] }
  const sources: Array<RelaySource> = []
  const excluded: Array<ExcludedRelay> = []
  const seen = new Map<RelayUrl, Array<{ readonly at: number; readonly value: string }>>() // relay → every spelling
  const reports: Array<{ readonly at: number; readonly rejection: Rejection }> = []
  // Every usable relay URL goes into the index; our own hosts, the relay policy and the cap are
  // applied when targets are derived (internal/effective.ts). They are reported here too, under
  // the batch's configuration, in tag order.
  let at = 0
  ev.tags.forEach((tag, index) => {
    if (tag[0] !== 'relays') return
    for (let i = 1; i < tag.length; i++, at++) {
      const value = tag[i] as string
      const r = relayUrl(value)
      if (E.isLeft(r)) {
        const reason = `relays value refused: ${r.left.reason}`
        excluded.push({ tag: index, value, code: 'invalid-relay-url', reason })
        reports.push({ at, rejection: rejection('invalid-relay-url', reason, { ...ctx, partial: true, repo: ref.right, value }) })
      } else {
        const spellings = seen.get(r.right)
        if (spellings === undefined) {
          seen.set(r.right, [{ at, value }])
          sources.push({ relay: r.right, tag: index, value })
        } else spellings.push({ at, value })
      }
    }
  })
  for (const x of effectiveRelays(config, { relaySources: sources }).excluded)
    for (const spelling of seen.get(x.relay) ?? [])
      reports.push({
        at: spelling.at,
        rejection: rejection(x.code, x.reason, { ...ctx, partial: true, repo: ref.right, value: spelling.value, rule: x.rule })
      })
  const rejected = reports.sort((a, b) => a.at - b.at).map((r) => r.rejection)
  const cloneHosts: Array<string> = []
  for (const value of tagValues(ev.tags, 'clone')) {
    // GRASP-01 clone URLs are http(s)://<host>/<npub>/<d>.git; other schemes (ssh, git, ws) say
    // nothing about which GRASP server hosts the repository
    if (!/^\s*https?:\/\//i.test(value)) continue
    const h = hostOf(value)
    if (h !== undefined) cloneHosts.push(h)
  }
  const maintainers = new Set<string>()
  const maxMaintainers = config.caps.maintainersPerAnnouncement
  for (const m of tagValues(ev.tags, 'maintainers')) {
    if (/^[0-9a-f]{64}$/.test(m)) {
      if (maintainers.has(m)) continue
      if (maintainers.size < maxMaintainers) maintainers.add(m)
      else
        rejected.push(
          rejection('cap-exceeded', `more than ${maxMaintainers} maintainers in one announcement; this one is not used`, {
            ...ctx,
            partial: true,
            repo: ref.right,
            value: m,
            rule: 'maintainersPerAnnouncement'
          })
        )
    } else
      rejected.push(
        rejection('invalid-maintainer', 'maintainers value is not a 64-character lower-case hex pubkey; it is not used', {
          ...ctx,
          partial: true,
          repo: ref.right,
          value: m
        })
      )
  }
  return {
    event: {
      _tag: 'Announcement',
      id: ev.id,
      pubkey: ev.pubkey,
      createdAt: ev.created_at,
      identifier: d,
      ref: ref.right,
      relays: sortedUnique(seen.keys()),
      cloneHosts: sortedUnique(cloneHosts),
      maintainers: sortedUnique(maintainers),
      relaySources: sources,
      excluded
    },
    rejected
  }
}

const ADDRESS_PREFIX = `${ANNOUNCEMENT_KIND}:`

export const decodeRoot = (config: ResolvedConfig, ev: NostrEvent, position: number | undefined): Decoded => {
  let rejected: Array<Rejection> | undefined
  // almost every root event names one repository: a plain array, searched linearly while small
  const repos: Array<RepoRef> = []
  let seen: Set<RepoRef> | undefined // past a few repositories (a raised cap), a set keeps this linear
  const cap = config.caps.reposPerRootEvent
  const tags = ev.tags
  for (let t = 0; t < tags.length; t++) {
    const tag = tags[t] as ReadonlyArray<string>
    if (tag[0] !== 'a' || tag.length < 2) continue
    const value = tag[1] as string
    if (!value.startsWith(ADDRESS_PREFIX)) continue // an address of another kind: not a repository
    const r = repoRef(value)
    if (E.isLeft(r)) (rejected ??= []).push(rejection('invalid-repo-ref', `a tag refused: ${r.left.reason}`, { position, eventId: ev.id, partial: true, value }))
    else if (seen !== undefined ? seen.has(r.right) : repos.includes(r.right)) continue
    else if (repos.length >= cap)
      (rejected ??= []).push(
        rejection('cap-exceeded', `more than ${cap} repositories in one root event; this one is not used`, {
          position,
          eventId: ev.id,
          partial: true,
          value,
          rule: 'reposPerRootEvent'
        })
      )
    else {
      repos.push(r.right)
      if (seen !== undefined) seen.add(r.right)
      else if (repos.length >= 16) seen = new Set(repos)
    }
  }
  if (repos.length === 0)
    return {
      event: undefined,
      rejected: [...(rejected ?? []), rejection('no-repo-ref', `kind ${ev.kind} root event names no repository in its a tags`, { position, eventId: ev.id })]
    }
  if (repos.length > 1) repos.sort(compareStrings)
  return {
    event: { _tag: 'RootEvent', id: ev.id, pubkey: ev.pubkey, kind: ev.kind, createdAt: ev.created_at, repos },
    rejected: rejected ?? NO_REJECTIONS
  }
}

/** The rejections of the usual, clean root event: one shared empty list. */
const NO_REJECTIONS: ReadonlyArray<Rejection> = Object.freeze([])

export const decodeDeletion = (ev: NostrEvent, position: number | undefined): Decoded => {
  const ctx = { position, eventId: ev.id }
  const rejected: Array<Rejection> = []
  const addresses: Array<RepoRef> = []
  const eventIds: Array<string> = []
  for (const value of firstValues(ev.tags, 'a')) {
    if (!value.startsWith(`${ANNOUNCEMENT_KIND}:`)) continue
    const r = repoRef(value)
    if (E.isLeft(r)) rejected.push(rejection('invalid-repo-ref', `a tag refused: ${r.left.reason}`, { ...ctx, partial: true, value }))
    else if (repoRefParts(r.right).pubkey !== ev.pubkey)
      rejected.push(
        rejection('not-authorised', 'a deletion can only delete its own author\u2019s announcements; this a tag has no effect', {
          ...ctx,
          partial: true,
          repo: r.right,
          value
        })
      )
    else addresses.push(r.right)
  }
  for (const value of firstValues(ev.tags, 'e')) {
    if (/^[0-9a-f]{64}$/.test(value)) eventIds.push(value)
    else rejected.push(rejection('invalid-event-ref', 'e tag value is not a 64-character lower-case hex event id', { ...ctx, partial: true, value }))
  }
  if (addresses.length === 0 && eventIds.length === 0)
    return { event: undefined, rejected: [...rejected, rejection('no-target', 'deletion names no repository and no event id', ctx)] }
  return {
    event: { _tag: 'Deletion', id: ev.id, pubkey: ev.pubkey, createdAt: ev.created_at, addresses: sortedUnique(addresses), eventIds: sortedUnique(eventIds) },
    rejected
  }
}
