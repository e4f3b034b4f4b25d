/**
 * NIP-77 negentropy for history, planned by the pure engine (src/engine/negentropy.ts).
 *
 * A small simulated network answers the engine: a relay holds events and speaks NIP-77 or fails
 * in one of the ways real relays do (`NEG-ERR`, a `NOTICE` naming the verb, no answer, a
 * `blocked:` NEG-ERR for a too large filter); the host's store is the "have" set, and what a
 * session finds missing is what the relay holds matching the session's filter and the store lacks.
 * The property's generator draws the relay's mode, how the engine learns to try it (a NIP-11
 * hint or `always`), limits small enough to cut the fetch by id into several filters and `REQ`s,
 * and a store that already holds part of the relay's events, so every branch is reached
 * (`fc.statistics` in the last test shows the shares). The claim: the host ends with at least the
 * events the same scenario fetches with paged `REQ`s only (`negentropy: 'off'`), and with all of
 * the relay's events when it speaks NIP-77 (paging misses a second holding more than `maxLimit`),
 * every message within the relay's limits, one filter per `NEG-OPEN`, support from evidence only.
 */
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { either as E, option as O } from 'fp-ts'
import { matchFilter, type Filter } from 'nostr-tools/filter'
import {
  checkMessage,
  decodeEngine,
  messageBytes,
  encodeEngine,
  engineRelay,
  isSettled,
  relayLimits,
  step,
  syncEngine,
  type EngineInput,
  type RelayLimits,
  type RelayNegentropy,
  type StepResult,
  type SyncEngine
} from '../../../src/index.js'
import { fetchRuns, negErrKind, readNeed, toSessions, NEG_MAX_NEED } from '../../../src/engine/negentropyPlan.js'
import { startPaging } from '../../../src/engine/Lifecycle.js'
import type { Run } from '../../../src/engine/state.js'
import { OWN } from '../../support/arbitraries.js'
import { announce, rootEvent } from '../../support/helpers.js'

const R = 'wss://neg.example'
const T0 = 1_700_000_000
type Ev = ReturnType<typeof announce>
type Mode = 'speaks' | 'err' | 'notice' | 'silent' | 'blocked' | 'closed'

const pkOf = (i: number) => (i + 1).toString(16).padStart(64, '0')

/** A relay's events: `repos` announcements listing it, `issues` issues per repository, at a few seconds only (same-second pages). */
const world = (repos: number, issues: number, spread: number): Array<Ev> => {
  const out: Array<Ev> = []
  for (let i = 0; i < repos; i++) {
    out.push(announce(`r${i}`, [R], { pubkey: pkOf(i), created_at: 100 + (i % spread) }))
    for (let j = 0; j < issues; j++) out.push(rootEvent(1621, [`30617:${pkOf(i)}:r${i}`], { created_at: 200 + ((i + j) % spread), content: `issue ${i} ${j}` }))
  }
  return out
}

interface Pending {
  readonly socket: number
  readonly id: string
  readonly neg: boolean
  readonly filters: ReadonlyArray<Filter>
}

/** The host around the engine: its store, the relay, the messages checked against the relay's limits. */
class Sim {
  engine: SyncEngine
  now = T0
  readonly have = new Map<string, Ev>()
  pending: Array<Pending> = []
  readonly violations: Array<string> = []
  readonly count = { negOpen: 0, pagedReq: 0, idsReq: 0, liveReq: 0, negClose: 0, results: 0, needs: 0, maxIdsReqs: 0 }
  readonly log: Array<StepResult> = []

  constructor(
    engine: SyncEngine,
    readonly events: ReadonlyArray<Ev>,
    readonly mode: Mode,
    readonly limits: RelayLimits
  ) {
    this.engine = engine
  }

  step(input: EngineInput): StepResult {
    const r = step(input)(this.engine)
    this.engine = r.engine
    this.log.push(r)
    for (const b of r.batches) {
      if (b.relay !== R) continue
      if (b.connection === 'open') this.pending = this.pending.filter((p) => p.socket !== b.socket)
      for (const m of b.messages) {
        for (const p of checkMessage(this.limits)(m)) this.violations.push(p)
        if (m[0] === 'CLOSE') {
          if (this.pending.some((p) => p.id === m[1] && p.neg)) this.count.negClose++
          this.pending = this.pending.filter((p) => p.id !== m[1])
          continue
        }
        const filters = m.slice(2) as Array<Filter>
        if (filters.every((f) => f.limit === 0)) this.count.liveReq++
        else if (filters.every((f) => Array.isArray(f.ids))) {
          this.count.idsReq++
          for (const f of filters) if ((f.ids ?? []).length > this.limits.maxLimit) this.violations.push(`ids filter of ${f.ids?.length} ids`)
        } else this.count.pagedReq++
        this.pending = [...this.pending.filter((p) => p.id !== m[1]), { socket: b.socket, id: m[1], neg: false, filters }]
      }
      for (const s of b.negentropy ?? []) {
        this.count.negOpen++
        if ('limit' in s.filter) this.violations.push('a NEG-OPEN filter with a limit')
        this.pending.push({ socket: b.socket, id: s.id, neg: true, filters: [s.filter as Filter] })
      }
      if (b.connection === 'close') this.pending = this.pending.filter((p) => p.socket !== b.socket)
    }
    return r
  }

  /** What the relay answers a REQ: per filter, its newest `limit` matching events. */
  answer(filters: ReadonlyArray<Filter>): Array<Ev> {
    const out = new Map<string, Ev>()
    for (const f of filters) {
      const hits = this.events.filter((e) => matchFilter(f, e as never)).sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1))
      for (const e of hits.slice(0, f.limit ?? hits.length)) out.set(e.id, e)
    }
    return [...out.values()]
  }

  receive(events: ReadonlyArray<Ev>): void {
    const fresh = events.filter((e) => !this.have.has(e.id))
    for (const e of fresh) this.have.set(e.id, e)
    if (fresh.length > 0) this.step({ _tag: 'Events', events: fresh, now: this.now })
  }

  /** Answers everything outstanding, ticking past timeouts and backoffs, until the engine is settled. */
  run(max = 20_000): void {
    for (let i = 0; i < max && !isSettled(this.engine); i++) {
      const p = this.pending.shift()
      if (p === undefined) {
        this.now += 120
        this.step({ _tag: 'Tick', now: this.now })
        continue
      }
      this.now += 1
      if (!p.neg) {
        const page = this.answer(p.filters)
        this.receive(page)
        this.step({ _tag: 'Eose', relay: R, socket: p.socket, id: p.id, events: page, now: this.now })
        continue
      }
      switch (this.mode) {
        case 'speaks': {
          const need = this.answer(p.filters).filter((e) => !this.have.has(e.id)).map((e) => e.id)
          this.count.results++
          this.count.needs += need.length
          const before = this.count.idsReq
          this.step({ _tag: 'NegentropyResult', relay: R, socket: p.socket, id: p.id, need, now: this.now })
          this.count.maxIdsReqs = Math.max(this.count.maxIdsReqs, this.count.idsReq - before)
          break
        }
        case 'err':
          this.step({ _tag: 'NegentropyError', relay: R, socket: p.socket, id: p.id, reason: 'error: negentropy disabled', now: this.now })
          break
        case 'closed':
          this.step({ _tag: 'Closed', relay: R, socket: p.socket, id: p.id, reason: 'error: unknown subscription', now: this.now })
          break
        case 'blocked':
          this.step({ _tag: 'NegentropyError', relay: R, socket: p.socket, id: p.id, reason: 'blocked: too many query results', now: this.now })
          break
        case 'notice':
          this.step({ _tag: 'Notice', relay: R, socket: p.socket, message: 'ERROR: bad msg: unknown cmd NEG-OPEN', now: this.now })
          break
        case 'silent':
          // no answer: the engine's own request timeout (a Tick past it) fails the session
          this.pending.push(p)
          this.now += 61
          this.step({ _tag: 'Tick', now: this.now })
          break
      }
    }
  }
}

const neg = (e: SyncEngine): RelayNegentropy | undefined => O.toUndefined(engineRelay(R)(e))?.negentropy

interface Scenario {
  readonly repos: number
  readonly issues: number
  readonly spread: number
  readonly stored: number
  readonly mode: Mode
  readonly learn: 'hint' | 'always'
  readonly limits: RelayLimits
}

const simulate = (s: Scenario, negentropy: 'auto' | 'always' | 'off'): Sim => {
  const events = world(s.repos, s.issues, s.spread)
  const engine = syncEngine({ ownRelays: [OWN], bootstrapRelays: [R], verify: false }, { negentropy, limits: s.limits, retryDelay: 1, maxRetryDelay: 4 })
  const sim = new Sim(engine, events, s.mode, s.limits)
  if (negentropy !== 'off' && s.learn === 'hint') sim.step({ _tag: 'Nips', relay: R, nips: [1, 11, 77], now: T0 })
  // the own relay already holds some of the relay's events (every `stored`-th)
  sim.receive(events.filter((_, i) => s.stored > 0 && i % s.stored === 0))
  if (sim.have.size === 0) sim.step({ _tag: 'Events', events: [], now: T0 })
  if (negentropy !== 'off' && s.learn === 'hint') sim.step({ _tag: 'Nips', relay: R, nips: [1, 11, 77], now: T0 })
  sim.run()
  return sim
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  repos: fc.integer({ min: 1, max: 8 }),
  issues: fc.integer({ min: 0, max: 4 }),
  spread: fc.integer({ min: 1, max: 5 }),
  stored: fc.constantFrom(0, 1, 2, 3),
  mode: fc.constantFrom<Mode>('speaks', 'speaks', 'speaks', 'err', 'notice', 'silent', 'blocked', 'closed'),
  learn: fc.constantFrom<'hint' | 'always'>('hint', 'always'),
  limits: fc
    .record({ maxLimit: fc.integer({ min: 2, max: 12 }), maxFiltersPerReq: fc.integer({ min: 1, max: 4 }), maxMessageBytes: fc.constantFrom(4096, 8192, 65_536) })
    .map((l) => relayLimits(l).limits)
})

describe('negentropy planning', () => {
  it('toSessions: one session per filter left to fetch, each with its paged cursor as the fall back', () => {
    const limits = relayLimits({}).limits
    const run: Run = {
      job: 1,
      slot: 'n34hx',
      cursors: [startPaging({ kinds: [30617], since: 50 }, limits), startPaging({ '#a': ['x'], limit: 10 }, limits)],
      status: 'queued',
      socket: -1,
      wire: '',
      mayBeOpen: false,
      retryAt: 0,
      failures: 0,
      sentAt: 0
    }
    const sessions = toSessions([run], limits)
    expect(sessions.map((s) => [s.slot, s.neg?.phase, s.neg?.filter])).toEqual([
      ['n34hx.0', 'session', { kinds: [30617], since: 50 }],
      ['n34hx.1', 'session', { '#a': ['x'] }]
    ])
    expect(sessions.every((s) => s.cursors.length === 1)).toBe(true)
  })

  test.prop([fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1024, max: 200_000 }), fc.integer({ min: 0, max: 100 }), fc.boolean()])(
    "fetchRuns: every id once, in the session's filter (ids alone when it leaves no room), each filter at most maxLimit ids, each REQ within maxFiltersPerReq and maxMessageBytes",
    (n, maxLimit, maxFiltersPerReq, maxMessageBytes, tags, since) => {
      const limits = relayLimits({ maxLimit, maxFiltersPerReq, maxMessageBytes }).limits
      const ids = Array.from({ length: n }, (_, i) => i.toString(16).padStart(64, '0'))
      const session = { kinds: [1621], '#a': Array.from({ length: tags }, (_, i) => `30617:${'ab'.repeat(32)}:repo${i}`), ...(since ? { since: 1_700_000_000 } : {}) }
      const base: Run = { job: 1, slot: 's', cursors: [], status: 'pending', socket: 0, wire: 'w', mayBeOpen: false, retryAt: 0, failures: 0, sentAt: 0, neg: { phase: 'session', filter: session } }
      const runs = fetchRuns(base, ids, limits)
      const seen: Array<string> = []
      // room for the session's filter and one id, with 256 bytes to spare (the plan keeps a margin)
      const roomy = messageBytes(['REQ', 'n34h' + 'f'.repeat(60), { ...session, ids: ['f'.repeat(64)], limit: 999_999_999 }]) + 256 <= limits.maxMessageBytes
      for (const r of runs) {
        const filters = r.cursors.map((c) => ({ ...c.filter, limit: c.limit }))
        expect(filters.length).toBeLessThanOrEqual(limits.maxFiltersPerReq)
        for (const f of filters) {
          const { ids: list, limit, ...rest } = f as { ids: Array<string>; limit: number }
          expect(list.length).toBeLessThanOrEqual(limits.maxLimit)
          expect(limit).toBe(list.length)
          // the session's filter is kept whenever it leaves room for an id (not a fetch of exact events)
          if (roomy) expect(rest).toEqual(session)
          seen.push(...list)
        }
        expect(checkMessage(limits)(['REQ', 'n34h' + 'f'.repeat(60), ...filters])).toEqual([])
        expect(r.neg?.phase).toBe('fetch')
      }
      expect(seen).toEqual(ids)
    }
  )

  it('readNeed keeps 64-hex ids once and stops one past the cap; negErrKind tells a size refusal from a failure', () => {
    const id = 'a'.repeat(64)
    expect(readNeed([id, id, 'nope', 'A'.repeat(64)])).toEqual([id])
    expect(readNeed(Array.from({ length: 10 }, (_, i) => i.toString(16).padStart(64, '0')), 3)).toHaveLength(4)
    expect(NEG_MAX_NEED).toBeGreaterThan(1000)
    expect(negErrKind('blocked: too many query results')).toBe('size')
    expect(negErrKind('blocked: negentropy disabled')).toBe('failure')
    expect(negErrKind('error: unknown')).toBe('failure')
  })
})

describe('negentropy end to end in the engine (simulated relay)', () => {
  const base: Omit<Scenario, 'mode' | 'learn'> = { repos: 6, issues: 3, spread: 2, stored: 2, limits: relayLimits({ maxLimit: 5, maxFiltersPerReq: 2 }).limits }

  it('a relay that speaks NIP-77 (hinted by NIP-11): history as sessions, the missing ids fetched by id, no paged REQ; support learned', () => {
    const sim = simulate({ ...base, mode: 'speaks', learn: 'hint' }, 'auto')
    const paged = simulate({ ...base, mode: 'speaks', learn: 'hint' }, 'off')
    expect(isSettled(sim.engine)).toBe(true)
    expect(sim.violations).toEqual([])
    expect([...sim.have.keys()].sort()).toEqual([...paged.have.keys()].sort())
    expect(sim.count.negOpen).toBeGreaterThan(0)
    expect(sim.count.pagedReq).toBe(0)
    expect(sim.count.idsReq).toBeGreaterThan(0)
    expect(paged.count.negOpen).toBe(0)
    expect(neg(sim.engine)).toMatchObject({ support: 'yes', hinted: true, used: true, running: 0, fetching: 0 })
    expect(neg(sim.engine)?.sessions).toBe(sim.count.results)
  })

  it('a hint that arrives while paged history runs: the running REQs are closed and their filters go on as sessions; nothing is lost', () => {
    const events = world(6, 3, 2)
    const limits = relayLimits({ maxLimit: 4 }).limits
    const sim = new Sim(syncEngine({ ownRelays: [OWN], bootstrapRelays: [R], verify: false }, { limits }), events, 'speaks', limits)
    sim.step({ _tag: 'Events', events: [], now: T0 })
    // one page of the discovery history answered: its cursor moved, its next page is running
    const first = sim.pending.find((p) => !p.filters.every((f) => f.limit === 0))!
    sim.pending = sim.pending.filter((p) => p !== first)
    const page = sim.answer(first.filters)
    sim.receive(page)
    sim.step({ _tag: 'Eose', relay: R, socket: first.socket, id: first.id, events: page, now: T0 + 1 })
    const running = sim.pending.filter((p) => !p.neg && !p.filters.every((f) => f.limit === 0)).map((p) => p.id)
    expect(running.length).toBeGreaterThan(0)
    const r = sim.step({ _tag: 'Nips', relay: R, nips: [77], now: T0 + 2 })
    const closes = r.batches.flatMap((b) => b.messages.filter((m) => m[0] === 'CLOSE').map((m) => m[1]))
    for (const id of running) expect(closes).toContain(id)
    expect(r.batches.flatMap((b) => b.negentropy ?? []).length).toBeGreaterThan(0)
    sim.run()
    expect(isSettled(sim.engine)).toBe(true)
    expect(sim.have.size).toBe(events.length)
    expect(neg(sim.engine)).toMatchObject({ support: 'yes', hinted: true, used: true })
  })

  it('without a hint (auto) nothing is tried: no evidence, paged REQs', () => {
    const events = world(3, 1, 1)
    const sim = new Sim(syncEngine({ ownRelays: [OWN], bootstrapRelays: [R], verify: false }), events, 'speaks', relayLimits({}).limits)
    sim.step({ _tag: 'Events', events: [], now: T0 })
    sim.run()
    expect(sim.count.negOpen).toBe(0)
    expect(sim.have.size).toBe(events.length)
    expect(neg(sim.engine)).toMatchObject({ support: 'unknown', hinted: false, used: false })
  })

  for (const mode of ['err', 'notice', 'silent', 'closed'] as const)
    it(`a relay that advertises 77 and fails (${mode}): falls back to paged REQs, fetches everything, learns 'no'`, () => {
      const sim = simulate({ ...base, mode, learn: 'hint' }, 'auto')
      const paged = simulate({ ...base, mode, learn: 'hint' }, 'off')
      expect(isSettled(sim.engine)).toBe(true)
      expect(sim.violations).toEqual([])
      expect([...sim.have.keys()].sort()).toEqual([...paged.have.keys()].sort())
      expect(sim.count.negOpen).toBeGreaterThan(0)
      expect(sim.count.pagedReq).toBeGreaterThan(0)
      expect(neg(sim.engine)).toMatchObject({ support: 'no', hinted: true, used: false })
      // the relay is not tried again while `no` holds: a later job is paged
      const before = sim.count.negOpen
      sim.step({ _tag: 'Disconnected', relay: R, socket: 0, now: sim.now + 1 })
      sim.now += 100
      sim.step({ _tag: 'Tick', now: sim.now })
      sim.run()
      expect(sim.count.negOpen).toBe(before)
    })

  it("NEG-ERR 'blocked: too many …': that session is paged, support is not taken away", () => {
    const sim = simulate({ ...base, mode: 'blocked', learn: 'hint' }, 'auto')
    expect(isSettled(sim.engine)).toBe(true)
    expect(sim.count.pagedReq).toBeGreaterThan(0)
    expect(neg(sim.engine)).toMatchObject({ support: 'unknown', used: true })
  })

  it("'no' lasts 7 days, then a hinted relay is tried again; a snapshot keeps what was learned (additive field)", () => {
    const sim = simulate({ ...base, mode: 'err', learn: 'hint' }, 'auto')
    const snapshot = encodeEngine(sim.engine)
    const entry = snapshot.relays.find((r) => r.relay === R)
    expect(entry?.negentropy).toMatchObject({ support: 'no', hinted: true, failures: 1 })
    const config = { ownRelays: [OWN], bootstrapRelays: [R], verify: false }
    const back = decodeEngine(JSON.parse(JSON.stringify(snapshot)), { config })
    expect(E.isRight(back)).toBe(true)
    if (E.isLeft(back)) return
    expect(encodeEngine(back.right)).toEqual(snapshot)
    // a snapshot without the field (an older one) reads as it did
    const old = { ...snapshot, relays: snapshot.relays.map(({ negentropy: _n, ...r }) => r) }
    expect(E.isRight(decodeEngine(old, { config }))).toBe(true)
    // a field of the wrong shape is refused, naming it
    const bad = decodeEngine({ ...snapshot, relays: [{ relay: R, negentropy: { support: 'maybe' } }] }, { config })
    expect(E.isLeft(bad) && bad.left.message).toContain('negentropy')
    // 7 days on, the Tick makes it `unknown` again (hinted: used)
    const later = step({ _tag: 'Tick', now: sim.now + 7 * 86_400 + 1 })(sim.engine).engine
    expect(neg(later)).toMatchObject({ support: 'unknown', used: true })
  })

  it("'off' never plans a session, even for a relay that proved it", () => {
    const sim = simulate({ ...base, mode: 'speaks', learn: 'always' }, 'off')
    expect(sim.count.negOpen).toBe(0)
    expect(neg(sim.engine)?.used).toBe(false)
  })

  it('late or foreign answers change nothing: a result for an id no session runs', () => {
    const sim = simulate({ ...base, mode: 'speaks', learn: 'hint' }, 'auto')
    const r = step({ _tag: 'NegentropyResult', relay: R, id: 'n34hnope', need: ['a'.repeat(64)], now: sim.now })(sim.engine)
    expect(r.batches).toEqual([])
    expect(r.engine).toBe(sim.engine)
    const bad = step({ _tag: 'NegentropyResult', relay: 42, id: 'x', need: 'no' } as never)(sim.engine)
    expect(bad.problems.map((p) => p.code)).toEqual(['invalid-input'])
  })

  it('hostile inputs: a Proxy, throwing getters, wrong types: reported or ignored, never thrown', () => {
    const sim = simulate({ ...base, mode: 'speaks', learn: 'hint' }, 'auto')
    const throwing = new Proxy({}, { get: () => { throw new Error('boom') } })
    const inputs: Array<unknown> = [
      { _tag: 'NegentropyResult', relay: R, id: 'x', need: throwing },
      { _tag: 'NegentropyResult', relay: R, id: 'x', need: [1, null, {}, 'z'.repeat(64)] },
      { _tag: 'NegentropyError', relay: R, id: 42, reason: throwing },
      { _tag: 'Nips', relay: R, nips: throwing },
      { _tag: 'Nips', relay: R, nips: 'seventy-seven' },
      { _tag: 'Nips', relay: 42, nips: [77] },
      new Proxy({ _tag: 'Nips' }, { get: (_t, k) => (k === '_tag' ? 'Nips' : (() => { throw new Error('boom') })()) })
    ]
    for (const u of inputs) {
      const r = step(u as never)(sim.engine)
      expect(r.batches).toEqual([])
      expect(neg(r.engine)).toEqual(neg(sim.engine))
    }
  })

  test.prop([scenarioArb], { numRuns: 40 })('any scenario: at least the events of paged REQs (all of them from a relay that speaks NIP-77), within limits, support from evidence only', (s) => {
    const sim = simulate(s, s.learn === 'always' ? 'always' : 'auto')
    const paged = simulate(s, 'off')
    expect(sim.violations).toEqual([])
    expect(isSettled(sim.engine)).toBe(true)
    // never less than paged REQs; a relay that speaks NIP-77 gives every event, even those paging
    // cannot reach (more events in one second than the relay's `maxLimit`)
    for (const id of paged.have.keys()) expect(sim.have.has(id)).toBe(true)
    const n = neg(sim.engine)
    if (s.mode === 'speaks') {
      expect(sim.have.size).toBe(sim.events.length)
      expect(sim.count.pagedReq).toBe(0)
      expect(n?.support).toBe('yes')
    } else if (s.mode === 'blocked') expect(n?.support).toBe('unknown')
    else expect(n?.support).toBe('no')
  })

  it('the generator reaches every branch (fc.statistics)', () => {
    const lines: Array<string> = []
    const classify = (s: Scenario): string => {
      const sim = simulate(s, s.learn === 'always' ? 'always' : 'auto')
      if (s.mode !== 'speaks') return `fallback:${s.mode}`
      if (sim.count.needs === 0) return 'speaks:nothing missing'
      return sim.count.maxIdsReqs > 1 ? 'speaks:fetch cut in several REQs' : 'speaks:fetch in one REQ'
    }
    fc.statistics(scenarioArb, classify, { numRuns: 150, seed: 7, logger: (l) => lines.push(l) })
    console.log(lines.join('\n'))
    const seen = lines.map((l) => l.replace(/\.+.*$/, '').trim())
    for (const c of ['fallback:err', 'fallback:notice', 'fallback:silent', 'fallback:blocked', 'fallback:closed', 'speaks:nothing missing', 'speaks:fetch in one REQ', 'speaks:fetch cut in several REQs'])
      expect(seen, lines.join('\n')).toContain(c)
  })
})

describe('what a session finds missing, read within its cap, minus what the own relay refused', () => {
  const limits = relayLimits({ maxLimit: 5, maxFiltersPerReq: 2 }).limits
  /** A sim whose relay speaks NIP-77 (hinted), stopped at its first running session. */
  const atSession = (): { sim: Sim; p: Pending } => {
    const events = world(6, 3, 2)
    const sim = new Sim(syncEngine({ ownRelays: [OWN], bootstrapRelays: [R], verify: false }, { negentropy: 'auto', limits, retryDelay: 1, maxRetryDelay: 4 }), events, 'speaks', limits)
    sim.step({ _tag: 'Nips', relay: R, nips: [1, 11, 77], now: T0 })
    sim.receive(events.filter((_, i) => i % 2 === 0))
    for (let i = 0; i < 200 && !sim.pending.some((x) => x.neg); i++) sim.run(1)
    const p = sim.pending.find((x) => x.neg)
    expect(p).toBeDefined()
    return { sim, p: p! }
  }

  it('ids the own relay refused (still kept) are not fetched again when a session finds them missing', () => {
    const events = world(6, 3, 2)
    const sim = new Sim(syncEngine({ ownRelays: [OWN], bootstrapRelays: [R], verify: false }, { negentropy: 'auto', limits, retryDelay: 1, maxRetryDelay: 4 }), events, 'speaks', limits)
    sim.step({ _tag: 'Nips', relay: R, nips: [1, 11, 77], now: T0 })
    const refused = events.filter((e, i) => i % 4 === 1 && e.kind !== 30617).map((e) => e.id)
    expect(refused.length).toBeGreaterThan(2)
    sim.step({ _tag: 'Refused', ids: refused, now: T0 })
    sim.receive(events.filter((_, i) => i % 2 === 0))
    sim.run()
    expect(isSettled(sim.engine)).toBe(true)
    expect(sim.count.results).toBeGreaterThan(0)
    for (const id of refused) expect(sim.have.has(id), id).toBe(false)
    // everything else still arrives
    for (const e of events) if (!refused.includes(e.id)) expect(sim.have.has(e.id), e.id).toBe(true)
  })

  it('an infinite `need` iterable ends at NEG_MAX_NEED + 1 items read: the session is paged, the step returns', () => {
    const { sim, p } = atSession()
    let read = 0
    const forever = {
      *[Symbol.iterator]() {
        for (;;) {
          read++
          yield read % 2 === 0 ? 7 : 'f'.repeat(64)
        }
      }
    }
    const r = step({ _tag: 'NegentropyResult', relay: R, socket: p.socket, id: p.id, need: forever as never, now: sim.now })(sim.engine)
    expect(read).toBeLessThanOrEqual(NEG_MAX_NEED + 2)
    expect(r.problems.map((x) => x.message).join('\n')).toMatch(/more than/)
  })

  it('an array `need`: its length is read once and at most NEG_MAX_NEED + 1 indexes are read', () => {
    const { sim, p } = atSession()
    const gets = { length: 0, index: 0 }
    const big = new Proxy([] as Array<unknown>, {
      get: (t, k) => {
        if (k === 'length') {
          gets.length++
          return 10_000_000
        }
        if (typeof k === 'string' && /^[0-9]+$/.test(k)) {
          gets.index++
          return 'e'.repeat(64)
        }
        return Reflect.get(t, k)
      }
    })
    const r = step({ _tag: 'NegentropyResult', relay: R, socket: p.socket, id: p.id, need: big as never, now: sim.now })(sim.engine)
    expect(gets.length).toBe(1)
    expect(gets.index).toBeLessThanOrEqual(NEG_MAX_NEED + 1)
    expect(r.problems.map((x) => x.message).join('\n')).toMatch(/more than/)
  })

  it('Refused: an infinite iterable of non-strings is read up to the items cap (1e6), not forever', () => {
    let read = 0
    const forever = {
      *[Symbol.iterator]() {
        for (;;) {
          read++
          yield null
        }
      }
    }
    const r = step({ _tag: 'Refused', ids: forever as never, now: T0 })(syncEngine({ ownRelays: [OWN] }))
    expect(read).toBeLessThanOrEqual(1_000_001)
    expect(r.problems).toEqual([])
  })
})
