/**
 * Generators and oracles for the wire layer's tests: relay targets drawn from small pools (so
 * generated events often hit tracked values), limits small enough to force chunking and folding,
 * events shaped like NIP-34 traffic, and the coverage oracle the plan must agree with.
 */
import { fc } from '@fast-check/vitest'
import { isImmutable } from 'immutable'
import { matchFilters, type Filter } from 'nostr-tools/filter'
import type { Event } from 'nostr-tools/pure'
import type { FilterTarget, NostrFilter } from '../src/Filters.js'
import type { RelayLimits } from '../src/Limits.js'
import { fromRelayTargets, type RelayIndex, type RelayTarget } from '../src/RelayIndex.js'
import { sha256Hex } from '../src/internal/hash.js'
import type { WireMessage } from '../src/Wire.js'

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
export const targetSpecArb = (maxRepos = 40, maxRoots = 80): fc.Arbitrary<TargetSpec> =>
  fc
    .tuple(
      fc.subarray(REF_POOL, { maxLength: maxRepos }),
      fc.subarray(ROOT_POOL, { maxLength: maxRoots }),
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
