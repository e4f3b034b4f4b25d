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
import type { CapacityOptions, FilterTarget, NostrFilter } from './types.js'
import type { RelayLimits } from '../config/Limits.js'
import { discovery, render } from './filterBuilders.js'
import { hexBit, sha256Hex } from '../util/hash.js'
import type { RepoRef } from '../model/RepoRef.js'
import { asRecord } from './match.js'

export * from './modes.js'
export { askable, prepare, refKey, type Askable, type Prepared } from './atoms.js'
import { REPO, STATE, Estimate, atomsOf, prepare, type Atom } from './atoms.js'
import { DEFAULT_CONNECTIONS, ID_PREFIX, idLength, liveMode, messageOverhead, type Layout, type Mode, type Problem, type Strategy, type StrategyChoice, type Subscription } from './modes.js'

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
