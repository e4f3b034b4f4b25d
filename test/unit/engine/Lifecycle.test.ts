/**
 * The three-way lifecycle (sent → confirmed | failed), one test per case, and the two time
 * helpers: the `since` of a quick reconnect and history paging that cannot loop.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { function as F, option as O } from 'fp-ts'
import { fromRelayTargets, relayRepos, relayRootEvents, type RelayIndex } from '../../../src/relays/RelayIndex.js'
import {
  DEFAULT_RECONNECT_WINDOW,
  appliedTargets,
  closed,
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
  reconnectSince,
  startPaging,
  syncFilterTarget,
  syncTargets,
  withPurgatory,
  type SyncBatch,
  type SyncState,
  type SyncTargets
} from '../../../src/engine/Lifecycle.js'
import { limitsFromRelayInfo } from '../../../src/config/Limits.js'
import { checkMessage, planTarget } from '../../../src/wire/Wire.js'
import { asOpen, covers, event, indexArb, pk, replay, rootId, trap } from '../../support/wire.arbitraries.js'

const R = 'wss://r.example'
const R2 = 'wss://r2.example'
const ref = (i: number, d = 'repo') => `30617:${pk(i)}:${d}`
const index = (...targets: Array<[string, ReadonlyArray<string>, Record<string, ReadonlyArray<string>>?]>): RelayIndex =>
  fromRelayTargets(targets.map(([relay, repos, rootEvents]) => ({ relay, repos, rootEvents: rootEvents ?? {} })) as never)
const T0 = 1_700_000_000

/** Sends every batch and confirms every awaited id at `at`. */
const sync = (desired: SyncTargets, state: SyncState, at = T0): SyncState =>
  nextBatches(desired)(state).reduce((s, b) => b.awaiting.reduce((t, id) => confirm(b.relay, id, at)(t), markSent(b)(s)), state)

/** The `REQ`s of messages without their ids: `[filters JSON]` in order. */
const reqFilters = (messages: SyncBatch['messages']): Array<string> =>
  messages.flatMap((m) => (m[0] === 'REQ' ? [JSON.stringify(m.slice(2))] : []))

const reqIds = (messages: SyncBatch['messages']): Array<string> => messages.flatMap((m) => (m[0] === 'REQ' ? [m[1]] : []))

const only = (batches: ReadonlyArray<SyncBatch>): SyncBatch => {
  expect(batches).toHaveLength(1)
  return batches[0] as SyncBatch
}

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

describe('reconnectSince', () => {
  it('is the last confirmed time minus the window', () => {
    expect(reconnectSince(T0, 900)).toBe(T0 - 900)
    expect(reconnectSince(T0, 0)).toBe(T0)
    expect(reconnectSince(T0 + 0.7, 10.2)).toBe(T0 - 11)
  })

  it('is never below 0, and never "1970 plus the elapsed time"', () => {
    expect(reconnectSince(300, 900)).toBe(0)
    // an elapsed duration passed by mistake is just an early timestamp: the result fetches from 0, it does not pretend
    expect(reconnectSince(3600, 60)).toBe(3540)
  })

  it('unknown or unusable input gives 0 (the whole history): never an event lost', () => {
    expect(reconnectSince(undefined, 900)).toBe(0)
    expect(reconnectSince(T0 * 1000, 900)).toBe(0) // milliseconds
    expect(reconnectSince(Number.NaN, 900)).toBe(0)
    expect(reconnectSince(-5, 900)).toBe(0)
    expect(reconnectSince(T0, -1)).toBe(0)
    expect(reconnectSince(T0, Number.POSITIVE_INFINITY)).toBe(0)
  })
})

describe('paging', () => {
  const ev = (created_at: number, i = created_at) => ({ id: i.toString(16).padStart(64, '0'), pubkey: 'p', kind: 1617, created_at, tags: [] })
  const at = (...ts: Array<number>) => ts.map((t, i) => ev(t, i))

  it('nextUntil: only an empty page is the end; a short page goes on (the relay may cap limit silently)', () => {
    expect(nextUntil({ events: [], limit: 1 })).toEqual({ _tag: 'Done' })
    expect(nextUntil({ events: at(5), limit: 0 })).toEqual({ _tag: 'Done' })
    expect(nextUntil({ events: at(5, 4), limit: 3 })).toEqual({ _tag: 'Until', until: 4 })
    // a short page of one second: below it (until strictly decreases)
    expect(nextUntil({ events: at(5, 5), limit: 3 })).toEqual({ _tag: 'Until', until: 4 })
    expect(nextUntil({ events: at(0), limit: 3 })).toEqual({ _tag: 'Until', until: -1 })
  })

  it('a relay that caps limit below maxLimit without saying so: paging still fetches everything', () => {
    const store = Array.from({ length: 250 }, (_, i) => ev(1000 + i, i))
    const relay = (f: { since?: number; until?: number; limit?: number }) =>
      store
        .filter((e) => (f.since === undefined || e.created_at >= f.since) && (f.until === undefined || e.created_at <= f.until))
        .sort((a, b) => b.created_at - a.created_at)
        .slice(0, Math.min(f.limit ?? 500, 100)) // caps at 100, publishes nothing
    let c = startPaging({ kinds: [1617], limit: 500 })
    const seen = new Set<string>()
    let pages = 0
    for (let f = pageFilter(c); O.isSome(f); f = pageFilter(c)) {
      const page = relay(f.value)
      for (const e of page) seen.add(e.id)
      c = nextPage(page)(c)
      expect(++pages).toBeLessThan(10)
    }
    expect(seen.size).toBe(250)
    expect(c.incomplete).toEqual([])
    const zero = F.pipe(startPaging({ kinds: [1617], limit: 5 }), nextPage(at(0)))
    expect(pageFilter(zero)).toEqual(O.none)
  })

  it('nextUntil: a full page moves until to its oldest second (inclusive: none of that second is skipped)', () => {
    expect(nextUntil({ events: at(9, 7, 7), limit: 3 })).toEqual({ _tag: 'Until', until: 7 })
    // only the newest `limit` events count: an older extra event matching the filter does not move until past the page
    expect(nextUntil({ events: at(9, 8, 1), limit: 2 })).toEqual({ _tag: 'Until', until: 8 })
  })

  it('nextUntil: a full page that shares one created_at asks to widen instead of looping', () => {
    expect(nextUntil({ events: at(7, 7, 7), limit: 3 })).toEqual({ _tag: 'Widen', createdAt: 7 })
  })

  it('a cursor widens a one-second page, then continues below that second', () => {
    let c = startPaging({ kinds: [1617], limit: 2 }, { maxLimit: 8 })
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], limit: 2 }))
    c = nextPage(at(7, 7))(c)
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], since: 7, until: 7, limit: 4 }))
    c = nextPage(at(7, 7, 7))(c)
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], until: 6, limit: 2 }))
    c = nextPage(at(3))(c)
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], until: 2, limit: 2 }))
    c = nextPage([])(c)
    expect(pageFilter(c)).toEqual(O.none)
    expect(c.incomplete).toEqual([])
  })

  it('a second that fills a page of the relay\u2019s max_limit is reported as incomplete and passed', () => {
    let c = startPaging({ kinds: [1617], limit: 2 }, { maxLimit: 2 })
    c = nextPage(at(7, 7))(c)
    expect(c.incomplete).toEqual([7])
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], until: 6, limit: 2 }))
  })

  it('paging stops at since, and ignores events that do not match the page', () => {
    let c = startPaging({ kinds: [1617], since: 5, limit: 2 })
    c = nextPage([...at(6, 6), { ...ev(9), kind: 1 }, 'junk', null])(c)
    // a one-second page (the kind 1 event, the junk and the null are not part of it): widen second 6
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], since: 6, until: 6, limit: 4 }))
    c = nextPage(at(6, 6))(c)
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], since: 5, until: 5, limit: 2 }))
    c = nextPage([])(c)
    expect(pageFilter(c)).toEqual(O.none)
    expect(F.pipe(startPaging({ kinds: [1617], since: 6, limit: 1 }), nextPage(at(6)), nextPage(at(6)), pageFilter)).toEqual(O.none)
    expect(startPaging({ kinds: [1], since: 10, until: 5 }).done).toBe(true)
  })

  it('a live filter (limit 0) pages with the relay\u2019s max_limit', () => {
    expect(pageFilter(startPaging({ '#a': ['x'], limit: 0 }, { maxLimit: 300 }))).toEqual(O.some({ '#a': ['x'], limit: 300 }))
  })
})

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

describe('issue 9.4 (deprecated lifecycle): every answer belongs to exactly one attempt', () => {
  const desired = syncTargets(index([R, [ref(1), ref(2)], { [ref(1)]: [rootId(1)] }]))
  /** A batch sent, timed out (`fail`), and its retry sent. */
  const retried = () => {
    const first = only(nextBatches(desired)(emptySyncState))
    const failed = F.pipe(emptySyncState, markSent(first), fail(R))
    const retry = only(nextBatches(desired)(failed))
    return { first, retry, state: markSent(retry)(failed) }
  }

  it('issue 9.4 (deprecated lifecycle): a late EOSE of a failed attempt does not complete the retry', () => {
    const { first, retry, state } = retried()
    expect(retry.awaiting.filter((id) => first.awaiting.includes(id))).toEqual([])
    // every EOSE of the first attempt arrives late, after the retry was sent
    const late = first.awaiting.reduce((s, id) => confirm(R, id, T0)(s), state)
    expect(late).toBe(state)
    expect(inFlight(late).map((f) => f.awaiting)).toEqual([retry.awaiting])
    expect(eqSyncTargets.equals(appliedTargets(late), desired)).toBe(false)
    // the retry's own EOSEs complete it
    const done = retry.awaiting.reduce((s, id) => confirm(R, id, T0)(s), late)
    expect(inFlight(done)).toEqual([])
    expect(eqSyncTargets.equals(appliedTargets(done), desired)).toBe(true)
  })

  it('issue 9.4 (deprecated lifecycle): a late CLOSED of a failed attempt does not fail the retry', () => {
    const { first, retry, state } = retried()
    for (const id of first.awaiting) {
      expect(closed(R, id)(state)).toBe(state)
      expect(fail(R, id)(state)).toBe(state)
    }
    // a CLOSED that arrives between the timeout and the retry is ignored too
    const failed = F.pipe(emptySyncState, markSent(first), fail(R))
    for (const id of first.awaiting) expect(closed(R, id)(failed)).toBe(failed)
    // the retry's own CLOSED fails it
    expect(inFlight(closed(R, retry.awaiting[0] as string)(state))).toEqual([])
  })

  it('issue 9.4 (deprecated lifecycle): a late EOSE of a timed-out history REQ does not end the retried history', () => {
    const first = only(nextBatches(desired)(emptySyncState))
    expect(first.history.length).toBeGreaterThan(0)
    // the live REQs are answered; the history REQs time out
    const live = reqIds(first.messages)
    const answered = live.reduce((s, id) => confirm(R, id, T0)(s), markSent(first)(emptySyncState))
    const failed = fail(R)(answered)
    const retry = only(nextBatches(desired)(failed))
    expect(retry.history.map((h) => h.filters)).toEqual(first.history.map((h) => h.filters))
    const oldHistory = first.history.map((h) => h.id)
    for (const h of retry.history) expect(oldHistory).not.toContain(h.id)
    // the retry's live REQs are answered; then the late EOSEs of the timed-out history REQs come
    let s = reqIds(retry.messages).reduce((t, id) => confirm(R, id, T0)(t), markSent(retry)(failed))
    s = oldHistory.reduce((t, id) => confirm(R, id, T0)(t), s)
    expect(inFlight(s).map((f) => f.awaiting)).toEqual([retry.history.map((h) => h.id).sort()])
    expect(eqSyncTargets.equals(appliedTargets(s), desired)).toBe(false)
    s = retry.history.reduce((t, h) => confirm(R, h.id, T0)(t), s)
    expect(eqSyncTargets.equals(appliedTargets(s), desired)).toBe(true)
  })

  it('issue 9.4 (deprecated lifecycle): a reconnect retries under new ids; answered slots keep theirs', () => {
    const synced = sync(desired, emptySyncState)
    const ids = openSubscriptions(R)(synced)
    const again = only(nextBatches(desired)(disconnected(R)(synced)))
    for (const id of again.awaiting) expect(ids).not.toContain(id)
    // a CLOSED of one answered subscription: only that slot is sent again
    const [one, ...rest] = ids as [string, ...Array<string>]
    const repair = only(nextBatches(desired)(closed(R, one)(synced)))
    expect(repair.messages.map((m) => m[0])).toEqual(['REQ'])
    const repaired = repair.awaiting.reduce((t, id) => confirm(R, id, T0)(t), markSent(repair)(closed(R, one)(synced)))
    expect(openSubscriptions(R)(repaired)).toEqual([...rest, repair.messages[0]?.[1] as string].sort())
    expect(nextBatches(desired)(repaired)).toEqual([])
  })
})

describe('issue 9.4 (deprecated lifecycle): the law', () => {
  type Outcome = 'confirm' | 'timeout' | 'closed' | 'closedAfterEose' | 'drop'
  const outcomeArb = fc.constantFrom<Outcome>('confirm', 'confirm', 'timeout', 'closed', 'closedAfterEose', 'drop')
  const scenarioArb = fc.tuple(fc.array(indexArb, { minLength: 1, maxLength: 4 }), fc.array(outcomeArb, { minLength: 1, maxLength: 30 }))

  /**
   * Runs rounds with random relay behaviour. Every id of an attempt that failed (timed out, was
   * closed, lost with its connection) is dead: checks that no later batch awaits a dead id, and
   * that a late EOSE, CLOSED or fail naming one leaves the state as it is. Returns what happened.
   */
  const run = ([steps, outcomes]: [ReadonlyArray<{ index: RelayIndex; held: ReadonlyArray<string> }>, ReadonlyArray<Outcome>]): Set<string> => {
    const seen = new Set<string>()
    const dead = new Map<string, Set<string>>()
    const deadOf = (relay: string): Set<string> => {
      let d = dead.get(relay)
      if (d === undefined) dead.set(relay, (d = new Set()))
      return d
    }
    let state = emptySyncState
    let k = 0
    const round = (desired: SyncTargets, pick: () => Outcome) => {
      for (const b of nextBatches(desired)(state)) {
        if (b.connection === 'close') {
          state = markSent(b)(state)
          dead.delete(b.relay) // the connection is closed and the relay forgotten
          continue
        }
        const d = deadOf(b.relay)
        const reused = b.awaiting.filter((id) => d.has(id))
        expect(reused).toEqual([])
        if (d.size > 0 && b.awaiting.length > 0) seen.add(b.history.length > 0 ? 'history retried' : 'retried')
        state = markSent(b)(state)
        const o = b.awaiting.length === 0 ? 'confirm' : pick()
        seen.add(o)
        const attempt = [...b.awaiting, ...reqIds(b.messages)]
        if (o === 'confirm') for (const id of b.awaiting) state = confirm(b.relay, id, T0)(state)
        else if (o === 'timeout') {
          state = fail(b.relay)(state)
          for (const id of attempt) d.add(id)
        } else if (o === 'closed') {
          state = closed(b.relay, b.awaiting.at(-1) as string)(state)
          for (const id of attempt) d.add(id)
        } else if (o === 'closedAfterEose') {
          for (const id of b.awaiting) state = confirm(b.relay, id, T0)(state)
          const live = openSubscriptions(b.relay)(state)[0]
          if (live !== undefined) {
            state = closed(b.relay, live)(state)
            d.add(live)
          }
        } else {
          for (const id of [...attempt, ...openSubscriptions(b.relay)(state)]) d.add(id)
          state = disconnected(b.relay)(state)
        }
      }
      // late answers of every dead attempt change nothing
      for (const [relay, d] of dead)
        for (const id of d) {
          expect(confirm(relay, id, T0)(state)).toBe(state)
          expect(closed(relay, id)(state)).toBe(state)
          expect(fail(relay, id)(state)).toBe(state)
        }
    }
    let desired = syncTargets(index())
    for (const { index: idx, held } of steps) {
      desired = F.pipe(idx, withPurgatory(held))
      round(desired, () => outcomes[k++ % outcomes.length] as Outcome)
    }
    for (let i = 0; i < 5; i++) round(desired, () => 'confirm')
    expect(nextBatches(desired)(state)).toEqual([])
    expect(eqSyncTargets.equals(appliedTargets(state), desired)).toBe(true)
    return seen
  }

  test.prop([scenarioArb], { numRuns: 200 })(
    'no batch awaits an id of a failed attempt, late answers of one change nothing, and the host still converges',
    (scenario) => {
      run(scenario)
    }
  )

  it('the generator reaches every outcome and retries of live and history (fc.statistics)', () => {
    const count = new Map<string, number>()
    fc.statistics(
      scenarioArb,
      (scenario) => {
        const seen = run(scenario)
        for (const x of seen) count.set(x, (count.get(x) ?? 0) + 1)
        return seen.has('retried') || seen.has('history retried') ? 'a retry' : 'no retry'
      },
      { numRuns: 100, logger: () => undefined }
    )
    for (const x of ['confirm', 'timeout', 'closed', 'closedAfterEose', 'drop', 'retried', 'history retried']) expect(count.get(x) ?? 0).toBeGreaterThan(5)
  })
})

describe('docs/wire.md: the host loop', () => {
  // The sketch is extracted, type-checked with the repository's compiler options, and run.
  const root = fileURLToPath(new URL('../../..', import.meta.url))
  const md = readFileSync(join(root, 'docs/wire.md'), 'utf8')
  const code = /```ts\n(import \{ limitsFromRelayInfo[\s\S]*?)```/.exec(md)?.[1] ?? ''
  const dir = mkdtempSync(join(tmpdir(), 'nip34-host-'))
  const file = join(dir, 'host.mts')
  writeFileSync(
    file,
    code
      .replace("from 'nip34-sync'", `from '${join(root, 'src/index.ts')}'`)
      .replace("from 'fp-ts'", `from '${join(root, 'node_modules/fp-ts/lib/index.js')}'`)
  )

  it('type-checks under the strict settings', () => {
    expect(code).toContain('createHost')
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      noUnusedLocals: true,
      noUnusedParameters: true,
      verbatimModuleSyntax: true,
      allowImportingTsExtensions: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node']
    }
    const program = ts.createProgram([file], options)
    const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    expect(errors).toEqual([])
  }, 60_000)

  it('runs: history is paged and closed, a CLOSED is retried under a new id after the backoff, new limits re-plan', async () => {
    type Host = Record<string, (...a: Array<unknown>) => unknown>
    const mod = (await import(file)) as { createHost: (...a: Array<unknown>) => Host }
    const sent: Array<[string, number, Array<unknown>]> = []
    let clock = T0
    const R1 = 'wss://boot.example'
    const h = mod.createHost({ ownRelays: ['wss://own.example'], bootstrapRelays: [R1] }, {
      send: (r: string, socket: number, frame: string) => sent.push([r, socket, JSON.parse(frame) as Array<unknown>]),
      disconnect: () => undefined,
      log: () => undefined
    }, () => clock)
    h['start']?.()
    const reqs = () => sent.filter(([r, , m]) => r === R1 && m[0] === 'REQ').map(([, , m]) => m[1] as string)
    const [live, history] = reqs()
    expect(live?.startsWith('n34l')).toBe(true)
    expect(history?.startsWith('n34h')).toBe(true)
    h['onEose']?.(R1, 0, live)
    // a full page of announcements: the history pages on under the same id with `until`
    const page = Array.from({ length: 500 }, (_, i) => ({ id: (i + 1).toString(16).padStart(64, '0'), pubkey: 'p', kind: 30617, created_at: 1000 + i, tags: [], content: '', sig: '' }))
    h['onEvents']?.(R1, 0, history, page)
    h['onEose']?.(R1, 0, history)
    expect(sent.at(-1)?.[2]).toEqual(['REQ', history, { kinds: [30617, 10317], until: 1000, limit: 500 }])
    h['onEose']?.(R1, 0, history)
    expect(sent.at(-1)?.[2]).toEqual(['CLOSE', history])
    const before = reqs().length
    h['tick']?.()
    expect(reqs().length).toBe(before)
    h['onClosed']?.(R1, 0, live, 'error: restarting')
    h['tick']?.()
    expect(reqs().length).toBe(before) // backing off
    clock += 60
    h['tick']?.()
    const retried = reqs().slice(before)
    expect(retried).toHaveLength(1)
    expect(retried[0]).not.toBe(live)
    h['onRelayInfo']?.(R1, { limitation: { max_subid_length: 16 } })
    expect(sent.at(-1)?.[2]?.[0]).toBe('REQ')
  })
})


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
