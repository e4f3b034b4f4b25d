/**
 * Relay arguments are looked up by their canonical spelling (review F10): nostr-tools writes a
 * relay as `wss://r.example/`, the index holds `wss://r.example`; both (and any other spelling of
 * the same relay) must find the same entry in `wants`, `relayFilters`, `relayCapacity`,
 * `planRelay` and `engineRelay`. A relay argument that does not parse gets the empty answer.
 */
import { describe, expect, it } from 'vitest'
import { option as O } from 'fp-ts'
import { canonicalRelay } from '../../../src/model/RelayUrl.js'
import { fromRelayTargets } from '../../../src/relays/RelayIndex.js'
import { wants } from '../../../src/wire/Wants.js'
import { relayFilters } from '../../../src/wire/Filters.js'
import { relayCapacity } from '../../../src/wire/Capacity.js'
import { planRelay } from '../../../src/wire/Wire.js'
import { engineRelay, syncEngine } from '../../../src/index.js'
import { BOOTSTRAP, OWN } from '../../support/arbitraries.js'
import { announce } from '../../support/helpers.js'
import { Host } from '../../support/engineSim.js'

const owner = 'a'.repeat(64)
const repo = `30617:${owner}:x`
const desired = fromRelayTargets([{ relay: 'wss://r.example' as never, repos: [repo as never], rootEvents: {} }])
const state = { id: '0'.repeat(64), pubkey: owner, kind: 30618, created_at: 1, tags: [['d', 'x']], content: '', sig: '' }
const SPELLINGS = ['wss://r.example', 'wss://r.example/', 'WSS://R.EXAMPLE', 'wss://r.example:443', 'wss://r.example.', ' wss://R.example// ']
const BAD = ['', 'r.example', 'https://r.example', 'wss://user:pw@r.example', 'wss://', 'x'.repeat(5000)]

describe('relay arguments are canonicalised before the lookup', () => {
  it('canonicalRelay: spellings of one relay give one key; anything else undefined', () => {
    for (const s of SPELLINGS) expect(canonicalRelay(s)).toBe('wss://r.example')
    for (const s of [...BAD, 42, null, undefined, {}, Symbol('x')]) expect(canonicalRelay(s)).toBeUndefined()
  })

  it('wants / relayFilters / relayCapacity / planRelay answer the same for every spelling', () => {
    const filters = relayFilters(desired, 'wss://r.example')
    const capacity = relayCapacity(desired, 'wss://r.example')
    const plan = planRelay('wss://r.example')(desired)
    expect(filters.length).toBeGreaterThan(0)
    expect(capacity.connections).toBe(1)
    for (const s of SPELLINGS) {
      expect(wants(desired, s)(state)).toBe(true)
      expect(relayFilters(desired, s)).toEqual(filters)
      expect(relayCapacity(desired, s)).toEqual(capacity)
      expect(planRelay(s)(desired)).toEqual(plan)
    }
  })

  it('an unparseable relay gets the documented empty answer', () => {
    for (const s of BAD) {
      expect(wants(desired, s)(state)).toBe(false)
      expect(relayFilters(desired, s)).toEqual([])
      expect(relayCapacity(desired, s).connections).toBe(0)
      expect(planRelay(s)(desired).subscriptions).toEqual([])
    }
    expect(wants(desired, 42 as never)(state)).toBe(false)
    expect(relayFilters(desired, null as never)).toEqual([])
    expect(relayCapacity(desired, undefined as never).connections).toBe(0)
  })

  it('engineRelay finds the relay under any spelling', () => {
    const h = new Host(syncEngine({ ownRelays: [OWN], bootstrapRelays: [BOOTSTRAP], verify: false }))
    h.step({ _tag: 'Events', events: [announce('x', ['wss://r.example'], { pubkey: owner })], now: 1_700_000_000 })
    const canonical = O.toUndefined(engineRelay('wss://r.example')(h.engine))
    expect(canonical).toBeDefined()
    for (const s of SPELLINGS) expect(O.toUndefined(engineRelay(s)(h.engine))).toEqual(canonical)
    for (const s of BAD) expect(engineRelay(s)(h.engine)).toEqual(O.none)
  })
})

describe('wants reads at most the tags an event may have (review F4)', () => {
  it('a tags Proxy claiming 2^32 - 1 tags is not wanted, at once', () => {
    const tags = new Proxy([['d', 'x']], { get: (t, k) => (k === 'length' ? 2 ** 32 - 1 : Reflect.get(t, k)) })
    const w = wants(desired, 'wss://r.example')
    expect(w({ ...state, tags })).toBe(false)
    expect(w({ ...state, tags: new Proxy([['d', 'x']], { get: (t, k) => (k === 'length' ? 100_001 : Reflect.get(t, k)) }) })).toBe(false)
    // a real event with many tags is still read
    expect(w({ ...state, tags: [...Array.from({ length: 5_000 }, () => ['t', 'x']), ['d', 'x']] })).toBe(true)
  })
})

describe('relayTarget / relayRepos canonicalise too', () => {
  it('every spelling finds the target; a bad relay finds nothing', async () => {
    const { relayTarget, relayRepos } = await import('../../../src/relays/RelayIndex.js')
    for (const s of SPELLINGS) {
      expect(O.isSome(relayTarget(s)(desired))).toBe(true)
      expect(relayRepos(s)(desired)).toEqual([repo])
    }
    for (const s of BAD) {
      expect(O.isNone(relayTarget(s)(desired))).toBe(true)
      expect(relayRepos(s)(desired)).toEqual([])
    }
  })
})
