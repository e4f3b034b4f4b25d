/**
 * One id, many authors or addresses: only forged input (`verify: false`) can do it, and it is
 * bounded (`SAME_ID_MAX`): the smallest authors of a root-event id, and the smallest addresses of
 * an announcement id, are kept; the rest are reported (`cap-exceeded`, `authorsPerId` /
 * `addressesPerId`). The kept set does not depend on the order or split of the events, and a
 * thousand forgeries of one id leave the same small lists as twenty (no list grows past the bound,
 * so no step re-sorts a list that grows with the forgeries).
 */
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { applyBatch, emptyRepoIndex, eqRepoIndex, type RepoIndex } from '../../../src/index.js'
import { dataOf, rootFactsOf, SAME_ID_MAX } from '../../../src/repo/store.js'

const config = { ownRelays: ['wss://grasp.example.com'], verify: false }
const ID = '7'.repeat(64)
const owner = 'a'.repeat(64)
const repo = `30617:${owner}:repo`
const pk = (i: number): string => i.toString(16).padStart(64, '0')

const announcement = (pubkey: string, d: string, id: string) => ({
  id,
  pubkey,
  kind: 30617,
  created_at: 1_700_000_000,
  content: '',
  sig: 'f'.repeat(128),
  tags: [
    ['d', d],
    ['relays', 'wss://grasp.example.com'],
    ['clone', 'https://grasp.example.com/x.git']
  ]
})
const root = (pubkey: string) => ({
  id: ID,
  pubkey,
  kind: 1617,
  created_at: 1_700_000_100,
  content: '',
  sig: 'f'.repeat(128),
  tags: [['a', repo]]
})

const apply = (batches: ReadonlyArray<ReadonlyArray<unknown>>): { index: RepoIndex; rules: Array<string> } => {
  let index = emptyRepoIndex
  const rules: Array<string> = []
  for (const b of batches) {
    const r = applyBatch(config, b)(index)
    index = r.index
    for (const x of r.rejected) if (x.code === 'cap-exceeded' && x.rule !== undefined) rules.push(x.rule)
  }
  return { index, rules }
}

const authorsOf = (index: RepoIndex): Array<string> => rootFactsOf(dataOf(index).rootEvents, ID).map((f) => f.pubkey)

describe('same id, many authors or addresses (forged input)', () => {
  it(`keeps the ${SAME_ID_MAX} smallest authors of a root-event id and reports the rest`, () => {
    const n = 40
    const { index, rules } = apply([[announcement(owner, 'repo', '1'.repeat(64))], Array.from({ length: n }, (_, i) => root(pk(n - i)))])
    expect(authorsOf(index)).toEqual(Array.from({ length: SAME_ID_MAX }, (_, i) => pk(i + 1)))
    expect(rules.filter((r) => r === 'authorsPerId').length).toBe(n - SAME_ID_MAX)
  })

  it(`keeps the ${SAME_ID_MAX} smallest addresses of an announcement id and reports the rest`, () => {
    const n = 30
    const { index, rules } = apply([Array.from({ length: n }, (_, i) => announcement(pk(i + 1), 'x', ID))])
    const refs = dataOf(index).liveIds.get(ID)
    expect(Array.isArray(refs) ? refs.length : 1).toBe(SAME_ID_MAX)
    expect(rules.filter((r) => r === 'addressesPerId').length).toBe(n - SAME_ID_MAX)
  })

  test.prop([fc.shuffledSubarray(Array.from({ length: 48 }, (_, i) => i + 1), { minLength: 1 }), fc.array(fc.nat(), { maxLength: 6 })], { numRuns: 200 })(
    'the kept authors do not depend on order or split',
    (order, cuts) => {
      const events = order.map((i) => root(pk(i)))
      const points = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort((a, b) => a - b)
      const batches: Array<Array<unknown>> = [[announcement(owner, 'repo', '1'.repeat(64))]]
      let from = 0
      for (const p of [...points, events.length]) {
        batches.push(events.slice(from, p))
        from = p
      }
      const got = apply(batches).index
      const sorted = [...order].sort((a, b) => a - b)
      const want = apply([[announcement(owner, 'repo', '1'.repeat(64))], sorted.map((i) => root(pk(i)))]).index
      expect(eqRepoIndex.equals(got, want)).toBe(true)
      expect(authorsOf(got)).toEqual(sorted.slice(0, SAME_ID_MAX).map(pk))
    }
  )

  it('a thousand forgeries of one id leave lists no longer than twenty do', () => {
    for (const n of [20, 1000]) {
      const { index } = apply([[announcement(owner, 'repo', '1'.repeat(64))], Array.from({ length: n }, (_, i) => root(pk(i + 1)))])
      expect(authorsOf(index).length).toBe(SAME_ID_MAX)
    }
  })
})
