/**
 * Totality: bad input reads as empty, or leaves the state as it is.
 */
import { describe, expect, it } from 'vitest'
import { option as O } from 'fp-ts'
import { fromRelayTargets } from '../../../../src/relays/RelayIndex.js'
import {
  appliedTargets,
  confirm,
  disconnected,
  emptySyncState,
  eqSyncTargets,
  fail,
  inFlight,
  lastConfirmed,
  markSent,
  nextBatches,
  nextPage,
  nextUntil,
  openSubscriptions,
  pageFilter,
  pendingDiff,
  startPaging,
  syncFilterTarget,
  syncTargets,
  withPurgatory
} from '../../../../src/engine/Lifecycle.js'
import { trap } from '../../../support/wire.arbitraries.js'
import { R, ref, index, T0, only } from './helpers.js'

describe('totality: bad input reads as empty, or leaves the state as it is', () => {
  const desired = syncTargets(index([R, [ref(1)]]))
  const state = markSent(only(nextBatches(desired)(emptySyncState)))(emptySyncState)
  const empty = syncTargets(fromRelayTargets([]))

  it('a value that is not a state reads as the empty state', () => {
    for (const bad of [null, 42, 'x', [], {}, { _tag: 'SyncState' }, trap()]) {
      expect(eqSyncTargets.equals(appliedTargets(bad as never), empty)).toBe(true)
      expect(inFlight(bad as never)).toEqual([])
      expect(lastConfirmed(R)(bad as never)).toBeUndefined()
      expect(openSubscriptions(R)(bad as never)).toEqual([])
      expect(nextBatches(desired)(bad as never)).toEqual(nextBatches(desired)(emptySyncState))
    }
  })

  it('targets that are not targets read as empty; a relay that is not a string is in neither index', () => {
    expect(eqSyncTargets.equals(syncTargets(null as never, trap() as never), empty)).toBe(true)
    expect(eqSyncTargets.equals(null as never, empty)).toBe(true)
    expect(eqSyncTargets.equals(desired, trap() as never)).toBe(false)
    expect(syncFilterTarget(trap() as never)(desired)).toEqual(O.none)
    expect(syncFilterTarget(R)(null as never)).toEqual(O.none)
    expect(pendingDiff(null as never)(emptySyncState)).toEqual({ full: [], stateOnly: [] })
    expect(nextBatches(trap() as never, trap() as never)(state)).toEqual(nextBatches(empty)(state))
    expect(eqSyncTargets.equals(withPurgatory(42 as never)(desired.full), desired)).toBe(true)
    expect(eqSyncTargets.equals(withPurgatory(ref(1) as never)(desired.full), desired)).toBe(true)
    expect(eqSyncTargets.equals(withPurgatory(new Set([ref(1)]))(desired.full), withPurgatory([ref(1)])(desired.full))).toBe(true)
  })

  it('the reducers leave the state as it is for a batch, relay or id that is not one', () => {
    for (const bad of [null, 42, trap(), { relay: R }, { relay: R, connection: 'maybe' }]) expect(markSent(bad as never)(state)).toBe(state)
    expect(confirm(R, trap() as never, T0)(state)).toBe(state)
    expect(confirm(trap() as never, 'x', T0)(state)).toBe(state)
    expect(fail(42 as never)(state)).toBe(state)
    expect(disconnected(null as never)(state)).toBe(state)
    expect(lastConfirmed(trap() as never)(state)).toBeUndefined()
    expect(openSubscriptions(trap() as never)(state)).toEqual([])
  })

  it('a batch whose lists hold garbage keeps only the actions, messages and ids in them', () => {
    const b = only(nextBatches(desired)(emptySyncState))
    const noisy = { ...b, full: [...b.full, 42, trap()], messages: [...b.messages, ['REQ', 7], trap()], awaiting: [...b.awaiting, null] }
    expect(inFlight(markSent(noisy as never)(emptySyncState))).toEqual(inFlight(state))
  })

  it('paging: a filter that is not an object gives a finished cursor; a value that is not a cursor is returned as it is', () => {
    const done = startPaging(null as never)
    expect(done.done).toBe(true)
    expect(pageFilter(done)).toEqual(O.none)
    expect(pageFilter(startPaging({ kinds: [1], since: trap(), until: 'x' } as never))).toEqual(O.some({ kinds: [1], limit: 500 }))
    for (const bad of [null, 42, {}, trap(), { ...done, limit: 'x' }]) {
      expect(pageFilter(bad as never)).toEqual(O.none)
      expect(nextPage([])(bad as never)).toBe(bad)
    }
    const c = startPaging({ kinds: [1617], limit: 2 })
    expect(nextPage(trap() as never)(c)).toEqual({ ...c, done: true })
    expect(pageFilter(nextPage([])({ ...c, filter: { ids: 'x' } } as never))).toEqual(O.none)
    expect(nextUntil(null as never)).toEqual({ _tag: 'Done' })
    expect(nextUntil({ events: trap(), limit: 1 } as never)).toEqual({ _tag: 'Done' })
    expect(nextUntil({ events: [trap(), { created_at: 5 }], limit: 1 } as never)).toEqual({ _tag: 'Widen', createdAt: 5 })
  })
})
