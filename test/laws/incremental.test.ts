/**
 * Incremental derivation = full recompute.
 *
 * `deriveTargets` reuses the derivation of the nearest derived ancestor of an index and regroups
 * only what the batches touched; `diff` answers from the recorded per-target deltas. The oracle
 * is the full walk (`fullDerivation`), which records no deltas, so `diff` over two oracle values
 * takes the slow path. Why the generator has this shape:
 * - streams of 1–8 batches drawn from a small pool (3 pubkeys × 3 identifiers, relays with
 *   several spellings), so announcement updates, relay moves, co-maintainer merges and splits,
 *   deletions and forged duplicates happen in most runs;
 * - each step keeps its configuration or picks one of six (listed, archive, no merging, tight
 *   group caps, a deny rule, no group merging by cap), sometimes as a fresh object with the same values, so configuration changes
 *   (full recompute) and equal-value configurations (incremental) both happen;
 * - a step may skip deriving, so changes accumulate over several batches, and may derive an
 *   older version again.
 * The counters at the end show how often each path was taken.
 */
import { afterAll, describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { applyBatch, deriveTargets, diff, emptyRelayIndex, emptyRepoIndex, eqRelayIndex, resolveConfig, type RelayIndex, type RepoIndex, type SyncConfig } from '../../src/index.js'
import { fullDerivation } from '../../src/derive/derive.js'
import { dataOf as relayDataOf, deltaOf } from '../../src/relays/store.js'
import { dataOf as repoDataOf } from '../../src/repo/store.js'
import { archiveConfig, config, forgedEventsArb } from '../support/arbitraries.js'

const CONFIGS: ReadonlyArray<SyncConfig> = [
  config,
  archiveConfig,
  { ...config, mergeMaintainers: false },
  { ...config, caps: { membersPerGroup: 2, relaysPerGroup: 2, relaysPerAnnouncement: 2 } },
  { ...config, relayPolicy: { denyHosts: ['r2.example'] } },
  { ...archiveConfig, caps: { membersPerGroup: 1, relaysPerGroup: 1 } },
  // a policy with a problem refuses every relay: it must not share derivations with the default
  { ...archiveConfig, relayPolicy: { allowWs: 'yes' } } as unknown as SyncConfig
]

const stepArb = fc.record({
  events: forgedEventsArb,
  // -1: keep the previous step's configuration (most steps), so incremental paths dominate
  config: fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat({ max: CONFIGS.length - 1 }) }),
  freshCopy: fc.boolean(),
  derive: fc.constantFrom(true, true, true, false),
  again: fc.nat({ max: 6 })
})

const seen = { incremental: 0, incrementalChanged: 0, full: 0, fastDiff: 0, oversized: 0, merged: 0, steps: 0 }

const oracle = (c: SyncConfig, index: RepoIndex): RelayIndex =>
  fullDerivation(resolveConfig(c), repoDataOf(index)).index as unknown as RelayIndex

describe('incremental derivation', () => {
  test.prop([fc.array(stepArb, { minLength: 1, maxLength: 8 })], { numRuns: Number(process.env['INC_RUNS'] ?? 400) })(
    'deriveTargets and diff give exactly the values of a full recompute',
    (steps) => {
      let index = emptyRepoIndex
      const versions: Array<RepoIndex> = []
      let prevDesired = emptyRelayIndex
      let prevOracle = emptyRelayIndex
      let prevConfig: SyncConfig = config
      let current = 0
      for (const step of steps) {
        if (step.config >= 0) current = step.config
        const base = CONFIGS[current] as SyncConfig
        const c = step.freshCopy ? { ...base } : base
        index = applyBatch(c, step.events)(index).index
        versions.push(index)
        seen.steps++
        if (!step.derive) continue
        const desired = deriveTargets(c)(index)
        const expected = oracle(c, index)
        expect(eqRelayIndex.equals(desired, expected)).toBe(true)
        const delta = deltaOf(relayDataOf(desired))
        if (delta === undefined) seen.full++
        else {
          seen.incremental++
          if (delta.relays.length > 0) seen.incrementalChanged++
        }
        if (delta !== undefined && delta.from === relayDataOf(prevDesired)) seen.fastDiff++
        // diff against the previous derivation (fast path when it is the recorded ancestor)
        if (prevConfig === c || JSON.stringify(prevConfig) === JSON.stringify(c))
          expect(diff(desired)(prevDesired)).toEqual(diff(expected)(prevOracle))
        expect(diff(desired)(emptyRelayIndex)).toEqual(diff(expected)(emptyRelayIndex))
        // deriving an older version again gives its oracle too
        const old = versions[step.again % versions.length] as RepoIndex
        expect(eqRelayIndex.equals(deriveTargets(c)(old), oracle(c, old))).toBe(true)
        const groups = new Set(fullDerivation(resolveConfig(c), repoDataOf(index)).groupOf.values())
        for (const g of groups) {
          if (g.oversized !== undefined) seen.oversized++
          if (g.members.length > 1) seen.merged++
        }
        prevDesired = desired
        prevOracle = expected
        prevConfig = c
      }
    }
  )

  afterAll(() => {
    console.info('incremental derivation coverage', seen)
    // the generator reaches every path in a good share of the steps
    expect(seen.incrementalChanged).toBeGreaterThan(seen.steps / 10)
    expect(seen.fastDiff).toBeGreaterThan(seen.steps / 10)
    expect(seen.full).toBeGreaterThan(seen.steps / 20)
    expect(seen.merged).toBeGreaterThan(50)
    expect(seen.oversized).toBeGreaterThan(10)
  })
})
