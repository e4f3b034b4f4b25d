/**
 * Laws of the core (RepoIndex, RelayIndex, RelayAction) as fast-check properties, each at 1000 runs.
 *
 * Why the generators have this shape (test/arbitraries.ts): a law about order, splits or repeats
 * holds trivially on events that do not interact, so the events come from small pools (3 authors
 * x 3 identifiers, relays under several spellings) and a stream has 3 to 10 of them (the cost of
 * the old 0 to 25); two runs in five hold two announcements of one repository, most derive
 * targets with an accepted repository, and a third with roots (half the root events name a
 * repository announced in the same stream). Deletions are aimed at the generated events (most
 * remove something), forged copies reuse real ids (most runs hold one), and relay indexes are
 * drawn over 5 relays and 5 repositories so a diff holds every kind of action in a third to
 * two thirds of the runs. The shares are asserted in test/coverage.test.ts.
 */
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E, function as F } from 'fp-ts'
import { applyBatch, decodeRelayActions, deriveTargets, diff, encodeRepoIndex, eqRepoIndex } from '../../src/index.js'
import { archiveConfig, batchesOf, cappedConfig, config, eventsArb, eventsWithDeletionsArb, forgedEventsArb, relayIndexArb } from '../support/arbitraries.js'
import { applyAll, diffSelfEmpty, diffThenApply, idempotent, orderIndependent, splitIndependent, stepwiseEqualsAtOnce } from './laws.js'

const RUNS = { numRuns: 1000 }

const shuffled = eventsArb.chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length })))

describe('RepoIndex laws', () => {
  test.prop([shuffled], RUNS)('same events in any order give an equal index', ([events, permuted]) => {
    expect(orderIndependent(config, events, permuted)).toBe(true)
  })

  test.prop([eventsArb, fc.array(fc.nat(), { maxLength: 5 })], RUNS)('any split into batches gives an equal index', (events, cuts) => {
    expect(splitIndependent(config, events, batchesOf(events, cuts))).toBe(true)
  })

  test.prop([eventsArb], RUNS)('a batch applied twice equals it applied once', (events) => {
    expect(idempotent(config, events)).toBe(true)
  })

  test.prop([shuffled, fc.array(fc.nat(), { maxLength: 5 })], RUNS)('derived targets follow from the events alone, in both acceptance modes', ([events, permuted], cuts) => {
    for (const c of [config, archiveConfig]) {
      const a = F.pipe(applyAll(c, [events]), deriveTargets(c))
      const b = F.pipe(applyAll(c, batchesOf(permuted, cuts)), deriveTargets(c))
      expect(F.pipe(a, diff(b))).toEqual([])
    }
  })
})

describe('RepoIndex versions branch', () => {
  // two different batches applied to one index: each result equals a build from scratch of its
  // own events, and the shared base never changes (a later version never writes into an older one)
  test.prop([eventsWithDeletionsArb, eventsWithDeletionsArb, eventsWithDeletionsArb], { numRuns: 300 })(
    'siblings from one base equal their own full builds; the base is unchanged',
    (base, left, right) => {
      const b = applyAll(config, [base])
      const before = encodeRepoIndex(b)
      const l = applyBatch(config, left)(b).index
      const r = applyBatch(config, right)(b).index
      expect(encodeRepoIndex(b)).toEqual(before)
      expect(eqRepoIndex.equals(l, applyAll(config, [[...base, ...left]]))).toBe(true)
      expect(eqRepoIndex.equals(r, applyAll(config, [[...base, ...right]]))).toBe(true)
    }
  )
})

describe('RepoIndex laws with deletions and caps in the generators', () => {
  const withPermutation = eventsWithDeletionsArb.chain((events) =>
    fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }))
  )

  test.prop([withPermutation, fc.array(fc.nat(), { maxLength: 5 })], RUNS)('order and split independence with deletions', ([events, permuted], cuts) => {
    expect(orderIndependent(config, events, permuted)).toBe(true)
    expect(splitIndependent(config, events, batchesOf(permuted, cuts))).toBe(true)
  })

  test.prop([eventsWithDeletionsArb], RUNS)('idempotence with deletions', (events) => {
    expect(idempotent(config, events)).toBe(true)
  })

  test.prop([withPermutation, fc.array(fc.nat(), { maxLength: 5 })], RUNS)('order, split and idempotence with small caps', ([events, permuted], cuts) => {
    expect(orderIndependent(cappedConfig, events, permuted)).toBe(true)
    expect(splitIndependent(cappedConfig, events, batchesOf(permuted, cuts))).toBe(true)
    expect(idempotent(cappedConfig, events)).toBe(true)
  })

  test.prop([forgedEventsArb.chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }))), fc.array(fc.nat(), { maxLength: 5 })], RUNS)(
    'order, split and idempotence with forged events that share ids (verify: false)',
    ([events, permuted], cuts) => {
      expect(orderIndependent(config, events, permuted)).toBe(true)
      expect(splitIndependent(config, events, batchesOf(permuted, cuts))).toBe(true)
      expect(idempotent(config, events)).toBe(true)
      const a = F.pipe(applyAll(config, [events]), deriveTargets(config))
      const b = F.pipe(applyAll(config, [permuted]), deriveTargets(config))
      expect(F.pipe(a, diff(b))).toEqual([])
    }
  )

  test.prop([eventsWithDeletionsArb, eventsWithDeletionsArb], RUNS)('diff/apply law on targets derived with deletions', (e1, e2) => {
    const d = F.pipe(applyAll(config, [e1]), deriveTargets(config))
    const a = F.pipe(applyAll(config, [e2]), deriveTargets(config))
    expect(diffThenApply(d, a)).toBe(true)
  })
})

describe('RelayIndex / RelayAction laws', () => {
  test.prop([relayIndexArb], RUNS)('diff(a)(a) is empty', (a) => {
    expect(diffSelfEmpty(a)).toBe(true)
  })

  test.prop([relayIndexArb, relayIndexArb], RUNS)('applyActions(diff(d)(a))(a) equals d', (d, a) => {
    expect(diffThenApply(d, a)).toBe(true)
  })

  test.prop([relayIndexArb, relayIndexArb], RUNS)('actions one at a time equal all at once', (d, a) => {
    expect(stepwiseEqualsAtOnce(d, a)).toBe(true)
  })

  test.prop([eventsArb, eventsArb], RUNS)('diff/apply law on targets derived from events', (e1, e2) => {
    const d = F.pipe(applyAll(config, [e1]), deriveTargets(config))
    const a = F.pipe(applyAll(config, [e2]), deriveTargets(config))
    expect(diffThenApply(d, a)).toBe(true)
  })

  test.prop([relayIndexArb, relayIndexArb], RUNS)('actions are plain JSON, sorted, deterministic, and decode back', (d, a) => {
    const actions = F.pipe(a, diff(d))
    expect(JSON.parse(JSON.stringify(actions))).toEqual(actions)
    expect(decodeRelayActions(JSON.parse(JSON.stringify(actions)))).toEqual(E.right(actions))
    const relaysInOrder = actions.map((x) => x.relay)
    expect(relaysInOrder).toEqual([...relaysInOrder].sort())
    for (const action of actions) {
      if (action._tag === 'CloseRelay') continue
      expect(action.repos).toEqual([...action.repos].sort())
      expect(Object.keys(action.rootEvents)).toEqual(Object.keys(action.rootEvents).sort())
      for (const ids of Object.values(action.rootEvents)) {
        expect(ids.length).toBeGreaterThan(0)
        expect(ids).toEqual([...new Set(ids)].sort())
      }
    }
    for (let i = 1; i < actions.length; i++) {
      const prev = actions[i - 1]!
      const cur = actions[i]!
      if (prev.relay === cur.relay) expect([prev._tag, cur._tag]).toEqual(['RemoveFilters', 'AddFilters'])
    }
    expect(F.pipe(a, diff(d))).toEqual(actions)
  })
})
