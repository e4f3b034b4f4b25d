/**
 * The root-event table keeps each root event's facts as slots in its runs (no object per
 * event): what it gives back must equal what was written, for every root kind, for the rare list
 * of several authors under one id, and across edits, splits and removals.
 */
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { RunEditor } from '../../../src/util/runTable.js'
import { emptyRootTable, factsList, pack, rootEqual, type RootFacts } from '../../../src/repo/facts.js'
import type { RepoRef } from '../../../src/model/RepoRef.js'

const hex = fc.stringMatching(/^[0-9a-f]{64}$/)
const repos = fc.constantFrom<ReadonlyArray<RepoRef>>(['30617:aa:x' as RepoRef], ['30617:bb:y' as RepoRef, '30617:cc:z' as RepoRef], [])
const factsArb = (id: string) =>
  fc.record({
    id: fc.constant(id),
    pubkey: fc.constantFrom('a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)),
    kind: fc.constantFrom(1617, 1621, 1618, 1630, 70_000),
    createdAt: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constant(2 ** 40)),
    repos
  })
const entryArb = hex.chain((id) => fc.uniqueArray(factsArb(id), { minLength: 1, maxLength: 3, selector: (f) => f.pubkey }).map((fs) => [id, fs.sort((a, b) => (a.pubkey < b.pubkey ? -1 : 1))] as const))

describe('root table', () => {
  test.prop([fc.array(entryArb, { maxLength: 300, size: 'max' }), fc.nat()], { numRuns: 60 })(
    'gives back the facts written (one author or several), through splits and removals',
    (entries, cut) => {
      const model = new Map<string, ReadonlyArray<RootFacts>>()
      const e = new RunEditor<RootFacts | ReadonlyArray<RootFacts>>(emptyRootTable)
      for (const [id, fs] of entries) {
        e.set(id, pack(fs))
        model.set(id, fs)
      }
      let table = e.done()
      const check = (): void => {
        expect(table.size).toBe(model.size)
        for (const [id, fs] of model) {
          const got = factsList(table.get(id))
          expect(got).toEqual(fs)
          expect(got.every((g, i) => rootEqual(g, fs[i] as RootFacts))).toBe(true)
        }
      }
      check()
      const ids = [...model.keys()]
      for (const id of ids.slice(0, cut % (ids.length + 1))) {
        const r = new RunEditor(table)
        r.remove(id)
        table = r.done()
        model.delete(id)
      }
      check()
      expect([...table.keys()]).toEqual([...model.keys()].sort())
    }
  )
})
