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
import { Map as IMap } from 'immutable'
import type { ResolvedConfig } from '../config/Config.js'
import { isOwnHost } from '../decode/effective.js'
import { decodeGraspList, replacesGraspList, type GraspList } from '../decode/graspList.js'
import { verifies, type SignedEvent } from '../decode/verifyBackend.js'
import { derivation } from '../derive/derive.js'
import type { RepoGroup } from '../derive/groups.js'
import { dataOf as repoData } from '../repo/store.js'
import { readPlain } from '../util/plain.js'
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

/** The lists of a batch, the latest per author kept (verified unless the configuration says `verify: false`). */
export const readLists = (
  lists: IMap<string, GraspList>,
  events: ReadonlyArray<unknown>,
  verify: boolean,
  o: DiscoveryConfig
): { readonly lists: IMap<string, GraspList>; readonly over: number } => {
  let out = lists
  let over = 0
  for (const u of events) {
    let kind: unknown
    try {
      kind = typeof u === 'object' && u !== null ? (u as { kind?: unknown }).kind : undefined
    } catch {
      continue
    }
    if (kind !== 10317) continue
    const plain = readPlain(u, 3)
    if (!plain.ok) continue
    const list = decodeGraspList(plain.value, 100)
    if (list === undefined) continue
    if (verify && verifies(plain.value as SignedEvent) !== undefined) continue
    const was = out.get(list.pubkey)
    if (!replacesGraspList(list, was)) continue
    if (was === undefined && out.size >= o.maxLists) {
      over++
      continue
    }
    out = out.set(list.pubkey, list)
  }
  return { lists: out, over }
}

/** The maintainers of accepted repositories: authors of the announcements of every group synced, and their `maintainers`. */
export const acceptedMaintainers = (config: ResolvedConfig, d: EngineData): ReadonlySet<string> => {
  const out = new Set<string>()
  const seen = new Set<RepoGroup>()
  for (const [, group] of derivation(config, repoData(d.index)).groupOf) {
    if (seen.has(group) || group.relays.length === 0) continue
    seen.add(group)
    for (const m of group.members) {
      out.add(m.pubkey)
      for (const x of m.maintainers) out.add(x)
    }
  }
  return out
}

/** Per relay, the maintainers to ask it about (sorted): the first `relaysPerList` usable relays of each maintainer's list. */
export const authorsPerRelay = (
  config: ResolvedConfig,
  lists: IMap<string, GraspList>,
  maintainers: ReadonlySet<string>,
  o: DiscoveryConfig
): Map<string, ReadonlyArray<string>> => {
  const per = new Map<string, Array<string>>()
  for (const m of maintainers) {
    const list = lists.get(m)
    if (list === undefined) continue
    let n = 0
    for (const relay of list.relays) {
      if (n >= o.relaysPerList) break
      if (isOwnHost(config, relay) || config.relayCheck(relay) !== undefined) continue
      n++
      const a = per.get(relay)
      if (a === undefined) per.set(relay, [m])
      else a.push(m)
    }
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
  const read = readLists(before.lists, events, d.config.verify, o)
  if (read.over > 0) problems.push({ code: 'fetch-cap', relay: '', message: `${read.over} GRASP list(s) of new authors not kept: ${o.maxLists} lists at most (maxLists)`, value: String(read.over) })
  const wanted = authorsPerRelay(d.config, read.lists, acceptedMaintainers(d.config, d), o)
  let relays = d.relays
  const batches: Array<RelayBatch> = []
  let authors = before.authors
  const touched = new Set<string>([...wanted.keys()])
  for (const relay of before.authors.keys()) touched.add(relay)
  for (const relay of touched) {
    const want = wanted.get(relay)
    const had = before.authors.get(relay)
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
    const added = want.filter((a) => !(had ?? []).includes(a))
    const per = Math.max(1, Math.min(o.authorsPerFilter, base.limits.maxValuesPerList))
    const groups = []
    for (let i = 0; i < added.length; i += per) groups.push([{ kinds: [30617], authors: added.slice(i, i + per) }])
    next = addFilterJobs(next, groups, 'g:', false, problems)
    const out = reconcile(next, d.options, now, [])
    batches.push(...out.batches)
    relays = relays.set(relay, out.rs)
  }
  return { d: { ...d, relays, discovery: { lists: read.lists, authors } }, batches: byRelay(batches) }
}
