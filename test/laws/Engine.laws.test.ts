/**
 * The engine's lifecycle as a model-based property: a host drives the engine with random
 * events (new repositories, root events, deletions) and random relay behaviour (EOSE, CLOSED,
 * timeouts, dropped connections, late answers of old attempts, NOTICEs, refusals that teach limits, new limits, purgatory), every
 * batch sent to simulated relays that check each message against their limits and count each
 * connection's subscriptions. Once the relays behave, the engine must settle with applied =
 * desired, every connection holding exactly its plan (no orphan subscription, none missing), and
 * no message ever over a limit.
 */
import { describe, expect } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { option as O } from 'fp-ts'
import { engineApplied, engineDesired, engineRelay, engineRelays, eqRelayIndex, isSettled, limitsFromRelayInfo, step, syncEngine, type RelayLimits } from '../../src/index.js'
import { BOOTSTRAP, OWN, finish } from '../support/arbitraries.js'
import { announce, rootEvent } from '../support/helpers.js'
import { Host } from '../support/engineSim.js'

const RELAYS = ['wss://r1.example', 'wss://r2.example'] as const
const REASONS = ['error: random', 'error: random', 'error: random', 'error: too many subscriptions', 'error: too many filters', 'rate-limited: slow down']
const config = { ownRelays: [OWN], bootstrapRelays: [BOOTSTRAP], verify: false }
const pkOf = (i: number) => (i + 1).toString(16).padStart(64, '0')
const LIMITS: ReadonlyArray<RelayLimits> = [
  limitsFromRelayInfo({}).limits,
  limitsFromRelayInfo({ limitation: { max_subscriptions: 5, max_filters: 10 } }).limits,
  limitsFromRelayInfo({ limitation: { max_subscriptions: 3, max_filters: 4 } }).limits,
  limitsFromRelayInfo({ limitation: { max_subscriptions: 8, max_filters: 6, max_message_length: 4096 } }).limits
]

type Op =
  | { readonly op: 'repos'; readonly n: number; readonly owners: number; readonly relay: number }
  | { readonly op: 'root'; readonly repo: number }
  | { readonly op: 'delete'; readonly repo: number }
  | { readonly op: 'eose' | 'closed' | 'timeout' | 'late'; readonly pick: number }
  | { readonly op: 'drop'; readonly pick: number }
  | { readonly op: 'limits'; readonly relay: number; readonly which: number }
  | { readonly op: 'tick'; readonly dt: number }
  | { readonly op: 'notice'; readonly relay: number }
  | { readonly op: 'held'; readonly pick: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('repos' as const), n: fc.integer({ min: 1, max: 12 }), owners: fc.integer({ min: 1, max: 40 }), relay: fc.nat({ max: 2 }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('root' as const), repo: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), repo: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constantFrom('eose' as const, 'closed' as const, 'timeout' as const, 'late' as const), pick: fc.nat() }), weight: 8 },
  { arbitrary: fc.record({ op: fc.constant('drop' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('limits' as const), relay: fc.nat({ max: 1 }), which: fc.nat({ max: LIMITS.length - 1 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('tick' as const), dt: fc.integer({ min: 0, max: 400 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('notice' as const), relay: fc.nat({ max: 1 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('held' as const), pick: fc.nat({ max: 3 }) }), weight: 1 }
)

interface Outcome {
  readonly kinds: ReadonlySet<string>
}

const run = (ops: ReadonlyArray<Op>): Outcome => {
  const h = new Host(syncEngine(config, { retryDelay: 7, maxRetryDelay: 60, maxConnectionsPerRelay: 6 }))
  const kinds = new Set<string>()
  const known: Array<string> = []
  let next = 0
  h.step({ _tag: 'Events', events: [], now: h.now })
  for (const o of ops) {
    const out = h.net.outstanding()
    switch (o.op) {
      case 'repos': {
        const events = []
        for (let i = 0; i < o.n; i++, next++) {
          const relays = o.relay === 2 ? [...RELAYS] : [RELAYS[o.relay] as string]
          const pubkey = pkOf(next % o.owners === 0 ? next : next % o.owners)
          events.push(announce(`r${next}`, relays, { pubkey }))
          known.push(`30617:${pubkey}:r${next}`)
        }
        h.step({ _tag: 'Events', events, now: h.now })
        break
      }
      case 'root': {
        if (known.length === 0) break
        const ref = known[o.repo % known.length] as string
        h.step({ _tag: 'Events', events: [rootEvent(1617 + (o.repo % 2) * 4, [ref], { content: `r ${o.repo}` })], now: h.now })
        kinds.add('root')
        break
      }
      case 'delete': {
        if (known.length === 0) break
        const ref = known[o.repo % known.length] as string
        const pubkey = ref.split(':')[1] as string
        h.step({ _tag: 'Events', events: [finish({ kind: 5, pubkey, created_at: 300, content: '', tags: [['a', ref]] })], now: h.now })
        kinds.add('delete')
        break
      }
      case 'eose':
      case 'closed':
      case 'timeout': {
        const x = out[o.pick % Math.max(1, out.length)]
        if (x === undefined) break
        kinds.add(o.op)
        if (o.op === 'eose') {
          h.net.answered(x.relay, x.socket, x.id)
          h.step({ _tag: 'Eose', relay: x.relay, socket: x.socket, id: x.id, events: [], now: h.now })
        } else if (o.op === 'closed') {
          h.net.refuse(x.relay, x.socket, x.id)
          // a refusal for a limit now and then: the engine learns a cap and re-plans the relay
          const reason = REASONS[o.pick % REASONS.length] as string
          const r = h.step({ _tag: 'Closed', relay: x.relay, socket: x.socket, id: x.id, reason, now: h.now })
          if (r.problems.some((p) => p.code === 'learned-limits')) kinds.add('learned')
        } else h.step({ _tag: 'Timeout', relay: x.relay, socket: x.socket, id: x.id, now: h.now })
        break
      }
      case 'late': {
        // an answer for an id sent earlier, whatever its attempt: current ones count, old ones must not
        const all = [...h.net.sentIds.entries()]
        const entry = all[o.pick % Math.max(1, all.length)]
        if (entry === undefined) break
        const [key, ids] = entry
        const i = key.lastIndexOf('#')
        const relay = key.slice(0, i)
        const socket = Number(key.slice(i + 1))
        const id = ids[o.pick % ids.length] as string
        const c = h.net.conn(relay, socket)
        if (c.pending.includes(id) || !c.up) break // only answers for ids the relay no longer holds as pending
        kinds.add('late')
        if (c.open.has(id)) break // still open and answered: an EOSE again would be a relay bug
        h.step(o.pick % 2 === 0 ? { _tag: 'Eose', relay, socket, id, events: [], now: h.now } : { _tag: 'Closed', relay, socket, id, reason: 'late', now: h.now })
        break
      }
      case 'drop': {
        const up = [...h.net.conns.entries()].filter(([, c]) => c.up)
        const pick = up[o.pick % Math.max(1, up.length)]
        if (pick === undefined) break
        const i = pick[0].lastIndexOf('#')
        const relay = pick[0].slice(0, i)
        const socket = Number(pick[0].slice(i + 1))
        h.net.drop(relay, socket)
        h.step({ _tag: 'Disconnected', relay, socket, now: h.now })
        kinds.add('drop')
        break
      }
      case 'limits': {
        const relay = RELAYS[o.relay] as string
        const limits = LIMITS[o.which] as RelayLimits
        h.net.limits.set(relay, limits)
        h.step({ _tag: 'Limits', relay, limits, now: h.now })
        kinds.add('limits')
        break
      }
      case 'tick':
        h.now += o.dt
        h.step({ _tag: 'Tick', now: h.now })
        break
      case 'held':
        // every third repository (or none) waits for its git data: synced state-only
        h.step({ _tag: 'Held', repos: o.pick === 3 ? [] : known.filter((_, i) => i % 3 === o.pick), now: h.now })
        kinds.add('held')
        break
      case 'notice':
        {
          const r = h.step({ _tag: 'Notice', relay: RELAYS[o.relay] as string, message: o.relay === 0 ? 'ERROR: too many' : 'ERROR: too many concurrent REQs', now: h.now })
          if (r.problems.some((p) => p.code === 'learned-limits')) kinds.add('learned')
        }
        break
    }
  }
  h.settle(2000)
  expect(h.net.violations).toEqual([])
  expect(isSettled(h.engine)).toBe(true)
  expect(eqRelayIndex.equals(engineApplied(h.engine), engineDesired(h.engine))).toBe(true)
  // every connection holds exactly its plan: no orphan, none missing
  for (const relay of engineRelays(h.engine)) {
    const st = O.toUndefined(engineRelay(relay)(h.engine))!
    st.plan.forEach((subs, socket) => {
      const c = h.net.conn(relay, socket)
      // a connection whose subscriptions all left while later ones kept theirs is closed (the others stay where they are)
      if (subs.length === 0) {
        expect(c.open.size).toBe(0)
        return
      }
      expect(c.up).toBe(true)
      const live = st.connections[socket]!.live
      expect([...c.open.keys()].sort()).toEqual(live.map((l) => l.id).sort())
      for (const s of subs) {
        const l = live.find((x) => x.slot === s.id)!
        expect(c.open.get(l.id)).toEqual(s.filters)
      }
    })
    for (const [key, c] of h.net.conns) {
      const i = key.lastIndexOf('#')
      if (key.slice(0, i) === relay && Number(key.slice(i + 1)) >= st.plan.length) expect(c.open.size).toBe(0)
    }
  }
  for (const [key, c] of h.net.conns) if (!engineRelays(h.engine).includes(key.slice(0, key.lastIndexOf('#')))) expect(c.open.size).toBe(0)
  return { kinds }
}

const opsArb = fc.array(opArb, { minLength: 5, maxLength: 60 })

describe('engine lifecycle (model-based)', () => {
  test.prop([opsArb], { numRuns: 300 })(
    'whatever the relays answer, once they behave the engine settles: applied = desired, no orphan subscription, every message within limits',
    (ops) => {
      run(ops)
    }
  )

  test('the generator reaches every kind of feedback (fc.statistics)', () => {
    const seen = new Map<string, number>()
    fc.statistics(
      opsArb,
      (ops) => {
        const kinds = run(ops).kinds
        for (const k of kinds) seen.set(k, (seen.get(k) ?? 0) + 1)
        return [...kinds].sort().join(' ') === '' ? 'none' : 'some'
      },
      { numRuns: 100, logger: () => undefined }
    )
    for (const k of ['eose', 'closed', 'timeout', 'late', 'drop', 'limits', 'root', 'delete', 'held', 'learned']) expect(seen.get(k) ?? 0).toBeGreaterThan(10)
  })
})

describe('engine edge (totality)', () => {
  const engine = syncEngine(config)
  const tags = ['Events', 'Eose', 'Closed', 'Notice', 'Timeout', 'Connected', 'Disconnected', 'Limits', 'Tick', 'Held']
  const inputArb = fc.oneof(
    fc.anything(),
    fc.record({ _tag: fc.constantFrom(...tags), relay: fc.oneof(fc.constant('wss://r1.example'), fc.anything()), socket: fc.anything(), id: fc.anything(), now: fc.anything(), events: fc.anything(), limits: fc.anything(), repos: fc.anything() }, { requiredKeys: ['_tag'] })
  )
  test.prop([inputArb], { numRuns: 1000 })('step answers any value with an engine, and never throws', (input) => {
    const r = step(input as never)(engine)
    expect(typeof isSettled(r.engine)).toBe('boolean')
    expect(Array.isArray(r.batches) && Array.isArray(r.problems) && Array.isArray(r.rejected)).toBe(true)
    if (typeof input !== 'object' || input === null || !tags.includes((input as { _tag?: unknown })._tag as string)) expect(r.engine).toBe(engine)
  })
})
