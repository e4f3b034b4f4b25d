/**
 * The three-way lifecycle (sent → confirmed | failed), one test per case.
 */
import { describe, expect, it } from 'vitest'
import { function as F, option as O } from 'fp-ts'
import { relayRepos, relayRootEvents } from '../../../../src/relays/RelayIndex.js'
import {
  DEFAULT_RECONNECT_WINDOW,
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
  openSubscriptions,
  pendingDiff,
  syncFilterTarget,
  syncTargets,
  withPurgatory
} from '../../../../src/engine/Lifecycle.js'
import { planTarget } from '../../../../src/wire/Wire.js'
import { asOpen, covers, event, pk, replay, rootId } from '../../../support/wire.arbitraries.js'
import { R, R2, ref, index, T0, sync, reqFilters, reqIds, only } from './helpers.js'

describe('lifecycle', () => {
  const desired = syncTargets(index([R, [ref(1)], { [ref(1)]: [rootId(1)] }]))

  it('a fresh host opens every desired relay: live REQs, and history from the beginning', () => {
    const b = only(nextBatches(desired)(emptySyncState))
    expect(b.connection).toBe('open')
    expect(b.full.map((a) => a._tag)).toEqual(['SpawnRelay'])
    expect(b.messages.every((m) => m[0] === 'REQ')).toBe(true)
    expect(b.messages.map((m) => m[1])).toEqual(planTarget()(O.toUndefined(syncFilterTarget(R)(desired))!).subscriptions.map((s) => s.id))
    expect(b.history[0]?.filters).toEqual([{ kinds: [30617, 10317], limit: 500 }])
    for (const s of b.history) for (const f of s.filters) expect(f.since).toBeUndefined()
    expect(b.awaiting).toEqual([...b.messages.map((m) => m[1]), ...b.history.map((s) => s.id)].sort())
  })

  it('a batch in flight is not requested again', () => {
    const b = only(nextBatches(desired)(emptySyncState))
    const sent = markSent(b)(emptySyncState)
    expect(inFlight(sent).map((f) => f.relay)).toEqual([R])
    expect(pendingDiff(desired)(sent)).toEqual({ full: [], stateOnly: [] })
    expect(nextBatches(desired)(sent)).toEqual([])
  })

  it('confirming every awaited id applies the batch and records the time', () => {
    const b = only(nextBatches(desired)(emptySyncState))
    let s = markSent(b)(emptySyncState)
    for (const id of b.awaiting.slice(0, -1)) s = confirm(R, id, T0)(s)
    expect(inFlight(s)[0]?.awaiting).toEqual(b.awaiting.slice(-1))
    expect(lastConfirmed(R)(s)).toBeUndefined()
    s = confirm(R, b.awaiting.at(-1)!, T0 + 5)(s)
    expect(inFlight(s)).toEqual([])
    expect(eqSyncTargets.equals(appliedTargets(s), desired)).toBe(true)
    expect(lastConfirmed(R)(s)).toBe(T0 + 5)
    expect(openSubscriptions(R)(s)).toEqual(b.messages.map((m) => m[1]).sort())
    expect(nextBatches(desired)(s)).toEqual([])
  })

  it('an EOSE for an id that is not awaited, or a relay with nothing in flight, changes nothing', () => {
    const b = only(nextBatches(desired)(emptySyncState))
    const s = markSent(b)(emptySyncState)
    expect(confirm(R, 'n34lunknown', T0)(s)).toBe(s)
    expect(confirm(R2, b.awaiting[0]!, T0)(s)).toBe(s)
    expect(fail(R2)(s)).toBe(s)
  })

  it('new work for a relay in flight waits until its batch is confirmed', () => {
    const b = only(nextBatches(desired)(emptySyncState))
    const s = markSent(b)(emptySyncState)
    const more = syncTargets(index([R, [ref(1), ref(2)], { [ref(1)]: [rootId(1)] }], [R2, []]))
    expect(nextBatches(more)(s).map((x) => x.relay)).toEqual([R2])
    const done = b.awaiting.reduce((t, id) => confirm(R, id, T0)(t), s)
    const next = nextBatches(more)(done).find((x) => x.relay === R)!
    expect(next.full).toEqual([{ _tag: 'AddFilters', relay: R, repos: [ref(2)], rootEvents: {} }])
  })

  it('a failed batch comes back in the next round, and its REQs are sent again under new ids', () => {
    const b = only(nextBatches(desired)(emptySyncState))
    const failed = F.pipe(emptySyncState, markSent(b), fail(R))
    expect(inFlight(failed)).toEqual([])
    expect(appliedTargets(failed).full).toEqual(appliedTargets(emptySyncState).full)
    const again = only(nextBatches(desired)(failed))
    expect(again.full).toEqual(b.full)
    // issue 9.4: the failed REQs may still be open: closed, then asked again under new ids
    expect(again.messages.filter((m) => m[0] === 'CLOSE').map((m) => m[1])).toEqual(reqIds(b.messages).sort())
    expect(reqFilters(again.messages)).toEqual(reqFilters(b.messages))
    expect(again.history.map((h) => h.filters)).toEqual(b.history.map((h) => h.filters))
    expect(again.awaiting.filter((id) => b.awaiting.includes(id))).toEqual([])
    expect(again.connection).toBe('keep')
    expect(eqSyncTargets.equals(appliedTargets(sync(desired, failed)), desired)).toBe(true)
  })

  it('a failed batch whose work is no longer wanted: the subscriptions it may have opened are closed', () => {
    const base = syncTargets(index([R, [ref(1)]]))
    const synced = sync(base, emptySyncState)
    const grown = syncTargets(index([R, [ref(1), ref(2)]]))
    const b = only(nextBatches(grown)(synced))
    const failed = F.pipe(synced, markSent(b), fail(R))
    // the host gives up on ref(2): desired is the applied state again, but the relay may hold the new REQ
    expect(pendingDiff(base)(failed)).toEqual({ full: [], stateOnly: [] })
    const repair = only(nextBatches(base)(failed))
    expect(repair.full).toEqual([])
    const wire = replay(repair.messages, replay(b.messages, asOpen(planTarget()(O.toUndefined(syncFilterTarget(R)(base))!).subscriptions)))
    // the plan's filters, each once; a slot that was retried has a new id (issue 9.4)
    expect([...wire.values()].sort()).toEqual([...asOpen(planTarget()(O.toUndefined(syncFilterTarget(R)(base))!).subscriptions).values()].sort())
    expect([...wire.keys()].sort()).toEqual(openSubscriptions(R)(markSent(repair)(failed)))
    expect(nextBatches(base)(sync(base, failed))).toEqual([])
  })

  it('a batch that only closes subscriptions is applied when it is sent', () => {
    const synced = sync(syncTargets(index([R, [ref(1)]])), emptySyncState)
    const emptier = syncTargets(index([R, []]))
    const b = only(nextBatches(emptier)(synced))
    expect(b.messages.map((m) => m[0])).toEqual(['CLOSE'])
    expect(b.awaiting).toEqual([])
    const s = markSent(b)(synced)
    expect(inFlight(s)).toEqual([])
    expect(eqSyncTargets.equals(appliedTargets(s), emptier)).toBe(true)
  })

  it('a relay no longer desired: every subscription is closed and the relay is forgotten', () => {
    const synced = sync(desired, emptySyncState)
    const none = syncTargets(index())
    const b = only(nextBatches(none)(synced))
    expect(b.connection).toBe('close')
    expect(b.messages.every((m) => m[0] === 'CLOSE')).toBe(true)
    expect(b.messages.map((m) => m[1]).sort()).toEqual(openSubscriptions(R)(synced))
    const s = markSent(b)(synced)
    expect(openSubscriptions(R)(s)).toEqual([])
    expect(lastConfirmed(R)(s)).toBeUndefined()
    expect(nextBatches(none)(s)).toEqual([])
  })

  it('a repository that moves from state-only (purgatory) to full sync is new work', () => {
    const idx = index([R, [ref(1), ref(2)], { [ref(2)]: [rootId(2)] }])
    const held = F.pipe(idx, withPurgatory([ref(2)]))
    const s = sync(held, emptySyncState)
    expect(nextBatches(held)(s)).toEqual([])
    const released = F.pipe(idx, withPurgatory([]))
    const work = pendingDiff(released)(s)
    expect(work.full).toEqual([{ _tag: 'AddFilters', relay: R, repos: [ref(2)], rootEvents: { [ref(2)]: [rootId(2)] } }])
    expect(work.stateOnly).toEqual([{ _tag: 'CloseRelay', relay: R }])
    const b = only(nextBatches(released)(s))
    expect(b.connection).toBe('keep')
    const sent = b.messages.flatMap((m) => (m[0] === 'REQ' ? m.slice(2) : []))
    expect(covers(sent as never, event(1617, [['a', ref(2)]]))).toBe(true)
    expect(covers(sent as never, event(1630, [['e', rootId(2)]]))).toBe(true)
    // its history is fetched from the beginning, state included
    const history = b.history.flatMap((h) => h.filters)
    expect(covers(history as never, event(1617, [['a', ref(2)]], pk(5), 1))).toBe(true)
    expect(eqSyncTargets.equals(appliedTargets(sync(released, s)), released)).toBe(true)
  })

  it('a repository in purgatory gets only its state filter', () => {
    const held = F.pipe(index([R, [ref(1)], { [ref(1)]: [rootId(1)] }]), withPurgatory([ref(1)]))
    expect(relayRepos(R)(held.full)).toEqual([])
    expect(relayRootEvents(R)(held.full)).toEqual({})
    expect(relayRepos(R)(held.stateOnly)).toEqual([ref(1)])
    const b = only(nextBatches(held)(emptySyncState))
    const filters = b.messages.flatMap((m) => (m[0] === 'REQ' ? m.slice(2) : []))
    expect(filters).toEqual([
      { kinds: [30617, 10317], limit: 0 },
      { kinds: [30618], authors: [pk(1)], '#d': ['repo'], limit: 0 }
    ])
  })

  it('a dropped connection reopens: what the relay had resumes from the reconnect window, new content from the beginning', () => {
    const synced = sync(desired, emptySyncState, T0)
    const dropped = disconnected(R)(synced)
    expect(openSubscriptions(R)(dropped)).toEqual([])
    expect(lastConfirmed(R)(dropped)).toBe(T0)
    const grown = syncTargets(index([R, [ref(1), ref(3)], { [ref(1)]: [rootId(1)] }]))
    const b = only(nextBatches(grown)(dropped))
    expect(b.connection).toBe('open')
    expect(b.full.map((a) => a._tag)).toEqual(['SpawnRelay'])
    const since = T0 - DEFAULT_RECONNECT_WINDOW
    const resumed = b.history.flatMap((h) => h.filters).filter((f) => f.since === since)
    const fresh = b.history.flatMap((h) => h.filters).filter((f) => f.since === undefined)
    expect(resumed[0]).toEqual({ kinds: [30617, 10317], since, limit: 500 })
    expect(covers(resumed as never, event(1617, [['a', ref(1)]], pk(5), since))).toBe(true)
    expect(covers(fresh as never, event(1617, [['a', ref(3)]], pk(5), 1))).toBe(true)
    expect(covers(fresh as never, event(1617, [['a', ref(1)]], pk(5), 1))).toBe(false)
    const s = sync(grown, dropped, T0 + 100)
    expect(lastConfirmed(R)(s)).toBe(T0 + 100)
    expect(nextBatches(grown)(s)).toEqual([])
  })

  it('a dropped connection with a batch in flight: the batch is dropped and its work comes back', () => {
    const b = only(nextBatches(desired)(emptySyncState))
    const s = F.pipe(emptySyncState, markSent(b), disconnected(R))
    expect(inFlight(s)).toEqual([])
    const again = only(nextBatches(desired)(s))
    expect(again.connection).toBe('open')
    expect(reqFilters(again.messages)).toEqual(reqFilters(b.messages))
    expect(again.awaiting.filter((id) => b.awaiting.includes(id))).toEqual([])
  })
})
