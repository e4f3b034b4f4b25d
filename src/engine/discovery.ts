/**
 * Discovery from user GRASP lists (kind 10317), off by default (`EngineOptions.discovery`).
 *
 * A maintainer's list names the git relays they publish to, in order of preference. With
 * discovery on, the engine keeps the latest list of every author it sees (NIP-01 replaceable
 * order: later `created_at`, then lower `id`; at most `maxLists`), and for every maintainer of an
 * accepted repository (the authors of its group's announcements and their `maintainers`) asks the
 * first `relaysPerList` relays of their list (canonical, not our own hosts, allowed by the relay
 * policy) for their announcements: a live `{kinds:[30617], authors:[…]}` subscription per chunk of
 * `authorsPerFilter` maintainers, and the history of the maintainers it adds. The lists come from
 * the discovery layer every relay is already asked for (`{kinds:[30617,10317]}`, bootstrap relays
 * included) and from the own relay (the executor reads 10317 there when discovery is on).
 *
 * These subscriptions are a relay's `extra` live subscriptions, after its layout (`replan`). A
 * relay that only a list names has no target: it is tracked for them alone, and closed when no
 * list names it any more.
 *
 * @internal
 */
import { Map as IMap, Set as ISet } from 'immutable'
import { DEFAULT_CAPS, type Caps, type ResolvedConfig } from '../config/Config.js'
import { isOwnHost } from '../decode/effective.js'
import { replacesGraspList, type GraspList } from '../decode/graspList.js'
import { canonicalRelay, type RelayUrl } from '../model/RelayUrl.js'
import { verifies, type SignedEvent } from '../decode/verifyBackend.js'
import { derivation } from '../derive/derive.js'
import type { RepoGroup } from '../derive/groups.js'
import { dataOf as repoData } from '../repo/store.js'
import { compareStrings } from '../util/sorted.js'
import { deriveId, idLength } from '../wire/layout.js'
import type { RelayBatch, Subscription } from '../wire/Wire.js'
import { addFilterJobs } from './filterJobs.js'
import { emptyDiscovery, type DiscoveryConfig, type DiscoveryState } from './fetchState.js'
import { freezeSubscription, replan } from './plan.js'
import { byRelay, closeRelay, reconcile } from './reconcile.js'
import { freshRelay, limitsOf, type EngineData, type RelayState } from './state.js'
import type { EngineProblem } from './types.js'

export const discoveryOf = (d: EngineData): DiscoveryState => d.discovery ?? emptyDiscovery

/** Maintainers, group members and relay authors visited by discovery: the tests' work counter. */
export const discoveryWork = { steps: 0 }

/** The fields of a kind 10317 event, each read once from the caller's value; the tags within the event caps before they are copied. */
const readListEvent = (u: object, caps: Caps): Record<string, unknown> | undefined => {
  const o = u as Record<string, unknown>
  const id: unknown = o['id']
  const pubkey: unknown = o['pubkey']
  const createdAt: unknown = o['created_at']
  const content: unknown = o['content']
  const sig: unknown = o['sig']
  const raw: unknown = o['tags']
  if (!Array.isArray(raw)) return undefined
  const n: unknown = raw.length
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > caps.tagsPerEvent) return undefined
  const tags: Array<ReadonlyArray<unknown>> = []
  let values = 0
  for (let i = 0; i < n; i++) {
    const t: unknown = raw[i]
    if (!Array.isArray(t)) continue
    const m: unknown = t.length
    if (typeof m !== 'number' || !Number.isSafeInteger(m) || m < 0 || m - 1 > caps.valuesPerTag) return undefined
    values += Math.max(0, m - 1)
    if (values > caps.valuesPerEvent) return undefined
    const copy: Array<unknown> = []
    for (let j = 0; j < m; j++) {
      const v: unknown = t[j]
      if (typeof v === 'string' && v.length > caps.bytesPerTagValue) return undefined
      copy.push(typeof v === 'object' && v !== null ? {} : v)
    }
    tags.push(copy)
  }
  return { id, pubkey, created_at: createdAt, kind: 10317, tags, content, sig }
}

/** A list from the plain copy of a kind 10317 event (the same rules as `decodeGraspList`, without copying again). */
const listOf = (e: Record<string, unknown>, maxRelays: number): GraspList | undefined => {
  const { id, pubkey, created_at: createdAt, tags } = e
  if (typeof id !== 'string' || !HEX64.test(id) || typeof pubkey !== 'string' || !HEX64.test(pubkey)) return undefined
  if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || createdAt < 0 || !Array.isArray(tags)) return undefined
  const relays: Array<RelayUrl> = []
  const seen = new Set<string>()
  for (const t of tags as ReadonlyArray<ReadonlyArray<unknown>>) {
    if (relays.length >= maxRelays) break
    if (t[0] !== 'g' || typeof t[1] !== 'string' || t[1].length > 1024) continue
    const relay = canonicalRelay(t[1].trim())
    if (relay === undefined || seen.has(relay)) continue
    seen.add(relay)
    relays.push(relay)
  }
  return { id, pubkey, createdAt, relays }
}

const HEX64 = /^[0-9a-f]{64}$/

/**
 * The lists of a batch, the latest per author kept (verified unless the configuration says
 * `verify: false`). Each element is read once: its `kind`, and for a kind 10317 its fields, the
 * tags checked against the event caps before they are copied; only a list that would replace the
 * kept one is verified. `changed`: the authors whose kept list changed.
 */
export const readLists = (
  lists: IMap<string, GraspList>,
  events: ReadonlyArray<unknown>,
  verify: boolean,
  o: DiscoveryConfig,
  caps: Caps = DEFAULT_CAPS
): { readonly lists: IMap<string, GraspList>; readonly over: number; readonly changed: ReadonlyArray<string> } => {
  let out = lists
  let over = 0
  const changed: Array<string> = []
  for (const u of events) {
    let plain: Record<string, unknown> | undefined
    try {
      if (typeof u !== 'object' || u === null || (u as { kind?: unknown }).kind !== 10317) continue
      plain = readListEvent(u, caps)
    } catch {
      continue
    }
    if (plain === undefined) continue
    const list = listOf(plain, 100)
    if (list === undefined) continue
    const was = out.get(list.pubkey)
    if (!replacesGraspList(list, was)) continue
    if (was === undefined && out.size >= o.maxLists) {
      over++
      continue
    }
    if (verify && verifies(plain as unknown as SignedEvent) !== undefined) continue
    out = out.set(list.pubkey, list)
    changed.push(list.pubkey)
  }
  return { lists: out, over, changed }
}

/** The maintainers of accepted repositories: authors of the announcements of every group synced, and their `maintainers`. */
export const acceptedMaintainers = (config: ResolvedConfig, d: EngineData): ReadonlySet<string> => {
  const out = new Set<string>()
  const seen = new Set<RepoGroup>()
  for (const [, group] of derivation(config, repoData(d.index)).groupOf) {
    if (seen.has(group) || group.relays.length === 0) continue
    seen.add(group)
    for (const m of group.members) {
      discoveryWork.steps += 1 + m.maintainers.length
      out.add(m.pubkey)
      for (const x of m.maintainers) out.add(x)
    }
  }
  return out
}

/** The first `relaysPerList` usable relays of a list (canonical, not our own hosts, allowed by the policy). */
const usableRelays = (config: ResolvedConfig, list: GraspList | undefined, o: DiscoveryConfig): ReadonlyArray<string> => {
  if (list === undefined) return []
  const out: Array<string> = []
  for (const relay of list.relays) {
    if (out.length >= o.relaysPerList) break
    if (isOwnHost(config, relay) || config.relayCheck(relay) !== undefined) continue
    out.push(relay)
  }
  return out
}

/** Per relay, the maintainers to ask it about (sorted): the first `relaysPerList` usable relays of each maintainer's list. */
export const authorsPerRelay = (
  config: ResolvedConfig,
  lists: IMap<string, GraspList>,
  maintainers: Iterable<string>,
  o: DiscoveryConfig
): Map<string, ReadonlyArray<string>> => {
  const per = new Map<string, Array<string>>()
  for (const m of maintainers)
    for (const relay of usableRelays(config, lists.get(m), o)) {
      discoveryWork.steps++
      const a = per.get(relay)
      if (a === undefined) per.set(relay, [m])
      else a.push(m)
    }
  const out = new Map<string, ReadonlyArray<string>>()
  for (const [relay, authors] of per) out.set(relay, authors.sort(compareStrings))
  return out
}

/** The live subscriptions of a relay's maintainers: one `{kinds:[30617], authors, limit:0}` per chunk. */
export const authorSubscriptions = (rs: RelayState, authors: ReadonlyArray<string>, o: DiscoveryConfig): ReadonlyArray<Subscription> => {
  const subs: Array<Subscription> = []
  const length = idLength(rs.limits)
  const per = Math.max(1, Math.min(o.authorsPerFilter, rs.limits.maxValuesPerList))
  for (let i = 0, k = 0; i < authors.length; i += per, k++) {
    const slot = `g:${k}`
    subs.push(freezeSubscription({ id: deriveId('live', slot, length), slot, filters: [{ kinds: [30617], authors: authors.slice(i, i + per), limit: 0 }] }))
  }
  return subs
}

const sameList = (a: ReadonlyArray<string> | undefined, b: ReadonlyArray<string> | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === (b ?? [])[i])

/**
 * One `Events` step of discovery: the batch's lists are kept, and every relay whose maintainers
 * changed gets its `extra` subscriptions re-planned (and the history of the maintainers added).
 */
export const discover = (
  d: EngineData,
  events: ReadonlyArray<unknown>,
  now: number,
  o: DiscoveryConfig,
  problems: Array<EngineProblem>
): { readonly d: EngineData; readonly batches: Array<RelayBatch> } => {
  if (!o.enabled) return { d, batches: [] }
  const before = discoveryOf(d)
  const read = readLists(before.lists, events, d.config.verify, o, d.config.caps)
  if (read.over > 0) problems.push({ code: 'fetch-cap', relay: '', message: `${read.over} GRASP list(s) of new authors not kept: ${o.maxLists} lists at most (maxLists)`, value: String(read.over) })
  const groupOf = derivation(d.config, repoData(d.index)).groupOf
  let maintainers = before.maintainers
  // the relays whose maintainers may change, with their new author lists
  const wanted = new Map<string, ReadonlyArray<string> | undefined>()
  if (maintainers === undefined) {
    // first time (or after a snapshot): everything
    maintainers = ISet(acceptedMaintainers(d.config, d))
    const all = authorsPerRelay(d.config, read.lists, maintainers, o)
    for (const relay of before.authors.keys()) wanted.set(relay, undefined)
    for (const [relay, a] of all) wanted.set(relay, a)
  } else {
    // only the maintainers a changed group or a changed list concerns (nothing: O(1))
    const who = new Set<string>()
    if (before.groups !== groupOf) {
      const next = ISet(acceptedMaintainers(d.config, d))
      discoveryWork.steps += next.size + maintainers.size
      for (const m of next) if (!maintainers.has(m)) who.add(m)
      for (const m of maintainers) if (!next.has(m)) who.add(m)
      maintainers = next
    }
    for (const m of read.changed) if (maintainers.has(m) || before.maintainers?.has(m) === true) who.add(m)
    if (who.size === 0) return { d: read.lists === before.lists && before.groups === groupOf ? d : { ...d, discovery: { ...before, lists: read.lists, groups: groupOf, maintainers } }, batches: [] }
    const adds = new Map<string, Array<string>>()
    const removes = new Map<string, Set<string>>()
    const push = <T>(m: Map<string, T>, k: string, make: () => T): T => {
      let x = m.get(k)
      if (x === undefined) m.set(k, (x = make()))
      return x
    }
    for (const m of who) {
      const was = before.maintainers?.has(m) === true ? usableRelays(d.config, before.lists.get(m), o) : []
      const now = maintainers.has(m) ? usableRelays(d.config, read.lists.get(m), o) : []
      for (const r of was) if (!now.includes(r)) push(removes, r, () => new Set()).add(m)
      for (const r of now) if (!was.includes(r)) push(adds, r, () => []).push(m)
    }
    for (const relay of new Set([...adds.keys(), ...removes.keys()])) {
      const gone = removes.get(relay) ?? new Set<string>()
      const kept = (before.authors.get(relay) ?? []).filter((a) => !gone.has(a))
      const more = adds.get(relay) ?? []
      const next = more.length === 0 ? kept : [...kept, ...more].sort(compareStrings)
      wanted.set(relay, next.length === 0 ? undefined : next)
    }
  }
  let relays = d.relays
  const batches: Array<RelayBatch> = []
  let authors = before.authors
  const touched = wanted.keys()
  for (const relay of touched) {
    const want = wanted.get(relay)
    const had = before.authors.get(relay)
    discoveryWork.steps += 1 + (want?.length ?? 0) + (had?.length ?? 0)
    if (sameList(want, had)) continue
    authors = want === undefined ? authors.delete(relay) : authors.set(relay, want)
    const rs = relays.get(relay)
    if (want === undefined) {
      if (rs === undefined) continue
      if (rs.target === undefined) {
        batches.push(...closeRelay(rs, d.options, now))
        relays = relays.delete(relay)
        continue
      }
      const out = reconcile(replan({ ...rs, extra: [] }, d.options, problems), d.options, now, [])
      batches.push(...out.batches)
      relays = relays.set(relay, out.rs)
      continue
    }
    const base = rs ?? freshRelay(relay, limitsOf(d, relay))
    let next = replan({ ...base, extra: authorSubscriptions(base, want, o) }, d.options, problems)
    const hadSet = new Set(had)
    const added = want.filter((a) => !hadSet.has(a))
    const per = Math.max(1, Math.min(o.authorsPerFilter, base.limits.maxValuesPerList))
    const groups = []
    for (let i = 0; i < added.length; i += per) groups.push([{ kinds: [30617], authors: added.slice(i, i + per) }])
    next = addFilterJobs(next, groups, 'g:', false, problems)
    const out = reconcile(next, d.options, now, [])
    batches.push(...out.batches)
    relays = relays.set(relay, out.rs)
  }
  return { d: { ...d, relays, discovery: { lists: read.lists, authors, groups: groupOf, maintainers } }, batches: byRelay(batches) }
}
