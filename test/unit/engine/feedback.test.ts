/**
 * Host feedback that changes more than one attempt: refusals that teach a relay's limits
 * (`CLOSED`, `NOTICE`), rate limiting, the engine's own request timeout, the status an executor
 * shows, and the engine snapshot (`encodeEngine` / `decodeEngine`).
 */
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { either as E, option as O } from 'fp-ts'
import {
  decodeEngine,
  encodeEngine,
  engineNextDue,
  engineRelay,
  engineRepoIndex,
  isSettled,
  repoRefs,
  step,
  syncEngine,
  type RelayStatus,
  type SyncEngine
} from '../../../src/index.js'
import { BOOTSTRAP, OWN } from '../../support/arbitraries.js'
import { announce } from '../../support/helpers.js'
import { Host } from '../../support/engineSim.js'

const R = 'wss://r1.example'
const T0 = 1_700_000_000
const config = { ownRelays: [OWN], bootstrapRelays: [BOOTSTRAP], verify: false }
const pkOf = (i: number) => i.toString(16).padStart(64, '0')
const repos = (n: number, relay = R) => Array.from({ length: n }, (_, i) => announce(`r${i}`, [relay], { pubkey: pkOf(i + 1) }))
const status = (e: SyncEngine, relay = R): RelayStatus => O.toUndefined(engineRelay(relay)(e)) as RelayStatus

describe('refusals teach limits', () => {
  it('CLOSED "too many subscriptions": the relay is re-planned under fewer per connection, on more connections, and settles', () => {
    const h = new Host(syncEngine(config, { maxConnectionsPerRelay: 8, strategy: 'exact' }))
    h.step({ _tag: 'Events', events: repos(100), now: T0 })
    const before = status(h.engine)
    expect(before.plan.length).toBe(1)
    // the relay holds 7 and refuses the next
    const c = h.net.conn(R, 0)
    const refused = c.pending[7]!
    h.net.refuse(R, 0, refused)
    const r = h.step({ _tag: 'Closed', relay: R, id: refused, reason: 'error: too many subscriptions', now: T0 + 1 })
    expect(r.problems.map((p) => p.code)).toEqual(['closed', 'learned-limits'])
    const after = status(h.engine)
    expect(after.learned.maxSubscriptions).toBeLessThan(before.limits.maxSubscriptions)
    expect(after.limits.maxSubscriptions).toBe(after.learned.maxSubscriptions)
    expect(after.plan.length).toBeGreaterThan(1)
    for (const p of after.plan) expect(p.length).toBeLessThanOrEqual(after.limits.maxSubscriptions - after.limits.reservedSubscriptions)
    h.settle(500)
    expect(isSettled(h.engine)).toBe(true)
    expect(h.net.violations).toEqual([])
  })

  it('CLOSED "error: too many filters": every REQ after it has at most half the refused filters (never less than half the default)', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(40), now: T0 })
    const c = h.net.conn(R, 0)
    const [id, filters] = [...c.open].sort((a, b) => b[1].length - a[1].length)[0]!
    h.net.refuse(R, 0, id)
    const r = h.step({ _tag: 'Closed', relay: R, id, reason: 'error: too many filters', now: T0 + 1 })
    const learned = status(h.engine).learned.maxFiltersPerReq!
    expect(learned).toBeLessThanOrEqual(Math.max(10, Math.floor(filters.length / 2)))
    expect(learned).toBeLessThan(filters.length)
    for (const b of r.batches) for (const m of b.messages) if (m[0] === 'REQ') expect(m.length - 2).toBeLessThanOrEqual(learned)
    h.settle(500)
    expect(isSettled(h.engine)).toBe(true)
  })

  it('NOTICE "too many concurrent REQs" (older strfry): the pending attempts are closed and retried under learned limits', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(100), now: T0 })
    const pending = h.net.conn(R, 0).pending.length
    const r = h.step({ _tag: 'Notice', relay: R, message: 'ERROR: too many concurrent REQs', now: T0 + 1 })
    expect(r.problems.map((p) => p.code)).toEqual(['notice', 'learned-limits'])
    expect(status(h.engine).learned.maxSubscriptions).toBe(pending - 1)
    expect(r.batches.flatMap((b) => b.messages).some((m) => m[0] === 'CLOSE')).toBe(true)
    h.settle(500)
    expect(isSettled(h.engine)).toBe(true)
    expect(h.net.violations).toEqual([])
  })

  it('CLOSED "rate-limited:": no limit is learned; the attempt waits for its backoff', () => {
    const h = new Host(syncEngine(config, { retryDelay: 10 }))
    h.step({ _tag: 'Events', events: repos(3), now: T0 })
    const [id] = h.net.conn(R, 0).pending
    h.net.refuse(R, 0, id!)
    const r = h.step({ _tag: 'Closed', relay: R, id: id!, reason: 'rate-limited: slow down', now: T0 + 1 })
    expect(r.problems.map((p) => p.code)).toEqual(['closed'])
    expect(status(h.engine).learned).toEqual({})
    expect(engineNextDue(h.engine)).toBe(T0 + 11)
    expect(h.step({ _tag: 'Tick', now: T0 + 5 }).batches).toEqual([])
    expect(h.step({ _tag: 'Tick', now: T0 + 11 }).batches.flatMap((b) => b.messages).map((m) => m[0])).toEqual(['REQ'])
  })
})

describe('request timeout', () => {
  it('a REQ with neither EOSE nor CLOSED within requestTimeout is closed and retried by a Tick, under a new id', () => {
    const h = new Host(syncEngine(config, { requestTimeout: 30 }))
    h.step({ _tag: 'Events', events: repos(2), now: T0 })
    const ids = [...h.net.conn(R, 0).pending]
    expect(h.step({ _tag: 'Tick', now: T0 + 29 }).batches).toEqual([])
    const r = h.step({ _tag: 'Tick', now: T0 + 30 })
    const messages = r.batches.filter((b) => b.relay === R).flatMap((b) => b.messages)
    expect(messages.filter((m) => m[0] === 'CLOSE').map((m) => m[1]).sort()).toEqual([...ids].sort())
    const retried = messages.filter((m) => m[0] === 'REQ').map((m) => m[1])
    expect(retried).toHaveLength(ids.length)
    for (const id of retried) expect(ids).not.toContain(id)
  })

  it('requestTimeout 0: only the host times out', () => {
    const h = new Host(syncEngine(config, { requestTimeout: 0 }))
    h.step({ _tag: 'Events', events: repos(2), now: T0 })
    expect(h.step({ _tag: 'Tick', now: T0 + 10_000 }).batches).toEqual([])
  })
})

describe('status for an executor', () => {
  it('connected, subscriptions, open, in flight, history left, caught up, last EOSE', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(3), now: T0 })
    const s0 = status(h.engine)
    expect([s0.connected, s0.open, s0.caughtUp, s0.lastEose]).toEqual([true, 0, false, undefined])
    expect(s0.inFlight).toBe(h.net.conn(R, 0).pending.length)
    expect(s0.subscriptions).toBe(s0.plan.flat().length)
    expect(s0.historyLeft).toBeGreaterThan(0)
    expect(s0.connections[0]!.inFlight).toBe(s0.inFlight)
    h.settle()
    const s1 = status(h.engine)
    expect([s1.connected, s1.open, s1.inFlight, s1.historyLeft, s1.caughtUp, s1.settled]).toEqual([true, s1.subscriptions, 0, 0, true, true])
    expect(s1.lastEose).toBeGreaterThanOrEqual(T0)
    expect(engineNextDue(h.engine)).toBe(undefined)
    h.net.drop(R, 0)
    h.step({ _tag: 'Disconnected', relay: R, socket: 0, now: h.now })
    const s2 = status(h.engine)
    expect([s2.connected, s2.caughtUp, s2.connections[0]!.up]).toEqual([false, false, false])
    expect(s2.connections[0]!.reconnectAt).toBe(s2.nextDue)
    expect(engineNextDue(h.engine)).toBe(s2.nextDue)
  })
})

describe('engine snapshot', () => {
  it('keeps last EOSE, limits and learned caps; a restored engine reconnects with history from the last EOSE minus the window', () => {
    const h = new Host(syncEngine(config, { reconnectWindow: 600 }))
    h.step({ _tag: 'Events', events: repos(3), now: T0 })
    h.step({ _tag: 'Limits', relay: R, limits: { maxSubscriptions: 12 }, now: T0 })
    h.settle()
    const lastEose = status(h.engine).lastEose!
    const snapshot = JSON.parse(JSON.stringify(encodeEngine(h.engine)))
    expect(snapshot.relays.find((r: { relay: string }) => r.relay === R)).toMatchObject({ relay: R, lastEose, limits: { maxSubscriptions: 12 } })
    const restored = decodeEngine(snapshot, { config, options: { reconnectWindow: 600 }, index: engineRepoIndex(h.engine) })
    expect(E.isRight(restored)).toBe(true)
    const e = (restored as E.Right<SyncEngine>).right
    expect(repoRefs(engineRepoIndex(e))).toHaveLength(3)
    const first = step({ _tag: 'Events', events: [], now: lastEose + 5 })(e)
    const batch = first.batches.find((b) => b.relay === R)!
    expect(batch.connection).toBe('open')
    const history = batch.messages.filter((m) => m[0] === 'REQ' && m[1].startsWith('n34h'))
    expect(history.length).toBeGreaterThan(0)
    for (const m of history) for (const f of m.slice(2) as Array<{ since?: number }>) expect(f.since).toBe(lastEose - 600)
    expect(status(first.engine).limits.maxSubscriptions).toBe(12)
    expect(encodeEngine(first.engine).relays.find((r) => r.relay === R)?.lastEose).toBe(lastEose)
  })

  it('decode(encode(e)) encodes the same', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(2), now: T0 })
    h.settle()
    const s = encodeEngine(h.engine)
    const back = decodeEngine(JSON.stringify(s), { config, index: engineRepoIndex(h.engine) })
    expect(E.isRight(back) && encodeEngine(back.right)).toEqual(s)
  })

  it('garbage is a Left with a code', () => {
    expect(decodeEngine('{"trunc', { config })).toEqual(E.left({ code: 'not-json', message: expect.any(String) }))
    expect(E.isLeft(decodeEngine({ format: 'nip34-sync/Engine', version: 2 }, { config }))).toBe(true)
    const ok = encodeEngine(syncEngine(config))
    expect(E.isLeft(decodeEngine({ ...ok, now: -1 }, { config }))).toBe(true)
    expect(E.isLeft(decodeEngine({ ...ok, relays: [{ relay: R, lastEose: 'x' }] }, { config }))).toBe(true)
    expect(E.isLeft(decodeEngine({ ...ok, relays: [{ relay: R }, { relay: R }] }, { config }))).toBe(true)
    expect(E.isLeft(decodeEngine(ok, { config, index: {} as never }))).toBe(true)
    const hostile = new Proxy({}, { get: () => { throw new Error('boom') }, ownKeys: () => { throw new Error('boom') } })
    expect(E.isLeft(decodeEngine(hostile, { config }))).toBe(true)
  })

  test.prop([fc.anything(), fc.anything()], { numRuns: 500 })('decodeEngine answers any value and never throws', (u, restore) => {
    const r = decodeEngine(u, restore as never)
    expect(E.isLeft(r) || E.isRight(r)).toBe(true)
  })
})

describe('strategy (capacity): auto', () => {
  it('1 000 repositories of distinct owners: auto asks the state layer by owners, on one connection, and settles', () => {
    const h = new Host(syncEngine(config, { strategy: 'auto' }))
    h.step({ _tag: 'Events', events: repos(1000), now: T0 })
    const st = status(h.engine)
    expect([st.strategy, st.plan.length, st.connectionsNeeded]).toEqual(['owners', 1, 1])
    h.settle(400)
    expect(isSettled(h.engine)).toBe(true)
    expect(h.net.violations).toEqual([])
  })

  it('the default is auto since 0.3.0 (1 000 repositories of distinct owners: one connection, coarse state filters)', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(1000), now: T0 })
    const st = status(h.engine)
    expect(st.strategy).toBe('owners')
    expect(st.connectionsNeeded).toBe(st.plan.length)
    expect(st.plan.length).toBe(1)
    const exact = new Host(syncEngine(config, { strategy: 'exact' }))
    exact.step({ _tag: 'Events', events: repos(1000), now: T0 })
    expect(status(exact.engine).strategy).toBe('exact')
    expect(status(exact.engine).plan.length).toBeGreaterThan(1)
  })
})

describe('a relay that refuses everything costs a bounded number of REQs (review F12)', () => {
  /** Every REQ to R is answered CLOSED with `reason`; a Tick each simulated minute. REQs sent to R. */
  const refusedFor = (reason: string, minutes: number, n = 150): number => {
    let now = T0
    let r = step({ _tag: 'Events', events: repos(n), now })(syncEngine(config))
    let e = r.engine
    const reqs = (rr: typeof r) => rr.batches.filter((b) => b.relay === R).flatMap((b) => b.messages.filter((m) => m[0] === 'REQ').map((m) => ({ socket: b.socket, id: m[1] as string })))
    let todo = reqs(r)
    let sent = 0
    for (let minute = 0; minute < minutes; minute++) {
      const next: typeof todo = []
      for (const x of todo) {
        sent++
        r = step({ _tag: 'Closed', relay: R, socket: x.socket, id: x.id, reason, now })(e)
        e = r.engine
        next.push(...reqs(r))
      }
      now += 60
      r = step({ _tag: 'Tick', now })(e)
      e = r.engine
      todo = [...next, ...reqs(r)]
    }
    return sent
  }

  it('each refusal text: at most the plan once per backoff period, not one retry chain per subscription', () => {
    const minutes = 600
    const counts = Object.fromEntries(
      ['error: too many filters', 'error: too many subscriptions', 'error: message too large', 'rate-limited: slow down', 'blocked: no'].map((t) => [t, refusedFor(t, minutes)])
    )
    // maxRetryDelay 300 s: 120 backoff periods in 600 minutes; each costs at most the relay's plan
    // (before the floor and the connection backoff: 18 191 REQs for "too many filters", 6x the others)
    for (const [text, sent] of Object.entries(counts)) expect(sent, text).toBeLessThan(4_000)
    expect(counts['error: too many filters']).toBeLessThanOrEqual(counts['blocked: no']!)
  })

  it('"too many filters": the learned cap stops at half the default (10) and REQs at the floor refused again back off the connection', () => {
    let now = T0
    let r = step({ _tag: 'Events', events: repos(150), now })(syncEngine(config))
    let e = r.engine
    let reqs = r.batches.filter((b) => b.relay === R).flatMap((b) => b.messages.filter((m) => m[0] === 'REQ'))
    const sizes: Array<number> = []
    for (let round = 0; round < 6 && reqs.length > 0; round++) {
      const next: typeof reqs = []
      for (const m of reqs) {
        sizes.push(m.length - 2)
        r = step({ _tag: 'Closed', relay: R, socket: 0, id: m[1] as string, reason: 'error: too many filters', now })(e)
        e = r.engine
        next.push(...r.batches.filter((b) => b.relay === R).flatMap((b) => b.messages.filter((x) => x[0] === 'REQ')))
      }
      reqs = next
    }
    expect(status(e).limits.maxFiltersPerReq).toBe(10)
    expect(Math.max(...sizes.slice(-3))).toBeLessThanOrEqual(10)
    // the last round of one-filter refusals started nothing at once: the connection waits
    expect(reqs).toEqual([])
    const due = engineNextDue(e)
    expect(due).toBeGreaterThan(now)
    now += 1
    expect(step({ _tag: 'Tick', now })(e).batches.flatMap((b) => b.messages).filter((m) => m[0] === 'REQ')).toEqual([])
    expect(status(e).connections[0]?.failures).toBeGreaterThanOrEqual(1)
    // at the due time the attempts go out again; an answer (EOSE) ends the connection's backoff
    const t = step({ _tag: 'Tick', now: due! })(e)
    const again = t.batches.filter((b) => b.relay === R).flatMap((b) => b.messages.filter((m) => m[0] === 'REQ' && String(m[1]).startsWith('n34l')))
    expect(again.length).toBeGreaterThan(0)
    const answered = step({ _tag: 'Eose', relay: R, socket: 0, id: again[0]![1] as string, now: due! })(t.engine)
    expect(status(answered.engine).connections[0]?.failures).toBe(0)
  })
})
