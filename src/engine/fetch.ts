/**
 * GRASP-01 "tagged by": fetching by id what accepted root events (and announcements) tag, and
 * remembering what the own relay refused.
 *
 * GRASP-01 asks a server to accept the events that tag, *or are tagged by*, an accepted
 * repository announcement, issue or patch. The layers of the plan fetch the first half (`#a`,
 * `#e`, `#q` filters); this module fetches the second: the ids in the `e` and `q` tags of every
 * accepted root event and announcement of a batch, and the addresses in `q` tags (NIP-18: a `q`
 * value is an event id or an `<kind>:<pubkey>:<d>` address).
 *
 * - **Collect** ({@link taggedKeys}): per event at most `perEvent` values (tag order), minus ids
 *   and addresses the repository index holds, minus those already waiting, asked or refused.
 *   What passes waits in `pending` (at most `total`; the rest is dropped and reported as
 *   `fetch-cap`) for `delay` seconds: the own relay is read newest first, so an event tagged by
 *   a root often arrives a page later, and an id seen in any `Events` batch leaves `pending`.
 * - **Plan**: when due, the ids go to the relays of the root's repository (the group's relays,
 *   those the engine tracks) as history runs of one `REQ` each (`{ids:[…]}` chunked within
 *   `maxValuesPerList`, `maxLimit` and the message size; one filter per address), ended by their
 *   first `EOSE` (`Run.once`: an `ids` filter has one page). Asked ids are remembered (`asked`,
 *   at most `maxAsked`, oldest dropped) and not asked again.
 * - **Refused** (`Refused { ids, now }`): ids the own relay refused (an `OK false` that is not
 *   `duplicate:` or `rate-limited:`) are kept `refusedFor` seconds (7 days), at most
 *   `maxRefused` (oldest dropped), and never fetched while kept.
 *
 * Pure: time comes in as `now`; the engine's `now` never goes back, so insertion order is expiry
 * order and the oldest entry is always first.
 *
 * @internal
 */
import type { ResolvedConfig } from '../config/Config.js'
import type { RelayLimits } from '../config/Limits.js'
import { readEvent } from '../decode/read.js'
import { derivation } from '../derive/derive.js'
import { dataOf as repoData, type RepoIndexData } from '../repo/store.js'
import type { NostrFilter } from '../wire/Filters.js'
import { messageBytes, type RelayBatch } from '../wire/Wire.js'
import { addFilterJobs } from './filterJobs.js'
import { byRelay, reconcile } from './reconcile.js'
import type { EngineData } from './state.js'
import { emptyFetch, isRefused as refusedNow, type FetchConfig, type FetchState } from './fetchState.js'
import type { EngineProblem } from './types.js'

const HEX64 = /^[0-9a-f]{64}$/

export const fetchOf = (d: EngineData): FetchState => d.fetch ?? emptyFetch

/** An `<kind>:<pubkey>:<d>` address, split at its first two colons; `undefined` when it is not one. */
export const parseAddress = (s: string): { readonly kind: number; readonly pubkey: string; readonly d: string } | undefined => {
  const i = s.indexOf(':')
  const j = i < 0 ? -1 : s.indexOf(':', i + 1)
  if (i < 1 || j < 0) return undefined
  const k = s.slice(0, i)
  if (!/^[0-9]{1,5}$/.test(k)) return undefined
  const kind = Number(k)
  const pubkey = s.slice(i + 1, j)
  if (kind < 30000 || kind >= 40000 || !HEX64.test(pubkey)) return undefined
  return { kind, pubkey, d: s.slice(j + 1) }
}

/** A value whose first read throws (an event whose getter or trap threw once stays unreadable). */
const UNREADABLE: object = Object.freeze(
  Object.defineProperty({}, 'id', {
    enumerable: true,
    get: () => {
      throw new TypeError('unreadable')
    }
  })
)

/** Copies for a later `readEvent`, keeping the tags of kind 10317 (ignored by the index) for discovery. */
const COPY = { keepKind: 10317 } as const

/**
 * Each element of an `Events` batch read ONCE into a plain copy, for the index, fetching and
 * discovery alike (so they all see the same event): `readEvent` in copy mode, the fields it reads
 * with the event caps checked before each part is copied. Where `readEvent` would stop (a cap, an
 * ignored kind, a throwing getter) the copy holds a stand-in that makes it stop the same way, and
 * nothing past it is read. Kind 10317 (ignored by the index) keeps its tags within the caps for
 * discovery. Values that are not plain objects (primitives, arrays, revoked Proxies) are passed
 * as they are.
 */
export const plainEvents = (config: ResolvedConfig, events: ReadonlyArray<unknown>): Array<unknown> => {
  const out: Array<unknown> = new Array(events.length)
  for (let e = 0; e < events.length; e++) {
    const u = events[e]
    let isArray = true
    try {
      isArray = Array.isArray(u)
    } catch {
      isArray = true
    }
    if (typeof u !== 'object' || u === null || isArray) {
      out[e] = u
      continue
    }
    const r = readEvent(config, u, COPY)
    out[e] = r._tag === 'copy' ? r.ev : UNREADABLE
  }
  return out
}

/** The fields of a raw event this module reads, read once (`undefined` when it is not an object or a getter throws). */
interface Raw {
  readonly id: string | undefined
  readonly kind: number | undefined
  readonly tags: ReadonlyArray<readonly [string, string]>
}

const readRaw = (u: unknown, withTags: (kind: number) => boolean, maxTags: number): Raw | undefined => {
  try {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) return undefined
    const e = u as Record<string, unknown>
    const id = e['id']
    const kind = e['kind']
    const k = typeof kind === 'number' && Number.isSafeInteger(kind) ? kind : undefined
    const tags: Array<readonly [string, string]> = []
    if (k !== undefined && withTags(k)) {
      const ts = e['tags']
      if (Array.isArray(ts)) {
        const n = Math.min(ts.length, maxTags)
        for (let i = 0; i < n; i++) {
          const t: unknown = ts[i]
          if (!Array.isArray(t) || t.length < 2) continue
          const name: unknown = t[0]
          const value: unknown = t[1]
          if ((name === 'e' || name === 'q') && typeof value === 'string' && value.length <= 1100) tags.push([name, value])
        }
      }
    }
    return { id: typeof id === 'string' && HEX64.test(id) ? id : undefined, kind: k, tags }
  } catch {
    return undefined
  }
}

/**
 * The values an event's `e` and `q` tags name, in tag order, each once, without the event's own
 * id: event ids (64 lower-case hex, from `e` and `q`) and addresses (from `q`, NIP-18), at most
 * `perEvent`; `over` counts the distinct values left out by the cap.
 */
export const taggedKeys = (
  tags: ReadonlyArray<readonly [string, string]>,
  self: string | undefined,
  perEvent: number
): { readonly keys: ReadonlyArray<string>; readonly over: number } => {
  const keys: Array<string> = []
  const seen = new Set<string>()
  let over = 0
  for (const [name, value] of tags) {
    const key = HEX64.test(value) ? value : name === 'q' && parseAddress(value) !== undefined ? value : undefined
    if (key === undefined || key === self || seen.has(key)) continue
    seen.add(key)
    if (keys.length < perEvent) keys.push(key)
    else over++
  }
  return { keys, over }
}

/** Whether the repository index holds the event of a key (a root event or a live announcement by id; a live announcement by address). */
export const held = (index: RepoIndexData, key: string): boolean => {
  if (key.length === 64 && HEX64.test(key)) return index.rootEvents.has(key) || index.liveIds.has(key)
  return index.addrs.get(key as never)?._tag === 'Live'
}

const isRefused = (f: FetchState, key: string, now: number): boolean => refusedNow(f.refused, key, now)

/** Drops the refused entries that expired (they are first: `now` never goes back); O(dropped). */
export const expireRefused = (f: FetchState, now: number): FetchState => {
  const first = f.refused.first()
  if (first === undefined || first[1] > now) return f
  const refused = f.refused.edit((m) => {
    for (let e = m.first(); e !== undefined && e[1] <= now; e = m.first()) m.shift()
  })
  return { ...f, refused }
}

/** Drops the asked entries older than `retryAfter` (they are first): such a value may be asked again; O(dropped). */
export const expireAsked = (f: FetchState, now: number, retryAfter: number): FetchState => {
  const first = f.asked.first()
  if (first === undefined || first[1] + retryAfter > now) return f
  const asked = f.asked.edit((m) => {
    for (let e = m.first(); e !== undefined && e[1] + retryAfter <= now; e = m.first()) m.shift()
  })
  return { ...f, asked }
}

/** Adds refused ids (kept `refusedFor` seconds from `now`; at most `maxRefused`, oldest dropped); they leave `pending`. O(ids + dropped). */
export const addRefused = (f: FetchState, ids: ReadonlyArray<string>, now: number, o: FetchConfig): FetchState => {
  if (o.maxRefused === 0 || o.refusedFor === 0) return f
  const until = now + o.refusedFor
  let pending = f.pending
  const refused = f.refused.edit((m) => {
    for (const id of ids) {
      if (!HEX64.test(id)) continue
      // moved to the end: insertion order stays expiry order
      m.set(id, until)
      if (pending.has(id)) pending = pending.edit((p) => p.delete(id))
    }
    while (m.size > o.maxRefused) m.shift()
  })
  return expireRefused({ ...f, refused, pending }, now)
}

/** The relays of a repository the engine asks for it (the group's relays), or none when it is not accepted or in purgatory. */
const relaysOfRepo = (d: EngineData, index: RepoIndexData, repo: string, cache: Map<string, ReadonlyArray<string>>): ReadonlyArray<string> => {
  const hit = cache.get(repo)
  if (hit !== undefined) return hit
  const group = d.held.has(repo) ? undefined : derivation(d.config, index).groupOf.get(repo as never)
  const out = group === undefined ? [] : group.relays.filter((r) => d.relays.has(r))
  cache.set(repo, out)
  return out
}

/**
 * One `Events` batch: the values accepted root events and announcements tag join `pending`
 * (with the relays of their repositories), and the ids of the batch leave it.
 */
export const collect = (d: EngineData, events: ReadonlyArray<unknown>, now: number, o: FetchConfig, problems: Array<EngineProblem>): FetchState => {
  let f = expireAsked(expireRefused(fetchOf(d), now), now, o.retryAfter)
  if (!o.enabled) return f
  const index = repoData(d.index)
  const roots = d.config.rootKinds
  const maxTags = d.config.caps.tagsPerEvent
  const cache = new Map<string, ReadonlyArray<string>>()
  let overEvent = 0
  let overTotal = 0
  const pending = f.pending.edit((pending) => {
  for (const u of events) {
    const raw = readRaw(u, (k) => k === 30617 || roots.has(k), maxTags)
    if (raw === undefined) continue
    if (raw.id !== undefined && pending.has(raw.id)) pending.delete(raw.id)
    if (raw.id === undefined || raw.tags.length === 0 || raw.kind === undefined) continue
    // accepted: a root event in the index with a repository of a tracked group, or a live announcement of one
    const repos: Array<string> = []
    if (raw.kind === 30617) {
      const refs = index.liveIds.get(raw.id)
      if (refs !== undefined) repos.push(...(Array.isArray(refs) ? (refs as ReadonlyArray<string>) : [refs as string]))
    } else {
      const facts = index.rootEvents.get(raw.id)
      if (facts !== undefined) for (const x of Array.isArray(facts) ? facts : [facts]) repos.push(...(x as { readonly repos: ReadonlyArray<string> }).repos)
    }
    const relays = new Set<string>()
    for (const repo of repos) for (const r of relaysOfRepo(d, index, repo, cache)) relays.add(r)
    if (relays.size === 0) continue
    const { keys, over } = taggedKeys(raw.tags, raw.id, o.perEvent)
    overEvent += over
    for (const key of keys) {
      if (held(index, key) || f.asked.has(key) || isRefused(f, key, now)) continue
      const was = pending.get(key)
      if (was !== undefined) {
        const had = new Set(was.relays)
        const more = [...relays].filter((r) => !had.has(r))
        if (more.length > 0) pending.update(key, { ...was, relays: [...was.relays, ...more] })
        continue
      }
      if (pending.size >= o.total) {
        overTotal++
        continue
      }
      pending.set(key, { relays: [...relays], due: now + o.delay })
    }
  }
  })
  if (overEvent + overTotal > 0)
    problems.push({
      code: 'fetch-cap',
      relay: '',
      message: `tagged values not fetched: ${overEvent} over the per-event cap (${o.perEvent}), ${overTotal} over the total cap (${o.total} waiting)`,
      value: String(overEvent + overTotal)
    })
  f = { ...f, pending, dropped: f.dropped + overEvent + overTotal }
  return f
}

/** The ids per filter under a relay's limits (at least 1). */
const idsPerFilter = (l: RelayLimits): number => Math.max(1, Math.min(l.maxValuesPerList, l.maxLimit, Math.floor((l.maxMessageBytes - 200) / 67)))

/** The `REQ` groups of some keys on one relay: `{ids}` chunks, then one filter per address (up to `maxFiltersPerReq` per group). */
export const fetchGroups = (keys: ReadonlyArray<string>, l: RelayLimits): ReadonlyArray<ReadonlyArray<NostrFilter>> => {
  const ids = keys.filter((k) => HEX64.test(k)).sort()
  const addresses = keys.filter((k) => !HEX64.test(k)).sort()
  const groups: Array<ReadonlyArray<NostrFilter>> = []
  const per = idsPerFilter(l)
  // `limit` = the ids asked (some stores answer a lone id asked with a larger limit with nothing)
  for (let i = 0; i < ids.length; i += per) {
    const chunk = ids.slice(i, i + per)
    groups.push([{ ids: chunk, limit: chunk.length }])
  }
  let group: Array<NostrFilter> = []
  for (const a of addresses) {
    const p = parseAddress(a)
    if (p === undefined) continue
    const filter: NostrFilter = { kinds: [p.kind], authors: [p.pubkey], '#d': [p.d], limit: 1 }
    if (group.length >= l.maxFiltersPerReq || (group.length > 0 && messageBytes(['REQ', 'x'.repeat(l.maxSubIdLength), ...group, filter]) > l.maxMessageBytes)) {
      groups.push(group)
      group = []
    }
    if (messageBytes(['REQ', 'x'.repeat(l.maxSubIdLength), filter]) <= l.maxMessageBytes) group.push(filter)
  }
  if (group.length > 0) groups.push(group)
  return groups
}

/**
 * The due part of `pending`, planned: per relay, its keys as `REQ` groups of history runs; the
 * keys move to `asked`. Relays that got runs are reconciled (their batches returned).
 */
export const planDue = (
  d: EngineData,
  f: FetchState,
  now: number,
  o: FetchConfig,
  problems: Array<EngineProblem>
): { readonly d: EngineData; readonly batches: Array<RelayBatch> } => {
  if (!o.enabled || f.pending.size === 0) return { d: f === d.fetch ? d : { ...d, fetch: f }, batches: [] }
  const index = repoData(d.index)
  const perRelay = new Map<string, Array<string>>()
  const first = f.pending.first()
  if (first === undefined || first[1].due > now) return { d: f === d.fetch ? d : { ...d, fetch: f }, batches: [] }
  let asked = f.asked
  // due keys are the first ones (due = arrival + delay, and `now` never goes back): O(due)
  const pending = f.pending.edit((p) => {
    asked = f.asked.edit((a) => {
      for (let e = p.first(); e !== undefined && e[1].due <= now; e = p.first()) {
        const [key, x] = e
        p.shift()
        if (held(index, key) || isRefused(f, key, now)) continue
        a.set(key, now)
        for (const r of x.relays) {
          const list = perRelay.get(r)
          if (list === undefined) perRelay.set(r, [key])
          else list.push(key)
        }
      }
      while (a.size > o.maxAsked) a.shift()
    })
  })
  const askedOut = asked
  let relays = d.relays
  const batches: Array<RelayBatch> = []
  for (const [relay, keys] of perRelay) {
    const rs = relays.get(relay)
    if (rs === undefined || rs.plan.every((p) => p.length === 0)) continue
    const next = addFilterJobs(rs, fetchGroups(keys, rs.limits), 'f:', true, problems)
    if (next === rs) continue
    const out = reconcile(next, d.options, now, [])
    batches.push(...out.batches)
    relays = relays.set(relay, out.rs)
  }
  return { d: { ...d, relays, fetch: { ...f, pending, asked: askedOut } }, batches: byRelay(batches) }
}

/** When the first pending key is due (`undefined`: none waits). */
export const fetchDue = (d: EngineData): number | undefined => {
  const f = d.fetch
  if (f === undefined || f.pending.size === 0) return undefined
  return f.pending.first()?.[1].due
}


/** What a snapshot keeps of fetching: refused ids still kept and asked values, oldest first (`undefined`: nothing). */
export const encodeFetch = (d: EngineData): { readonly refused: Array<readonly [string, number]>; readonly asked: Array<readonly [string, number]> } | undefined => {
  const f = d.fetch
  if (f === undefined || (f.refused.size === 0 && f.asked.size === 0)) return undefined
  const refused: Array<readonly [string, number]> = []
  for (const [id, until] of f.refused) if (until > d.now) refused.push([id, until])
  const asked: Array<readonly [string, number]> = []
  for (const [key, at] of f.asked) asked.push([key, at])
  return { refused, asked }
}

const isPairs = (u: unknown, key: (s: string) => boolean, max: number): u is ReadonlyArray<readonly [string, number]> =>
  Array.isArray(u) &&
  u.length <= max &&
  u.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && key(p[0]) && typeof p[1] === 'number' && Number.isFinite(p[1]) && p[1] >= 0 && p[1] <= 9_999_999_999)

/** A snapshot's `fetch` field (a plain copy) as the state, or a message naming what is wrong. Entries are kept in their order, within the caps. */
export const decodeFetch = (u: unknown, o: FetchConfig): FetchState | string => {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return ': not { refused, asked }'
  const r = u as Record<string, unknown>
  if (!isPairs(r['refused'], (s) => HEX64.test(s), 10_000_000)) return '.refused: not a list of [event id, time]'
  if (!isPairs(r['asked'], (s) => HEX64.test(s) || parseAddress(s) !== undefined, 10_000_000)) return '.asked: not a list of [event id or address, time]'
  const refused = r['refused'].slice(-o.maxRefused)
  const asked = r['asked'].slice(-o.maxAsked)
  return { ...emptyFetch, refused: emptyFetch.refused.edit((m) => refused.forEach(([k, v]) => m.set(k, v))), asked: emptyFetch.asked.edit((m) => asked.forEach(([k, v]) => m.set(k, v))) }
}
