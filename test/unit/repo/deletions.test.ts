/**
 * The deletion ledger (NIP-09 by id): which pubkeys deleted which ids. Since 0.3.0 one deleter is
 * kept as a string and two or more as a persistent set; these tests pin what that must not change:
 * only the event's own author's deletion counts, whatever else deleted the id, in any order and
 * any split, and the ledger survives a snapshot.
 */
import { describe, expect, it } from 'vitest'
import { function as F } from 'fp-ts'
import { applyBatch, decodeRepoIndex, emptyRepoIndex, encodeRepoIndex, eqRepoIndex, rootEventsOf } from '../../../src/index.js'
import { config, finish, PUBKEYS } from '../../support/arbitraries.js'
import { announce, ref, rootEvent } from '../../support/helpers.js'

const ann = announce('r', ['wss://relay.example.com'])
const byAuthor = rootEvent(1621, [ref('r')], { pubkey: PUBKEYS[1]!, content: 'deleted by its author' })
const OTHER = 'd4'.repeat(32)
const byOther = rootEvent(1621, [ref('r')], { pubkey: OTHER, content: 'deleted only by others' })
const deletion = (pubkey: string, ids: ReadonlyArray<string>, created_at: number) =>
  finish({ kind: 5, pubkey, created_at, content: '', tags: ids.map((id) => ['e', id]) })
// every pubkey deletes both ids; only PUBKEYS[1] wrote byAuthor, nobody deleting byOther wrote it
const deletions = [PUBKEYS[0], PUBKEYS[1], PUBKEYS[2]].map((pk, n) => deletion(pk, [byAuthor.id, byOther.id], 300 + n))

const rootsOf = (events: ReadonlyArray<unknown>, batches = 1) => {
  let index = emptyRepoIndex
  const size = Math.ceil(events.length / batches)
  for (let i = 0; i < events.length; i += size) index = applyBatch(config, events.slice(i, i + size))(index).index
  return index
}

describe('deletion ledger with several deleters of one id', () => {
  const orders: Array<ReadonlyArray<unknown>> = [
    [ann, ...deletions, byAuthor, byOther],
    [ann, byAuthor, byOther, ...deletions],
    [byOther, deletions[2], ann, byAuthor, deletions[0], deletions[1]],
    [...deletions].reverse().concat([ann, byOther, byAuthor])
  ]

  it('only the author’s own deletion removes an event, in any order and split', () => {
    const expected = rootsOf(orders[0]!)
    expect(F.pipe(expected, rootEventsOf(ref('r')))).toEqual([byOther.id])
    for (const events of orders)
      for (const batches of [1, 2, events.length]) expect(eqRepoIndex.equals(rootsOf(events, batches), expected)).toBe(true)
  })

  it('applying the deletions again changes nothing', () => {
    const once = rootsOf(orders[0]!)
    const twice = applyBatch(config, deletions)(once).index
    expect(eqRepoIndex.equals(twice, once)).toBe(true)
  })

  it('survives a snapshot: a later copy of the deleted event stays deleted', () => {
    const index = rootsOf([ann, ...deletions])
    const restored = decodeRepoIndex(JSON.parse(JSON.stringify(encodeRepoIndex(index))))
    expect(restored._tag).toBe('Right')
    if (restored._tag !== 'Right') return
    expect(eqRepoIndex.equals(restored.right, index)).toBe(true)
    const after = applyBatch(config, [byAuthor, byOther])(restored.right).index
    expect(F.pipe(after, rootEventsOf(ref('r')))).toEqual([byOther.id])
  })
})
