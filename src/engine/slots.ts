/**
 * Re-planning that follows the change. The layout (`wire/layout.ts`) cuts a target into *slots*,
 * the maximal nodes of a binary trie over the atoms' 256-bit keys whose filters fit one `REQ`. A
 * slot is a function of the atoms under its node only, and "fits" only grows harder as atoms are
 * added, so:
 *
 * - an added atom changes only the node it falls in: the slot whose prefix is a prefix of its key
 *   (which may now split), or, when it falls in an empty part of the trie, the first node on its
 *   path that is not an ancestor of a slot (a new slot, or new slots);
 * - a removed atom changes its slot, and may let an ancestor fit again: walking up from its slot,
 *   every ancestor whose atoms fit one `REQ` becomes the slot (its slots merge).
 *
 * Laying out only those nodes (their atoms, with `layout` itself) gives exactly the slots of a
 * layout from scratch, and every other subscription stays the same object (its filters' digest is
 * remembered, so nothing is hashed or re-sent for it). What this cannot follow falls back to a
 * layout from scratch: new limits, a plan that folds (more slots than the connections hold), a
 * part of an atom too big for one `REQ`, an id collision. `test/laws/Engine.laws.test.ts` checks
 * that the incremental plan asks each relay for exactly what a plan from scratch asks for.
 *
 * @internal
 */
import type { RelayLimits } from '../config/Limits.js'
import type { FilterTarget } from '../wire/Filters.js'
import { chooseStrategy, deriveId, layout, refKey, liveMode, idLength, type Problem, type Strategy, type StrategyChoice, type Subscription } from '../wire/layout.js'
import { liveSubscriptionBudget } from '../config/Limits.js'
import { hexBit } from '../util/hash.js'
import { compareStrings } from '../util/sorted.js'

const REPO = 0
const STATE = 1
const ROOT = 2
type Kind = typeof REPO | typeof STATE | typeof ROOT

/** The atoms of one slot, by kind. */
interface Atoms {
  readonly repos: ReadonlyArray<string>
  readonly stateOnly: ReadonlyArray<string>
  readonly roots: ReadonlyArray<string>
}

/** What the last plan of a relay was made of, to follow the next change. */
export interface SlotLayout {
  readonly limits: RelayLimits
  /** The strategy asked for (the slots themselves are always `exact`). */
  readonly choice: StrategyChoice
  /** The target it was made for (the relay state holds it anyway: its atoms are read again when the next change comes, not kept twice). */
  readonly target: FilterTarget
  /** Discovery first, then the slots in key order (the unfolded layout, within the budget). */
  readonly subscriptions: ReadonlyArray<Subscription>
  /** Slot name (`s:<bits>`) → its atoms. */
  readonly slots: ReadonlyMap<string, Atoms>
  /** Every proper prefix of a slot's bits: the nodes that do not fit. */
  readonly inner: ReadonlySet<string>
}

export interface Planned {
  /** The state layer's strategy the plan used. */
  readonly strategy: Strategy
  readonly subscriptions: ReadonlyArray<Subscription>
  readonly overflow: ReadonlyArray<Subscription>
  readonly folded: number
  readonly problems: ReadonlyArray<Problem>
  /** What the next change can follow (`undefined`: the next plan is laid out from scratch). */
  readonly slots: SlotLayout | undefined
}

/** How often each path was taken (for the tests' `fc.statistics`). */
export const planStats = { follow: 0, scratch: 0, split: 0, merge: 0, unchanged: 0 }

/** The trie key of an atom: SHA-256 of a repository address (the layout's own keys), a root event id as it is. */
const keyOf = (value: string, kind: Kind): string => (kind === ROOT ? value : refKey(value))

/** The atoms of a target, value → kind (a repository both full and state-only is full, as in the layout). */
const atomsOf = (t: FilterTarget): Map<string, Kind> => {
  const out = new Map<string, Kind>()
  for (const r of t.stateOnly ?? []) out.set(r, STATE)
  for (const r of t.repos ?? []) out.set(r, REPO)
  for (const ids of Object.values(t.rootEvents ?? {})) for (const id of ids) if (!out.has(id)) out.set(id, ROOT)
  return out
}

const targetOf = (a: Atoms): FilterTarget => ({ relay: '', repos: a.repos, stateOnly: a.stateOnly, rootEvents: { '': a.roots } }) as unknown as FilterTarget

const add = (a: Atoms | undefined, value: string, kind: Kind): Atoms => {
  const b = a ?? { repos: [], stateOnly: [], roots: [] }
  if (kind === REPO) return { ...b, repos: [...b.repos, value] }
  if (kind === STATE) return { ...b, stateOnly: [...b.stateOnly, value] }
  return { ...b, roots: [...b.roots, value] }
}

const size = (a: Atoms): number => a.repos.length + a.stateOnly.length + a.roots.length

/** The id of a live slot: as `layout` derives it (namespace `live`). */
const liveId = (slot: string, limits: RelayLimits): string => deriveId('live', slot, idLength(limits))

/** `layout` of some atoms with no budget: their slots, or `undefined` when a part of an atom does not fit one `REQ`. */
const subLayout = (a: Atoms, limits: RelayLimits, problems: Array<Problem>): ReadonlyArray<Subscription> | undefined => {
  const l = layout(targetOf(a), limits, { ...liveMode(limits), budget: undefined, discovery: false })
  problems.push(...l.problems)
  return l.subscriptions.some((s) => s.slot.includes('.')) ? undefined : l.subscriptions
}

/** The bits of a slot name `s:<bits>`. */
const bitsOf = (slot: string): string => slot.slice(2)

const innerOf = (slots: Iterable<string>): Set<string> => {
  const out = new Set<string>()
  for (const s of slots) {
    const b = bitsOf(s)
    for (let i = 0; i < b.length; i++) out.add(b.slice(0, i))
  }
  return out
}

/** The node an atom falls in: the slot on its key's path, or the first node on it that no slot is under. */
const nodeOf = (key: string, slots: ReadonlyMap<string, Atoms>, inner: ReadonlySet<string>): string => {
  let bits = ''
  for (let d = 0; d <= 256; d++) {
    if (slots.has(`s:${bits}`) || !inner.has(bits)) return bits
    bits += String(hexBit(key, d))
  }
  return bits
}

/** Which atoms of a layout from scratch each slot holds; `undefined` when it folded or cut an atom. */
const slotsOfScratch = (atoms: ReadonlyMap<string, Kind>, subs: ReadonlyArray<Subscription>): Map<string, Atoms> | undefined => {
  const slots = new Map<string, Atoms>()
  for (const s of subs) {
    if (s.slot === 'discovery') continue
    if (!s.slot.startsWith('s:') || s.slot.includes('.')) return undefined
    slots.set(s.slot, { repos: [], stateOnly: [], roots: [] })
  }
  const inner = innerOf(slots.keys())
  for (const [value, kind] of atoms) {
    const node = `s:${nodeOf(keyOf(value, kind), slots, inner)}`
    const a = slots.get(node)
    // an atom the layout left out (not a valid value, or too long): in no slot
    if (a !== undefined) slots.set(node, add(a, value, kind))
  }
  return slots
}

const fromScratch = (target: FilterTarget, limits: RelayLimits, budget: number, choice: StrategyChoice): Planned => {
  const l = layout(target, limits, { ...liveMode(limits), budget, strategy: choice })
  const atoms = atomsOf(target)
  // only an exact layout is followed: the coarse one (`owners`) is laid out from scratch
  const slots = l.folded > 0 || l.overflow.length > 0 || l.strategy !== 'exact' ? undefined : slotsOfScratch(atoms, l.subscriptions)
  return {
    strategy: l.strategy,
    subscriptions: l.subscriptions,
    overflow: l.overflow,
    folded: l.folded,
    problems: l.problems,
    slots: slots === undefined ? undefined : { limits, choice, target, subscriptions: l.subscriptions, slots, inner: innerOf(slots.keys()) }
  }
}

/**
 * The live plan of `target` under `limits` within `budget` subscriptions: the previous layout
 * changed where the target changed, or a layout from scratch. `freeze` makes each new
 * subscription immutable (a subscription kept from `prev` is the same object).
 */
export const planLive = (
  prev: SlotLayout | undefined,
  target: FilterTarget,
  limits: RelayLimits,
  budget: number,
  freeze: (s: Subscription) => Subscription,
  choice: StrategyChoice = 'exact'
): Planned => {
  const scratch = (): Planned => {
    planStats.scratch++
    const p = fromScratch(target, limits, budget, choice)
    const subscriptions = p.subscriptions.map(freeze)
    return { ...p, subscriptions, slots: p.slots === undefined ? undefined : { ...p.slots, subscriptions } }
  }
  if (prev === undefined || prev.limits !== limits || prev.choice !== choice) return scratch()
  const atoms = atomsOf(target)
  const before = atomsOf(prev.target)
  // what changed, by the node it falls in
  const touched = new Map<string, { readonly added: Array<[string, Kind]>; readonly removed: Set<string> }>()
  const touch = (node: string) => {
    let t = touched.get(node)
    if (t === undefined) touched.set(node, (t = { added: [], removed: new Set() }))
    return t
  }
  for (const [value, kind] of atoms) {
    const was = before.get(value)
    if (was === kind) continue
    if (was !== undefined) touch(nodeOf(keyOf(value, was), prev.slots, prev.inner)).removed.add(value)
    touch(nodeOf(keyOf(value, kind), prev.slots, prev.inner)).added.push([value, kind])
  }
  for (const [value, kind] of before) if (!atoms.has(value)) touch(nodeOf(keyOf(value, kind), prev.slots, prev.inner)).removed.add(value)
  if (touched.size === 0) {
    planStats.unchanged++
    return { strategy: 'exact', subscriptions: prev.subscriptions, overflow: [], folded: 0, problems: [], slots: { ...prev, target } }
  }

  const problems: Array<Problem> = []
  const slots = new Map(prev.slots)
  const made = new Map<string, Subscription>()
  const shrunk: Array<string> = []
  for (const [node, change] of touched) {
    const old = slots.get(`s:${node}`)
    const keep = (xs: ReadonlyArray<string> | undefined) => (xs ?? []).filter((x) => !change.removed.has(x))
    let a: Atoms = { repos: keep(old?.repos), stateOnly: keep(old?.stateOnly), roots: keep(old?.roots) }
    for (const [value, kind] of change.added) a = add(a, value, kind)
    slots.delete(`s:${node}`)
    made.delete(`s:${node}`)
    if (change.removed.size > 0) shrunk.push(node)
    if (size(a) === 0) continue
    const laid = subLayout(a, limits, problems)
    if (laid === undefined) return scratch()
    const one = laid.length === 1
    if (!one) planStats.split++
    // the sub-layout's own root is this node: `s:` when its atoms fit one REQ
    const parts = one ? [{ slot: `s:${node}`, filters: (laid[0] as Subscription).filters }] : laid
    const target1 = one ? a : undefined
    for (const p of parts) {
      const part = target1 ?? slotsOfScratch(new Map(([...a.repos.map((x) => [x, REPO]), ...a.stateOnly.map((x) => [x, STATE]), ...a.roots.map((x) => [x, ROOT])] as Array<[string, Kind]>)), laid)?.get(p.slot)
      if (part === undefined) return scratch()
      slots.set(p.slot, part)
      made.set(p.slot, { id: liveId(p.slot, limits), slot: p.slot, filters: p.filters })
    }
  }
  // a removal may let an ancestor fit one REQ again: its slots merge into it
  for (const start of shrunk) {
    let node = start
    while (node.length > 0) {
      const parent = node.slice(0, -1)
      const under = [...slots.keys()].filter((s) => bitsOf(s).startsWith(parent))
      let a: Atoms = { repos: [], stateOnly: [], roots: [] }
      for (const s of under) {
        const x = slots.get(s) as Atoms
        a = { repos: [...a.repos, ...x.repos], stateOnly: [...a.stateOnly, ...x.stateOnly], roots: [...a.roots, ...x.roots] }
      }
      const laid = size(a) === 0 ? undefined : subLayout(a, limits, [])
      if (laid === undefined || laid.length !== 1) break
      for (const s of under) {
        slots.delete(s)
        made.delete(s)
      }
      planStats.merge++
      slots.set(`s:${parent}`, a)
      made.set(`s:${parent}`, { id: liveId(`s:${parent}`, limits), slot: `s:${parent}`, filters: (laid[0] as Subscription).filters })
      node = parent
    }
  }
  const discovery = prev.subscriptions[0]
  if (discovery === undefined || discovery.slot !== 'discovery' || 1 + slots.size > budget) return scratch()
  // `auto` keeps `exact` while its slots fit one connection; past that, the whole target's choice decides
  if (choice === 'owners') return scratch()
  if (choice === 'auto' && 1 + slots.size > liveSubscriptionBudget(limits) && chooseStrategy(target, limits, { ...liveMode(limits), budget, strategy: 'auto' }) !== 'exact')
    return scratch()
  const old = new Map(prev.subscriptions.map((s) => [s.slot, s]))
  const subscriptions: Array<Subscription> = [discovery]
  const ids = new Set([discovery.id])
  for (const name of [...slots.keys()].sort(compareStrings)) {
    const fresh = made.get(name)
    const s = fresh === undefined ? old.get(name) : freeze(fresh)
    if (s === undefined || ids.has(s.id)) return scratch()
    ids.add(s.id)
    subscriptions.push(s)
  }
  planStats.follow++
  return { strategy: 'exact', subscriptions, overflow: [], folded: 0, problems, slots: { limits, choice, target, subscriptions, slots, inner: innerOf(slots.keys()) } }
}
