/**
 * The deletion ledger's per-author bound lowered between batches (src/repo/ledger.ts): the next
 * deletion of a pubkey above the new bound trims it down to its smallest ids, so "the N smallest
 * ids per author" holds again for that pubkey (it used to lose one id per add and stay above).
 */
import { describe, expect, it } from 'vitest'
import type { Deletion } from '../../src/decode/Nip34Event.js'
import { applyEvents, deletersOf, empty, type Forgotten, type RepoIndexData } from '../../src/repo/store.js'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const id = (n: number) => n.toString(16).padStart(2, '0').padEnd(64, '0')
const deletion = (pubkey: string, ids: ReadonlyArray<string>): Deletion => ({ _tag: 'Deletion', id: 'd'.repeat(64), pubkey, createdAt: 5, addresses: [], eventIds: [...ids].sort() })
const idsOf = (d: RepoIndexData, pubkey: string) => [...d.deletions.entries()].filter(([, by]) => deletersOf(by).includes(pubkey)).map(([k]) => k).sort()

describe('deletion ledger: the bound lowered between batches', () => {
  it('an author above the new bound is trimmed to its smallest ids at its next deletion; others keep theirs until then', () => {
    const first = [1, 3, 5, 7, 9, 11].map(id)
    let d = applyEvents(empty, [deletion(A, first), deletion(B, first)], { deletionsPerAuthor: 10 })
    expect(idsOf(d, A)).toEqual(first)
    const forgotten: Array<Forgotten> = []
    d = applyEvents(d, [deletion(A, [id(4)])], { deletionsPerAuthor: 3, forgotten })
    // A: the 3 smallest of everything it named
    expect(idsOf(d, A)).toEqual([id(1), id(3), id(4)])
    // B sent nothing since: unchanged until its next deletion
    expect(idsOf(d, B)).toEqual(first)
    d = applyEvents(d, [deletion(B, [id(13)])], { deletionsPerAuthor: 3 })
    expect(idsOf(d, B)).toEqual([id(1), id(3), id(5)])
  })
})
