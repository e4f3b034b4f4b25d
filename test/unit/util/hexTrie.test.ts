/**
 * The compact hex trie behind the per-root-event tables, against a model (JS Map).
 * Keys share long prefixes (a pool of 4 first digits, then random), so leaves fill, split into
 * branches and collapse back in most runs; values repeat so "same value" updates happen too.
 */
import { afterAll, describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { Editor, empty, emptyColumns, hexSet, keysOnlyIn, LEAF_MAX, type Columns, type HexTrie } from '../../../src/util/hexTrie.js'
import { is, Map as IMap } from 'immutable'

const keyArb = fc
  .tuple(fc.constantFrom('0', '1', 'a', 'f'), fc.constantFrom('00', '7c', 'ff'), fc.stringMatching(/^[0-9a-f]{3}$/))
  .map(([a, b, c]) => (a + b + c).padEnd(64, '0'))
const opArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), key: keyArb, value: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), key: keyArb, value: fc.constant(0) }) }
)
const batchesArb = fc.array(fc.array(opArb, { maxLength: 120, size: 'max' }), { minLength: 1, maxLength: 5 })

const seen = { split: 0, collapse: 0 }

describe('HexTrie', () => {
  test.prop([batchesArb], { numRuns: 150 })('batches of edits agree with a Map, and older versions never change', (batches) => {
    let trie: HexTrie<number> = empty(false)
    const model = new Map<string, number>()
    const history: Array<[HexTrie<number>, Array<[string, number]>]> = []
    for (const batch of batches) {
      const e = new Editor(trie)
      for (const { op, key, value } of batch) {
        if (op === 'set') {
          e.set(key, value)
          model.set(key, value)
        } else {
          e.remove(key)
          model.delete(key)
        }
      }
      trie = e.done()
      if (trie.size > LEAF_MAX) seen.split++
      history.push([trie, [...model].sort((a, b) => (a[0] < b[0] ? -1 : 1))])
      expect(trie.size).toBe(model.size)
      for (const [k, v] of model) expect(trie.get(k)).toBe(v)
    }
    for (const [t, entries] of history) expect([...t.entries()]).toEqual(entries)
  })

  test.prop([fc.array(keyArb, { maxLength: 100, size: 'max' }), fc.array(keyArb, { maxLength: 100, size: 'max' })], { numRuns: 300 })('set algebra and value equality', (xs, ys) => {
    const a = hexSet(xs)
    const b = hexSet(ys)
    const sub = a.subtract(b).toArray()
    expect(sub).toEqual([...new Set(xs)].filter((x) => !ys.includes(x)).sort())
    expect(a.union(ys).toArray()).toEqual([...new Set([...xs, ...ys])].sort())
    expect(is(IMap({ k: a }), IMap({ k: hexSet([...xs].reverse()) }))).toBe(true)
    expect(a.equals(b)).toBe(new Set(xs).size === new Set(ys).size && xs.every((x) => ys.includes(x)))
    let c = a
    for (const x of xs) c = c.remove(x)
    if (a.size > LEAF_MAX / 2) seen.collapse++
    expect(c.size).toBe(0)
  })

  afterAll(() => {
    // leaves split into branches and branches collapse back in a good share of the runs
    expect(seen.split).toBeGreaterThan(30)
    expect(seen.collapse).toBeGreaterThan(30)
  })
})

describe('keysOnlyIn', () => {
  test.prop([fc.array(keyArb, { maxLength: 150, size: 'max' }), fc.array(opArb, { maxLength: 60, size: 'max' })], { numRuns: 300 })(
    'equals subtract between a set and an edited version of it, and between unrelated sets',
    (xs, ops) => {
      const a = hexSet(xs)
      const e = new Editor(a)
      for (const { op, key } of ops) if (op === 'set') e.set(key, undefined)
      else e.remove(key)
      const b = e.done()
      expect(keysOnlyIn(a, b)).toEqual(a.subtract(b).toArray())
      expect(keysOnlyIn(b, a)).toEqual(b.subtract(a).toArray())
      const c = hexSet(ops.map((o) => o.key))
      expect(keysOnlyIn(a, c)).toEqual(a.subtract(c).toArray())
    }
  )
})

/** Every leaf under a trie's root, once (a leaf may fill several slots of its branch). */
const leavesOf = (t: HexTrie<unknown>): Array<{ keys: ReadonlyArray<string> }> => {
  const out = new Set<{ keys: ReadonlyArray<string> }>()
  const walk = (n: unknown): void => {
    if (n === undefined) return
    const node = n as { keys?: ReadonlyArray<string>; kids?: ReadonlyArray<unknown> }
    if (node.keys !== undefined) out.add(node as { keys: ReadonlyArray<string> })
    else for (const k of node.kids ?? []) walk(k)
  }
  walk(t.root)
  return [...out]
}

describe('leaf runs (a full leaf is cut at a digit boundary, or moves one digit deeper)', () => {
  // uniform keys, as event ids are: the sizes that used to leave leaves of 2 or 3 keys
  const uniformKey = fc.stringMatching(/^[0-9a-f]{6}$/).map((k) => k.padEnd(64, '0'))
  const uniformOp = fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), key: uniformKey, value: fc.nat({ max: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), key: uniformKey, value: fc.constant(0) }) }
  )
  const reached = { big: 0, deep: 0 }

  test.prop([fc.array(fc.array(uniformOp, { maxLength: 600, size: 'max' }), { minLength: 1, maxLength: 4 })], { numRuns: 60 })(
    'agrees with a Map (get, order, greatest key, set-if-absent, keysOnlyIn between versions), older versions never change, and leaves stay full',
    (batches) => {
      let trie: HexTrie<number> = empty(false)
      const model = new Map<string, number>()
      const history: Array<[HexTrie<number>, Array<[string, number]>]> = []
      for (const batch of batches) {
        const before = trie
        const e = new Editor(trie)
        for (const { op, key, value } of batch) {
          if (op === 'remove') {
            e.remove(key)
            model.delete(key)
          } else if (value === 3) {
            // set-if-absent: the value under the key when present, nothing changed
            expect(e.setIfAbsent(key, value)).toBe(model.get(key))
            if (!model.has(key)) model.set(key, value)
          } else {
            e.set(key, value)
            model.set(key, value)
          }
        }
        trie = e.done()
        const sorted = [...model].sort((a, b) => (a[0] < b[0] ? -1 : 1))
        history.push([trie, sorted])
        expect(trie.size).toBe(model.size)
        expect(trie.lastKey()).toBe(sorted[sorted.length - 1]?.[0])
        expect(keysOnlyIn(trie, before)).toEqual(trie.subtract(before).toArray())
        expect(keysOnlyIn(before, trie)).toEqual(before.subtract(trie).toArray())
        // fills: no leaf holds more than LEAF_MAX keys, and leaves hold a quarter of that on
        // average once the trie has split (inserts only: removals may thin leaves out)
        const leaves = leavesOf(trie)
        for (const l of leaves) expect(l.keys.length).toBeLessThanOrEqual(LEAF_MAX)
        if (trie.size > 4 * LEAF_MAX) {
          reached.big++
          if (batch.every((o) => o.op === 'set')) expect(trie.size / leaves.length).toBeGreaterThanOrEqual(LEAF_MAX / 4)
        }
        if (leaves.length > 16) reached.deep++
      }
      for (const [t, entries] of history) expect([...t.entries()]).toEqual(entries)
    }
  )

  afterAll(() => {
    expect(reached.big).toBeGreaterThan(20)
    expect(reached.deep).toBeGreaterThan(20)
  })
})

/** A value laid out in three slots per key (as the root-event table lays out its facts). */
interface Row {
  readonly key: string
  readonly n: number
  readonly tag: string
}
const ROWS: Columns<Row> = {
  width: 3,
  write: (v, out, at) => {
    out[at] = v.n
    out[at + 1] = v.tag
    out[at + 2] = v.n * 2
  },
  read: (vals, at, key) => ({ key, n: vals[at] as number, tag: vals[at + 1] as string }),
  holds: (vals, at, v) => vals[at] === v.n && vals[at + 1] === v.tag && vals[at + 2] === v.n * 2
}

describe('HexTrie with columns', () => {
  const reached = { split: 0, collapse: 0, kept: 0 }
  test.prop([batchesArb], { numRuns: 150 })('a map laid out in several slots per key agrees with a Map, and older versions never change', (batches) => {
    let trie: HexTrie<Row> = emptyColumns(ROWS)
    const model = new Map<string, Row>()
    const history: Array<[HexTrie<Row>, Array<[string, Row]>]> = []
    for (const batch of batches) {
      const e = new Editor(trie)
      for (const { op, key, value } of batch) {
        const row: Row = { key, n: value, tag: value % 2 === 0 ? 'even' : 'odd' }
        if (op === 'set') {
          if (value === 0) {
            const was = e.setIfAbsent(key, row)
            expect(was).toEqual(model.get(key))
            if (was !== undefined) reached.kept++
            if (!model.has(key)) model.set(key, row)
          } else {
            e.set(key, row)
            model.set(key, row)
          }
        } else {
          const big = e.size > LEAF_MAX / 2
          e.remove(key)
          if (big && e.size <= LEAF_MAX / 2 && model.has(key)) reached.collapse++
          model.delete(key)
        }
      }
      const before = trie
      trie = e.done()
      if (trie.size > LEAF_MAX) reached.split++
      expect(trie.cols).toBe(ROWS)
      expect(trie.equals(before)).toBe(trie === before || [...model].every(([k, v]) => before.has(k) && before.get(k)?.n === v.n) && before.size === model.size)
      history.push([trie, [...model].sort((a, b) => (a[0] < b[0] ? -1 : 1))])
      expect(trie.size).toBe(model.size)
      for (const [k, v] of model) expect(trie.get(k)).toEqual(v)
    }
    for (const [t, entries] of history) expect([...t.entries()]).toEqual(entries)
    // the same content built in another order is equal
    const other = new Editor(emptyColumns(ROWS))
    for (const [k, v] of [...model].reverse()) other.set(k, v)
    expect(other.done().equals(trie)).toBe(true)
  })

  afterAll(() => {
    // the generator reaches a split trie and a set-if-absent on a present key in some runs
    expect(reached.split).toBeGreaterThan(3)
    expect(reached.kept).toBeGreaterThan(0)
  })

  test.prop([fc.uniqueArray(keyArb, { minLength: LEAF_MAX * 2, maxLength: LEAF_MAX * 4, size: 'max' })], { numRuns: 30 })(
    'a map that grows past a leaf and shrinks back (branches collapse into leaves) keeps every value',
    (keys) => {
      const rowOf = (k: string, i: number): Row => ({ key: k, n: i, tag: `t${i % 3}` })
      const e = new Editor(emptyColumns(ROWS))
      keys.forEach((k, i) => e.set(k, rowOf(k, i)))
      let trie = e.done()
      expect(trie.size).toBe(keys.length)
      for (let i = 0; i < keys.length; i++) {
        trie = trie.remove(keys[i] as string)
        if (i % 7 === 0) for (let j = i + 1; j < keys.length; j++) expect(trie.get(keys[j] as string)).toEqual(rowOf(keys[j] as string, j))
      }
      expect(trie.size).toBe(0)
      expect(trie.cols).toBe(ROWS)
    }
  )
})
