/**
 * The run table behind the root-event table (a log-structured merge of sorted runs), against a
 * model (JS Map): batches of set / setIfAbsent / remove, reads inside a batch, every version kept
 * and checked again at the end (no version changes when a later one merges its runs), the run
 * count bounded by the size classes, and keys in string order.
 *
 * Keys come from a small pool (so batches collide, overwrite and remove what earlier batches
 * wrote) whose members share their first 8 hex digits in groups (so fence ties are compared by
 * string), and batch sizes vary from 0 to 200 (so merges of two runs, of several runs at once,
 * and merges into the oldest run that drop tombstones all happen; `fc.statistics` shows how often).
 */
import { afterAll, describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { RunEditor, emptyRunTable, type RunTable } from '../../../src/util/runTable.js'
import type { Columns } from '../../../src/util/hexNodes.js'

/** Two slots per value, so slot arithmetic is exercised: the number and its double. */
const COLS: Columns<number> = {
  width: 2,
  write: (v, out, at) => {
    out[at] = v
    out[at + 1] = v * 2
  },
  read: (vals, at) => {
    expect(vals[at + 1]).toBe((vals[at] as number) * 2)
    return vals[at] as number
  },
  holds: (vals, at, v) => vals[at] === v
}

const pool = fc
  .tuple(fc.constantFrom('00000000', '0000000f', '7fffffff', 'ffffffff', 'a1b2c3d4'), fc.stringMatching(/^[0-9a-f]{2}$/))
  .map(([fence, rest]) => (fence + rest).padEnd(64, '3'))
type Op = { readonly op: 'set' | 'setIfAbsent' | 'remove' | 'get'; readonly key: string; readonly value: number }
const opArb: fc.Arbitrary<Op> = fc.record({
  op: fc.constantFrom<Op['op']>('set', 'set', 'setIfAbsent', 'remove', 'get'),
  key: pool,
  value: fc.nat({ max: 5 })
})
const batchesArb = fc.array(
  fc.oneof(fc.array(opArb, { maxLength: 3 }), fc.array(opArb, { maxLength: 40, size: 'max' }), fc.array(opArb, { minLength: 100, maxLength: 200 })),
  { minLength: 1, maxLength: 16 }
)

const check = (table: RunTable<number>, model: ReadonlyMap<string, number>): void => {
  expect(table.size).toBe(model.size)
  const got: Array<[string, number | undefined, boolean]> = []
  const want: Array<[string, number | undefined, boolean]> = []
  for (const [k, v] of model) {
    got.push([k, table.get(k), table.has(k)])
    want.push([k, v, true])
  }
  expect(got).toEqual(want)
  expect([...table.entries()]).toEqual([...model].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
}

/** How often the branches the property relies on were reached (checked after the property). */
const reached = { versions: 0, tombsKept: 0, severalMerged: 0, threeRuns: 0, fenceTies: 0 }

/** What a version's history says about the branches: the counters above. */
const classify = (before: RunTable<number>, after: RunTable<number>): void => {
  reached.versions++
  if (after.runs.some((r) => r.tombs)) reached.tombsKept++
  if (after.runs.length + 1 < before.runs.length) reached.severalMerged++
  if (after.runs.length >= 3) reached.threeRuns++
  if (after.runs.some((r) => r.fences.some((f, i) => i > 0 && f === r.fences[i - 1]))) reached.fenceTies++
}

describe('RunTable', () => {
  test.prop([batchesArb], { numRuns: 120 })('batches agree with a Map; old versions never change; runs stay few', (batches) => {
    let table = emptyRunTable(COLS)
    const model = new Map<string, number>()
    const history: Array<[RunTable<number>, Map<string, number>]> = []
    for (const batch of batches) {
      const e = new RunEditor(table)
      for (const { op, key, value } of batch) {
        if (op === 'set') {
          e.set(key, value)
          model.set(key, value)
        } else if (op === 'setIfAbsent') {
          const before = model.get(key)
          expect(e.setIfAbsent(key, value)).toBe(before)
          if (before === undefined) model.set(key, value)
        } else if (op === 'remove') {
          e.remove(key)
          model.delete(key)
        } else {
          expect(e.get(key)).toBe(model.get(key))
          expect(e.has(key)).toBe(model.has(key))
        }
        expect(e.size).toBe(model.size)
      }
      const next = e.done()
      classify(table, next)
      table = next
      // at most one run per size class: the classes of a version's runs strictly decrease
      const classes = table.runs.map((r) => Math.floor(Math.log2(r.keys.length)))
      for (let i = 1; i < classes.length; i++) expect(classes[i - 1]).toBeGreaterThan(classes[i] as number)
      history.push([table, new Map(model)])
      check(table, model)
    }
    for (const [t, m] of history) check(t, m)
  })

  const anyKey = fc.oneof(pool, fc.constantFrom('', 'a', 'A0000000', '9fffffff', 'g0', 'f1', '0000000\u0080', '\uffff', 'zz:zz'))
  const branchArb = fc.array(
    fc.record({ from: fc.nat(), ops: fc.array(fc.record({ op: fc.constantFrom<Op['op']>('set', 'setIfAbsent', 'remove'), key: anyKey, value: fc.nat({ max: 5 }) }), { maxLength: 60 }) }),
    { minLength: 1, maxLength: 20 }
  )
  test.prop([branchArb], { numRuns: 80 })(
    'versions branch (two editors on one base), keys of any alphabet: every version agrees with its own Map',
    (steps) => {
      const versions: Array<[RunTable<number>, Map<string, number>]> = [[emptyRunTable(COLS), new Map()]]
      for (const { from, ops } of steps) {
        const [base, baseModel] = versions[from % versions.length] as [RunTable<number>, Map<string, number>]
        const model = new Map(baseModel)
        const e = new RunEditor(base)
        for (const { op, key, value } of ops) {
          if (op === 'set') {
            e.set(key, value)
            model.set(key, value)
          } else if (op === 'setIfAbsent') {
            if (e.setIfAbsent(key, value) === undefined) model.set(key, value)
          } else {
            e.remove(key)
            model.delete(key)
          }
        }
        const next = e.done()
        if (ops.length === 0) expect(next).toBe(base)
        versions.push([next, model])
      }
      for (const [t, m] of versions) {
        expect(t.size).toBe(m.size)
        for (const [k, v] of m) expect(t.get(k)).toBe(v)
        // any alphabet: the keys come out once each (in (fence, key) order: string order for hex)
        expect([...t.keys()].sort()).toEqual([...m.keys()].sort())
      }
    }
  )

  afterAll(() => {
    // every branch is reached in a good share of the versions made above
    expect(reached.tombsKept / reached.versions).toBeGreaterThan(0.05)
    expect(reached.severalMerged / reached.versions).toBeGreaterThan(0.01)
    expect(reached.threeRuns / reached.versions).toBeGreaterThan(0.05)
    expect(reached.fenceTies / reached.versions).toBeGreaterThan(0.2)
  })

  test('fc.statistics: what the batches look like', () => {
    fc.statistics(
      batchesArb,
      (bs) => {
        const sizes = bs.map((b) => b.length)
        const big = sizes.filter((n) => n >= 100).length
        return big === 0 ? 'no batch of 100+' : big < bs.length / 2 ? 'some batches of 100+' : 'mostly batches of 100+'
      },
      { numRuns: 200 }
    )
    expect(true).toBe(true)
  })

  test('a removal leaves a tombstone in a newer run, dropped when a merge makes the oldest run', () => {
    const keys = Array.from({ length: 64 }, (_, i) => i.toString(16).padStart(64, '0'))
    let t = emptyRunTable(COLS)
    const e = new RunEditor(t)
    for (const k of keys) e.set(k, 1)
    t = e.done()
    expect(t.runs.length).toBe(1)
    const r = new RunEditor(t)
    r.remove(keys[0] as string)
    t = r.done()
    expect(t.runs.length).toBe(2)
    expect(t.runs[1]?.tombs).toBe(true)
    expect(t.has(keys[0] as string)).toBe(false)
    // 64 more keys: the new run's class reaches the old one's, everything merges into one run
    const m = new RunEditor(t)
    for (let i = 64; i < 128; i++) m.set(i.toString(16).padStart(64, '0'), 2)
    t = m.done()
    expect(t.runs.length).toBe(1)
    expect(t.runs[0]?.tombs).toBe(false)
    expect(t.size).toBe(127)
    expect(t.runs[0]?.keys.length).toBe(127)
  })
})
