/**
 * The deletion ledger's per-author bound (src/repo/ledger.ts): each pubkey is remembered for at
 * most N ids, the smallest. These properties pin what the bound keeps and which laws hold:
 * - the ledger is the N smallest ids per author of everything named, whatever the order, split
 *   or duplicates (a join-semilattice);
 * - under the bound (no author past N), the whole index equals the unbounded one;
 * - past it, what is forgotten is reported, and only the over-bound author's own events differ.
 * A coverage test counts how often the generator puts an author over the bound and keeps all under it.
 */
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import type { Deletion, Nip34Event, RootEvent } from '../../../src/decode/Nip34Event.js'
import type { RepoRef } from '../../../src/model/RepoRef.js'
import { applyEvents, deletersOf, empty, equals, type Forgotten, type RepoIndexData } from '../../../src/repo/store.js'

const PUBKEYS = ['a', 'b', 'c'].map((c) => c.repeat(64))
const REPO = `30617:${'e'.repeat(64)}:r` as RepoRef
const idArb = fc.stringMatching(/^[0-9a-f]{2}$/).map((p) => p.padEnd(64, '0'))
const rootArb = fc.record({ id: idArb, author: fc.nat({ max: 2 }), at: fc.nat({ max: 3 }) }).map(
  ({ id, author, at }): RootEvent => ({ _tag: 'RootEvent', id, pubkey: PUBKEYS[author] as string, kind: 1617, createdAt: at, repos: [REPO] })
)
const deletionArb = fc.record({ ids: fc.uniqueArray(idArb, { maxLength: 4 }), author: fc.nat({ max: 2 }) }).map(
  ({ ids, author }): Deletion => ({ _tag: 'Deletion', id: 'd'.repeat(64), pubkey: PUBKEYS[author] as string, createdAt: 5, addresses: [], eventIds: [...ids].sort() })
)
const streamArb = fc.array(fc.oneof(rootArb, rootArb, deletionArb), { maxLength: 40, size: 'max' })
const N = 4

const apply = (events: ReadonlyArray<Nip34Event>, cuts: ReadonlyArray<number>, perAuthor: number, forgotten?: Array<Forgotten>): RepoIndexData => {
  let index = empty
  let at = 0
  for (const c of [...cuts.map((x) => x % (events.length + 1)).sort((a, b) => a - b), events.length]) {
    index = applyEvents(index, events.slice(at, Math.max(at, c)), forgotten === undefined ? { deletionsPerAuthor: perAuthor } : { deletionsPerAuthor: perAuthor, forgotten })
    at = Math.max(at, c)
  }
  return index
}

/** The ledger as (pubkey → sorted ids). */
const ledgerOf = (d: RepoIndexData): Map<string, Array<string>> => {
  const out = new Map<string, Array<string>>()
  for (const [id, by] of d.deletions.entries()) for (const p of deletersOf(by)) out.set(p, [...(out.get(p) ?? []), id])
  for (const ids of out.values()) ids.sort()
  return out
}

/** The N smallest ids each author named. */
const expectedLedger = (events: ReadonlyArray<Nip34Event>): Map<string, Array<string>> => {
  const named = new Map<string, Set<string>>()
  for (const e of events) if (e._tag === 'Deletion') for (const id of e.eventIds) named.set(e.pubkey, (named.get(e.pubkey) ?? new Set()).add(id))
  return new Map([...named].map(([p, ids]) => [p, [...ids].sort().slice(0, N)]))
}

const overBound = (events: ReadonlyArray<Nip34Event>): Set<string> => {
  const named = expectedLedger(events)
  const all = new Map<string, Set<string>>()
  for (const e of events) if (e._tag === 'Deletion') for (const id of e.eventIds) all.set(e.pubkey, (all.get(e.pubkey) ?? new Set()).add(id))
  return new Set([...all].filter(([p, ids]) => ids.size > (named.get(p)?.length ?? 0)).map(([p]) => p))
}

describe('deletion ledger bounded per author', () => {
  test.prop([streamArb.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }))), fc.array(fc.nat(), { maxLength: 4 })], { numRuns: 300 })(
    'the ledger is the smallest N ids per author, in any order, split, or repetition',
    ([events, permuted], cuts) => {
      const over = overBound(events)
      const a = apply(events, [], N)
      const b = apply(permuted, cuts, N)
      const twice = apply([...events, ...permuted], cuts, N)
      const want = expectedLedger(events)
      expect(ledgerOf(a)).toEqual(want)
      expect(ledgerOf(b)).toEqual(want)
      expect(ledgerOf(twice)).toEqual(want)
      if (over.size === 0) {
        // under the bound every law holds for the whole index, and it equals the unbounded one
        expect(equals(a, b)).toBe(true)
        expect(equals(a, twice)).toBe(true)
        expect(equals(a, apply(events, [], Number.MAX_SAFE_INTEGER))).toBe(true)
      } else {
        // past it, only events of the authors over the bound may differ
        for (const [id, facts] of a.rootEvents.entries())
          for (const f of Array.isArray(facts) ? facts : [facts]) if (!over.has(f.pubkey)) expect(b.rootEvents.has(id)).toBe(true)
      }
    }
  )

  test.prop([streamArb], { numRuns: 200 })('what the bound forgets is reported, once per entry refused or dropped', (events) => {
    const forgotten: Array<Forgotten> = []
    const index = apply(events, [], N, forgotten)
    const over = overBound(events)
    expect(new Set(forgotten.map((f) => f.pubkey))).toEqual(over)
    const kept = ledgerOf(index)
    for (const f of forgotten) expect(kept.get(f.pubkey)?.includes(f.id) ?? false).toBe(false)
  })

})

const stats = { over: 0, under: 0, none: 0 }
describe('generator coverage', () => {
  test('authors over the bound and under it both occur', () => {
    fc.assert(fc.property(streamArb, (events) => {
      stats[overBound(events).size > 0 ? 'over' : events.some((e) => e._tag === 'Deletion' && e.eventIds.length > 0) ? 'under' : 'none']++
    }), { numRuns: 500 })
    console.log('ledger bound coverage', stats)
    expect(stats.over).toBeGreaterThan(100)
    expect(stats.under).toBeGreaterThan(50)
  })
})
