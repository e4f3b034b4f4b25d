/**
 * Fuzzing: every exported function with fc.anything() and fc.jsonValue(), and real signed events
 * mutated field by field. `npm test` runs 1000 cases per property; `npm run fuzz` runs 10 000
 * (FUZZ_RUNS).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as api from '../../src/index.js'
import { REAL_EVENTS_FILE } from '../support/fixtures.js'
import { applyBatch, emptyRepoIndex, encodeRepoIndex, eqRepoIndex, IGNORED_KINDS } from '../../src/index.js'
import { config as unverified, eventsArb, OWN } from '../support/arbitraries.js'

const RUNS = { numRuns: Number(process.env['FUZZ_RUNS'] ?? 1000) }
// `npm run fuzz` runs 10 000 cases per property: minutes, not the default 60 s per test
if (RUNS.numRuns > 1000) vi.setConfig({ testTimeout: 30 * 60_000 })
const verified = { ownRelays: [OWN] }

const real: ReadonlyArray<Record<string, unknown>> = [
  ...readFileSync(REAL_EVENTS_FILE, 'utf8').split('\n'),
  ...readFileSync(new URL('../../examples/sample/synthetic-events.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.stringify((JSON.parse(l) as { event: unknown }).event))
]
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Record<string, unknown>)

const base = applyBatch(verified, real)(emptyRepoIndex).index

const FIELDS = ['id', 'pubkey', 'created_at', 'kind', 'tags', 'content', 'sig'] as const

const flipHex = (s: string, i: number): string => {
  const at = i % s.length
  const c = s[at] === '0' ? '1' : '0'
  return s.slice(0, at) + c + s.slice(at + 1)
}

/** A real event with one field changed: plausibly (one character, ±1, one tag) or to anything. */
const mutatedArb = fc
  .record({
    event: fc.constantFrom(...real),
    field: fc.constantFrom(...FIELDS),
    how: fc.oneof(
      fc.record({ kind: fc.constant('anything' as const), value: fc.anything() }),
      fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue() }),
      fc.record({ kind: fc.constant('nudge' as const), n: fc.nat(), extra: fc.string({ maxLength: 40 }) }),
      fc.constant({ kind: 'drop' as const })
    )
  })
  .map(({ event, field, how }) => {
    const copy: Record<string, unknown> = JSON.parse(JSON.stringify(event))
    if (how.kind === 'drop') delete copy[field]
    else if (how.kind === 'anything' || how.kind === 'json') copy[field] = how.value
    else {
      const v = copy[field]
      if (typeof v === 'string') copy[field] = field === 'content' ? v + how.extra + 'x' : flipHex(v, how.n)
      else if (typeof v === 'number') copy[field] = v + 1 + (how.n % 5)
      else if (Array.isArray(v)) {
        const tags = v as Array<Array<string>>
        const i = how.n % Math.max(1, tags.length)
        copy[field] = how.n % 2 === 0 ? [...tags.slice(0, i), ...tags.slice(i + 1)] : [...tags, ['relays', how.extra || 'wss://x.example']]
      }
    }
    return { original: event, mutated: copy, changed: JSON.stringify(copy) !== JSON.stringify(event) }
  })

describe('fuzz: applyBatch', () => {
  test.prop([fc.anything()], RUNS)('any value as a batch: no throw', (u) => {
    expect(() => applyBatch(verified, u as ReadonlyArray<unknown>)(emptyRepoIndex)).not.toThrow()
  })

  test.prop([fc.array(fc.anything(), { maxLength: 8 })], RUNS)('arrays of anything: every element rejected, index unchanged', (batch) => {
    const { index, rejected } = applyBatch(verified, batch)(emptyRepoIndex)
    expect(eqRepoIndex.equals(index, emptyRepoIndex)).toBe(true)
    expect(new Set(rejected.filter((r) => !r.partial).map((r) => r.position)).size).toBe(batch.length)
  })

  test.prop([fc.array(fc.jsonValue(), { maxLength: 8 })], RUNS)('arrays of JSON values: rejected, index unchanged', (batch) => {
    const { index } = applyBatch(verified, batch)(emptyRepoIndex)
    expect(eqRepoIndex.equals(index, emptyRepoIndex)).toBe(true)
  })

  test.prop([fc.array(mutatedArb, { minLength: 1, maxLength: 4 })], RUNS)(
    'real events mutated field by field are rejected whole; the index equals the one without them',
    (cases) => {
      const { index, rejected } = applyBatch(verified, cases.map((c) => c.mutated))(base)
      cases.forEach((c, position) => {
        const whole = rejected.some((r) => r.position === position && !r.partial)
        const ignored = typeof c.mutated['kind'] === 'number' && IGNORED_KINDS.includes(c.mutated['kind'])
        if (c.changed) expect(whole || ignored).toBe(true)
      })
      expect(eqRepoIndex.equals(index, base)).toBe(true)
    }
  )

  test.prop([fc.array(fc.oneof(eventsArb.map((e) => e[0] ?? null), mutatedArb.map((m) => m.mutated as unknown)), { maxLength: 12 })], RUNS)(
    'a rejected event changes nothing: the batch equals the batch without its rejected events',
    (batch) => {
      const { index, rejected } = applyBatch(unverified, batch)(emptyRepoIndex)
      const wholeRejected = new Set(rejected.filter((r) => !r.partial).map((r) => r.position))
      const kept = batch.filter((_, i) => !wholeRejected.has(i))
      expect(eqRepoIndex.equals(index, applyBatch(unverified, kept)(emptyRepoIndex).index)).toBe(true)
    }
  )

  test.prop([fc.array(mutatedArb, { maxLength: 3 })], RUNS)('never mutates the caller\u2019s events', (cases) => {
    const inputs = cases.map((c) => c.mutated)
    const before = JSON.stringify(inputs)
    applyBatch(verified, inputs)(emptyRepoIndex)
    expect(JSON.stringify(inputs)).toBe(before)
    for (const e of inputs) if (typeof e === 'object' && e !== null) expect(Object.getOwnPropertySymbols(e)).toEqual([])
  })
})

describe('fuzz: every exported function', () => {
  const functions = Object.entries(api).filter(([, v]) => typeof v === 'function') as Array<[string, (...args: Array<unknown>) => unknown]>
  const codecs = Object.entries(api).filter(([, v]) => typeof v === 'object' && v !== null && typeof (v as { decode?: unknown }).decode === 'function') as Array<
    [string, { decode: (u: unknown) => unknown }]
  >

  test.prop([fc.array(fc.anything(), { minLength: 3, maxLength: 3 }), fc.array(fc.anything(), { minLength: 3, maxLength: 3 })], RUNS)(
    'no export throws on anything, curried or not',
    (args1, args2) => {
      for (const [name, f] of functions) {
        let r: unknown
        try {
          r = f(...args1)
          if (typeof r === 'function') (r as (...a: Array<unknown>) => unknown)(...args2)
        } catch (e) {
          throw new Error(`${name} threw: ${String(e)}`)
        }
      }
      for (const [name, codec] of codecs) expect(() => codec.decode(args1[0]), name).not.toThrow()
    }
  )

  test.prop([fc.array(fc.jsonValue(), { minLength: 3, maxLength: 3 }), fc.array(fc.jsonValue(), { minLength: 3, maxLength: 3 })], RUNS)(
    'no export throws on JSON values',
    (args1, args2) => {
      for (const [name, f] of functions) {
        try {
          const r = f(...args1)
          if (typeof r === 'function') (r as (...a: Array<unknown>) => unknown)(...args2)
        } catch (e) {
          throw new Error(`${name} threw: ${String(e)}`)
        }
      }
    }
  )
})

// -------------------------------------------------------------------------------------------
// Issue 9.8: Proxies, throwing getters and forged library values at the edge
// -------------------------------------------------------------------------------------------

const boom = (): never => {
  throw new Error('hostile')
}
const revokedProxy = (target: object): object => {
  const r = Proxy.revocable(target, {})
  r.revoke()
  return r.proxy
}
/** A Proxy whose traps throw from the n-th call on (so a first read can succeed and a later one fail). */
const trapsFrom = (target: object, n: number): object => {
  let calls = 0
  const maybe = <A>(f: () => A): A => (++calls > n ? boom() : f())
  return new Proxy(target, {
    get: (t, k, r) => maybe(() => Reflect.get(t, k, r) as unknown),
    has: (t, k) => maybe(() => Reflect.has(t, k)),
    ownKeys: (t) => maybe(() => Reflect.ownKeys(t)),
    getOwnPropertyDescriptor: (t, k) => maybe(() => Reflect.getOwnPropertyDescriptor(t, k)),
    getPrototypeOf: (t) => maybe(() => Reflect.getPrototypeOf(t))
  })
}
const withThrowingGetter = (target: object, key: string): object => {
  const copy: object = Array.isArray(target) ? [...(target as Array<unknown>)] : { ...target }
  return Object.defineProperty(copy, key, { get: boom, enumerable: true, configurable: true })
}

const sampleEvent = real[0] as Record<string, unknown>
// verify: false keeps 10 000 runs affordable; reading once is what these properties check (the
// named tests in test/edge/decode.test.ts check it with verification on)
const sampleConfig = { ownRelays: [OWN], bootstrapRelays: ['wss://b.example'], caps: { valuesPerTag: 100 }, relayPolicy: { allowWs: true }, verify: false }
const withSample = applyBatch(sampleConfig, [sampleEvent])(base).index
const sampleLimits = { maxSubscriptions: 5, maxFiltersPerReq: 10 }
/** Plain objects that look like the library's values, without being made by it. */
const forgeries: ReadonlyArray<unknown> = [
  { _tag: 'RepoIndex' },
  { _tag: 'RepoIndex', addrs: new Map(), rootEvents: new Map(), roots: new Map(), deletions: new Map(), liveIds: new Map(), changes: undefined },
  { _tag: 'RepoIndex', addrs: { get: boom, size: 1 }, roots: 42 },
  { _tag: 'RelayIndex', relays: new Map([['wss://r.example', { repos: 'x', roots: null }]]) },
  { _tag: 'RelayIndex', relays: { get: boom, keys: boom } },
  { _tag: 'SyncState' },
  { _tag: 'SyncState', relays: new Map([['wss://r.example', {}]]) }
]

/**
 * A recipe for a hostile value, as plain data: fast-check itself reads the values it generates
 * (to clone or print them), so the Proxies are built from the recipe inside each test run.
 */
type How = { readonly how: 'plain' } | { readonly how: 'traps'; readonly n: number } | { readonly how: 'revoked' } | { readonly how: 'getter'; readonly key: string }
type Recipe =
  | { readonly what: 'around'; readonly base: string; readonly how: How }
  | { readonly what: 'tag'; readonly at: number; readonly n: number }
  | { readonly what: 'forged'; readonly i: number }
  | { readonly what: 'anything'; readonly value: unknown }

const tags = sampleEvent['tags'] as ReadonlyArray<ReadonlyArray<string>>
const BASES: Record<string, () => object> = {
  event: () => sampleEvent,
  tags: () => [...tags],
  config: () => sampleConfig,
  policy: () => sampleConfig.relayPolicy,
  caps: () => sampleConfig.caps,
  limits: () => sampleLimits,
  relayInfo: () => ({ limitation: sampleLimits }),
  batch: () => [sampleEvent, sampleEvent],
  snapshot: () => encodeRepoIndex(base) as unknown as object,
  options: () => ({ now: 1 })
}
/** Where a hostile base sits inside a value an export takes. */
const WRAP: Record<string, (v: unknown) => unknown> = {
  tags: (v) => ({ ...sampleEvent, tags: v }),
  policy: (v) => ({ ...sampleConfig, relayPolicy: v }),
  caps: (v) => ({ ...sampleConfig, caps: v })
}

const howArb = (base: string): fc.Arbitrary<How> =>
  fc.oneof(
    fc.constant({ how: 'plain' } as const),
    fc.nat({ max: 12 }).map((n) => ({ how: 'traps', n }) as const),
    fc.constant({ how: 'revoked' } as const),
    fc.constantFrom(...Object.keys(BASES[base]!()), 'x').map((key) => ({ how: 'getter', key }) as const)
  )

const aroundArb = (bases: ReadonlyArray<string>): fc.Arbitrary<Recipe> =>
  fc.constantFrom(...bases).chain((b) => howArb(b).map((how) => ({ what: 'around', base: b, how }) as const))

const hostileEventRecipe: fc.Arbitrary<Recipe> = fc.oneof(
  aroundArb(['event', 'tags']),
  fc.tuple(fc.nat(), fc.nat({ max: 12 })).map(([at, n]) => ({ what: 'tag', at, n }) as const)
)

const recipeArb: fc.Arbitrary<Recipe> = fc.oneof(
  hostileEventRecipe,
  aroundArb(Object.keys(BASES)),
  fc.nat({ max: forgeries.length - 1 }).map((i) => ({ what: 'forged', i }) as const),
  fc.anything().map((value) => ({ what: 'anything', value }) as const)
)

const build = (r: Recipe): unknown => {
  if (r.what === 'anything') return r.value
  if (r.what === 'forged') return forgeries[r.i]
  if (r.what === 'tag') {
    const at = r.at % Math.max(1, tags.length)
    return { ...sampleEvent, tags: tags.map((tag, j) => (j === at ? trapsFrom([...tag], r.n) : tag)) }
  }
  const b = BASES[r.base]!()
  const v = r.how.how === 'plain' ? b : r.how.how === 'traps' ? trapsFrom(b, r.how.n) : r.how.how === 'revoked' ? revokedProxy(b) : withThrowingGetter(b, r.how.key)
  return WRAP[r.base]?.(v) ?? v
}

const configRecipe: fc.Arbitrary<Recipe> = aroundArb(['config', 'policy', 'caps'])
const optionsRecipe: fc.Arbitrary<Recipe> = aroundArb(['options'])

/**
 * Exports that still throw on these values (2026-12-02, 07:10 UTC), in modules outside the edge
 * decoders: RelayIndex (`fromRelayTargets`, `isAccepted`) and RelayAction (its codecs,
 * `applyActions`, `decodeRelayActions`), mostly through `show` in internal/sorted.ts, whose
 * `Array.isArray` throws on a revoked Proxy. They are skipped by the property below until their
 * owners fix them: remove a name once its module is total on these values.
 */
const PENDING_ELSEWHERE: ReadonlySet<string> = new Set([])

describe('fuzz: Proxies, throwing getters and forged library values (issue 9.8)', () => {
  const functions = Object.entries(api).filter(([, v]) => typeof v === 'function') as Array<[string, (...args: Array<unknown>) => unknown]>
  const codecs = Object.entries(api).filter(([, v]) => typeof v === 'object' && v !== null && typeof (v as { decode?: unknown }).decode === 'function') as Array<
    [string, { decode: (u: unknown) => unknown }]
  >

  test.prop([fc.array(recipeArb, { minLength: 3, maxLength: 3 }), fc.array(recipeArb, { minLength: 3, maxLength: 3 })], RUNS)(
    'issue 9.8: no export throws on Proxies, throwing getters or forged values, curried or not',
    (recipes1, recipes2) => {
      const args1 = recipes1.map(build)
      const args2 = recipes2.map(build)
      for (const [name, f] of functions) {
        if (PENDING_ELSEWHERE.has(name)) continue
        try {
          const r = f(...args1)
          if (typeof r === 'function') (r as (...a: Array<unknown>) => unknown)(...args2)
        } catch (e) {
          throw new Error(`${name} threw: ${String(e)}`)
        }
      }
      for (const [name, codec] of codecs) if (!PENDING_ELSEWHERE.has(name)) expect(() => codec.decode(args1[0]), name).not.toThrow()
    }
  )

  test.prop([fc.array(hostileEventRecipe, { minLength: 1, maxLength: 4 }), configRecipe, fc.option(optionsRecipe, { nil: undefined })], RUNS)(
    'issue 9.8: applyBatch on hostile events, configs and options never throws, and a hostile event is rejected or applied as its signed copy',
    (batchRecipes, configRecipe_, optionsRecipe_) => {
      const batch = batchRecipes.map(build)
      const config = build(configRecipe_)
      const options = optionsRecipe_ === undefined ? undefined : build(optionsRecipe_)
      const { index, rejected } = applyBatch(config as typeof verified, batch, options as { now: number })(base)
      expect(Array.isArray(rejected)).toBe(true)
      // whatever the getters did, the index holds only what the plain event could give it
      expect(eqRepoIndex.equals(index, base) || eqRepoIndex.equals(index, withSample)).toBe(true)
    }
  )

  it('issue 9.8: the hostile generator reaches every kind of hostile value around every base', () => {
    const label = (r: Recipe): string =>
      r.what === 'around' ? `${r.base}/${r.how.how}` : r.what === 'forged' ? `forged/${r.i}` : r.what
    const seen = new Set(fc.sample(recipeArb, 20_000).map(label))
    const expected = [
      ...Object.keys(BASES).flatMap((b) => ['plain', 'traps', 'revoked', 'getter'].map((h) => `${b}/${h}`)),
      ...forgeries.map((_, i) => `forged/${i}`),
      'tag',
      'anything'
    ]
    expect(expected.filter((e) => !seen.has(e))).toEqual([])
    fc.statistics(recipeArb, (r) => r.what, { numRuns: 2000, logger: () => undefined })
  })

  it.each(forgeries.map((f, i) => [i, f] as const))('issue 9.8: forged value %i reads as the empty index, and encodes as it', (_, forged) => {
    expect(api.repoRefs(forged as api.RepoIndex)).toEqual([])
    expect(eqRepoIndex.equals(forged as api.RepoIndex, emptyRepoIndex)).toBe(true)
    expect(api.encodeRepoIndex(forged as api.RepoIndex)).toEqual(api.encodeRepoIndex(emptyRepoIndex))
    expect(eqRepoIndex.equals(applyBatch(unverified, [sampleEvent])(forged as api.RepoIndex).index, applyBatch(unverified, [sampleEvent])(emptyRepoIndex).index)).toBe(true)
  })
})
