/**
 * The layout engine of the wire layer: it cuts one relay's target into subscriptions.
 *
 * 1. Every repository and every root event id is an *atom* with a 256-bit key: SHA-256 of the
 *    repository address, or the event id itself (already a SHA-256). Atoms are sorted by key.
 * 2. A binary trie over the key bits cuts the atoms into *slots*: a node is a slot when the
 *    filters of its atoms fit one `REQ` (count and bytes, estimated from above by a measure that
 *    only grows when atoms are added); otherwise it splits on its next bit. A slot's name is its
 *    bit prefix, so adding an atom changes only the slot on its own path (which may split), and
 *    every other slot keeps its name and content.
 * 3. When the slots outnumber the subscription budget they are *folded*: for the deepest fold
 *    depth `D` that fits the budget, the slots that share their first `D` key bits (a *run*) are
 *    merged greedily, left to right, as long as a merge fits one `REQ`. A change in one slot
 *    changes only the groups of its run (while `D` stays). What still does not fit the budget is
 *    moved to `overflow` (for another connection) and reported, never dropped and never sent
 *    over the budget.
 * 4. A subscription id is derived from the slot name, so a slot keeps its id while its content
 *    changes, and a `REQ` with that id replaces the old one (NIP-01).
 *
 * @internal
 */
import { either as E } from 'fp-ts'
import type { CapacityOptions, FilterTarget, NostrFilter } from './types.js'
import { liveSubscriptionBudget, type RelayLimits } from '../config/Limits.js'
import { isHex64, repoRef, repoRefParts, type RepoRef } from '../model/RepoRef.js'
import { discovery, history, live, render } from './filterBuilders.js'
import { hexBit, jsonBytes, sha256Hex } from '../util/hash.js'
import { asArray, asRecord, isNumber } from './match.js'
import { compareStrings } from '../util/sorted.js'
import { cut, show } from '../util/text.js'

/**
 * Structural bytes of one filter besides its values, from above: a live state filter
 * `{"kinds":[30618],"authors":[],"#d":[],"limit":0}` has 48; a history one with 16-digit
 * `since`, `until` and `limit` has 113.
 */
export const LIVE_FILTER_OVERHEAD = 64
export const HISTORY_FILTER_OVERHEAD = 160
/** One pubkey in an `authors` list: quotes, 64 hex characters, a comma. */
const PUBKEY_BYTES = 67
/** Prefix of every subscription id the planner makes. */
export const ID_PREFIX = 'n34'

/** Length of the subscription ids for these limits. */
export const idLength = (limits: RelayLimits): number => Math.min(limits.maxSubIdLength, 28)

/** `["REQ",` + quoted id + `]`, from above (one comma per filter is counted with the filter). */
export const messageOverhead = (limits: RelayLimits): number => 16 + idLength(limits)

export type ProblemCode = 'invalid-repo' | 'invalid-root-id' | 'oversized-value' | 'over-budget' | 'no-history-room'

export interface Problem {
  readonly code: ProblemCode
  readonly message: string
  readonly value?: string
}

export interface Subscription {
  readonly id: string
  readonly slot: string
  readonly filters: ReadonlyArray<NostrFilter>
}

/**
 * How the state layer is asked for. `exact`: one filter per owner (`authors:[P], #d:[D...]`),
 * owners with identical identifier lists merged: no over-fetch. `owners`: one filter per chunk of
 * owners (`authors:[P...]`, no `#d`): it also matches the state events of the owners' untracked
 * repositories (the over-fetch, trimmed on arrival by `wants`), and costs one list value per owner
 * instead of one filter. Every other layer is exact in both.
 */
export type Strategy = 'exact' | 'owners'

/** A strategy, or `auto`: `exact` unless `owners` needs fewer connections (see {@link layout}). */
export type StrategyChoice = Strategy | 'auto'

/** The default number of connections a relay's plan may spread over (the engine's `maxConnectionsPerRelay`). */
export const DEFAULT_CONNECTIONS = 8

export interface Layout {
  /** Within the budget (discovery first). */
  readonly subscriptions: ReadonlyArray<Subscription>
  /** The subscriptions beyond the budget, even folded: the last ones in key order. */
  readonly overflow: ReadonlyArray<Subscription>
  /** Slots merged by folding. */
  readonly folded: number
  /** The fold depth `D` (runs share their first `D` key bits); `undefined` when nothing is folded. */
  readonly foldDepth: number | undefined
  /** The number of overflow subscriptions (0 when the plan fits). */
  readonly overBudget: number
  readonly problems: ReadonlyArray<Problem>
  /** The strategy used (always `exact` unless the mode asks for `owners` or `auto`). */
  readonly strategy: Strategy
  /** Connections of `connectionBudget` subscriptions the whole plan needs (subscriptions and overflow). */
  readonly connections: number
}

export interface Mode {
  /** Separates the id spaces of live and history subscriptions. */
  readonly namespace: string
  readonly variant: (f: NostrFilter) => NostrFilter
  readonly discovery: boolean
  /** The subscription budget; `undefined`: no budget, no folding. */
  readonly budget: number | undefined
  /** Bytes of one filter besides its values, from above, in this variant. */
  readonly filterOverhead: number
  /** The largest size, in bytes, a filter of this variant may take on the wire (history: with paging bounds). */
  readonly measure: (f: NostrFilter) => number
  /** The state-layer strategy; absent: `exact` (the 0.1 and 0.2 behaviour). */
  readonly strategy?: StrategyChoice
  /** Subscriptions one connection holds, to count connections (`auto` compares them); absent: `budget`, or no limit. */
  readonly connectionBudget?: number
}

/** Live subscriptions: `limit: 0`, discovery included, within the live subscription budget. */
export const liveMode = (limits: RelayLimits): Mode => ({
  namespace: 'live',
  variant: live,
  discovery: true,
  budget: liveSubscriptionBudget(limits),
  connectionBudget: liveSubscriptionBudget(limits),
  filterOverhead: LIVE_FILTER_OVERHEAD,
  measure: (f) => jsonBytes(live(f))
})

/**
 * Bytes paging may add to a history filter, from above: `,"since":` with the longest JSON number
 * (23 characters, such as `1.2345678901234567e-308`) and `,"until":` with a safe integer (16
 * digits; a widened page sets both to one `created_at`).
 */
export const PAGING_BOUNDS_BYTES = 9 + 23 + 9 + 16

/**
 * One-shot history subscriptions: `since`, `limit` = the page size, no budget (sent a few at a
 * time). A `since` that is not a finite number counts as none (the whole history).
 */
export const historyMode = (since: unknown, limits: RelayLimits, withDiscovery: boolean, strategy?: StrategyChoice): Mode => ({
  namespace: `history ${isNumber(since) ? since : 0}`,
  variant: (f) => history(f, since, undefined, limits.maxLimit),
  discovery: withDiscovery,
  budget: undefined,
  ...(strategy === undefined ? {} : { strategy }),
  connectionBudget: liveSubscriptionBudget(limits),
  filterOverhead: HISTORY_FILTER_OVERHEAD,
  measure: (f) => jsonBytes(history(f, undefined, undefined, limits.maxLimit)) + PAGING_BOUNDS_BYTES
})

const REPO = 0
const STATE = 1
const ROOT = 2

interface Atom {
  readonly key: string
  readonly kind: typeof REPO | typeof STATE | typeof ROOT
  readonly value: string
  readonly pubkey: string
  readonly bytes: number
  readonly dBytes: number
}

export interface Prepared {
  readonly full: ReadonlyArray<RepoRef>
  readonly stateOnly: ReadonlyArray<RepoRef>
  readonly roots: ReadonlyArray<string>
  readonly problems: ReadonlyArray<Problem>
}

/**
 * Checks a target's values: invalid repository addresses and root ids are reported and left out.
 * Total: a field that is not a list (or, for `rootEvents`, not an object) has no values, and a
 * target that is not an object has none at all.
 */
export const prepare = (target: FilterTarget): Prepared => {
  const problems: Array<Problem> = []
  const t = asRecord(target) ?? {}
  const refs = (u: unknown): Set<RepoRef> => {
    const out = new Set<RepoRef>()
    for (const v of asArray(u)) {
      const r = typeof v === 'string' ? repoRef(v) : E.left(undefined)
      if (E.isRight(r)) out.add(r.right)
      else problems.push({ code: 'invalid-repo', message: 'not a repository address; left out', value: show(v) })
    }
    return out
  }
  const full = refs(t['repos'])
  const stateOnly = [...refs(t['stateOnly'])].filter((r) => !full.has(r))
  const roots = new Set<string>()
  const rootEvents = asRecord(t['rootEvents'])
  if (rootEvents !== undefined)
    for (const ids of Object.values(rootEvents))
      for (const id of asArray(ids)) {
        if (isHex64(id)) roots.add(id)
        else problems.push({ code: 'invalid-root-id', message: 'not a 64 hex event id; left out', value: show(id) })
      }
  const sort = <A extends string>(s: Iterable<A>): Array<A> => [...s].sort(compareStrings)
  return { full: sort(full), stateOnly: sort(stateOnly), roots: sort(roots), problems }
}

/** The keys of recently planned repository addresses (SHA-256 is most of a plan's cost); bounded, cleared when full. */
const refKeys = new Map<string, string>()
const REF_KEYS_MAX = 200_000

/** The 256-bit key of a repository address: SHA-256 of it, remembered (the engine's incremental re-plan uses the same keys). */
export const refKey = (ref: string): string => {
  const hit = refKeys.get(ref)
  if (hit !== undefined) return hit
  if (refKeys.size >= REF_KEYS_MAX) refKeys.clear()
  const key = sha256Hex(ref)
  refKeys.set(ref, key)
  return key
}

/**
 * One value-size rule for both modes: a value is left out when it would not fit one message as a
 * *history* filter (the larger variant), so the live plan never asks for a value whose history
 * cannot be fetched, and both report it.
 */
const atomsOf = (p: Prepared, limits: RelayLimits, problems: Array<Problem>): Array<Atom> => {
  const out: Array<Atom> = []
  const maxValueBytes = limits.maxMessageBytes - messageOverhead(limits) - HISTORY_FILTER_OVERHEAD - 1 - PUBKEY_BYTES - 1
  const add = (a: Atom): void => {
    if (a.bytes > maxValueBytes)
      problems.push({ code: 'oversized-value', message: `too long for a ${limits.maxMessageBytes}-byte message; left out`, value: cut(a.value) })
    else out.push(a)
  }
  const repo = (kind: typeof REPO | typeof STATE) => (ref: RepoRef) => {
    const { pubkey, identifier } = repoRefParts(ref)
    add({ key: refKey(ref), kind, value: ref, pubkey, bytes: jsonBytes(ref), dBytes: jsonBytes(identifier) })
  }
  p.full.forEach(repo(REPO))
  p.stateOnly.forEach(repo(STATE))
  for (const id of p.roots) add({ key: id, kind: ROOT, value: id, pubkey: '', bytes: 66, dBytes: 0 })
  return out.sort((a, b) => compareStrings(a.key, b.key) || a.kind - b.kind || compareStrings(a.value, b.value))
}

/**
 * Filters and bytes of a set of atoms, from above, accumulated one atom at a time: one state
 * filter per pubkey (merging pubkeys only lowers both), every list cut at `maxValuesPerList`.
 * Grows when atoms are added.
 */
class Estimate {
  /** `coarse`: the state layer by owners (one `authors` value per distinct owner, no `#d`). */
  constructor(private readonly coarse = false) {}
  private readonly perPubkey = new Map<string, number>()
  private stateBytes = 0
  private repos = 0
  private repoBytes = 0
  private roots = 0
  private rootBytes = 0

  add(atoms: ReadonlyArray<Atom>, lo: number, hi: number): this {
    for (let i = lo; i < hi; i++) {
      const a = atoms[i] as Atom
      if (a.kind === ROOT) {
        this.roots++
        this.rootBytes += a.bytes + 1
      } else {
        this.perPubkey.set(a.pubkey, (this.perPubkey.get(a.pubkey) ?? 0) + 1)
        this.stateBytes += a.dBytes + 1
        if (a.kind === REPO) {
          this.repos++
          this.repoBytes += a.bytes + 1
        }
      }
    }
    return this
  }

  /** Fits one `REQ`: filter count and bytes within the limits. */
  fits(limits: RelayLimits, overhead: number): boolean {
    const c = limits.maxValuesPerList
    const ceil = (n: number): number => Math.ceil(n / c)
    let stateFilters = 0
    let stateBytes: number
    if (this.coarse) {
      stateFilters = ceil(this.perPubkey.size)
      stateBytes = this.perPubkey.size * PUBKEY_BYTES
    } else {
      for (const n of this.perPubkey.values()) stateFilters += ceil(n)
      stateBytes = stateFilters * PUBKEY_BYTES + this.stateBytes
    }
    const filters = stateFilters + 2 * ceil(this.repos) + ceil(this.repos + this.roots) + 2 * ceil(this.roots)
    const bytes =
      messageOverhead(limits) +
      filters * (overhead + 1) +
      stateBytes +
      3 * this.repoBytes +
      3 * this.rootBytes
    return filters <= limits.maxFiltersPerReq && bytes <= limits.maxMessageBytes
  }
}

interface Unit {
  readonly slot: string
  readonly lo: number
  readonly hi: number
  /** `false` for the parts of an atom too big for one `REQ`: their filters are given. */
  readonly mergeable: boolean
  readonly filters?: ReadonlyArray<NostrFilter>
}

const renderRange = (atoms: ReadonlyArray<Atom>, lo: number, hi: number, limits: RelayLimits, coarse = false): Array<NostrFilter> => {
  const full: Array<RepoRef> = []
  const stateOnly: Array<RepoRef> = []
  const roots: Array<string> = []
  for (let i = lo; i < hi; i++) {
    const a = atoms[i] as Atom
    if (a.kind === REPO) full.push(a.value as RepoRef)
    else if (a.kind === STATE) stateOnly.push(a.value as RepoRef)
    else roots.push(a.value)
  }
  return render(full, stateOnly, roots, limits.maxValuesPerList, coarse)
}

/** Packs filters, in order, into groups that each fit one `REQ`, each filter measured as it may ever be sent. */
const pack = (filters: ReadonlyArray<NostrFilter>, limits: RelayLimits, mode: Mode): Array<Array<NostrFilter>> => {
  const out: Array<Array<NostrFilter>> = []
  let current: Array<NostrFilter> = []
  let bytes = messageOverhead(limits)
  for (const f of filters) {
    const b = mode.measure(f) + 1
    if (current.length > 0 && (current.length >= limits.maxFiltersPerReq || bytes + b > limits.maxMessageBytes)) {
      out.push(current)
      current = []
      bytes = messageOverhead(limits)
    }
    current.push(f)
    bytes += b
  }
  if (current.length > 0) out.push(current)
  return out
}

/** A subscription id: the prefix, a namespace letter, hex of SHA-256 of the slot name (the engine's re-plan derives its live ids with it). */
export const deriveId = (namespace: string, slot: string, length: number): string =>
  `${ID_PREFIX}${namespace.charAt(0)}${sha256Hex(`nip34-sync/1 ${namespace} ${slot}`).slice(0, length - ID_PREFIX.length - 1)}`

/** The key prefix of a slot name: `s:0110` and its parts `s:0110.2` give `0110`. */
const prefixOf = (slot: string): string => slot.slice(2).replace(/\.\d+$/, '')

/**
 * Folding at depth `depth`: the slots that share their first `depth` key bits form a run; within
 * a run, neighbours are merged greedily, left to right, while the merge fits one `REQ`. Parts of
 * an atom too big for one `REQ` are never merged. A group of one slot keeps the slot's name; a
 * merged group is named `f:<first slot>` and takes the id of its first slot, so it keeps that id
 * while slots join or leave its end, and when folding starts or stops.
 */
const foldAt = (
  atoms: ReadonlyArray<Atom>,
  units: ReadonlyArray<Unit>,
  depth: number,
  fits: (e: Estimate) => boolean,
  coarse = false
): Array<Unit> => {
  const out: Array<Unit> = []
  let current: Unit | undefined
  let first = ''
  let run = ''
  let acc = new Estimate(coarse)
  for (const next of units) {
    const nextRun = prefixOf(next.slot).slice(0, depth)
    if (current !== undefined && current.mergeable && next.mergeable && nextRun === run && fits(acc.add(atoms, next.lo, next.hi))) {
      current = { slot: `f:${first}`, lo: current.lo, hi: next.hi, mergeable: true }
      continue
    }
    if (current !== undefined) out.push(current)
    current = next
    first = next.slot
    run = nextRun
    acc = new Estimate(coarse).add(atoms, next.lo, next.hi)
  }
  if (current !== undefined) out.push(current)
  return out
}

/**
 * Cuts a target into subscriptions. Total; see the module comment for the rules.
 *
 * The state layer follows `mode.strategy`: `exact` (the default), `owners`, or `auto`: `exact`
 * when its slots fit one connection, or need no more connections than those of `owners`;
 * otherwise `owners`. Connections are counted in `mode.connectionBudget` subscriptions, from the
 * slots before folding (so the choice does not depend on the overall budget). `owners` never needs more than `exact` (its measure is never larger), so `auto`
 * trades a bounded over-fetch (state events, one per untracked (owner, d) pair) for sockets,
 * never the reverse.
 */
export const layout = (target: FilterTarget, limits: RelayLimits, mode: Mode): Layout => {
  const prepared = prepare(target)
  const problems: Array<Problem> = [...prepared.problems]
  const atoms = atomsOf(prepared, limits, problems)
  const choice = mode.strategy ?? 'exact'
  if (choice !== 'auto') return layoutAtoms(atoms, problems, limits, mode, choice)
  const chosen = choose(atoms, limits, mode)
  return layoutAtoms(atoms, problems, limits, mode, chosen.strategy, chosen.slots)
}

/**
 * The `auto` choice: it reads the slot counts before folding (the connections each strategy needs
 * with no cap), so it depends on the atoms, the limits and the mode's variant only.
 */
const choose = (atoms: ReadonlyArray<Atom>, limits: RelayLimits, mode: Mode): { readonly strategy: Strategy; readonly slots: Array<Unit> } => {
  const per = mode.connectionBudget ?? mode.budget
  const fixed = mode.discovery ? 1 : 0
  const exact = slotsOf(atoms, limits, mode, false)
  const exactConnections = connectionsFor(exact.length + fixed, per)
  if (exactConnections <= 1) return { strategy: 'exact', slots: exact }
  const owners = slotsOf(atoms, limits, mode, true)
  return connectionsFor(owners.length + fixed, per) < exactConnections ? { strategy: 'owners', slots: owners } : { strategy: 'exact', slots: exact }
}

/**
 * The strategy `auto` picks for a target under a mode (for an incremental planner that lays out
 * parts of a target with a fixed strategy: it must use the whole target's choice). Costs the slot
 * split of both strategies, not their rendering.
 */
export const chooseStrategy = (target: FilterTarget, limits: RelayLimits, mode: Mode): Strategy =>
  choose(atomsOf(prepare(target), limits, []), limits, mode).strategy

/** Connections of `per` subscriptions that `n` subscriptions need (at least 1). */
const connectionsFor = (n: number, per: number | undefined): number =>
  per === undefined || !(per >= 1) ? 1 : Math.max(1, Math.ceil(n / per))

/** The slots of the hash trie (step 2 of the module comment), before folding. */
const slotsOf = (atoms: ReadonlyArray<Atom>, limits: RelayLimits, mode: Mode, coarse: boolean): Array<Unit> => {
  const fits = (lo: number, hi: number): boolean => new Estimate(coarse).add(atoms, lo, hi).fits(limits, mode.filterOverhead)

  const units: Array<Unit> = []
  const split = (lo: number, hi: number, depth: number, prefix: string): void => {
    if (lo >= hi) return
    if (fits(lo, hi)) {
      units.push({ slot: `s:${prefix}`, lo, hi, mergeable: true })
      return
    }
    const first = atoms[lo] as Atom
    const last = atoms[hi - 1] as Atom
    if (depth >= 256 || first.key === last.key) {
      pack(renderRange(atoms, lo, hi, limits, coarse), limits, mode).forEach((filters, i) =>
        units.push({ slot: `s:${prefix}.${i}`, lo, hi, mergeable: false, filters })
      )
      return
    }
    // Within a node every key shares the first `depth` bits, so bit `depth` is sorted: 0s, then 1s.
    let a = lo
    let b = hi
    while (a < b) {
      const m = (a + b) >> 1
      if (hexBit((atoms[m] as Atom).key, depth) === 0) a = m + 1
      else b = m
    }
    split(lo, a, depth + 1, `${prefix}0`)
    split(a, hi, depth + 1, `${prefix}1`)
  }
  split(0, atoms.length, 0, '')
  return units
}

const layoutAtoms = (
  atoms: ReadonlyArray<Atom>,
  checked: ReadonlyArray<Problem>,
  limits: RelayLimits,
  mode: Mode,
  strategy: Strategy,
  slots?: Array<Unit>
): Layout => {
  const coarse = strategy === 'owners'
  const problems: Array<Problem> = [...checked]
  const units = slots ?? slotsOf(atoms, limits, mode, coarse)

  const fixed = mode.discovery ? 1 : 0
  const unitBudget = mode.budget === undefined ? Infinity : Math.max(0, mode.budget - fixed)
  let laid: Array<Unit> = units
  let foldDepth: number | undefined
  if (units.length > unitBudget) {
    let maxDepth = 0
    for (const u of units) maxDepth = Math.max(maxDepth, prefixOf(u.slot).length)
    for (let depth = maxDepth - 1; depth >= 0; depth--) {
      laid = foldAt(atoms, units, depth, (e) => e.fits(limits, mode.filterOverhead), coarse)
      foldDepth = depth
      if (laid.length <= unitBudget) break
    }
  }
  const folded = units.length - laid.length

  const length = idLength(limits)
  const used = new Set<string>()
  // a fold group `f:<first slot>` takes the id of its first slot: folding and unfolding replace it
  const subscription = (slot: string, filters: ReadonlyArray<NostrFilter>): Subscription => {
    const name = slot.startsWith('f:') ? slot.slice(2) : slot
    let id = deriveId(mode.namespace, name, length)
    for (let n = 1; used.has(id); n++) id = deriveId(mode.namespace, `${name}#${n}`, length)
    used.add(id)
    return { id, slot, filters: filters.map(mode.variant) }
  }
  const subscriptions: Array<Subscription> = []
  if (mode.discovery) subscriptions.push(subscription('discovery', [discovery()]))
  for (const u of laid) subscriptions.push(subscription(u.slot, u.filters ?? renderRange(atoms, u.lo, u.hi, limits, coarse)))

  const within = mode.budget === undefined ? subscriptions : subscriptions.slice(0, mode.budget)
  const overflow = mode.budget === undefined ? [] : subscriptions.slice(mode.budget)
  if (overflow.length > 0)
    problems.push({
      code: 'over-budget',
      message: `${subscriptions.length} subscriptions needed, ${mode.budget} allowed: the last ${overflow.length} are in overflow (open them on another connection, or raise the limits)`
    })
  return {
    subscriptions: within,
    overflow,
    folded,
    foldDepth: folded > 0 ? foldDepth : undefined,
    problems,
    overBudget: overflow.length,
    strategy,
    connections: connectionsFor(subscriptions.length, mode.connectionBudget ?? mode.budget)
  }
}

/** The shape of `Wire.RelayPlan` (kept here so that the layout engine imports nothing from the public modules that use it). */
export interface LivePlan {
  readonly relay: string
  readonly subscriptions: ReadonlyArray<Subscription>
  readonly overflow: ReadonlyArray<Subscription>
  readonly budget: number
  readonly folded: number
  readonly overBudget: number
  readonly problems: ReadonlyArray<Problem>
}

/** The live plan of one relay (no subscriptions when `target` is `undefined`). */
export const livePlan = (relay: string, target: FilterTarget | undefined, limits: RelayLimits): LivePlan => {
  const mode = liveMode(limits)
  const budget = mode.budget ?? 0
  if (target === undefined) return { relay, subscriptions: [], overflow: [], budget, folded: 0, overBudget: 0, problems: [] }
  const l = layout(target, limits, mode)
  return { relay, subscriptions: l.subscriptions, overflow: l.overflow, budget, folded: l.folded, overBudget: l.overBudget, problems: l.problems }
}

/** The checked options: a strategy, and a number of connections from 1 to 1000. */
export const capacityOptions = (u: unknown): { readonly maxConnections: number; readonly strategy: StrategyChoice } => {
  const o = asRecord(u) ?? {}
  const n = o['maxConnections']
  const s = o['strategy']
  return {
    maxConnections: typeof n === 'number' && Number.isFinite(n) ? Math.min(1000, Math.max(1, Math.floor(n))) : DEFAULT_CONNECTIONS,
    strategy: s === 'exact' || s === 'owners' ? s : 'auto'
  }
}

/**
 * The live layout of a target over `maxConnections` connections under the strategy of the options
 * (shared by `targetFilters`, `relayCapacity` and `wants`).
 */
export const capacityLayout = (target: FilterTarget, limits: RelayLimits, options?: CapacityOptions): Layout => {
  const o = capacityOptions(options)
  const mode = liveMode(limits)
  return layout(target, limits, { ...mode, budget: (mode.budget ?? 1) * o.maxConnections, strategy: o.strategy })
}

/** What a plan asks for, value by value: the exact sets `wants` reads. */
export interface Askable {
  /** Repository addresses synced in full (`a`, `A`, `q` tags). */
  readonly full: ReadonlySet<string>
  /** Per owner pubkey, the identifiers whose state events are asked for (full and state-only). */
  readonly pairs: ReadonlyMap<string, ReadonlySet<string>>
  /** Root event ids (`e`, `E`, `q` tags). */
  readonly roots: ReadonlySet<string>
}

/**
 * The values a target's plan asks for: those of the target, less the ones no plan can ask for (an
 * invalid address or id, a value too long for one message under `limits`), exactly as
 * {@link layout} leaves them out.
 */
export const askable = (target: FilterTarget, limits: RelayLimits): Askable => {
  const atoms = atomsOf(prepare(target), limits, [])
  const full = new Set<string>()
  const pairs = new Map<string, Set<string>>()
  const roots = new Set<string>()
  for (const a of atoms) {
    if (a.kind === ROOT) {
      roots.add(a.value)
      continue
    }
    if (a.kind === REPO) full.add(a.value)
    const { pubkey, identifier } = repoRefParts(a.value as RepoRef)
    let ds = pairs.get(pubkey)
    if (ds === undefined) pairs.set(pubkey, (ds = new Set()))
    ds.add(identifier)
  }
  return { full, pairs, roots }
}
