/**
 * Re-planning that follows the change (src/engine/slots.ts) asks each relay for exactly what a
 * plan from scratch asks for. The generator walks one relay's target through random steps that
 * add and remove repositories, state-only repositories and root events, under limits small
 * enough that slots split and merge often (a slot holds one to a few repositories), and with a
 * budget that is sometimes exceeded (the plan folds: the fallback). After every step the
 * incremental plan and `layout` from scratch have the same subscriptions (ids and filters), and a
 * subscription the step did not touch is the same object as before. `fc.statistics` shows each
 * path is reached: followed, split, merged, unchanged, and laid out from scratch.
 */
import { describe, expect } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { relayLimits, type RelayLimits } from '../../src/index.js'
import { planLive, planStats, type SlotLayout } from '../../src/engine/slots.js'
import { layout, liveMode, type Subscription } from '../../src/wire/layout.js'
import type { FilterTarget } from '../../src/wire/Filters.js'

const pk = (i: number) => (i + 1).toString(16).padStart(64, '0')
const REPOS = Array.from({ length: 48 }, (_, i) => `30617:${pk(i % 12)}:repo-${i}`)
const ROOTS = Array.from({ length: 48 }, (_, i) => (i * 2654435761 + 7).toString(16).padStart(64, 'a').slice(-64))
const LIMITS: ReadonlyArray<RelayLimits> = [
  relayLimits({ maxFiltersPerReq: 8, maxSubscriptions: 40, reservedSubscriptions: 2 }).limits,
  relayLimits({ maxFiltersPerReq: 12, maxValuesPerList: 3, maxSubscriptions: 40, reservedSubscriptions: 2 }).limits,
  relayLimits({ maxMessageBytes: 1200, maxSubscriptions: 40, reservedSubscriptions: 2 }).limits,
  relayLimits({ maxFiltersPerReq: 8, maxSubscriptions: 6, reservedSubscriptions: 1 }).limits
]

/** One step: toggles of repositories (full, state-only or none) and of root events. */
const stepArb = fc.record({
  repos: fc.array(fc.tuple(fc.nat({ max: REPOS.length - 1 }), fc.constantFrom(0, 1, 2)), { maxLength: 8 }),
  roots: fc.array(fc.nat({ max: ROOTS.length - 1 }), { maxLength: 8 })
})

const freeze = (s: Subscription): Subscription => Object.freeze({ ...s, filters: Object.freeze([...s.filters]) })

const key = (s: Subscription) => `${s.id} ${JSON.stringify(s.filters)}`

const run = (which: number, choice: 'exact' | 'auto', steps: ReadonlyArray<{ readonly repos: ReadonlyArray<readonly [number, number]>; readonly roots: ReadonlyArray<number> }>) => {
  const limits = LIMITS[which] as RelayLimits
  // three connections' worth: plans over one connection, over several, and folded
  const budget = 3 * (limits.maxSubscriptions - limits.reservedSubscriptions)
  const state = new Map<string, number>() // repo → 0 full, 1 state-only
  const roots = new Set<string>()
  let prev: SlotLayout | undefined
  let before: ReadonlyArray<Subscription> = []
  for (const st of steps) {
    for (const [i, mode] of st.repos) {
      const r = REPOS[i] as string
      if (mode === 2) state.delete(r)
      else state.set(r, mode)
    }
    for (const i of st.roots) {
      const id = ROOTS[i] as string
      if (roots.has(id)) roots.delete(id)
      else roots.add(id)
    }
    const target: FilterTarget = {
      relay: 'wss://r.example',
      repos: [...state].filter(([, m]) => m === 0).map(([r]) => r),
      stateOnly: [...state].filter(([, m]) => m === 1).map(([r]) => r),
      rootEvents: { x: [...roots] }
    } as unknown as FilterTarget
    const p = planLive(prev, target, limits, budget, freeze, choice)
    const scratch = layout(target, limits, { ...liveMode(limits), budget, strategy: choice })
    expect(p.strategy).toBe(scratch.strategy)
    if (scratch.strategy === 'owners') owners++
    expect(p.subscriptions.map(key).sort()).toEqual(scratch.subscriptions.map(key).sort())
    expect(p.overflow.map(key)).toEqual(scratch.overflow.map(key))
    // untouched subscriptions are kept as they were (the same object: nothing hashed or sent again)
    const was = new Map(before.map((s) => [key(s), s]))
    if (prev !== undefined && p.slots !== undefined) for (const s of p.subscriptions) if (was.has(key(s)) && s.slot !== 'discovery') expect(s).toBe(was.get(key(s)))
    prev = p.slots
    before = p.subscriptions
  }
}

const casesArb = fc.tuple(fc.nat({ max: LIMITS.length - 1 }), fc.constantFrom('exact' as const, 'auto' as const), fc.array(stepArb, { minLength: 1, maxLength: 25 }))
let owners = 0

describe('incremental re-planning (slots.ts)', () => {
  test.prop([casesArb], { numRuns: 300 })('the plan that follows the change equals the plan from scratch, step after step (strategy exact, and auto)', ([which, choice, steps]) => {
    run(which, choice, steps)
  })

  test('the generator reaches every path: follow, split, merge, unchanged, scratch (fc.statistics)', () => {
    const seen = { follow: 0, scratch: 0, split: 0, merge: 0, unchanged: 0 }
    fc.statistics(
      casesArb,
      ([which, choice, steps]) => {
        const b = { ...planStats }
        run(which, choice, steps)
        const kinds: Array<string> = []
        for (const k of Object.keys(seen) as Array<keyof typeof seen>)
          if (planStats[k] > b[k]) {
            seen[k]++
            kinds.push(k)
          }
        return kinds.join(' ')
      },
      { numRuns: 200, logger: () => undefined }
    )
    for (const k of Object.keys(seen) as Array<keyof typeof seen>) expect(seen[k]).toBeGreaterThan(10)
    // auto reaches its coarse choice too (laid out from scratch)
    expect(owners).toBeGreaterThan(0)
  })
})
