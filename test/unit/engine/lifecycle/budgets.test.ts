/**
 * Budgets, late CLOSEDs and problems (review 2).
 */
import { describe, expect, it } from 'vitest'
import {
  closed,
  confirm,
  emptySyncState,
  fail,
  inFlight,
  markSent,
  nextBatches,
  openSubscriptions,
  syncTargets
} from '../../../../src/engine/Lifecycle.js'
import { limitsFromRelayInfo } from '../../../../src/config/Limits.js'
import { checkMessage } from '../../../../src/wire/Wire.js'
import { covers, event } from '../../../support/wire.arbitraries.js'
import { R, ref, index, T0, sync, reqFilters, only } from './helpers.js'

describe('budgets, late CLOSEDs and problems (review 2)', () => {
  it('over budget: the messages stay within the live budget, the tail is overflow, and live + history open never exceed maxSubscriptions', () => {
    const many = Array.from({ length: 300 }, (_, i) => ref(i, `r${i}`))
    const desired = syncTargets(index([R, many]))
    const b = only(nextBatches(desired)(emptySyncState))
    const reqs = b.messages.filter((m) => m[0] === 'REQ')
    expect(reqs.length).toBeLessThanOrEqual(b.plan.budget)
    expect(b.plan.overflow.length).toBe(b.plan.overBudget)
    expect(b.plan.overBudget).toBeGreaterThan(0)
    expect(b.problems.map((p) => p.code)).toContain('over-budget')
    for (const s of b.plan.overflow) expect(reqs.map((m) => m[1])).not.toContain(s.id)
    // a host that sends history at most reservedSubscriptions at a time
    const open = new Set<string>()
    let peak = 0
    for (const m of b.messages) if (m[0] === 'REQ') open.add(m[1])
    let state = markSent(b)(emptySyncState)
    for (const id of b.awaiting) if (open.has(id)) state = confirm(R, id, T0)(state)
    const queue = [...b.history]
    while (queue.length > 0) {
      const running = queue.splice(0, 2)
      for (const h of running) open.add(h.id)
      peak = Math.max(peak, open.size)
      for (const h of running) {
        open.delete(h.id)
        state = confirm(R, h.id, T0)(state)
      }
    }
    expect(peak).toBeLessThanOrEqual(20)
    expect(inFlight(state)).toEqual([])
  })

  it('a relay with max_subscriptions 1 leaves no room for history: it is not awaited, and is reported', () => {
    const { limits } = limitsFromRelayInfo({ limitation: { max_subscriptions: 1 } })
    expect([limits.maxSubscriptions, limits.reservedSubscriptions]).toEqual([1, 0])
    const b = only(nextBatches(syncTargets(index([R, [ref(1)]])), { limits })(emptySyncState))
    expect(b.messages.filter((m) => m[0] === 'REQ')).toHaveLength(1)
    expect(b.history.length).toBeGreaterThan(0)
    expect(b.awaiting).toEqual([b.messages[0]?.[1]])
    expect(b.problems.map((p) => p.code)).toContain('no-history-room')
    const state = confirm(R, b.awaiting[0] as string, T0)(markSent(b)(emptySyncState))
    expect(inFlight(state)).toEqual([])
  })

  it('reservedSubscriptions 0 with room for more is raised to 1: history always has a slot', () => {
    const b = only(nextBatches(syncTargets(index([R, [ref(1)]])), { limits: { maxSubscriptions: 3, reservedSubscriptions: 0 } })(emptySyncState))
    expect(b.plan.budget).toBe(2)
    expect(b.awaiting).toEqual(expect.arrayContaining(b.history.map((h) => h.id)))
  })

  it('closed: a CLOSED after EOSE marks that subscription closed, and the next round sends it again under a new id', () => {
    const desired = syncTargets(index([R, [ref(1)]]))
    const synced = sync(desired, emptySyncState)
    expect(nextBatches(desired)(synced)).toEqual([])
    // fail() without a batch in flight cannot record it
    expect(fail(R)(synced)).toBe(synced)
    const live = openSubscriptions(R)(synced)[1] as string
    const before = only(nextBatches(desired)(emptySyncState)).messages.find((m) => m[1] === live)!
    const b = only(nextBatches(desired)(closed(R, live)(synced)))
    // the relay closed it: no CLOSE; the REQ is a new attempt (issue 9.4)
    expect(b.messages.map((m) => m[0])).toEqual(['REQ'])
    expect(b.messages[0]?.[1]).not.toBe(live)
    expect(reqFilters(b.messages)).toEqual(reqFilters([before]))
    expect(b.awaiting).toEqual([b.messages[0]?.[1]])
    expect(closed(R, 'n34lnever-sent')(synced)).toBe(synced)
    expect(closed(R, live)(closed(R, live)(synced))).toEqual(closed(R, live)(synced))
  })

  it('closed / fail with an id: a late CLOSED of an older batch does not fail the current one', () => {
    const first = syncTargets(index([R, [ref(1)]]))
    // the discovery subscription of the first batch: confirmed, not part of the second
    const old = only(nextBatches(first)(emptySyncState)).messages[0]?.[1] as string
    const synced = sync(first, emptySyncState)
    const second = syncTargets(index([R, [ref(1), ref(2), ref(3)]]))
    const b = only(nextBatches(second)(synced))
    const sent = markSent(b)(synced)
    const other = b.awaiting.find((id) => id !== old)
    expect(b.awaiting).not.toContain(old)
    expect(inFlight(fail(R, old)(sent))).toHaveLength(1)
    // the late CLOSED is recorded: the id is re-sent once the current batch is done
    const later = closed(R, old)(sent)
    expect(inFlight(later)).toHaveLength(1)
    const done = b.awaiting.reduce((st, id) => confirm(R, id, T0)(st), later)
    const resent = only(nextBatches(second)(done)).messages
    const before = only(nextBatches(first)(emptySyncState)).messages[0]!
    expect(resent.map((m) => m[0])).toEqual(['REQ'])
    expect(resent[0]?.[1]).not.toBe(old)
    expect(reqFilters(resent)).toEqual(reqFilters([before]))
    // a CLOSED of an id the current batch awaits fails it
    expect(inFlight(closed(R, other as string)(sent))).toEqual([])
    expect(inFlight(fail(R, other as string)(sent))).toEqual([])
  })

  it('history problems are on the batch: a value too long for a history page is reported, never asked for live only', () => {
    const big = ref(1, 'x'.repeat(760))
    const limits = { maxMessageBytes: 1024 }
    const b = only(nextBatches(syncTargets(index([R, [big, ref(2)]])), { limits })(emptySyncState))
    expect(b.problems.filter((p) => p.code === 'oversized-value').map((p) => p.value?.slice(0, 20))).toEqual([big.slice(0, 20)])
    const live = b.plan.subscriptions.flatMap((s) => s.filters)
    expect(covers(live, event(1617, [['a', big]]))).toBe(false)
    expect(covers(b.history.flatMap((s) => s.filters), event(1617, [['a', ref(2)]]))).toBe(true)
    for (const h of b.history) expect(checkMessage(limits)(['REQ', h.id, ...h.filters.map((f) => ({ ...f, since: 9_007_199_254_740_991, until: 9_007_199_254_740_991 }))])).toEqual([])
  })
})
