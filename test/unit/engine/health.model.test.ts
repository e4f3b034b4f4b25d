/**
 * Relay health, model-based: a small model of the health state machine (written here from the
 * rules in docs/health.md, not from src/engine/health.ts) against the engine, over random
 * feedback sequences and times. And the backoff itself: deterministic for equal seeds, monotone
 * in the failure count, never above its cap.
 */
import { describe, expect } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { option as O } from 'fp-ts'
import { engineNextDue, engineRelay, syncEngine, type RelayHealth, type RelayStatus } from '../../../src/index.js'
import { jitterFraction, readHealthOptions, retryDelay } from '../../../src/engine/health.js'
import { BOOTSTRAP, OWN } from '../../support/arbitraries.js'
import { Host } from '../../support/engineSim.js'

const R = BOOTSTRAP
const T0 = 1_700_000_000
const BASE = 5
const MAX = 60
const DEAD_AFTER = 3
const DEAD_RETRY = 7200
const NAUGHTY = 3600
const COOLDOWN = 30
const JITTER = 0.5

// ---- the model ---------------------------------------------------------------------------------

type Park = 'backoff' | 'cooling' | 'dead' | 'naughty' | 'auth-failed'
interface Model {
  failures: number
  park: Park | undefined
  until: number
  auth: 'required' | 'ok' | 'failed' | undefined
  authed: boolean
}

/** Retry n: base doubled n-1 times, stretched by the seeded jitter, capped. */
const delay = (seed: string, n: number, base: number, max: number): number => Math.min(max, base * 2 ** (n - 1) * (1 + JITTER * jitterFraction(seed, R, n)))
const isPaused = (m: Model, now: number): boolean => m.park !== undefined && now < m.until
const isParked = (m: Model, now: number): boolean => isPaused(m, now) && (m.park === 'dead' || m.park === 'naughty' || m.park === 'auth-failed')
const keep = (m: Model, now: number): number => (isPaused(m, now) ? m.until : -Infinity)

const modelState = (m: Model, now: number): RelayHealth['state'] => {
  if (isPaused(m, now)) return m.park as RelayHealth['state']
  if (m.failures >= DEAD_AFTER) return 'dead'
  if (m.auth === 'required') return 'auth-required'
  if (m.failures > 0) return 'backoff'
  return 'ok'
}

// ---- commands ----------------------------------------------------------------------------------

type Cmd =
  | { readonly t: 'wait'; readonly dt: number }
  /** To the engine's next due time (a retry, a reconnect, the end of a pause). */
  | { readonly t: 'next' }
  | { readonly t: 'drop' }
  /** To the next due time, then a drop: a relay that accepts and drops at once. */
  | { readonly t: 'flap' }
  | { readonly t: 'answer' }
  | { readonly t: 'rate-notice' }
  | { readonly t: 'rate-closed' }
  | { readonly t: 'failed'; readonly kind: 'dns' | 'tls' | 'protocol' | 'refused-address' }
  | { readonly t: 'auth-closed' }
  | { readonly t: 'authenticated' }
  | { readonly t: 'auth-failed' }

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(1, 5, 20, 61, 400, 3_601, 7_201).map((dt) => ({ t: 'wait' as const, dt })) },
  { weight: 4, arbitrary: fc.constant({ t: 'next' as const }) },
  { weight: 3, arbitrary: fc.constant({ t: 'drop' as const }) },
  { weight: 3, arbitrary: fc.constant({ t: 'flap' as const }) },
  { weight: 2, arbitrary: fc.constant({ t: 'answer' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'rate-notice' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'rate-closed' as const }) },
  { weight: 1, arbitrary: fc.constantFrom('dns', 'tls', 'protocol', 'refused-address').map((kind) => ({ t: 'failed' as const, kind })) },
  { weight: 2, arbitrary: fc.constant({ t: 'auth-closed' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'authenticated' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'auth-failed' as const }) }
)

/** Runs the commands on the engine (through the simulated network) and on the model, comparing the health after each; the states reached. */
const run = (seed: string, cmds: ReadonlyArray<Cmd>): Array<string> => {
  const h = new Host(
    syncEngine({ ownRelays: [OWN], bootstrapRelays: [R], verify: false }, {
      retryDelay: BASE,
      maxRetryDelay: MAX,
      requestTimeout: 0,
      health: { seed, jitter: JITTER, deadAfter: DEAD_AFTER, deadRetryDelay: DEAD_RETRY, naughtyDelay: NAUGHTY, cooldown: COOLDOWN }
    })
  )
  let now = T0
  h.step({ _tag: 'Events', events: [], now })
  const m: Model = { failures: 0, park: undefined, until: -Infinity, auth: undefined, authed: false }
  const labels = new Set<string>()
  for (const c of cmds) {
    const pending = h.net.conn(R, 0).pending
    switch (c.t) {
      case 'wait':
        now += c.dt
        h.step({ _tag: 'Tick', now })
        break
      case 'next':
        now = Math.max(now + 1, Math.ceil(engineNextDue(h.engine) ?? now + 1))
        h.step({ _tag: 'Tick', now })
        break
      case 'drop':
      case 'flap':
      case 'failed':
        if (c.t === 'flap') {
          now = Math.max(now + 1, Math.ceil(engineNextDue(h.engine) ?? now + 1))
          h.step({ _tag: 'Tick', now })
        }
        h.net.drop(R, 0)
        if (c.t !== 'failed') {
          h.step({ _tag: 'Disconnected', relay: R, socket: 0, now })
          m.authed = false
          if (!isPaused(m, now)) {
            m.failures++
            if (m.failures >= DEAD_AFTER) [m.park, m.until] = ['dead', now + DEAD_RETRY]
            else [m.park, m.until] = ['backoff', now + delay(seed, m.failures, BASE, MAX)]
          }
        } else {
          h.step({ _tag: 'Failed', relay: R, socket: 0, kind: c.kind, reason: 'x', now })
          m.authed = false
          ;[m.park, m.until] = ['naughty', Math.max(now + NAUGHTY, keep(m, now))]
        }
        break
      case 'answer': {
        const id = pending[0]
        if (id === undefined || !h.net.conn(R, 0).up) continue
        h.net.answered(R, 0, id)
        h.step({ _tag: 'Eose', relay: R, socket: 0, id, events: [], now })
        m.failures = 0
        if (m.park === 'backoff' || m.park === 'dead') [m.park, m.until] = [undefined, -Infinity]
        break
      }
      case 'rate-notice':
      case 'rate-closed': {
        const id = pending[0]
        if (c.t === 'rate-closed') {
          if (id === undefined || !h.net.conn(R, 0).up) continue
          h.net.refuse(R, 0, id)
          h.step({ _tag: 'Closed', relay: R, socket: 0, id, reason: 'rate-limited: slow down', now })
        } else h.step({ _tag: 'Notice', relay: R, socket: 0, message: 'slow down, please', now })
        if (!isParked(m, now)) [m.park, m.until] = ['cooling', Math.max(now + delay(seed, 1, COOLDOWN, 2 * COOLDOWN), keep(m, now))]
        break
      }
      case 'auth-closed': {
        const id = pending[0]
        if (id === undefined || !h.net.conn(R, 0).up) continue
        h.net.refuse(R, 0, id)
        h.step({ _tag: 'Closed', relay: R, socket: 0, id, reason: 'auth-required: members only', now })
        if (!m.authed) m.auth = 'required'
        break
      }
      case 'authenticated':
        h.step({ _tag: 'Authenticated', relay: R, socket: 0, now })
        m.auth = 'ok'
        m.authed = true
        if (m.park === 'auth-failed' && isPaused(m, now)) [m.park, m.until] = [undefined, -Infinity]
        break
      case 'auth-failed':
        h.step({ _tag: 'AuthFailed', relay: R, socket: 0, reason: 'no key', now })
        m.auth = 'failed'
        m.authed = false
        ;[m.park, m.until] = ['auth-failed', Math.max(now + NAUGHTY, keep(m, now))]
        break
    }
    if (m.park !== undefined && now >= m.until) [m.park, m.until] = [undefined, -Infinity]
    const st = (O.toUndefined(engineRelay(R)(h.engine)) as RelayStatus).health
    const want = modelState(m, now)
    labels.add(want)
    expect(st.state).toBe(want)
    expect(st.failures).toBe(m.failures)
    expect(st.auth).toBe(m.auth)
    expect(st.until).toBe(isPaused(m, now) ? m.until : undefined)
    // what is sent follows the health: nothing opens while paused, no REQ while cooling or parked
    if (isParked(m, now)) expect([...h.net.conns.values()].some((x) => x.up)).toBe(false)
  }
  expect(h.net.violations).toEqual([])
  return [...labels]
}

const seedArb = fc.string({ maxLength: 8 })
const cmdsArb = fc.array(cmd, { minLength: 1, maxLength: 80 })

describe('relay health: the engine follows the model', () => {
  test.prop([seedArb, cmdsArb], { numRuns: 300 })('random feedback and times', (seed, cmds) => {
    run(seed, cmds)
  })

  test('the generator reaches every state (fc.statistics: share of runs that reach it)', () => {
    const lines: Array<string> = []
    fc.statistics(fc.tuple(seedArb, cmdsArb), ([seed, cmds]) => run(seed, cmds), { numRuns: 300, logger: (l) => lines.push(l) })
    const share = new Map(lines.map((l) => [l.split('.')[0] ?? '', Number(/(\d+(?:\.\d+)?)%\s*$/.exec(l)?.[1])]))
    for (const s of ['ok', 'backoff', 'cooling', 'dead', 'naughty', 'auth-required', 'auth-failed']) expect(share.get(s) ?? 0, lines.join('\n')).toBeGreaterThan(3)
  })
})

describe('the backoff', () => {
  const h = (seed: string | undefined) => readHealthOptions(seed === undefined ? {} : { seed })

  test.prop([fc.string(), fc.webUrl(), fc.integer({ min: 1, max: 80 })])('equal seeds give equal delays', (seed, relay, n) => {
    expect(retryDelay(BASE, 3600, h(seed), relay, n)).toBe(retryDelay(BASE, 3600, h(seed), relay, n))
  })

  test.prop([fc.option(fc.string(), { nil: undefined }), fc.webUrl(), fc.double({ min: 0, max: 1000, noNaN: true }), fc.double({ min: 0, max: 86_400, noNaN: true }), fc.integer({ min: 1, max: 70 })])(
    'monotone in the failures and never above the cap; without a seed exactly base · 2^(n-1) capped',
    (seed, relay, base, max, n) => {
      const o = h(seed)
      const a = retryDelay(base, max, o, relay, n)
      const b = retryDelay(base, max, o, relay, n + 1)
      expect(a).toBeLessThanOrEqual(b)
      expect(b).toBeLessThanOrEqual(max)
      expect(a).toBeGreaterThanOrEqual(Math.min(max, base * 2 ** (Math.min(60, n) - 1)))
      if (seed === undefined) expect(a).toBe(Math.min(max, base * 2 ** (Math.min(60, n) - 1)))
    }
  )

  test('the jitter spreads: fc.statistics of the fraction over seeds', () => {
    const lines: Array<string> = []
    fc.statistics(
      fc.tuple(fc.string(), fc.integer({ min: 1, max: 20 })),
      ([seed, n]) => `jitter ${Math.floor(jitterFraction(seed, R, n) * 4) / 4}`,
      { numRuns: 2000, logger: (l) => lines.push(l) }
    )
    // four quarters, each about a quarter of the samples
    expect(lines.length).toBe(4)
    for (const l of lines) expect(Number(/(\d+(?:\.\d+)?)%\s*$/.exec(l)?.[1]), l).toBeGreaterThan(18)
  })
})
