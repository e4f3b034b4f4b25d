/**
 * The one walk from repository groups to relay targets, full or incremental.
 *
 * A derivation of an index under one configuration is the desired `RelayIndex` plus the group
 * of every live address. Derivations are memoised per (index version, configuration
 * fingerprint). An index version records which addresses and which root sets changed since an
 * ancestor version (`Changes`); when that ancestor has a derivation under the same
 * configuration, the new one is made from it by regrouping only the components that hold a
 * changed address and rewriting only the targets of the relays those groups name. The result is
 * the same value a full walk gives (the test oracle, `fullDerivation`), so every reader and law
 * is unchanged: only the cost follows the change.
 *
 * Each relay's target in an incremental derivation remembers the target it was made from and
 * which repositories it touched (`targetDeltas`), and the index remembers which relays changed
 * (`delta`), so `diff` against the previous derivation costs what changed as well.
 *
 * @internal
 */
import { emptyHexSet } from '../util/hexTrie.js'
import { emptyStrMap, strMap, type StrMap, type StrMapEditor } from '../util/strMap.js'
import type { ResolvedConfig } from '../config/Config.js'
import type { RelayUrl } from '../model/RelayUrl.js'
import type { RepoRef } from '../model/RepoRef.js'
import { groupAround, type RepoGroup } from './groups.js'
import * as rel from '../relays/store.js'
import { changesOf, forgetChanges, liveAnnouncement, type Changes, type IdSet, type RepoIndexData } from '../repo/store.js'

export interface Derivation {
  /** The group of every live address. */
  readonly groupOf: StrMap<RepoGroup>
  /** The desired targets. */
  readonly index: rel.RelayIndexData
}

const fingerprints = new WeakMap<ResolvedConfig, string>()

/** Everything of a configuration that a derivation depends on, as one string. */
export const fingerprint = (config: ResolvedConfig): string => {
  let fp = fingerprints.get(config)
  if (fp === undefined) {
    fp = JSON.stringify([
      [...config.ownHosts].sort(),
      config.bootstrapRelays,
      config.acceptance,
      config.mergeMaintainers,
      config.caps,
      config.relayPolicy,
      // a policy with problems refuses every relay: the problems decide derivations too
      config.problems.map((p) => p.message)
    ])
    fingerprints.set(config, fp)
  }
  return fp
}

/** Derivations per index version, per configuration fingerprint (a few configurations at most). */
const memo = new WeakMap<RepoIndexData, Map<string, Derivation>>()
const CONFIGS_PER_VERSION = 8

const remember = (data: RepoIndexData, fp: string, d: Derivation): void => {
  let byConfig = memo.get(data)
  if (byConfig === undefined) {
    byConfig = new Map()
    memo.set(data, byConfig)
  }
  if (byConfig.size >= CONFIGS_PER_VERSION) byConfig.clear()
  byConfig.set(fp, d)
}

/** The derivation of an index by a full walk of every live address: the oracle. */
export const fullDerivation = (config: ResolvedConfig, data: RepoIndexData): Derivation => {
  const groupOf = emptyStrMap<RepoGroup>().edit()
  const building = new Map<RelayUrl, Array<[RepoRef, IdSet]>>()
  // resolveConfig already leaves out bootstrap relays on our own hosts
  for (const b of config.bootstrapRelays) building.set(b, [])
  for (const [ref, state] of data.addrs) {
    if (state._tag !== 'Live' || groupOf.has(ref)) continue
    const group = groupAround(config, data, state.ann)
    for (const m of group.members) groupOf.set(m.ref, group)
    if (group.relays.length === 0) continue
    const entries: Array<[RepoRef, IdSet]> = group.members.map((m) => [m.ref, data.roots.get(m.ref) ?? emptyHexSet])
    for (const relay of group.relays) {
      const t = building.get(relay)
      if (t === undefined) building.set(relay, entries.slice())
      else for (const e of entries) t.push(e)
    }
  }
  const relays = emptyStrMap<rel.Target, RelayUrl>().edit()
  for (const [relay, entries] of building) relays.set(relay, rel.memberTarget(strMap(entries)))
  return { groupOf: groupOf.done(), index: rel.make(relays.done()) }
}

interface Edit {
  readonly from: rel.Target | undefined
  readonly entries: StrMapEditor<IdSet>
  readonly touched: Set<RepoRef>
}

/** The derivation of `data` from the derivation of an ancestor and what changed since. */
export const incrementalDerivation = (config: ResolvedConfig, prev: Derivation, data: RepoIndexData, changes: Changes): Derivation => {
  const groupOf = prev.groupOf.edit()
  const before = prev.index.relays
  const edits = new Map<RelayUrl, Edit>()
  const edit = (relay: RelayUrl): Edit => {
    let e = edits.get(relay)
    if (e === undefined) {
      const from = before.get(relay)
      // derived targets hold members only: their entries are id sets
      const entries = (from ?? rel.emptyTarget).entries as StrMap<IdSet>
      e = { from, entries: entries.edit(), touched: new Set() }
      edits.set(relay, e)
    }
    return e
  }
  const changedRefs = changes.refs
  // 1. the old groups of every changed address, and of every address a new component reaches
  const dropped = new Set<RepoGroup>()
  const pending: Array<RepoRef> = []
  const drop = (g: RepoGroup | undefined): void => {
    if (g === undefined || dropped.has(g)) return
    dropped.add(g)
    for (const m of g.members) pending.push(m.ref)
  }
  for (const r of changedRefs) {
    const g = groupOf.get(r)
    drop(g)
    // a changed member that stood alone in an over-cap component: its old neighbours may now
    // group without it (only a changed member's edges can change, so nothing cascades further)
    if (g?.neighbours !== undefined) for (const n of g.neighbours) pending.push(n)
    pending.push(r)
  }
  const fresh: Array<RepoGroup> = []
  const placed = new Set<RepoRef>()
  for (let i = 0; i < pending.length; i++) {
    const r = pending[i] as RepoRef
    if (placed.has(r)) continue
    const ann = liveAnnouncement(data, r)
    if (ann === undefined) continue
    const g = groupAround(config, data, ann)
    for (const m of g.members) {
      placed.add(m.ref)
      drop(groupOf.get(m.ref))
    }
    // a changed member that stands alone: its new neighbours may have joined an over-cap component
    if (g.neighbours !== undefined && changedRefs.has(r)) for (const n of g.neighbours) pending.push(n)
    fresh.push(g)
  }
  // 2. take the old groups out, put the new ones in
  for (const g of dropped) {
    for (const m of g.members) groupOf.delete(m.ref)
    for (const relay of g.relays) {
      const e = edit(relay)
      for (const m of g.members) {
        e.entries.delete(m.ref)
        e.touched.add(m.ref)
      }
    }
  }
  for (const r of changedRefs) if (!placed.has(r)) groupOf.delete(r)
  for (const g of fresh) {
    for (const m of g.members) groupOf.set(m.ref, g)
    if (g.relays.length === 0) continue
    const roots = g.members.map((m) => data.roots.get(m.ref) ?? emptyHexSet)
    for (const relay of g.relays) {
      const e = edit(relay)
      g.members.forEach((m, k) => {
        e.entries.set(m.ref, roots[k] as IdSet)
        e.touched.add(m.ref)
      })
    }
  }
  // 3. root sets that changed in groups that did not move
  for (const r of changes.rootRepos) {
    if (placed.has(r)) continue
    const g = groupOf.get(r)
    if (g === undefined || g.relays.length === 0) continue
    const roots = data.roots.get(r) ?? emptyHexSet
    for (const relay of g.relays) {
      const e = edit(relay)
      e.entries.set(r, roots)
      e.touched.add(r)
    }
  }
  // 4. the new targets; a relay whose target comes back to the same value keeps its old object
  const bootstrap = new Set(config.bootstrapRelays)
  const relays = before.edit()
  const changed: Array<RelayUrl> = []
  for (const [relay, e] of edits) {
    const entries = e.entries.done()
    const from = e.from
    if (entries.size === 0 && !bootstrap.has(relay)) {
      if (from !== undefined) {
        relays.delete(relay)
        changed.push(relay)
      }
      continue
    }
    if (from !== undefined) {
      if (entries === from.entries) continue
      let same = true
      for (const r of e.touched)
        if (from.entries.get(r) !== entries.get(r)) {
          same = false
          break
        }
      if (same) continue
    }
    const t = rel.memberTarget(entries)
    relays.set(relay, t)
    changed.push(relay)
    if (from !== undefined) {
      // one level of history: the target replaced forgets its own origin, so no chain of old
      // targets (and of the indexes they came from) is kept alive
      rel.targetDeltas.delete(from)
      rel.targetDeltas.set(t, { from, repos: e.touched })
    }
  }
  if (changed.length === 0) return { groupOf: groupOf.done(), index: prev.index }
  rel.forgetDelta(prev.index)
  return { groupOf: groupOf.done(), index: rel.make(relays.done(), { from: prev.index, relays: changed }) }
}

/**
 * The derivation of an index under a configuration: memoised, incremental from the nearest
 * derived ancestor when there is one, a full walk otherwise.
 */
export const derivation = (config: ResolvedConfig, data: RepoIndexData): Derivation => {
  const fp = fingerprint(config)
  const hit = memo.get(data)?.get(fp)
  if (hit !== undefined) return hit
  const changes = changesOf(data)
  const base = changes === undefined ? undefined : memo.get(changes.since)?.get(fp)
  const result =
    base !== undefined && changes !== undefined && changes.refs.size + changes.rootRepos.size < data.addrs.size + 64
      ? incrementalDerivation(config, base, data, changes)
      : fullDerivation(config, data)
  remember(data, fp, result)
  forgetChanges(data)
  return result
}
