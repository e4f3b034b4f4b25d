/**
 * Issue 9.8: configurations, relay policies and relay limits that are Proxies or have throwing
 * getters give a value with the problem reported, never a throw; and they are read once.
 */
import { describe, expect, it } from 'vitest'
import { either as E } from 'fp-ts'
import {
  checkRelayUrl,
  defaultRelayLimits,
  limitsFor,
  limitsFromLimitation,
  limitsFromRelayInfo,
  liveSubscriptionBudget,
  relayLimits,
  resolveConfig,
  resolveRelayPolicy,
  trustRelays,
  validateConfig
} from '../../src/index.js'

const boom = (): never => {
  throw new Error('boom')
}
const revoked = (target: object = {}): object => {
  const r = Proxy.revocable(target, {})
  r.revoke()
  return r.proxy
}
const throwingGetter = (base: object, key: string): object => Object.defineProperty({ ...base }, key, { get: boom, enumerable: true })
const throwingTraps = (base: object): object => new Proxy(base, { get: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, has: boom })
const HOSTILE = (base: object): ReadonlyArray<readonly [string, unknown]> => [
  ['a throwing getter', throwingGetter(base, Object.keys(base)[0] ?? 'x')],
  ['a Proxy whose traps throw', throwingTraps(base)],
  ['a revoked Proxy', revoked(base)],
  ['a revoked Proxy array', revoked([])]
]

describe('issue 9.8: configuration decoders survive Proxies and throwing getters', () => {
  const config = { ownRelays: ['wss://grasp.example.com'] }
  for (const [name, value] of HOSTILE(config))
    it(`issue 9.8: resolveConfig and validateConfig on ${name} report invalid-config`, () => {
      expect(resolveConfig(value).problems.map((p) => p.code)).toContain('invalid-config')
      expect(E.isLeft(validateConfig(value))).toBe(true)
    })

  it('issue 9.8: a throwing getter deep inside a configuration (relayPolicy, caps, a relay list element) is reported', () => {
    for (const value of [
      { ...config, relayPolicy: throwingGetter({ allowWs: true }, 'allowWs') },
      { ...config, caps: throwingGetter({ valuesPerTag: 1 }, 'valuesPerTag') },
      { ownRelays: Object.defineProperty(['wss://a.example'], 0, { get: boom }) }
    ])
      expect(resolveConfig(value).problems.length).toBeGreaterThan(0)
  })

  it('issue 9.8: a configuration is read once: a getter cannot answer differently to two reads', () => {
    let reads = 0
    const shifty = Object.defineProperty({}, 'ownRelays', {
      enumerable: true,
      get: () => (++reads === 1 ? ['wss://grasp.example.com'] : undefined)
    })
    const c = resolveConfig(shifty)
    expect(reads).toBe(1)
    expect(c.ownRelays).toEqual(['wss://grasp.example.com'])
    expect(c.problems).toEqual([])
  })

  for (const [name, value] of HOSTILE({ allowWs: true }))
    it(`issue 9.8: resolveRelayPolicy, checkRelayUrl and trustRelays on ${name} refuse, never throw`, () => {
      expect(resolveRelayPolicy(value).problems.length).toBeGreaterThan(0)
      const r = checkRelayUrl(value as object)('wss://relay.example.com')
      expect(E.isLeft(r) && r.left.rule).toBe('invalid-policy')
      expect(() => trustRelays(['wss://a.example'])(value as object)).not.toThrow()
      expect(() => trustRelays(revoked([]) as Array<string>)({})).not.toThrow()
    })
})

describe('issue 9.8: limits decoders survive Proxies and throwing getters', () => {
  for (const [name, value] of HOSTILE({ maxSubscriptions: 5 }))
    it(`issue 9.8: relayLimits, limitsFromLimitation, limitsFromRelayInfo, liveSubscriptionBudget and limitsFor on ${name}`, () => {
      expect(relayLimits(value).limits).toEqual(defaultRelayLimits)
      expect(relayLimits(value).problems.length).toBeGreaterThan(0)
      expect(relayLimits({}, value as typeof defaultRelayLimits).limits).toEqual(defaultRelayLimits)
      expect(limitsFromLimitation(value).problems.length).toBeGreaterThan(0)
      expect(limitsFromRelayInfo(value).problems.length).toBeGreaterThan(0)
      expect(limitsFromRelayInfo({ limitation: value }).limits).toEqual(defaultRelayLimits)
      expect(liveSubscriptionBudget(value as typeof defaultRelayLimits)).toBe(18)
      expect(limitsFor(value as object)('wss://r.example')).toEqual(defaultRelayLimits)
      expect(limitsFor(() => value as object)('wss://r.example')).toEqual(defaultRelayLimits)
      expect(limitsFor(boom)('wss://r.example')).toEqual(defaultRelayLimits)
    })

  it('issue 9.8: limits are read once: a getter cannot pass the check and then answer another value', () => {
    let reads = 0
    const shifty = { ...defaultRelayLimits }
    Object.defineProperty(shifty, 'maxSubscriptions', { enumerable: true, get: () => (++reads === 1 ? 20 : 0) })
    expect(liveSubscriptionBudget(shifty)).toBe(18)
    expect(reads).toBe(1)
  })
})
