/**
 * Generators and oracles for the wire layer's tests.
 *
 * Why the generators have this shape: a wire property is only as good as the share of runs that
 * reach its claim, and uniform random targets and limits rarely reach the interesting ones.
 * - Targets draw repositories and roots from small pools (80 addresses, 120 ids), so a generated
 *   event often names a tracked value, and limits stay small enough to force chunking.
 * - A change to a target (`growthCaseArb`, `removalCaseArb`, `leavingStateOnlyArb`,
 *   `withNewRepoArb`, `withNewRootArb`) draws the added or removed value from the values the
 *   target does NOT hold, instead of drawing from the pool and rejecting collisions (which threw
 *   away a fifth to a third of the runs).
 * - Folding happens only when the slots outnumber the budget and a fold fits: uniform limits fold
 *   without overflow in about 1% of runs. `foldingLimitsArb` measures the slots of the target and
 *   sets the budget between the fewest groups a fold can reach and one below the slot count.
 * - Events near a target (`eventNearArb`) tag its own values under every tag name and kind, so the
 *   coverage oracle is checked on wanted events and on near misses, not only on strangers.
 * The shares each generator reaches are asserted in test/coverage.test.ts and listed in
 * docs/testing.md ("Property coverage").
 */
import { fc } from '@fast-check/vitest'
import { isImmutable } from 'immutable'
import { matchFilters, type Filter } from 'nostr-tools/filter'
import type { Event } from 'nostr-tools/pure'
import type { FilterTarget, NostrFilter } from '../../src/wire/Filters.js'
import type { RelayLimits } from '../../src/config/Limits.js'
import { fromRelayTargets, type RelayIndex, type RelayTarget } from '../../src/relays/RelayIndex.js'
import { sha256Hex } from '../../src/util/hash.js'
import * as engine from '../../src/wire/layout.js'
import { relayLimits } from '../../src/config/Limits.js'
import { planTarget, type WireMessage } from '../../src/wire/Wire.js'

export const RELAY = 'wss://relay.example.com'
export const pk = (i: number): string => sha256Hex(`pubkey ${i}`)
export const rootId = (i: number): string => sha256Hex(`root ${i}`)

export const PUBKEY_POOL = Array.from({ length: 8 }, (_, i) => pk(i))
/** Identifiers with `:`, quotes, non-ASCII and backslashes: they must survive JSON and splitting. */
export const D_POOL = ['repo', 'org:project', 'a:b:c', 'x', 'with "quote"', 'ünïcødé', 'back\\slash', 'nostr', 'grasp', 'd-9']
export const REF_POOL = PUBKEY_POOL.flatMap((p) => D_POOL.map((d) => `30617:${p}:${d}`))
export const ROOT_POOL = Array.from({ length: 120 }, (_, i) => rootId(i))
/** Values never tracked: an outsider's repository, an unknown event id, a plain string. */
export const OUTSIDER_REF = `30617:${pk(99)}:repo`
export const OUTSIDER_ID = rootId(999)

export interface TargetSpec {
  readonly full: ReadonlyArray<string>
  readonly stateOnly: ReadonlyArray<string>
  readonly roots: ReadonlyArray<readonly [string, string]>
}

export const toTarget = (s: TargetSpec): FilterTarget => {
  const rootEvents: Record<string, Array<string>> = {}
  for (const [repo, id] of s.roots) (rootEvents[repo] ??= []).push(id)
  return { relay: RELAY, repos: s.full, rootEvents, stateOnly: s.stateOnly }
}

/** A target: repositories synced in full, some state-only, and (repo, root id) pairs. */
export const targetSpecArb = (maxRepos = 40, maxRoots = 80, minRepos = 0, minRoots = 0): fc.Arbitrary<TargetSpec> =>
  fc
    .tuple(
      fc.subarray(REF_POOL, { minLength: minRepos, maxLength: maxRepos }),
      fc.subarray(ROOT_POOL, { minLength: minRoots, maxLength: maxRoots }),
      fc.array(fc.nat(), { minLength: maxRoots, maxLength: maxRoots }),
      fc.nat({ max: 4 })
    )
    .map(([repos, roots, picks, heldEvery]) => {
      const stateOnly = heldEvery === 0 ? [] : repos.filter((_, i) => i % (heldEvery + 1) === 0)
      const full = repos.filter((r) => !stateOnly.includes(r))
      const owners = full.length > 0 ? full : [OUTSIDER_REF]
      return { full, stateOnly, roots: roots.map((id, i) => [owners[(picks[i] ?? 0) % owners.length] as string, id] as const) }
    })

/** Limits small enough that chunking, packing and folding all happen. */
export const limitsArb: fc.Arbitrary<Partial<RelayLimits>> = fc.record({
  maxValuesPerList: fc.integer({ min: 1, max: 12 }),
  maxFiltersPerReq: fc.integer({ min: 1, max: 20 }),
  maxSubscriptions: fc.integer({ min: 1, max: 20 }),
  reservedSubscriptions: fc.integer({ min: 0, max: 3 }),
  maxMessageBytes: fc.integer({ min: 1024, max: 16_384 }),
  maxSubIdLength: fc.integer({ min: 12, max: 64 })
})


// -------------------------------------------------------------------------------------------------
// changes to a target, drawn so that every run reaches the claim
// -------------------------------------------------------------------------------------------------

const notIn = (pool: ReadonlyArray<string>, taken: Iterable<string>): Array<string> => {
  const held = new Set(taken)
  return pool.filter((x) => !held.has(x))
}

/** A repository address the target does not track (neither full nor state-only). */
export const newRepoArb = (spec: TargetSpec): fc.Arbitrary<string> => {
  const free = notIn(REF_POOL, [...spec.full, ...spec.stateOnly])
  return free.length === 0 ? fc.constant(`30617:${pk(98)}:new`) : fc.constantFrom(...free)
}

/** A root id the target does not hold. */
export const newRootArb = (spec: TargetSpec): fc.Arbitrary<string> => {
  const free = notIn(ROOT_POOL, spec.roots.map(([, id]) => id))
  return free.length === 0 ? fc.constant(rootId(1000)) : fc.constantFrom(...free)
}

/** A target and a repository it does not track. */
export const withNewRepoArb = (maxRepos?: number, maxRoots?: number): fc.Arbitrary<{ readonly spec: TargetSpec; readonly extra: string }> =>
  targetSpecArb(maxRepos, maxRoots).chain((spec) => newRepoArb(spec).map((extra) => ({ spec, extra })))

/** A target and a root id it does not hold. */
export const withNewRootArb = (maxRepos?: number, maxRoots?: number): fc.Arbitrary<{ readonly spec: TargetSpec; readonly id: string }> =>
  targetSpecArb(maxRepos, maxRoots).chain((spec) => newRootArb(spec).map((id) => ({ spec, id })))

/** A target whose first state-only repository is about to be synced in full. */
export const leavingStateOnlyArb: fc.Arbitrary<TargetSpec> = withNewRepoArb().map(({ spec, extra }) => ({ ...spec, stateOnly: [extra, ...spec.stateOnly] }))

/** The spec with one more root, owned by its first full repository (the outsider when it has none). */
export const withRoot = (spec: TargetSpec, id: string): TargetSpec => ({ ...spec, roots: [...spec.roots, [spec.full[0] ?? OUTSIDER_REF, id] as const] })

const ROOMY = 100_000

/**
 * Limits under which the live plan of `spec` must fold, with room for one more atom at the same
 * fold depth. Folding needs mergeable slots, so a REQ may carry 8 filters or more (a repository
 * alone needs 4). The budget is first drawn between the fewest groups a fold at depth 0 reaches
 * and one below the slot count; the plan under that budget folds at some depth `D` into `n`
 * groups, and depth `D + 1` needs more than the budget. A budget of `n + 1` (when it is below
 * the first) keeps `D` the deepest depth that fits, and leaves room for the one group an added
 * atom can create. When the target has nothing to fold under the limits drawn (one slot, or no
 * merge fits), other limits are drawn, twice at most.
 */
export const foldingLimitsArb = (spec: TargetSpec, retries = 2): fc.Arbitrary<Partial<RelayLimits>> =>
  fc
    .record({
      maxValuesPerList: fc.integer({ min: 1, max: 6 }),
      maxFiltersPerReq: fc.integer({ min: 8, max: 12 }),
      // at least 1: the limits keep one subscription for history when there are two or more
      reservedSubscriptions: fc.integer({ min: 1, max: 3 }),
      maxMessageBytes: fc.integer({ min: 1024, max: 2048 }),
      maxSubIdLength: fc.integer({ min: 12, max: 64 })
    })
    .chain((limits) => {
      const reserved = limits.reservedSubscriptions
      const target = toTarget(spec)
      const withUnits = (units: number): Partial<RelayLimits> => ({ ...limits, maxSubscriptions: reserved + 1 + units })
      const slots = planTarget(withUnits(ROOMY))(target).subscriptions.length - 1
      const tightest = planTarget(withUnits(0))(target)
      const groups = tightest.subscriptions.length + tightest.overflow.length - 1
      // nothing to fold under these limits: draw others (twice at most)
      if (groups >= slots) return retries > 0 ? foldingLimitsArb(spec, retries - 1) : fc.constant(withUnits(slots))
      return fc.integer({ min: groups, max: slots - 1 }).map((drawn) => {
        // a few budgets upwards from the drawn one, for one whose fold leaves a group free
        for (let units = drawn; units < Math.min(slots, drawn + 4); units++) {
          const n = planTarget(withUnits(units))(target).subscriptions.length - 1
          if (n < units) return withUnits(n + 1)
        }
        return withUnits(drawn)
      })
    })

/** One repository or root added to a target, under limits that mostly force folding. */
export interface GrowthCase {
  readonly spec: TargetSpec
  readonly limits: Partial<RelayLimits>
  readonly addRepo: boolean
  readonly extra: string
  readonly id: string
}

const growthOf = (spec: fc.Arbitrary<TargetSpec>, limits: (s: TargetSpec) => fc.Arbitrary<Partial<RelayLimits>>): fc.Arbitrary<GrowthCase> =>
  spec.chain((s) => fc.record({ spec: fc.constant(s), limits: limits(s), addRepo: fc.boolean(), extra: newRepoArb(s), id: newRootArb(s) }))

/**
 * Four runs in five under folding limits, over targets big enough to fold (at least 6
 * repositories and 12 roots, at most 20 and 60 so a run stays cheap); one in five under plain
 * limits and targets (no folding, or overflow).
 */
export const growthCaseArb: fc.Arbitrary<GrowthCase> = fc.oneof(
  { weight: 4, arbitrary: growthOf(targetSpecArb(20, 60, 6, 12), (s) => foldingLimitsArb(s)) },
  { weight: 1, arbitrary: growthOf(targetSpecArb(40, 120), () => limitsArb) }
)

export const grown = (c: GrowthCase): TargetSpec => (c.addRepo ? { ...c.spec, full: [...c.spec.full, c.extra] } : withRoot(c.spec, c.id))

/**
 * Which branch of the folding-stability property a case reaches: `same-depth` is its headline
 * (folded before and after, at one depth: only the run of the new atom changes).
 */
export type GrowthBranch = 'overflow' | 'unfolded' | 'same-depth' | 'depth-changed'

export const growthLayouts = (c: GrowthCase): { readonly before: engine.Layout; readonly after: engine.Layout; readonly branch: GrowthBranch } => {
  const resolved = relayLimits(c.limits).limits
  const mode = engine.liveMode(resolved)
  const before = engine.layout(toTarget(c.spec), resolved, mode)
  const after = engine.layout(toTarget(grown(c)), resolved, mode)
  const branch: GrowthBranch =
    before.overBudget > 0 || after.overBudget > 0
      ? 'overflow'
      : before.foldDepth === undefined && after.foldDepth === undefined
        ? 'unfolded'
        : before.foldDepth === after.foldDepth
          ? 'same-depth'
          : 'depth-changed'
  return { before, after, branch }
}

/** One full repository (owning no root) removed from a target: `spec` is the target after the removal. */
export interface RemovalCase {
  readonly spec: TargetSpec
  readonly gone: string
  readonly limits: Partial<RelayLimits>
}

export const removalCaseArb: fc.Arbitrary<RemovalCase> = targetSpecArb(40, 120).chain((spec) =>
  fc.record({ spec: fc.constant(spec), gone: newRepoArb(spec), limits: limitsArb })
)

/** The key bits of an atom: SHA-256 of a repository address, or the root id itself. */
export const keyBits = (hex: string): string => [...hex].map((c) => parseInt(c, 16).toString(2).padStart(4, '0')).join('')
/** The key prefix of a subscription's slot (`s:0110`, `s:0110.2`, `f:s:0110~s:0111` give `0110`). */
export const prefixOf = (slot: string): string => /s:([01]*)/.exec(slot)?.[1] ?? ''

/**
 * The plans of a removal case (budgets lifted: no folding) and the slot of the new plan that
 * holds the removed key: `''` (the root slot, which holds everything) makes the claim vacuous.
 */
export const removalPlans = (c: RemovalCase) => {
  const roomy = { ...c.limits, maxSubscriptions: ROOMY }
  const before = planTarget(roomy)(toTarget({ ...c.spec, full: [...c.spec.full, c.gone] }))
  const after = planTarget(roomy)(toTarget(c.spec))
  const bits = keyBits(sha256Hex(c.gone))
  const home = after.subscriptions.map((s) => prefixOf(s.slot)).find((p) => bits.startsWith(p) && p !== '') ?? ''
  return { before, after, bits, home }
}

const TAG_NAMES = ['a', 'A', 'q', 'e', 'E', 'd', 'p', 't', 'k'] as const

const valueArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...REF_POOL),
  fc.constantFrom(...ROOT_POOL),
  fc.constantFrom(...D_POOL),
  fc.constantFrom(OUTSIDER_REF, OUTSIDER_ID, ''),
  fc.string({ maxLength: 8 })
)

/** An event shaped like NIP-34 traffic, with tags drawn from tracked and untracked values. */
export const eventArb: fc.Arbitrary<Event> = fc.record({
  id: fc.constantFrom(...ROOT_POOL.slice(0, 5), OUTSIDER_ID),
  pubkey: fc.oneof(fc.constantFrom(...PUBKEY_POOL), fc.constant(pk(99))),
  created_at: fc.integer({ min: 0, max: 2_000_000_000 }),
  kind: fc.constantFrom(30617, 10317, 30618, 1617, 1618, 1619, 1621, 1630, 1111, 5, 1),
  tags: fc.array(
    fc.tuple(fc.constantFrom(...TAG_NAMES), valueArb, fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 })).map(([n, v, rest]) => [n, v, ...rest]),
    { maxLength: 5 }
  ),
  content: fc.constant(''),
  sig: fc.constant('0'.repeat(128))
})

const NEAR_KINDS = [30618, 1617, 1618, 1619, 1621, 1630, 1111, 5, 1] as const

/**
 * Events near a target: one tag carries a value the target tracks, under any tag name and kind
 * (a state event with a tracked identifier, by the owner or by someone else), so both sides of
 * the coverage oracle are reached: wanted events and near misses. Half the events are strangers.
 */
export const eventNearArb = (spec: TargetSpec): fc.Arbitrary<Event> => {
  const tracked = [...spec.full, ...spec.stateOnly, ...spec.roots.map(([, id]) => id)]
  if (tracked.length === 0) return eventArb
  const near = fc
    .record({ base: eventArb, value: fc.constantFrom(...tracked), tag: fc.constantFrom(...TAG_NAMES), kind: fc.constantFrom(...NEAR_KINDS), owner: fc.boolean() })
    .map(({ base, value, tag, kind, owner }): Event => {
      const [k, pubkey, ...d] = value.split(':')
      const isRef = k === '30617' && pubkey !== undefined
      const stateOf = isRef && (kind === 30618 || tag === 'd')
      return {
        ...base,
        kind: stateOf ? 30618 : kind,
        pubkey: isRef && owner ? (pubkey as string) : base.pubkey,
        tags: [[stateOf ? 'd' : tag, stateOf ? d.join(':') : value], ...base.tags]
      }
    })
  return fc.oneof(eventArb, near)
}

/**
 * The coverage oracle (issue 5): the event must be fetched from the relay if and only if it is an
 * announcement or a git relay list, the state event of a tracked (pubkey, d), or tags a tracked
 * repository with `a`/`A`/`q` or a tracked root with `e`/`E`/`q`.
 */
export const wanted = (t: FilterTarget, e: Event): boolean => {
  if (e.kind === 30617 || e.kind === 10317) return true
  const pairs = new Set([...t.repos, ...(t.stateOnly ?? [])])
  const full = new Set(t.repos)
  const roots = new Set(Object.values(t.rootEvents).flat())
  if (e.kind === 30618 && e.tags.some(([n, v]) => n === 'd' && v !== undefined && pairs.has(`30617:${e.pubkey}:${v}`))) return true
  if (e.tags.some(([n, v]) => (n === 'a' || n === 'A' || n === 'q') && v !== undefined && full.has(v))) return true
  return e.tags.some(([n, v]) => (n === 'e' || n === 'E' || n === 'q') && v !== undefined && roots.has(v))
}

/** nostr-tools' matcher over our readonly filters. */
export const covers = (filters: ReadonlyArray<NostrFilter>, e: Event): boolean => matchFilters(filters as Array<Filter>, e)

/** What a relay holds after a sequence of messages: open subscription id → its filters. */
export const replay = (messages: ReadonlyArray<WireMessage>, from: ReadonlyMap<string, string> = new Map()): Map<string, string> => {
  const open = new Map(from)
  for (const m of messages) {
    if (m[0] === 'CLOSE') open.delete(m[1])
    else open.set(m[1], JSON.stringify(m.slice(2)))
  }
  return open
}

export const asOpen = (subs: ReadonlyArray<{ readonly id: string; readonly filters: ReadonlyArray<NostrFilter> }>): Map<string, string> =>
  new Map(subs.map((s) => [s.id, JSON.stringify(s.filters)]))

/** A real-shaped event for example tests. */
export const event = (kind: number, tags: ReadonlyArray<ReadonlyArray<string>>, pubkey: string = pk(0), created_at = 1_700_000_000): Event => ({
  id: sha256Hex(JSON.stringify([kind, tags, pubkey, created_at])),
  pubkey,
  created_at,
  kind,
  tags: tags.map((t) => [...t]),
  content: '',
  sig: '0'.repeat(128)
})

export const RELAYS = ['wss://r1.example', 'wss://r2.example', 'wss://r3.example'] as const

/** A relay index over a few relays (some with empty targets), and repositories to hold in purgatory. */
export const indexArb: fc.Arbitrary<{ readonly index: RelayIndex; readonly held: ReadonlyArray<string> }> = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom(...RELAYS), targetSpecArb(8, 10)), { maxLength: 4 }), fc.subarray(REF_POOL, { maxLength: 20 }))
  .map(([specs, held]) => ({
    index: fromRelayTargets(
      specs.map(([relay, spec]) => {
        const t = toTarget(spec)
        return { relay, repos: [...spec.full, ...spec.stateOnly], rootEvents: t.rootEvents } as unknown as RelayTarget
      })
    ),
    held
  }))

/**
 * The `created_at` of a relay's stored events, for the paging properties: 16 to 80 events over 16
 * seconds, so most stores need several pages and many have a second holding more events than a
 * page (with fast-check's default sizes, half the stores fitted one page).
 */
export const pagingTimesArb: fc.Arbitrary<Array<number>> = fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 16, maxLength: 80 })

// -------------------------------------------------------------------------------------------------
// hostile input, for the totality tests
// -------------------------------------------------------------------------------------------------

/** An object no naive code survives: a null prototype, and `toString`, `valueOf`, `toJSON` and `Symbol.toPrimitive` that throw. */
export const trap = (fields: Readonly<Record<string, unknown>> = {}): Record<PropertyKey, unknown> => {
  const boom = (what: string) => () => {
    throw new Error(`trap: ${what} called`)
  }
  const o: Record<PropertyKey, unknown> = Object.create(null)
  o['toString'] = boom('toString')
  o['valueOf'] = boom('valueOf')
  o['toJSON'] = boom('toJSON')
  o[Symbol.toPrimitive] = boom('Symbol.toPrimitive')
  for (const [k, v] of Object.entries(fields)) o[k] = v
  return o
}

/** Every kind of value fast-check makes: null prototypes, BigInts, boxed values, dates, maps, sets, typed and sparse arrays. */
const anyValueArb: fc.Arbitrary<unknown> = fc.anything({
  maxDepth: 3,
  withNullPrototype: true,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withObjectString: true,
  withTypedArray: true,
  withSparseArray: true
})

/** The field names the wire layer reads, so that garbage often has the right keys with the wrong values. */
const FIELD_NAMES = [
  'relay', 'repos', 'rootEvents', 'stateOnly', 'full', '_tag', 'subscriptions', 'filters', 'id', 'slot', 'since', 'until', 'limit',
  'maxLimit', 'done', 'incomplete', 'widening', 'filter', 'messages', 'awaiting', 'connection', 'events', 'limits', 'discovery',
  'reconnectWindow', 'limitation', 'kinds', 'ids', 'authors', '#a', '#e', 'applied', 'inFlight', 'open', 'at', 'maxSubscriptions'
] as const

/** Garbage: anything at all, trap objects (alone, in arrays, as field values), and objects with the fields the layer reads set to garbage. */
export const hostileArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    anyValueArb,
    fc.constant(null).map(() => trap()),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...FIELD_NAMES), tie('value'), { maxKeys: 4 }),
    fc.dictionary(fc.constantFrom(...FIELD_NAMES), tie('value'), { maxKeys: 4 }).map((fields) => trap(fields))
  )
})).value

/** A valid value with one field replaced by garbage (or removed). */
export const mutantArb = (valid: ReadonlyArray<object>): fc.Arbitrary<unknown> =>
  fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.option(hostileArb, { nil: undefined }), fc.boolean()).map(([v, i, value, drop]) => {
    const keys = Object.keys(v)
    if (keys.length === 0) return v
    const key = keys[i % keys.length] as string
    const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) }
    if (drop) delete copy[key]
    else copy[key] = value
    return copy
  })

/**
 * A description of a value's own structure (prototypes, keys, property values, Map and Set
 * entries; Immutable.js collections are opaque), to check that nothing was mutated. Reads data properties only: it never calls
 * `toString`, `toJSON` or a getter.
 */
export const snapshot = (u: unknown): unknown => {
  const seen = new Map<object, number>()
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'bigint') return { bigint: v.toString() }
    if (typeof v === 'symbol') return { symbol: v.description }
    if (typeof v === 'function') return { function: seen.has(v) ? seen.get(v) : seen.set(v, seen.size).get(v) }
    if (typeof v !== 'object' || v === null) return Object.is(v, -0) ? { negativeZero: true } : v
    // persistent collections cannot be changed in place (they cache hash codes, which is not a change)
    if (isImmutable(v)) return { immutable: true }
    const known = seen.get(v)
    if (known !== undefined) return { ref: known }
    seen.set(v, seen.size)
    if (depth > 12) return { deep: true }
    const out: Record<string, unknown> = { proto: Object.getPrototypeOf(v) === null ? 'null' : Object.getPrototypeOf(v) === Object.prototype ? 'object' : 'other' }
    if (v instanceof Map) out['map'] = [...v.entries()].map(([k, x]) => [walk(k, depth + 1), walk(x, depth + 1)])
    if (v instanceof Set) out['set'] = [...v.values()].map((x) => walk(x, depth + 1))
    if (v instanceof Date) out['date'] = v.getTime()
    out['own'] = Reflect.ownKeys(v).map((k) => {
      const d = Object.getOwnPropertyDescriptor(v, k)
      return [typeof k === 'symbol' ? { symbol: k.description } : k, d === undefined || !('value' in d) ? { accessor: true } : walk(d.value, depth + 1)]
    })
    return out
  }
  return walk(u, 0)
}
