/**
 * The persistent string map behind the hot tables (targets, groups), against a model (JS Map).
 * The key pool holds strings whose 32-bit hashes collide (found by search when the module loads)
 * and strings sharing long hash prefixes, so collision nodes, deep paths and the collapse of a
 * child back into an entry happen in most runs; values repeat so "same value" updates happen too.
 */
import { afterAll, describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { emptyStrMap, hashString, strMap, StrMapEditor, type StrMap } from '../../../src/util/strMap.js'

// colliding pairs: a birthday search over 2^17 candidates finds a few 32-bit collisions
const collisions: Array<string> = []
{
  const byHash = new Map<number, string>()
  for (let i = 0; collisions.length < 8 && i < 1 << 19; i++) {
    const s = `30617:${i.toString(16).padStart(8, '0')}:repo`
    const h = hashString(s)
    const other = byHash.get(h)
    if (other !== undefined) collisions.push(other, s)
    else byHash.set(h, s)
  }
}
// strings whose hashes share their low 10 bits: two levels of the trie
const prefixed: Array<string> = []
for (let i = 0; prefixed.length < 24; i++) {
  const s = `wss://relay${i}.example`
  if ((hashString(s) & 1023) === 7) prefixed.push(s)
}
const pool = [...collisions, ...prefixed, ...Array.from({ length: 40 }, (_, i) => `k${i}`)]
const keyArb = fc.constantFrom(...pool)
const opArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), key: keyArb, value: fc.nat({ max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key: keyArb, value: fc.constant(0) }) }
)
const batchesArb = fc.array(fc.array(opArb, { maxLength: 150, size: 'max' }), { minLength: 1, maxLength: 6 })

const seen = { collisionKeys: 0, deep: 0, emptied: 0 }

describe('StrMap', () => {
  test('the key pool holds colliding hashes', () => {
    expect(collisions.length).toBeGreaterThanOrEqual(2)
    expect(hashString(collisions[0] as string)).toBe(hashString(collisions[1] as string))
  })

  test.prop([batchesArb], { numRuns: 300 })('batches of edits agree with a Map, and older versions never change', (batches) => {
    let m: StrMap<number> = emptyStrMap()
    const model = new Map<string, number>()
    const history: Array<[StrMap<number>, Map<string, number>]> = []
    for (const batch of batches) {
      const e = new StrMapEditor(m)
      for (const { op, key, value } of batch) {
        if (op === 'set') {
          e.set(key, value)
          model.set(key, value)
        } else {
          e.delete(key)
          model.delete(key)
        }
        expect(e.size).toBe(model.size)
      }
      m = e.done()
      if ([...model.keys()].filter((k) => collisions.includes(k)).length >= 2) seen.collisionKeys++
      if ([...model.keys()].filter((k) => prefixed.includes(k)).length >= 2) seen.deep++
      history.push([m, new Map(model)])
      expect(m.size).toBe(model.size)
      for (const k of pool) {
        expect(m.get(k)).toBe(model.get(k))
        expect(m.has(k)).toBe(model.has(k))
      }
    }
    // deleting every key empties the map, through collapsed children and collision nodes
    const wipe = new StrMapEditor(m)
    for (const k of pool) wipe.delete(k)
    const wiped = wipe.done()
    expect(wiped.size).toBe(0)
    expect([...wiped.entries()]).toEqual([])
    if (m.size > 0) seen.emptied++
    for (const [v, entries] of history) {
      expect(new Map(v.entries())).toEqual(entries)
      expect(v.size).toBe(entries.size)
      expect(v.equals(strMap(entries))).toBe(true)
    }
  })

  test.prop([fc.array(opArb, { maxLength: 80, size: 'max' })], { numRuns: 200 })('persistent set and delete agree with the editor', (ops) => {
    let a: StrMap<number> = emptyStrMap()
    const e = new StrMapEditor<number>(emptyStrMap())
    for (const { op, key, value } of ops) {
      a = op === 'set' ? a.set(key, value) : a.delete(key)
      if (op === 'set') e.set(key, value)
      else e.delete(key)
    }
    const b = e.done()
    expect(a.equals(b)).toBe(true)
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort())
    // a no-op edit gives back the same value
    const again = new StrMapEditor(a)
    for (const [k, v] of a) again.set(k, v)
    expect(again.done()).toBe(a)
  })

  afterAll(() => {
    expect(seen.collisionKeys).toBeGreaterThan(30)
    expect(seen.deep).toBeGreaterThan(30)
    expect(seen.emptied).toBeGreaterThan(100)
  })
})

describe('hash flooding (review of 0.3.0): keys an outsider makes equal in the first hash', () => {
  // FNV-1a has a 32-bit state: colliding blocks found by a birthday search concatenate (Joux), so
  // 2^k keys with one first hash cost k searches. Repository identifiers are chosen by outsiders.
  const step = (h: number, s: string): number => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
    return h >>> 0
  }
  const prefix = `30617:${'c'.repeat(64)}:`
  const blocks: Array<[string, string]> = []
  let state = step(0x811c9dc5, prefix)
  for (let j = 0; j < 10; j++) {
    const seen = new Map<number, string>()
    for (let i = 0; ; i++) {
      const b = `b${j}x${i.toString(36)}`.padEnd(9, '_')
      const h = step(state, b)
      const o = seen.get(h)
      if (o !== undefined) {
        blocks.push([o, b])
        state = h
        break
      }
      seen.set(h, b)
    }
  }
  const keys = Array.from({ length: 1 << blocks.length }, (_, m) => prefix + blocks.map((p, j) => p[(m >> j) & 1]).join(''))

  const depthAndBucket = (m: StrMap<number>): { depth: number; bucket: number } => {
    let depth = 0
    let bucket = 0
    const visit = (n: unknown, d: number): void => {
      if (n === undefined) return
      const node = n as { cells: Array<unknown>; collision?: true; size: number }
      depth = Math.max(depth, d)
      if (node.collision === true) bucket = Math.max(bucket, node.size)
      for (let i = 0; i < node.cells.length; i += 2) if (typeof node.cells[i] === 'symbol') visit(node.cells[i + 1], d + 1)
    }
    visit((m as unknown as { root: unknown }).root, 1)
    return { depth, bucket }
  }

  test('1 024 keys with one first hash stay a shallow trie (the second hash splits them), and the map agrees with a Map', () => {
    expect(new Set(keys.map(hashString)).size).toBe(1)
    const m = strMap(keys.map((k, i) => [k, i] as const))
    expect(m.size).toBe(keys.length)
    for (const [i, k] of keys.entries()) expect(m.get(k)).toBe(i)
    const { depth, bucket } = depthAndBucket(m)
    // 7 levels of the (equal) first hash, then about log32(1024) = 2 of the second
    expect(depth).toBeLessThanOrEqual(7 + 4)
    expect(bucket).toBe(0)
    let d = m
    for (const k of keys.slice(0, 512)) d = d.delete(k)
    expect(d.size).toBe(512)
    for (const k of keys.slice(512)) expect(d.has(k)).toBe(true)
  })
})
