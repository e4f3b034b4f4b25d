/**
 * RelayLimits: defaults safe for older strfry, host overrides, and the NIP-11 `limitation`
 * decoder, which falls back to the defaults and reports, never throws.
 */
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import {
  defaultRelayLimits,
  limitsFor,
  limitsFromLimitation,
  limitsFromRelayInfo,
  liveSubscriptionBudget,
  relayLimits,
  type RelayLimits
} from '../../../src/config/Limits.js'
import { trap } from '../../support/wire.arbitraries.js'

const minimums: RelayLimits = {
  maxValuesPerList: 1,
  maxFiltersPerReq: 1,
  maxSubscriptions: 1,
  reservedSubscriptions: 0,
  maxMessageBytes: 256,
  maxTagKeysPerFilter: 1,
  maxSubIdLength: 12,
  maxLimit: 1
}

describe('defaults', () => {
  it('are safe for older strfry: 20 subscriptions, 20 filters per REQ, 100 values per list, 3 tag keys', () => {
    expect(defaultRelayLimits).toEqual({
      maxValuesPerList: 100,
      maxFiltersPerReq: 20,
      maxSubscriptions: 20,
      reservedSubscriptions: 2,
      maxMessageBytes: 65_536,
      maxTagKeysPerFilter: 3,
      maxSubIdLength: 64,
      maxLimit: 500
    })
    expect(liveSubscriptionBudget(defaultRelayLimits)).toBe(18)
  })

  it('(review, issue 11) messages fill up on bytes before values: 100 values per list never binds a 64 KiB REQ of 20 filters', () => {
    // a REQ of 64 KiB holds about 970 event ids of 67 bytes; 20 filters of 100 values would be 2 000
    const idsPerMessage = Math.floor(defaultRelayLimits.maxMessageBytes / 67)
    expect(idsPerMessage).toBeLessThan(defaultRelayLimits.maxFiltersPerReq * defaultRelayLimits.maxValuesPerList)
  })

  it("(review, issue 11) current strfry's NIP-11 limitation lifts the defaults it names, and keeps the ones it does not", () => {
    const strfry = { limitation: { max_subscriptions: 200, max_filters: 200, max_limit: 500, max_message_length: 131_072, max_subid_length: 71 } }
    const { limits, problems } = limitsFromRelayInfo(strfry)
    expect(problems).toEqual([])
    expect(limits).toEqual({ ...defaultRelayLimits, maxSubscriptions: 200, maxFiltersPerReq: 200, maxMessageBytes: 131_072, maxSubIdLength: 71 })
    expect(liveSubscriptionBudget(limits)).toBe(198)
  })
})

describe('relayLimits (host overrides)', () => {
  it('takes valid values and keeps the rest', () => {
    expect(relayLimits({ maxSubscriptions: 100, maxMessageBytes: 131_072 })).toEqual({
      limits: { ...defaultRelayLimits, maxSubscriptions: 100, maxMessageBytes: 131_072 },
      problems: []
    })
    expect(relayLimits(undefined)).toEqual({ limits: defaultRelayLimits, problems: [] })
  })

  it('reports unknown fields, non-integers and values below the minimum, keeping the base value', () => {
    const { limits, problems } = relayLimits({ maxSubscription: 5, maxFiltersPerReq: 2.5, maxValuesPerList: 0, maxSubIdLength: '64' })
    expect(limits).toEqual(defaultRelayLimits)
    expect(problems.map((p) => [p.field, p.reason])).toEqual([
      ['maxSubscription', 'unknown limit; ignored'],
      ['maxValuesPerList', 'below the minimum 1; keeping 100'],
      ['maxFiltersPerReq', 'not an integer; keeping 20'],
      ['maxSubIdLength', 'not an integer; keeping 64']
    ])
    expect(problems[3]?.value).toBe('"64"')
  })

  it('keeps one live subscription: reservedSubscriptions is lowered below maxSubscriptions', () => {
    const { limits, problems } = relayLimits({ maxSubscriptions: 3, reservedSubscriptions: 5 })
    expect(limits.reservedSubscriptions).toBe(2)
    expect(liveSubscriptionBudget(limits)).toBe(1)
    expect(problems).toHaveLength(1)
    expect(problems[0]?.field).toBe('reservedSubscriptions')
  })

  it('history always has room: reservedSubscriptions 0 is raised to 1 unless the relay allows a single subscription', () => {
    const raised = relayLimits({ maxSubscriptions: 4, reservedSubscriptions: 0 })
    expect(raised.limits.reservedSubscriptions).toBe(1)
    expect(raised.problems.map((p) => p.field)).toEqual(['reservedSubscriptions'])
    expect(limitsFromLimitation({ max_subscriptions: 2 }).limits.reservedSubscriptions).toBe(1)
    // max_subscriptions 1: no room at all; the batch does not await history (see Lifecycle)
    const single = limitsFromLimitation({ max_subscriptions: 1 })
    expect([single.limits.maxSubscriptions, single.limits.reservedSubscriptions]).toEqual([1, 0])
    expect(liveSubscriptionBudget(single.limits)).toBe(1)
    expect(liveSubscriptionBudget({ ...defaultRelayLimits, maxSubscriptions: 4, reservedSubscriptions: 0 })).toBe(3)
  })

  it('a value that is not an object gives the base limits and one problem', () => {
    for (const bad of [null, 42, 'x', [1, 2]]) {
      const r = relayLimits(bad)
      expect(r.limits).toEqual(defaultRelayLimits)
      expect(r.problems).toHaveLength(1)
    }
  })

  it('overlays another base', () => {
    const base = { ...defaultRelayLimits, maxSubscriptions: 300 }
    expect(relayLimits({ maxLimit: 5000 }, base).limits).toEqual({ ...base, maxLimit: 5000 })
  })
})

describe('NIP-11 limitation', () => {
  it('overrides the defaults it has a field for, larger or smaller', () => {
    const strfryLike = {
      max_message_length: 131_072,
      max_subscriptions: 300,
      max_filters: 200,
      max_limit: 5000,
      max_subid_length: 71,
      max_event_tags: 2000,
      auth_required: false
    }
    expect(limitsFromLimitation(strfryLike)).toEqual({
      limits: {
        ...defaultRelayLimits,
        maxMessageBytes: 131_072,
        maxSubscriptions: 300,
        maxFiltersPerReq: 200,
        maxLimit: 5000,
        maxSubIdLength: 71
      },
      problems: []
    })
    expect(limitsFromLimitation({ max_subscriptions: 5, max_filters: 2 }).limits).toMatchObject({ maxSubscriptions: 5, maxFiltersPerReq: 2 })
  })

  it('falls back to the default for an unusable value and reports it', () => {
    const { limits, problems } = limitsFromLimitation({ max_subscriptions: -1, max_filters: 'lots', max_limit: 1e100, max_message_length: null })
    expect(limits).toEqual(defaultRelayLimits)
    expect(problems.map((p) => p.field)).toEqual(['max_filters', 'max_limit', 'max_message_length', 'max_subscriptions'])
    expect(problems.find((p) => p.field === 'max_subscriptions')?.reason).toBe('below the minimum 1; keeping 20')
  })

  it('refuses a sub id length too short for the planner, and a 0 meaning "unlimited"', () => {
    const { limits, problems } = limitsFromLimitation({ max_subid_length: 8, max_message_length: 0 })
    expect(limits.maxSubIdLength).toBe(64)
    expect(limits.maxMessageBytes).toBe(65_536)
    expect(problems).toHaveLength(2)
  })

  it('reads the limitation of a whole relay information document', () => {
    expect(limitsFromRelayInfo({ name: 'relay', supported_nips: [1, 11], limitation: { max_subscriptions: 50 } }).limits.maxSubscriptions).toBe(50)
    expect(limitsFromRelayInfo({ name: 'no limitation' })).toEqual({ limits: defaultRelayLimits, problems: [] })
    expect(limitsFromRelayInfo('<!doctype html>').problems[0]?.field).toBe('(relay information)')
    expect(limitsFromRelayInfo({ limitation: 'none' }).problems[0]?.field).toBe('limitation')
  })

  test.prop([fc.anything()], { numRuns: 1000 })('any input gives limits at or above the minimums, never an exception', (u) => {
    for (const r of [limitsFromRelayInfo(u), limitsFromLimitation(u), relayLimits(u), limitsFromRelayInfo({ limitation: u })]) {
      for (const key of Object.keys(minimums) as Array<keyof RelayLimits>) {
        expect(Number.isSafeInteger(r.limits[key])).toBe(true)
        expect(r.limits[key]).toBeGreaterThanOrEqual(minimums[key])
      }
      expect(r.limits.reservedSubscriptions).toBeLessThan(r.limits.maxSubscriptions)
    }
  })
})

describe('limitsFor', () => {
  it('takes one set for every relay, or a function of the relay', () => {
    expect(limitsFor({ maxSubscriptions: 7 })('wss://any.example').maxSubscriptions).toBe(7)
    const byRelay = (r: string) => (r === 'wss://big.example' ? { maxSubscriptions: 300 } : undefined)
    expect(limitsFor(byRelay)('wss://big.example').maxSubscriptions).toBe(300)
    expect(limitsFor(byRelay)('wss://small.example')).toEqual(defaultRelayLimits)
    expect(limitsFor(undefined)('wss://x.example')).toEqual(defaultRelayLimits)
  })
})

describe('totality: any value where limits are expected', () => {

  it('liveSubscriptionBudget reads limits that are not valid field by field over the defaults', () => {
    for (const bad of [null, undefined, 42, 'x', [], trap()]) expect(liveSubscriptionBudget(bad as never)).toBe(18)
    expect(liveSubscriptionBudget({ maxSubscriptions: 5 } as never)).toBe(3)
    expect(liveSubscriptionBudget({ ...defaultRelayLimits, maxSubscriptions: 3, reservedSubscriptions: 5 })).toBe(1)
  })

  it('a base that is not valid limits is read field by field over the defaults', () => {
    expect(relayLimits({ maxLimit: 10 }, null as never)).toEqual({ limits: { ...defaultRelayLimits, maxLimit: 10 }, problems: [] })
    expect(relayLimits(undefined, { maxSubscriptions: 50, maxLimit: 'x' } as never).limits).toEqual({ ...defaultRelayLimits, maxSubscriptions: 50 })
    expect(limitsFromLimitation({ max_limit: 10 }, trap() as never).limits).toEqual({ ...defaultRelayLimits, maxLimit: 10 })
    expect(limitsFromRelayInfo('x', 42 as never).limits).toEqual(defaultRelayLimits)
  })

  it('values are described without calling their toString', () => {
    expect(relayLimits(trap()).problems).toEqual(
      ['toJSON', 'toString', 'valueOf'].map((field) => ({ field, value: 'function', reason: 'unknown limit; ignored' }))
    )
    expect(relayLimits({ maxLimit: trap() }).problems).toEqual([{ field: 'maxLimit', value: 'an object', reason: 'not an integer; keeping 500' }])
    expect(limitsFromRelayInfo(trap())).toEqual({ limits: defaultRelayLimits, problems: [] })
    expect(limitsFor(trap() as never)('wss://x.example')).toEqual(defaultRelayLimits)
  })
})
