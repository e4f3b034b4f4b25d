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
 * 3. When the slots outnumber the subscription budget, neighbouring slots (in key order) are
 *    merged from the left, as long as the merge still fits one `REQ`, until the count fits
 *    (*folding*); what still does not fit is kept and reported, never dropped.
 * 4. A subscription id is derived from the slot name, so a slot keeps its id while its content
 *    changes, and a `REQ` with that id replaces the old one (NIP-01).
 *
 * @internal
 */
import { either as E } from 'fp-ts'
import type { FilterTarget, NostrFilter } from '../Filters.js'
import { liveSubscriptionBudget, type RelayLimits } from '../Limits.js'
import { isHex64, repoRef, repoRefParts, type RepoRef } from '../RepoRef.js'
import { discovery, history, live, render } from './filters.js'
import { hexBit, jsonBytes, sha256Hex } from './hash.js'
import { asArray, asRecord, isNumber } from './match.js'
import { compareStrings, show } from './sorted.js'

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

export type ProblemCode = 'invalid-repo' | 'invalid-root-id' | 'oversized-value' | 'over-budget'

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

export interface Layout {
  readonly subscriptions: ReadonlyArray<Subscription>
  /** Slots merged by folding. */
  readonly folded: number
  /** Subscriptions beyond the budget (0 when the plan fits). */
  readonly overBudget: number
  readonly problems: ReadonlyArray<Problem>
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
}

/** Live subscriptions: `limit: 0`, discovery included, within the live subscription budget. */
export const liveMode = (limits: RelayLimits): Mode => ({
  namespace: 'live',
  variant: live,
  discovery: true,
  budget: liveSubscriptionBudget(limits),
  filterOverhead: LIVE_FILTER_OVERHEAD
})

/**
 * One-shot history subscriptions: `since`, `limit` = the page size, no budget (sent a few at a
 * time). A `since` that is not a finite number counts as none (the whole history).
 */
export const historyMode = (since: unknown, limits: RelayLimits, withDiscovery: boolean): Mode => ({
  namespace: `history ${isNumber(since) ? since : 0}`,
  variant: (f) => history(f, since, undefined, limits.maxLimit),
  discovery: withDiscovery,
  budget: undefined,
  filterOverhead: HISTORY_FILTER_OVERHEAD
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

const cut = (s: string): string => (s.length > 200 ? `${s.slice(0, 200)}…` : s)

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

const atomsOf = (p: Prepared, limits: RelayLimits, overhead: number, problems: Array<Problem>): Array<Atom> => {
  const out: Array<Atom> = []
  const maxValueBytes = limits.maxMessageBytes - messageOverhead(limits) - overhead - 1 - PUBKEY_BYTES - 1
  const add = (a: Atom): void => {
    if (a.bytes > maxValueBytes)
      problems.push({ code: 'oversized-value', message: `too long for a ${limits.maxMessageBytes}-byte message; left out`, value: cut(a.value) })
    else out.push(a)
  }
  const repo = (kind: typeof REPO | typeof STATE) => (ref: RepoRef) => {
    const { pubkey, identifier } = repoRefParts(ref)
    add({ key: sha256Hex(ref), kind, value: ref, pubkey, bytes: jsonBytes(ref), dBytes: jsonBytes(identifier) })
  }
  p.full.forEach(repo(REPO))
  p.stateOnly.forEach(repo(STATE))
  for (const id of p.roots) add({ key: id, kind: ROOT, value: id, pubkey: '', bytes: 66, dBytes: 0 })
  return out.sort((a, b) => compareStrings(a.key, b.key) || a.kind - b.kind || compareStrings(a.value, b.value))
}

/**
 * Filters and bytes of the atoms `[lo, hi)`, from above: one state filter per pubkey (merging
 * pubkeys only lowers both), every list cut at `c`. Grows when atoms are added.
 */
const estimate = (
  atoms: ReadonlyArray<Atom>,
  lo: number,
  hi: number,
  limits: RelayLimits,
  overhead: number
): { filters: number; bytes: number } => {
  const c = limits.maxValuesPerList
  const perPubkey = new Map<string, number>()
  let stateBytes = 0
  let repos = 0
  let repoBytes = 0
  let roots = 0
  let rootBytes = 0
  for (let i = lo; i < hi; i++) {
    const a = atoms[i] as Atom
    if (a.kind === ROOT) {
      roots++
      rootBytes += a.bytes + 1
    } else {
      perPubkey.set(a.pubkey, (perPubkey.get(a.pubkey) ?? 0) + 1)
      stateBytes += a.dBytes + 1
      if (a.kind === REPO) {
        repos++
        repoBytes += a.bytes + 1
      }
    }
  }
  const ceil = (n: number): number => Math.ceil(n / c)
  let stateFilters = 0
  for (const n of perPubkey.values()) stateFilters += ceil(n)
  const filters = stateFilters + 2 * ceil(repos) + ceil(repos + roots) + 2 * ceil(roots)
  const bytes =
    messageOverhead(limits) + filters * (overhead + 1) + stateFilters * PUBKEY_BYTES + stateBytes + 3 * repoBytes + 3 * rootBytes
  return { filters, bytes }
}

interface Unit {
  readonly slot: string
  readonly lo: number
  readonly hi: number
  /** `false` for the parts of an atom too big for one `REQ`: their filters are given. */
  readonly mergeable: boolean
  readonly filters?: ReadonlyArray<NostrFilter>
}

const renderRange = (atoms: ReadonlyArray<Atom>, lo: number, hi: number, limits: RelayLimits): Array<NostrFilter> => {
  const full: Array<RepoRef> = []
  const stateOnly: Array<RepoRef> = []
  const roots: Array<string> = []
  for (let i = lo; i < hi; i++) {
    const a = atoms[i] as Atom
    if (a.kind === REPO) full.push(a.value as RepoRef)
    else if (a.kind === STATE) stateOnly.push(a.value as RepoRef)
    else roots.push(a.value)
  }
  return render(full, stateOnly, roots, limits.maxValuesPerList)
}

/** Packs filters, in order, into groups that each fit one `REQ`. */
const pack = (filters: ReadonlyArray<NostrFilter>, limits: RelayLimits): Array<Array<NostrFilter>> => {
  const out: Array<Array<NostrFilter>> = []
  let current: Array<NostrFilter> = []
  let bytes = messageOverhead(limits)
  for (const f of filters) {
    const b = jsonBytes(f) + 1
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

/** A subscription id: the prefix, a namespace letter, hex of SHA-256 of the slot name. */
const deriveId = (namespace: string, slot: string, length: number): string =>
  `${ID_PREFIX}${namespace.charAt(0)}${sha256Hex(`nip34-sync/1 ${namespace} ${slot}`).slice(0, length - ID_PREFIX.length - 1)}`

/** Cuts a target into subscriptions. Total; see the module comment for the rules. */
export const layout = (target: FilterTarget, limits: RelayLimits, mode: Mode): Layout => {
  const prepared = prepare(target)
  const problems: Array<Problem> = [...prepared.problems]
  const atoms = atomsOf(prepared, limits, mode.filterOverhead, problems)
  const fits = (lo: number, hi: number): boolean => {
    const e = estimate(atoms, lo, hi, limits, mode.filterOverhead)
    return e.filters <= limits.maxFiltersPerReq && e.bytes <= limits.maxMessageBytes
  }

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
      pack(renderRange(atoms, lo, hi, limits).map(mode.variant), limits).forEach((filters, i) =>
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

  const fixed = mode.discovery ? 1 : 0
  const unitBudget = mode.budget === undefined ? Infinity : Math.max(0, mode.budget - fixed)
  let folded = 0
  let laid: Array<Unit> = units
  if (units.length > unitBudget) {
    laid = []
    let count = units.length
    let current = units[0] as Unit
    let firstSlot = current.slot
    for (let j = 1; j < units.length; j++) {
      const next = units[j] as Unit
      if (count > unitBudget && current.mergeable && next.mergeable && fits(current.lo, next.hi)) {
        current = { slot: `f:${firstSlot}~${next.slot}`, lo: current.lo, hi: next.hi, mergeable: true }
        count--
        folded++
      } else {
        laid.push(current)
        current = next
        firstSlot = next.slot
      }
    }
    laid.push(current)
  }

  const length = idLength(limits)
  const used = new Set<string>()
  const subscription = (slot: string, filters: ReadonlyArray<NostrFilter>): Subscription => {
    let id = deriveId(mode.namespace, slot, length)
    for (let n = 1; used.has(id); n++) id = deriveId(mode.namespace, `${slot}#${n}`, length)
    used.add(id)
    return { id, slot, filters: filters.map(mode.variant) }
  }
  const subscriptions: Array<Subscription> = []
  if (mode.discovery) subscriptions.push(subscription('discovery', [discovery()]))
  for (const u of laid) subscriptions.push(subscription(u.slot, u.filters ?? renderRange(atoms, u.lo, u.hi, limits)))

  const overBudget = mode.budget === undefined ? 0 : Math.max(0, subscriptions.length - mode.budget)
  if (overBudget > 0)
    problems.push({
      code: 'over-budget',
      message: `${subscriptions.length} subscriptions needed, ${mode.budget} allowed: the last ${overBudget} need another connection or a larger limit`
    })
  return { subscriptions, folded, overBudget, problems }
}
