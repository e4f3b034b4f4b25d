/**
 * How often the property generators reach the claims of their properties (issue 8, item 8).
 *
 * A property is only as good as the share of its runs that reach its claim: a generator that
 * rarely folds makes a folding property that rarely checks anything. Each test here draws samples
 * from the generator a property uses, classifies each sample by the branch of the property it
 * reaches (with `fc.statistics`, the same classification the property makes where it has
 * branches), and asserts a floor per branch, so a change that starves a branch fails here.
 *
 * The seed is fixed, so the shares are the same on every run (FC_SEED does not move them); the
 * floors sit well below the measured shares (listed in docs/testing.md, "Property coverage"), so
 * a new seed or a small change of a generator does not fail them either. Set COVERAGE_LOG=1 to
 * print the tables.
 */
import { describe, expect, test } from 'vitest'
import { fc } from '@fast-check/vitest'
import { function as F } from 'fp-ts'
import { deriveTargets, diff, eqRepoIndex, relayTargets, type RelayAction, type RelayIndex } from '../../src/index.js'
import { planTarget } from '../../src/wire/Wire.js'
import {
  archiveConfig,
  batchesOf,
  cappedConfig,
  config,
  eventsArb,
  eventsWithDeletionsArb,
  forgedEventsArb,
  relayIndexArb
} from '../support/arbitraries.js'
import { applyAll } from './laws.js'
import * as W from '../support/wire.arbitraries.js'

const SEED = 20261202

/** The share (0 to 1) of samples in each category, as `fc.statistics` reports it. */
const shares = <A>(arb: fc.Arbitrary<A>, classify: (a: A) => string | Array<string>, numRuns = 1000): Record<string, number> => {
  const lines: Array<string> = []
  fc.statistics(arb, classify, { numRuns, seed: SEED, logger: (line) => lines.push(line) })
  if (process.env['COVERAGE_LOG'] !== undefined) console.log(lines.join('\n'))
  const out: Record<string, number> = {}
  for (const line of lines) {
    const m = /^(.+?)\.\.+(\d+(?:\.\d+)?)%$/.exec(line)
    if (m !== null) out[m[1] as string] = Number(m[2]) / 100
  }
  return out
}

/** Every listed category reaches its floor. */
const expectFloors = (got: Record<string, number>, floors: Record<string, number>): void => {
  const low = Object.entries(floors).filter(([k, floor]) => (got[k] ?? 0) < floor)
  expect(low.map(([k, floor]) => `${k}: ${((got[k] ?? 0) * 100).toFixed(1)}% < ${floor * 100}%`)).toEqual([])
}

const tags = (actions: ReadonlyArray<RelayAction>): Array<string> => (actions.length === 0 ? ['no action'] : [...new Set(actions.map((a) => a._tag))])

// -------------------------------------------------------------------------------------------------
// the core (test/laws.test.ts)
// -------------------------------------------------------------------------------------------------

type Ev = { readonly kind?: unknown; readonly pubkey?: unknown; readonly tags?: unknown }
const asEvent = (e: unknown): Ev => (typeof e === 'object' && e !== null ? (e as Ev) : {})
/** Two announcements of one (pubkey, d): the order decides nothing only if the rule is right. */
const competing = (events: ReadonlyArray<unknown>): boolean => {
  const seen = new Set<string>()
  for (const e of events.map(asEvent)) {
    if (e.kind !== 30617 || !Array.isArray(e.tags)) continue
    const d = (e.tags as Array<Array<string>>).find((t) => t[0] === 'd')?.[1]
    const key = `${String(e.pubkey)}:${d}`
    if (seen.has(key)) return true
    seen.add(key)
  }
  return false
}
const targetsOf = (c: typeof config, events: ReadonlyArray<unknown>): RelayIndex => F.pipe(applyAll(c, [events]), deriveTargets(c))
const withRoots = (index: RelayIndex): boolean => relayTargets(index).some((t) => Object.keys(t.rootEvents).length > 0)

describe('core generators (test/arbitraries.ts)', () => {
  test('event streams: competing announcements, accepted repositories, roots in the targets, both acceptance modes', () => {
    const got = shares(eventsArb, (events) => {
      const t = targetsOf(config, events)
      const out: Array<string> = []
      if (competing(events)) out.push('competing announcements')
      if (relayTargets(t).some((x) => x.repos.length > 0)) out.push('accepted repository')
      if (withRoots(t)) out.push('roots in targets')
      if (F.pipe(t, diff(targetsOf(archiveConfig, events))).length > 0) out.push('acceptance modes differ')
      return out.length === 0 ? ['none'] : out
    }, 500)
    expectFloors(got, { 'competing announcements': 0.3, 'accepted repository': 0.45, 'roots in targets': 0.25, 'acceptance modes differ': 0.5 })
  })

  test('splits: most runs cut the stream into two batches or more', () => {
    const got = shares(fc.tuple(eventsArb, fc.array(fc.nat(), { maxLength: 5 })), ([events, cuts]) =>
      batchesOf(events, cuts).filter((b) => b.length > 0).length >= 2 ? 'several batches' : 'one batch'
    )
    expectFloors(got, { 'several batches': 0.5 })
  })

  test('deletions change the index, and small caps bite', () => {
    const got = shares(eventsWithDeletionsArb, (events) => {
      const plain = events.filter((e) => asEvent(e).kind !== 5)
      const index = applyAll(config, [events])
      return [
        eqRepoIndex.equals(index, applyAll(config, [plain])) ? 'deletions without effect' : 'a deletion removes something',
        eqRepoIndex.equals(applyAll(cappedConfig, [events]), index) ? 'caps without effect' : 'caps change the index'
      ]
    }, 500)
    expectFloors(got, { 'a deletion removes something': 0.5, 'caps change the index': 0.3 })
  })

  test('forged copies share ids with real events', () => {
    const got = shares(forgedEventsArb, (events) => {
      const ids = events.map((e) => (asEvent(e) as { id?: unknown }).id).filter((id) => typeof id === 'string')
      return new Set(ids).size < ids.length ? 'shared id' : 'unique ids'
    }, 500)
    expectFloors(got, { 'shared id': 0.5 })
  })

  test('relay indexes: every kind of action, rarely none', () => {
    const got = shares(fc.tuple(relayIndexArb, relayIndexArb), ([d, a]) => tags(F.pipe(a, diff(d))))
    expectFloors(got, { SpawnRelay: 0.5, CloseRelay: 0.5, AddFilters: 0.4, RemoveFilters: 0.4 })
    expect(got['no action'] ?? 0).toBeLessThan(0.1)
  })

  test('targets derived from two streams (with and without deletions): every kind of action', () => {
    for (const arb of [eventsArb, eventsWithDeletionsArb]) {
      const got = shares(fc.tuple(arb, arb), ([e1, e2]) => tags(F.pipe(targetsOf(config, e2), diff(targetsOf(config, e1)))), 300)
      expectFloors(got, { SpawnRelay: 0.25, CloseRelay: 0.25, AddFilters: 0.3, RemoveFilters: 0.3 })
    }
  })
})

// -------------------------------------------------------------------------------------------------
// the wire layer (test/wire.laws.test.ts)
// -------------------------------------------------------------------------------------------------

const touchedCount = (before: { subscriptions: ReadonlyArray<{ id: string; filters: unknown }> }, after: { subscriptions: ReadonlyArray<{ id: string; filters: unknown }> }): number => {
  const kept = W.asOpen(after.subscriptions as never)
  return before.subscriptions.filter((s) => kept.get(s.id) !== JSON.stringify(s.filters)).length
}
const roomy = (l: object) => ({ ...l, maxSubscriptions: 100_000 })

describe('wire generators (test/wire.arbitraries.ts)', () => {
  test('folding stability: about half the runs fold at one depth before and after (the headline)', () => {
    const got = shares(W.growthCaseArb, (c) => {
      const { branch } = W.growthLayouts(c)
      return [branch, ...(branch === 'same-depth' || branch === 'depth-changed' ? ['folded'] : [])]
    }, 500)
    expectFloors(got, { 'same-depth': 0.4, folded: 0.5, unfolded: 0.03 })
  })

  test('removal: no run skipped, and most check the merge under a slot of the new plan', () => {
    const got = shares(W.removalCaseArb, (c) => {
      const { before, after, home } = W.removalPlans(c)
      return [home === '' ? 'one slot holds everything' : 'merge checked', touchedCount(before, after) > 0 ? 'a slot changes' : 'nothing changes']
    }, 500)
    expectFloors(got, { 'merge checked': 0.6, 'a slot changes': 0.99 })
  })

  test('adding a repository, a root, or syncing a state-only repository in full: a slot changes in a plan of several', () => {
    const several = (plan: { subscriptions: ReadonlyArray<unknown> }): boolean => plan.subscriptions.length > 2 // discovery and two slots
    const repo = shares(fc.tuple(W.withNewRepoArb(), W.limitsArb), ([{ spec, extra }, limits]) => {
      const before = planTarget(roomy(limits))(W.toTarget(spec))
      const after = planTarget(roomy(limits))(W.toTarget({ ...spec, full: [...spec.full, extra] }))
      return touchedCount(before, after) > 0 && several(before) ? 'one slot of several changes' : 'trivial'
    }, 500)
    const root = shares(fc.tuple(W.withNewRootArb(), W.limitsArb), ([{ spec, id }, limits]) => {
      const before = planTarget(roomy(limits))(W.toTarget(spec))
      const after = planTarget(roomy(limits))(W.toTarget(W.withRoot(spec, id)))
      return touchedCount(before, after) > 0 && several(before) ? 'one slot of several changes' : 'trivial'
    }, 500)
    const moving = shares(fc.tuple(W.leavingStateOnlyArb, W.limitsArb), ([spec, limits]) =>
      several(planTarget(roomy(limits))(W.toTarget(spec))) ? 'one slot of several changes' : 'trivial'
    , 500)
    expectFloors(repo, { 'one slot of several changes': 0.5 })
    expectFloors(root, { 'one slot of several changes': 0.5 })
    expectFloors(moving, { 'one slot of several changes': 0.5 })
  })

  test('coverage: most runs check wanted events and near misses together', () => {
    const arb = W.targetSpecArb().chain((spec) => fc.tuple(fc.constant(spec), fc.array(W.eventNearArb(spec), { minLength: 1, maxLength: 12 })))
    const got = shares(arb, ([spec, events]) => {
      const t = W.toTarget(spec)
      const byValue = events.some((e) => e.kind !== 30617 && e.kind !== 10317 && W.wanted(t, e))
      const miss = events.some((e) => !W.wanted(t, e))
      return [...(byValue ? ['wanted by a tracked value'] : []), ...(miss ? ['not wanted'] : []), ...(byValue && miss ? ['both'] : [])]
    })
    expectFloors(got, { both: 0.5, 'wanted by a tracked value': 0.55, 'not wanted': 0.8 })
  })

  test('limits: plans overflow, fold, and fit', () => {
    const got = shares(fc.tuple(W.targetSpecArb(), W.limitsArb), ([spec, limits]) => {
      const plan = planTarget(limits)(W.toTarget(spec))
      return [plan.overBudget > 0 ? 'overflow' : 'fits', ...(plan.folded > 0 ? ['folded'] : [])]
    }, 500)
    expectFloors(got, { overflow: 0.3, fits: 0.2, folded: 0.2 })
  })

  test('relay indexes for planActions: every kind of action', () => {
    const got = shares(fc.tuple(W.indexArb, W.indexArb), ([{ index: a }, { index: d }]) => tags(F.pipe(a, diff(d))))
    expectFloors(got, { SpawnRelay: 0.3, CloseRelay: 0.3, AddFilters: 0.3, RemoveFilters: 0.3 })
  })

  test('paging: seconds with more events than a page, and silent caps below maxLimit', () => {
    const arb = fc.tuple(W.pagingTimesArb, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }))
    const got = shares(arb, ([times, maxLimit, cap]) => {
      const perSecond = new Map<number, number>()
      for (const t of times) perSecond.set(t, (perSecond.get(t) ?? 0) + 1)
      const crowded = [...perSecond.values()].some((n) => n > Math.min(cap, maxLimit))
      return [...(cap < maxLimit ? ['silent cap'] : []), ...(crowded ? ['a second holds more than a page'] : []), ...(times.length > Math.min(cap, maxLimit) ? ['more events than one page'] : [])]
    })
    expectFloors(got, { 'silent cap': 0.35, 'a second holds more than a page': 0.3, 'more events than one page': 0.5 })
  })
})
