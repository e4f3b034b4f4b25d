/**
 * Relay health as pure state (src/engine/health.ts): seeded backoff, dead after repeated
 * failures and retried daily, the naughty list, the cooldown after a rate limit, NIP-42 auth,
 * and health in the engine snapshot.
 */
import { describe, expect, it } from 'vitest'
import { either as E, option as O } from 'fp-ts'
import { decodeEngine, encodeEngine, engineNextDue, engineRelay, step, syncEngine, type EngineOptions, type RelayStatus, type SyncEngine } from '../../../src/index.js'
import { BOOTSTRAP, OWN } from '../../support/arbitraries.js'
import { announce } from '../../support/helpers.js'
import { Host } from '../../support/engineSim.js'

const R = BOOTSTRAP
const T0 = 1_700_000_000
const config = { ownRelays: [OWN], bootstrapRelays: [BOOTSTRAP], verify: false }
const status = (e: SyncEngine, relay = R): RelayStatus => O.toUndefined(engineRelay(relay)(e)) as RelayStatus
const opens = (r: { batches: ReadonlyArray<{ connection: string }> }): number => r.batches.filter((b) => b.connection === 'open').length
const reqs = (r: { batches: ReadonlyArray<{ messages: ReadonlyArray<ReadonlyArray<unknown>> }> }): number => r.batches.flatMap((b) => b.messages).filter((m) => m[0] === 'REQ').length

const host = (options: EngineOptions = {}): Host => {
  const h = new Host(syncEngine(config, { retryDelay: 5, maxRetryDelay: 60, ...options }))
  h.step({ _tag: 'Events', events: [], now: T0 })
  return h
}

/** Answers every outstanding REQ but `except` with an EOSE (history pages empty). */
const answerOthers = (h: Host, except: string, now: number) => {
  for (const o of h.net.outstanding())
    if (o.id !== except) {
      h.net.answered(o.relay, o.socket, o.id)
      h.step({ _tag: 'Eose', relay: o.relay, socket: o.socket, id: o.id, events: [], now })
    }
}

/** The host reports a drop of connection 0 and the network forgets it. */
const drop = (h: Host, now: number) => {
  h.net.drop(R, 0)
  return h.step({ _tag: 'Disconnected', relay: R, socket: 0, now })
}

describe('backoff with deterministic jitter', () => {
  it('equal seeds give equal delays; another seed other delays; no seed no jitter', () => {
    const dueAfterDrop = (options: EngineOptions) => {
      const h = host(options)
      drop(h, T0 + 1)
      return engineNextDue(h.engine)! - (T0 + 1)
    }
    const a = dueAfterDrop({ health: { seed: 'a' } })
    expect(dueAfterDrop({ health: { seed: 'a' } })).toBe(a)
    expect(a).toBeGreaterThanOrEqual(5)
    expect(a).toBeLessThan(7.5)
    const others = ['b', 'c', 'd', 'e'].map((seed) => dueAfterDrop({ health: { seed } }))
    expect(others.some((x) => x !== a)).toBe(true)
    expect(dueAfterDrop({})).toBe(5)
  })

  it('a relay that accepts and drops keeps failing (an open socket is no answer); an EOSE ends the backoff', () => {
    const h = host()
    let now = T0
    for (let i = 1; i <= 3; i++) {
      now = engineNextDue(h.engine) ?? now
      h.step({ _tag: 'Tick', now })
      h.step({ _tag: 'Connected', relay: R, socket: 0, now })
      drop(h, now)
      expect(status(h.engine).health).toMatchObject({ state: 'backoff', failures: i })
    }
    // the delays doubled: 5, 10, 20
    expect(engineNextDue(h.engine)! - now).toBe(20)
    h.step({ _tag: 'Tick', now: now + 20 })
    h.settle()
    expect(status(h.engine).health).toEqual({ state: 'ok', failures: 0, until: undefined, reason: undefined, auth: undefined })
  })

  it('connections dropping together count one failure per backoff period', () => {
    const h = host()
    drop(h, T0 + 1)
    drop(h, T0 + 2)
    expect(status(h.engine).health.failures).toBe(1)
  })
})

describe('dead after repeated failures, retried daily', () => {
  it('after deadAfter failures in a row nothing opens for deadRetryDelay; then one try; success revives it', () => {
    const h = host({ health: { deadAfter: 3, deadRetryDelay: 86_400 } })
    let now = T0
    for (let i = 0; i < 3; i++) {
      now = Math.max(now + 1, engineNextDue(h.engine) ?? now)
      h.step({ _tag: 'Tick', now })
      drop(h, now)
    }
    const st = status(h.engine).health
    expect(st.state).toBe('dead')
    expect(st.until).toBe(now + 86_400)
    expect(engineNextDue(h.engine)).toBe(now + 86_400)
    expect(opens(h.step({ _tag: 'Tick', now: now + 86_399 }))).toBe(0)
    expect(status(h.engine).health.state).toBe('dead')
    // the daily try fails: another day
    expect(opens(h.step({ _tag: 'Tick', now: now + 86_400 }))).toBe(1)
    drop(h, now + 86_401)
    expect(status(h.engine).health).toMatchObject({ state: 'dead', until: now + 86_401 + 86_400, failures: 4 })
    // the next one answers: alive again
    h.step({ _tag: 'Tick', now: now + 2 * 86_401 })
    h.settle()
    expect(status(h.engine).health.state).toBe('ok')
  })

  it('a relay dead while it had connections up closes them', () => {
    const h = new Host(syncEngine({ ...config, bootstrapRelays: [R] }, { retryDelay: 1, maxRetryDelay: 1, maxConnectionsPerRelay: 4, strategy: 'exact', health: { deadAfter: 1 } }))
    h.step({ _tag: 'Events', events: Array.from({ length: 300 }, (_, i) => announce(`r${i}`, [R], { pubkey: (i + 1).toString(16).padStart(64, '0') })), now: T0 })
    const up = [...h.net.conns.values()].filter((c) => c.up).length
    expect(up).toBeGreaterThanOrEqual(2)
    h.net.drop(R, 0)
    const r = h.step({ _tag: 'Disconnected', relay: R, socket: 0, now: T0 + 1 })
    expect(r.batches.every((b) => b.connection === 'close')).toBe(true)
    expect(r.batches.length).toBe(up - 1)
  })
})

describe('the naughty list', () => {
  it('Failed dns parks the relay 12 h (default), reported; then it is tried again', () => {
    const h = host()
    h.net.drop(R, 0)
    const r = h.step({ _tag: 'Failed', relay: R, socket: 0, kind: 'dns', reason: 'getaddrinfo ENOTFOUND b.example', now: T0 + 1 })
    expect(r.problems.map((p) => p.code)).toEqual(['health'])
    expect(status(h.engine).health).toMatchObject({ state: 'naughty', until: T0 + 1 + 43_200, reason: 'dns: getaddrinfo ENOTFOUND b.example', failures: 0 })
    expect(opens(h.step({ _tag: 'Tick', now: T0 + 43_200 }))).toBe(0)
    expect(opens(h.step({ _tag: 'Tick', now: T0 + 43_201 }))).toBe(1)
    h.settle()
    expect(status(h.engine).health.state).toBe('ok')
  })

  it('every kind parks; an unknown kind is an invalid input and changes nothing', () => {
    for (const kind of ['dns', 'tls', 'protocol', 'refused-address'] as const) {
      const h = host({ health: { naughtyDelay: 100 } })
      h.step({ _tag: 'Failed', relay: R, kind, now: T0 + 1 })
      expect(status(h.engine).health).toMatchObject({ state: 'naughty', until: T0 + 101 })
    }
    const h = host()
    const r = h.step({ _tag: 'Failed', relay: R, kind: 'weather', now: T0 + 1 } as never)
    expect(r.problems.map((p) => p.code)).toEqual(['invalid-input'])
    expect(r.engine).toBe(h.log[0]!.engine)
  })
})

describe('cooldown after a rate limit', () => {
  it('NOTICE "slow down": no REQ on the relay until the cooldown is over, even for new work', () => {
    const h = host({ health: { cooldown: 30 } })
    h.settle()
    const t = h.now
    const r = h.step({ _tag: 'Notice', relay: R, message: 'rate-limited: slow down', now: t + 1 })
    expect(r.problems.map((p) => p.code)).toEqual(['notice'])
    expect(status(h.engine).health).toMatchObject({ state: 'cooling', until: t + 31 })
    // an announcement listing the relay: its plan changes, but nothing is sent yet
    const more = h.step({ _tag: 'Events', events: [announce('x', [R])], now: t + 2 })
    expect(reqs(more)).toBe(0)
    expect(reqs(h.step({ _tag: 'Tick', now: t + 31 }))).toBeGreaterThan(0)
    expect(status(h.engine).health.state).toBe('ok')
  })

  it('CLOSED "rate-limited:" cools the whole relay', () => {
    const h = host({ health: { cooldown: 100 } })
    const id = h.net.conn(R, 0).pending[0]!
    h.net.refuse(R, 0, id)
    h.step({ _tag: 'Closed', relay: R, id, reason: 'rate-limited: too fast', now: T0 + 1 })
    expect(status(h.engine).health).toMatchObject({ state: 'cooling', until: T0 + 101 })
    // not even the request timeout's retry of the other REQ goes out while cooling
    expect(reqs(h.step({ _tag: 'Tick', now: T0 + 99 }))).toBe(0)
    expect(reqs(h.step({ _tag: 'Tick', now: T0 + 101 }))).toBeGreaterThan(0)
  })
})

describe('NIP-42 auth', () => {
  it('CLOSED "auth-required:": the attempt waits for Authenticated, which sends it again once', () => {
    const h = host()
    const id = h.net.conn(R, 0).pending[0]!
    h.net.refuse(R, 0, id)
    answerOthers(h, id, T0 + 1)
    h.step({ _tag: 'Closed', relay: R, id, reason: 'auth-required: this relay serves members', now: T0 + 1 })
    expect(status(h.engine).health.state).toBe('auth-required')
    // no retry after the ordinary backoff: it waits for auth
    expect(reqs(h.step({ _tag: 'Tick', now: T0 + 1000 }))).toBe(0)
    const again = h.step({ _tag: 'Authenticated', relay: R, socket: 0, now: T0 + 1001 })
    expect(reqs(again)).toBe(1)
    expect(status(h.engine).health).toMatchObject({ state: 'ok', auth: 'ok' })
    // refused for auth again on the authenticated connection: an ordinary refusal (backoff), not another wait
    const id2 = h.net.conn(R, 0).pending.at(-1)!
    h.net.refuse(R, 0, id2)
    h.step({ _tag: 'Closed', relay: R, id: id2, reason: 'auth-required: still no', now: T0 + 1002 })
    expect(status(h.engine).health.state).toBe('ok')
    expect(reqs(h.step({ _tag: 'Tick', now: T0 + 1007 }))).toBe(1)
  })

  it('AuthFailed parks the relay and closes its connections; Authenticated later lifts it', () => {
    const h = host()
    const id = h.net.conn(R, 0).pending[0]!
    h.net.refuse(R, 0, id)
    h.step({ _tag: 'Closed', relay: R, id, reason: 'auth-required: members only', now: T0 + 1 })
    const r = h.step({ _tag: 'AuthFailed', relay: R, socket: 0, reason: 'no key to sign with', now: T0 + 2 })
    expect(r.batches.map((b) => b.connection)).toEqual(['close'])
    expect(status(h.engine).health).toMatchObject({ state: 'auth-failed', until: T0 + 2 + 43_200, auth: 'failed', reason: 'auth: no key to sign with' })
    expect(opens(h.step({ _tag: 'Tick', now: T0 + 40_000 }))).toBe(0)
  })
})

describe('total on outside input', () => {
  it('new inputs with throwing getters, Proxies or bad fields are reported, never thrown', () => {
    const h = host()
    const trap = new Proxy({}, { get: () => { throw new Error('trap') } })
    const getter = Object.defineProperty({ _tag: 'Failed', relay: R }, 'kind', { get: () => { throw new Error('getter') } })
    for (const input of [trap, getter, { _tag: 'Authenticated' }, { _tag: 'AuthFailed', relay: 5 }, { _tag: 'Failed', relay: R, kind: 42 }, { _tag: 'Authenticated', relay: R, socket: -1 }])
      expect(h.step(input as never).problems.map((p) => p.code)).toEqual(['invalid-input'])
    expect(status(h.engine).health.state).toBe('ok')
  })
})

describe('health in the snapshot', () => {
  it('a naughty and a dead relay stay parked across encodeEngine / decodeEngine', () => {
    const h = host({ health: { deadAfter: 1 } })
    drop(h, T0 + 1)
    const snap = JSON.parse(JSON.stringify(encodeEngine(h.engine)))
    expect(snap.relays[0].health).toEqual({ failures: 1, park: 'dead', until: T0 + 1 + 86_400 })
    const back = decodeEngine(snap, { config, options: { health: { deadAfter: 1 } } })
    expect(E.isRight(back)).toBe(true)
    const e = step({ _tag: 'Events', events: [], now: T0 + 2 })((back as E.Right<SyncEngine>).right)
    expect(opens(e)).toBe(0)
    expect(status(e.engine).health).toMatchObject({ state: 'dead', until: T0 + 1 + 86_400 })
    expect(opens(step({ _tag: 'Tick', now: T0 + 1 + 86_400 })(e.engine))).toBe(1)
  })

  it('an unusable health entry is refused, naming the field', () => {
    const snap = JSON.parse(JSON.stringify(encodeEngine(host().engine)))
    for (const [health, field] of [
      [{ failures: -1 }, '.failures'],
      [{ failures: 1, park: 'sulking', until: 5 }, '.park'],
      [{ failures: 1, park: 'dead' }, '.until'],
      [{ failures: 1, auth: 'maybe' }, '.auth'],
      ['x', 'health']
    ] as const) {
      const bad = { ...snap, relays: [{ relay: R, health }] }
      const r = decodeEngine(bad, { config })
      expect(E.isLeft(r) && r.left.code).toBe('invalid')
      expect(E.isLeft(r) && r.left.message).toContain(field)
    }
  })

  it('a relay that leaves while parked keeps its health when it is listed again', () => {
    const h = host()
    const r0 = 'wss://x1.example'
    h.step({ _tag: 'Events', events: [announce('a', [r0])], now: T0 + 1 })
    h.step({ _tag: 'Failed', relay: r0, kind: 'tls', reason: 'CERT_HAS_EXPIRED', now: T0 + 2 })
    expect(status(h.engine, r0).health.state).toBe('naughty')
    const snap = encodeEngine(h.engine)
    expect(snap.relays.find((x) => x.relay === r0)?.health?.park).toBe('naughty')
  })
})
