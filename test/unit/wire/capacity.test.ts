/**
 * Capacity (issue 11): coarse state filters, the exact predicate `wants`, and the capacity case (a
 * relay listed by 5 000 repositories of distinct owners with 50 000 root events, default limits).
 *
 * - The properties: over random desired indexes and limits, `wants` is the GRASP-02 oracle; every
 *   event it accepts matches the relay's filters (nostr-tools `matchFilters`) under every strategy;
 *   under `exact` the converse holds; under `owners` the only over-fetch is state events of the
 *   plan's owners; every message of every strategy is within the limits.
 * - The capacity case: live and history plans cover every tracked value, every message is within
 *   the default limits, per connection within the subscription budget; figures are printed (and
 *   copied to docs/capacity.md).
 */
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { option as O } from 'fp-ts'
import { matchFilters, type Filter } from 'nostr-tools/filter'
import type { Event } from 'nostr-tools/pure'
import type { NostrFilter } from '../../../src/wire/Filters.js'
import { relayFilters } from '../../../src/wire/Filters.js'
import { wants } from '../../../src/wire/Wants.js'
import { relayCapacity } from '../../../src/wire/Capacity.js'
import { checkMessage } from '../../../src/wire/Wire.js'
import { defaultRelayLimits, liveSubscriptionBudget, relayLimits, type RelayLimits } from '../../../src/config/Limits.js'
import { emptyRelayIndex, fromRelayTargets, relayTarget, relays, type RelayIndex, type RelayTarget } from '../../../src/relays/RelayIndex.js'
import { capacityLayout, chooseStrategy, layout, historyMode, liveMode, type Layout, type Subscription } from '../../../src/wire/layout.js'
import { sha256Hex } from '../../../src/util/hash.js'
import { RELAYS, eventNearArb, limitsArb, targetSpecArb, toTarget, trap, wanted, withNewRepoArb, withNewRootArb, withRoot, type TargetSpec } from '../../support/wire.arbitraries.js'

const covers = (filters: ReadonlyArray<NostrFilter>, e: Event): boolean => matchFilters(filters as Array<Filter>, e)

/** A desired index of up to three relays with generated targets (up to 40 repositories, 80 roots each). */
const desiredArb = fc
  .array(fc.tuple(fc.constantFrom(...RELAYS), targetSpecArb()), { minLength: 1, maxLength: 3 })
  .map((specs) => {
    const index = fromRelayTargets(
      specs.map(([relay, spec]) => {
        const t = toTarget(spec)
        return { relay, repos: [...spec.full, ...spec.stateOnly], rootEvents: t.rootEvents } as unknown as RelayTarget
      })
    )
    return { index, specs }
  })

/** Events near every relay's target (its own values under every tag name and kind) and strangers. */
const withEventsArb = desiredArb.chain(({ index, specs }) =>
  fc.tuple(
    fc.constant(index),
    fc.array(fc.oneof(...specs.map(([, s]: readonly [string, TargetSpec]) => eventNearArb(s))), { minLength: 1, maxLength: 16 })
  )
)

const targetOf = (index: RelayIndex, relay: string): RelayTarget => O.getOrElse((): RelayTarget => ({ relay: relay as never, repos: [], rootEvents: {} }))(relayTarget(relay)(index))

describe('wants: the exact GRASP-02 predicate', () => {
  const reached = { exact: 0, owners: 0, overFetched: 0, wanted: 0 }
  test.prop([withEventsArb, limitsArb, fc.constantFrom('auto', 'exact', 'owners' as const), fc.integer({ min: 1, max: 4 })], { numRuns: 250 })(
    'wants is the oracle; every event it accepts matches the relay filters; exact filters over-fetch nothing, coarse ones only state events of the owners',
    ([index, events], limits, strategy, maxConnections) => {
      for (const relay of relays(index)) {
        const target = targetOf(index, relay)
        const want = wants(index, relay, limits)
        const options = { strategy, maxConnections } as const
        const filters = relayFilters(index, relay, limits, options)
        const used = relayCapacity(index, relay, limits, options).strategy
        reached[used]++
        const owners = new Set(target.repos.map((r) => r.split(':')[1]))
        for (const e of events) {
          const w = want(e)
          expect(w).toBe(wanted(target, e))
          if (w) {
            reached.wanted++
            expect(covers(filters, e)).toBe(true)
          } else if (covers(filters, e)) {
            reached.overFetched++
            expect(used).toBe('owners')
            expect(e.kind).toBe(30618)
            expect(owners.has(e.pubkey)).toBe(true)
          }
        }
      }
    }
  )
  it('the property reaches both strategies, wanted events and over-fetch', () => {
    expect(reached.exact).toBeGreaterThan(50)
    expect(reached.owners).toBeGreaterThan(50)
    expect(reached.wanted).toBeGreaterThan(200)
    expect(reached.overFetched).toBeGreaterThan(5)
  })

  test.prop([desiredArb, limitsArb, fc.constantFrom('auto', 'exact', 'owners' as const), fc.integer({ min: 1, max: 4 })], { numRuns: 150 })(
    'every message of every strategy is within the limits, per connection within the budget',
    ({ index }, limits, strategy, maxConnections) => {
      const resolved = relayLimits(limits).limits
      for (const relay of relays(index)) {
        const mode = liveMode(resolved)
        const l = layout(targetOf(index, relay), resolved, { ...mode, budget: (mode.budget ?? 1) * maxConnections, strategy })
        // an incremental planner reads the whole target's choice: the same as the layout's
        if (strategy === 'auto') expect(chooseStrategy(targetOf(index, relay), resolved, mode)).toBe(l.strategy)
        expect(l.subscriptions.length).toBeLessThanOrEqual(liveSubscriptionBudget(resolved) * maxConnections)
        for (const s of [...l.subscriptions, ...l.overflow]) expect(checkMessage(limits)(['REQ', s.id, ...s.filters])).toEqual([])
        const ids = [...l.subscriptions, ...l.overflow].map((s) => s.id)
        expect(new Set(ids).size).toBe(ids.length)
        const c = relayCapacity(index, relay, limits, { strategy, maxConnections })
        expect(c.overflow).toBe(l.overflow.length)
        expect(c.connections).toBe(Math.max(1, Math.ceil((l.subscriptions.length + l.overflow.length) / liveSubscriptionBudget(resolved))))
      }
    }
  )

  it('auto never needs more connections than exact, and owners never more than auto', () => {
    fc.assert(
      fc.property(desiredArb, limitsArb, ({ index }, limits) => {
        for (const relay of relays(index)) {
          const of = (strategy: 'auto' | 'exact' | 'owners') => relayCapacity(index, relay, limits, { strategy, maxConnections: 1000 }).connections
          expect(of('auto')).toBeLessThanOrEqual(of('exact'))
          expect(of('owners')).toBeLessThanOrEqual(of('auto'))
        }
      }),
      { numRuns: 100 }
    )
  })

  describe('coarse plans are as stable as exact ones: adding one atom changes or closes at most one existing slot', () => {
    const coarse = (spec: TargetSpec, limits: Parameters<typeof relayLimits>[0]) => {
      const l = relayLimits(limits).limits
      return layout(toTarget(spec), l, { ...liveMode(l), budget: 100_000, strategy: 'owners' }).subscriptions
    }
    const touched = (before: ReadonlyArray<Subscription>, after: ReadonlyArray<Subscription>): Set<string> => {
      const kept = new Map(after.map((s) => [s.id, JSON.stringify(s.filters)]))
      return new Set(before.filter((s) => kept.get(s.id) !== JSON.stringify(s.filters)).map((s) => s.slot.replace(/\.\d+$/, '')))
    }
    let several = 0
    test.prop([withNewRepoArb(), limitsArb], { numRuns: 200 })('a repository', ({ spec, extra }, limits) => {
      const before = coarse(spec, limits)
      if (before.length > 2) several++
      expect(touched(before, coarse({ ...spec, full: [...spec.full, extra] }, limits)).size).toBeLessThanOrEqual(1)
    })
    test.prop([withNewRootArb(), limitsArb], { numRuns: 200 })('a root event', ({ spec, id }, limits) => {
      const before = coarse(spec, limits)
      if (before.length > 2) several++
      expect(touched(before, coarse(withRoot(spec, id), limits)).size).toBeLessThanOrEqual(1)
    })
    it('most runs have several slots', () => expect(several).toBeGreaterThan(200))
  })

  it('is total: anything that is not an event is not wanted; a relay not in the index wants nothing', () => {
    const owner = 'a'.repeat(64)
    const repo = `30617:${owner}:x`
    const index = fromRelayTargets([{ relay: 'wss://r.example', repos: [repo], rootEvents: { [repo]: ['1'.repeat(64)] } }] as never)
    const w = wants(index, 'wss://r.example')
    const ok = { id: '0'.repeat(64), pubkey: owner, kind: 1630, created_at: 1, tags: [['e', '1'.repeat(64)]], content: '', sig: '' }
    expect(w(ok)).toBe(true)
    const throwingTags = new Proxy([], { get: () => { throw new Error('trap') } })
    for (const bad of [
      null, undefined, 42, 'x', [], [ok], trap(), trap({ kind: 1630 }),
      { ...ok, tags: 'e' }, { ...ok, tags: [['e', '1'.repeat(64)], 'e'] }, { ...ok, kind: '1630' }, { ...ok, kind: 1.5 },
      { ...ok, id: 1 }, { ...ok, pubkey: null }, { ...ok, created_at: 'now' }, { ...ok, tags: throwingTags },
      new Proxy(ok, { get: () => { throw new Error('trap') } })
    ])
      expect(w(bad)).toBe(false)
    expect(w({ ...ok, tags: [['e', 1], ['E', null], ['q', '2'.repeat(64)], ['x', '1'.repeat(64)]] })).toBe(false)
    expect(wants(index, 'wss://other.example')(ok)).toBe(false)
    expect(wants(emptyRelayIndex, 'wss://r.example')(ok)).toBe(false)
    for (const badIndex of [null, 42, {}, trap()]) expect(wants(badIndex as never, 'wss://r.example')(ok)).toBe(false)
    expect(wants(index, trap() as never)(ok)).toBe(false)
    expect(wants(index, 'wss://r.example', trap() as never)(ok)).toBe(true)
    expect(relayCapacity(trap() as never, trap() as never, trap() as never, trap() as never).connections).toBe(0)
    expect(relayFilters(index, 'wss://r.example', undefined, trap() as never).length).toBeGreaterThan(0)
  })
})

// ---------------------------------------------------------------------------------------------
// The capacity case

const hex = (s: string): string => sha256Hex(s)
const N_REPOS = 5000
const N_ROOTS = 50_000
const repos = Array.from({ length: N_REPOS }, (_, i) => `30617:${hex(`owner ${i}`)}:repo-${i}`)
const roots = Array.from({ length: N_ROOTS }, (_, j) => hex(`root ${j}`))
const rootEvents: Record<string, Array<string>> = {}
roots.forEach((id, j) => (rootEvents[repos[j % N_REPOS] as string] ??= []).push(id))
const RELAY = 'wss://popular.example'
/** Untracked repositories of 1 000 of the owners, listed on another relay (the known over-fetch). */
const untracked = Array.from({ length: 1000 }, (_, i) => `30617:${hex(`owner ${i * 5}`)}:other-${i}`)
const desired = fromRelayTargets([
  { relay: RELAY, repos, rootEvents },
  { relay: 'wss://elsewhere.example', repos: untracked, rootEvents: {} }
] as never)

/** The values a list of filters asks for, per key (`authors` of state filters as `30618`). */
const valuesOf = (subs: ReadonlyArray<Subscription>): Map<string, Set<string>> => {
  const out = new Map<string, Set<string>>()
  const add = (k: string, vs: ReadonlyArray<string> | undefined) => {
    let s = out.get(k)
    if (s === undefined) out.set(k, (s = new Set()))
    for (const v of vs ?? []) s.add(v)
  }
  for (const s of subs)
    for (const f of s.filters) {
      if (f.kinds?.includes(30618)) {
        expect(f['#d']).toBeUndefined()
        add('30618', f.authors)
      }
      for (const k of ['#a', '#A', '#q', '#e', '#E'] as const) if (f[k] !== undefined) add(k, f[k])
    }
  return out
}

const figures = (label: string, limits: RelayLimits, subs: ReadonlyArray<Subscription>): { connections: number; subscriptions: number; filters: number; bytes: number } => {
  const filters = subs.reduce((n, s) => n + s.filters.length, 0)
  const bytes = subs.reduce((n, s) => n + new TextEncoder().encode(JSON.stringify(['REQ', s.id, ...s.filters])).length, 0)
  const connections = Math.ceil(subs.length / liveSubscriptionBudget(limits))
  console.log(`${label}: ${subs.length} subscriptions on ${connections} connection(s), ${filters} filters, ${(bytes / 1e6).toFixed(2)} MB of REQs`)
  return { connections, subscriptions: subs.length, filters, bytes }
}

/** The live layout over 16 connections, computed once for the tests below. */
let memo: Layout | undefined
const live = (): Layout => (memo ??= capacityLayout(targetOf(desired, RELAY), defaultRelayLimits, { maxConnections: 16 }))

describe('the capacity case: 5 000 repositories of distinct owners, 50 000 root events, default limits', () => {
  const limits = defaultRelayLimits
  const budget = liveSubscriptionBudget(limits)

  it('live: coarse state filters over 15 connections cover every value; every message and connection is within the limits', () => {
    const c = relayCapacity(desired, RELAY, undefined, { maxConnections: 16 })
    console.log(`capacity case: ${JSON.stringify(c)}`)
    expect(c.strategy).toBe('owners')
    expect(c.overflow).toBe(0)
    expect(c.connections).toBeLessThanOrEqual(16)
    expect(c.overFetch.statePairs).toBe(1000)
    expect(c.repositories).toBe(N_REPOS)
    expect(c.owners).toBe(N_REPOS)
    expect(c.rootEvents).toBe(N_ROOTS)
    const l = live()
    expect(l.strategy).toBe('owners')
    expect(l.overflow).toEqual([])
    // cut over connections as the engine cuts it: each within the subscription budget
    const perConnection: Array<ReadonlyArray<Subscription>> = []
    for (let i = 0; i < l.subscriptions.length; i += budget) perConnection.push(l.subscriptions.slice(i, i + budget))
    expect(perConnection.length).toBe(c.connections)
    for (const conn of perConnection) expect(conn.length + limits.reservedSubscriptions).toBeLessThanOrEqual(limits.maxSubscriptions)
    for (const s of l.subscriptions) expect(checkMessage(limits)(['REQ', s.id, ...s.filters])).toEqual([])
    const f = figures('capacity case, live', limits, l.subscriptions)
    expect(f.filters).toBe(c.filters)
    // every tracked value is asked for (coverage by value: the filters are exact lists of values)
    const v = valuesOf(l.subscriptions)
    const owners = repos.map((r) => r.split(':')[1] as string)
    for (const o of owners) expect(v.get('30618')?.has(o)).toBe(true)
    for (const r of repos) for (const k of ['#a', '#A', '#q']) expect(v.get(k)?.has(r)).toBe(true)
    for (const id of roots) for (const k of ['#e', '#E', '#q']) expect(v.get(k)?.has(id)).toBe(true)
    // relayFilters returns exactly these filters, across the connections
    expect(relayFilters(desired, RELAY, undefined, { maxConnections: 16 })).toEqual(l.subscriptions.flatMap((s) => s.filters))
    // under the engine's default 8 connections the rest is overflow, reported, never over a budget
    const eight = relayCapacity(desired, RELAY)
    expect(eight.subscriptions).toBe(8 * budget)
    expect(eight.overflow).toBe(c.subscriptions - 8 * budget)
  })

  it('exact filters would need twice the connections', () => {
    const exact = relayCapacity(desired, RELAY, undefined, { maxConnections: 1000, strategy: 'exact' })
    console.log(`capacity case, exact: ${exact.connections} connections, ${exact.subscriptions} subscriptions, ${exact.filters} filters`)
    expect(exact.connections).toBeGreaterThan(relayCapacity(desired, RELAY, undefined, { maxConnections: 16 }).connections)
  })

  it('history: the same coverage, every page within the limits', () => {
    const h = layout(targetOf(desired, RELAY), limits, historyMode(0, limits, true, 'auto'))
    expect(h.strategy).toBe('owners')
    for (const s of h.subscriptions) {
      expect(checkMessage(limits)(['REQ', s.id, ...s.filters])).toEqual([])
      const widened = s.filters.map((f) => ({ ...f, since: Number.MAX_SAFE_INTEGER, until: Number.MAX_SAFE_INTEGER }))
      expect(checkMessage(limits)(['REQ', s.id, ...widened])).toEqual([])
    }
    figures('capacity case, history', limits, h.subscriptions)
    const v = valuesOf(h.subscriptions)
    for (const id of roots) for (const k of ['#e', '#E', '#q']) expect(v.get(k)?.has(id)).toBe(true)
    for (const r of repos) for (const k of ['#a', '#A', '#q']) expect(v.get(k)?.has(r)).toBe(true)
    expect(v.get('30618')?.size).toBe(N_REPOS)
  })

  it('wants accepts every wanted event of a generated relay store, which all match the filters; the measured over-fetch is the untracked state events', () => {
    const filters = live().subscriptions.flatMap((s) => s.filters)
    const want = wants(desired, RELAY)
    const ev = (kind: number, pubkey: string, tags: Array<Array<string>>, i: number): Event =>
      ({ id: hex(`event ${i}`), pubkey, kind, created_at: 1_700_000_000 + i, tags, content: '', sig: '0'.repeat(128) }) as Event
    // a relay store: wanted events of every kind, the state events of the untracked repositories
    // of the same owners (over-fetch), and strangers
    const store: Array<Event> = []
    let i = 0
    const stranger = hex('stranger')
    const K = 150
    for (let k = 0; k < K; k++) {
      const r = repos[(k * 37) % N_REPOS] as string
      const [, owner, d] = r.split(':') as [string, string, string]
      const root = roots[(k * 101) % N_ROOTS] as string
      store.push(ev(30618, owner, [['d', d]], i++), ev(1621, stranger, [['a', r]], i++), ev(1111, stranger, [['A', r]], i++))
      store.push(ev(1630, owner, [['e', root, '', 'root']], i++), ev(1111, stranger, [['E', root]], i++), ev(1, stranger, [['q', root]], i++))
      store.push(ev(30617, owner, [['d', `new-${k}`]], i++))
    }
    for (const r of untracked.slice(0, K)) {
      const [, owner, d] = r.split(':') as [string, string, string]
      store.push(ev(30618, owner, [['d', d]], i++))
    }
    for (let k = 0; k < K; k++) store.push(ev(30618, hex(`nobody ${k}`), [['d', 'x']], i++), ev(1621, stranger, [['a', `30617:${stranger}:x`]], i++), ev(1, stranger, [], i++))
    // index the filters once (matchFilters over 2 700 filters per event is slow in a unit test): check
    // every wanted event and a sample of the others with nostr-tools, count the rest from the index
    let wantedCount = 0
    let overFetched = 0
    let checked = 0
    for (const [n, e] of store.entries()) {
      const w = want(e)
      if (w) wantedCount++
      if (w || n % 7 === 0) {
        const m = covers(filters, e)
        checked++
        if (w) expect(m).toBe(true)
        else if (m) overFetched++
      }
    }
    expect(wantedCount).toBe(K * 7)
    // the over-fetch: exactly the state events of the tracked owners' untracked repositories
    const over = store.filter((e) => !want(e) && e.kind === 30618 && covers(filters, e))
    expect(over.length).toBe(K)
    expect(overFetched).toBe(store.filter((e, n) => n % 7 === 0 && over.includes(e)).length)
    console.log(`capacity case, store of ${store.length} events: ${wantedCount} wanted, ${over.length} over-fetched (state events of untracked repositories of tracked owners), ${checked} checked with matchFilters`)
  })

  it('1 000 repositories of distinct owners: one connection', () => {
    const small = fromRelayTargets([{ relay: RELAY, repos: repos.slice(0, 1000), rootEvents: {} }] as never)
    const c = relayCapacity(small, RELAY)
    console.log(`1 000 repositories: ${JSON.stringify(c)}`)
    expect(c.strategy).toBe('owners')
    expect(c.connections).toBe(1)
    const exact = relayCapacity(small, RELAY, undefined, { strategy: 'exact' })
    console.log(`1 000 repositories, exact: ${exact.connections} connections, ${exact.subscriptions} subscriptions, ${exact.filters} filters`)
    expect(exact.connections).toBeGreaterThan(1)
  })
})
