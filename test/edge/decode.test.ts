/**
 * Issue 9 ("Hold under attack"), named cases for the event decoder and applyBatch: points 1, 2,
 * 7, 8 (events and batches), 9, and the ignored kinds. Each test fails on the code before the fix.
 */
import { describe, expect, it } from 'vitest'
import { function as F, option as O } from 'fp-ts'
import {
  applyBatch,
  decodeNip34Event,
  deriveTargets,
  emptyRepoIndex,
  eqRepoIndex,
  IGNORED_KINDS,
  lookupRepo,
  relays,
  resolveConfig
} from '../../src/index.js'
import { config as unverified, finish, OWN } from '../support/arbitraries.js'
import { announce, PK, ref } from '../support/helpers.js'
import { pubkeyOf, secretKey, sign } from '../support/signing.js'

const verified = { ownRelays: [OWN] }

describe('issue 9.1: values per tag and per event are capped before any value is parsed', () => {
  it('issue 9.1: one relays tag with 100 000 values is one rejection', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => `wss://r${i}.example`)
    const ev = announce('repo', many)
    const { index, rejected } = applyBatch(unverified, [ev])(emptyRepoIndex)
    expect(rejected).toEqual([expect.objectContaining({ code: 'cap-exceeded', rule: 'valuesPerTag', partial: false, position: 0 })])
    expect(eqRepoIndex.equals(index, emptyRepoIndex)).toBe(true)
  })

  it('issue 9.1: clone and maintainers tags are bounded the same way', () => {
    for (const name of ['clone', 'maintainers']) {
      const ev = announce('repo', [], { extraTags: [[name, ...Array.from({ length: 101 }, (_, i) => `v${i}`)]] })
      expect(applyBatch(unverified, [ev])(emptyRepoIndex).rejected.map((r) => [r.code, r.rule])).toEqual([['cap-exceeded', 'valuesPerTag']])
    }
  })

  it('issue 9.1: a tag with exactly valuesPerTag values is read', () => {
    const hundred = Array.from({ length: 99 }, (_, i) => `wss://r${i}.example`) // + our own relay = 100
    const { rejected } = applyBatch(unverified, [announce('repo', hundred)])(emptyRepoIndex)
    expect(rejected.every((r) => r.partial)).toBe(true)
  })

  it('issue 9.1: values per event count every tag together', () => {
    const tags = Array.from({ length: 41 }, (_, i) => ['relays', ...Array.from({ length: 100 }, (_, j) => `wss://r${i}-${j}.example`)])
    const ev = announce('repo', [], { extraTags: tags })
    const { rejected } = applyBatch(unverified, [ev])(emptyRepoIndex)
    expect(rejected.map((r) => [r.code, r.rule, r.partial])).toEqual([['cap-exceeded', 'valuesPerEvent', false]])
  })

  it('issue 9.1: the caps are configurable', () => {
    const ev = announce('repo', ['wss://a.example', 'wss://b.example'])
    const { rejected } = applyBatch({ ...unverified, caps: { valuesPerTag: 2 } }, [ev])(emptyRepoIndex)
    expect(rejected.map((r) => r.rule)).toEqual(['valuesPerTag'])
    const { rejected: r2 } = applyBatch({ ...unverified, caps: { valuesPerEvent: 3 } }, [ev])(emptyRepoIndex)
    expect(r2.map((r) => r.rule)).toEqual(['valuesPerEvent'])
  })

  it('issue 9.1: maintainers past maintainersPerAnnouncement are reported (partial), the first in tag order kept', () => {
    const keys = Array.from({ length: 60 }, (_, i) => i.toString(16).padStart(64, '0'))
    const ev = announce('repo', [], { extraTags: [['maintainers', ...keys.slice(0, 30)], ['maintainers', ...keys.slice(30)]] })
    const { index, rejected } = applyBatch(unverified, [ev])(emptyRepoIndex)
    expect(rejected.map((r) => [r.code, r.rule, r.partial, r.value])).toEqual(keys.slice(50).map((k) => ['cap-exceeded', 'maintainersPerAnnouncement', true, k]))
    const info = lookupRepo(ref('repo'))(index)
    expect(O.isSome(info) && O.isSome(info.value.announcement) ? info.value.announcement.value.maintainers : []).toEqual(keys.slice(0, 50))
  })
})

describe('issue 9.2: the cheap caps come before the shape check', () => {
  it('issue 9.2: 1e6 tags are refused by their count without reading a single tag', () => {
    let reads = 0
    const tags = new Proxy(new Array(1_000_000).fill(['t', 'x']), {
      get(target, key, receiver) {
        if (key !== 'length' && typeof key === 'string' && /^\d+$/.test(key)) reads++
        return Reflect.get(target, key, receiver) as unknown
      }
    })
    const ev = { ...announce('repo', []), tags }
    const { rejected } = applyBatch(unverified, [ev])(emptyRepoIndex)
    expect(rejected.map((r) => [r.code, r.rule])).toEqual([['cap-exceeded', 'tagsPerEvent']])
    expect(reads).toBe(0)
  })

  it('issue 9.2: an oversized tag is refused before a malformed later tag is looked at', () => {
    const ev = announce('repo', [], { extraTags: [['relays', ...Array.from({ length: 200 }, () => 'x')]] }) as Record<string, unknown>
    ev['tags'] = [...(ev['tags'] as Array<unknown>), [42]]
    expect(applyBatch(unverified, [ev])(emptyRepoIndex).rejected.map((r) => [r.code, r.rule])).toEqual([['cap-exceeded', 'valuesPerTag']])
  })
})

describe('issue 9.7: fields are read once; the signed copy is what is indexed', () => {
  const alice = secretKey('alice')
  const ALICE = pubkeyOf(alice)
  const mallory = 'ee'.repeat(32)
  const signed = sign(alice, 30617, 1000, [
    ['d', 'repo'],
    ['relays', OWN, 'wss://signed.example'],
    ['clone', 'https://grasp.example.com/npub1alice/repo.git']
  ])

  it('issue 9.7: getters that change after verification cannot re-key or re-list an event', () => {
    const reads: Record<string, number> = {}
    const evil = { pubkey: mallory, tags: [['d', 'other'], ['relays', OWN, 'wss://unsigned.example'], ['clone', 'https://grasp.example.com/x/other.git']] }
    const shifty: Record<string, unknown> = {}
    for (const key of Object.keys(signed) as Array<keyof typeof signed>)
      Object.defineProperty(shifty, key, {
        enumerable: true,
        get: () => {
          reads[key] = (reads[key] ?? 0) + 1
          return reads[key] === 1 || !(key in evil) ? signed[key] : evil[key as keyof typeof evil]
        }
      })
    const { index, rejected } = applyBatch(verified, [shifty])(emptyRepoIndex)
    expect(rejected).toEqual([])
    expect(Object.values(reads).every((n) => n === 1)).toBe(true)
    expect(O.isSome(lookupRepo(`30617:${ALICE}:repo`)(index))).toBe(true)
    expect(O.isNone(lookupRepo(`30617:${mallory}:other`)(index))).toBe(true)
    expect(relays(F.pipe(index, deriveTargets(verified)))).toEqual(['wss://signed.example'])
  })

  it('issue 9.7: a tags element read twice cannot differ between the check and the use', () => {
    let n = 0
    const relaysTag = new Proxy(['relays', OWN, 'wss://signed.example'], {
      get(target, key, receiver) {
        if (key === '2') return ++n === 1 ? 'wss://signed.example' : 'wss://unsigned.example'
        return Reflect.get(target, key, receiver) as unknown
      }
    })
    const ev = { ...signed, tags: [signed.tags[0], relaysTag, signed.tags[2]] }
    const { index, rejected } = applyBatch(verified, [ev])(emptyRepoIndex)
    expect(rejected).toEqual([])
    expect(n).toBe(1)
    expect(relays(F.pipe(index, deriveTargets(verified)))).toEqual(['wss://signed.example'])
  })
})

describe('issue 9.8: Proxies and throwing getters in a batch are rejections, never throws', () => {
  const good = announce('repo', ['wss://r1.example'])
  const boom = () => {
    throw new Error('boom')
  }
  const revoked = (() => {
    const r = Proxy.revocable({}, {})
    r.revoke()
    return r.proxy
  })()
  const revokedArray = (() => {
    const r = Proxy.revocable([], {})
    r.revoke()
    return r.proxy
  })()
  const cases: ReadonlyArray<readonly [string, unknown]> = [
    ['a throwing getter on the event', Object.defineProperty({ ...good }, 'tags', { get: boom, enumerable: true })],
    ['a throwing getter on a tags element', { ...good, tags: [good.tags[0], Object.defineProperty(['relays'], 1, { get: boom })] }],
    ['a Proxy whose get trap throws', new Proxy(good, { get: boom })],
    ['a revoked Proxy', revoked],
    ['a revoked Proxy as tags', { ...good, tags: revokedArray }],
    ['a Proxy array whose length lies', { ...good, tags: new Proxy([], { get: (t, k) => (k === 'length' ? -1 : Reflect.get(t, k)) }) }],
    ['a getter that throws on the kind', Object.defineProperty({ ...good }, 'kind', { get: boom, enumerable: true })]
  ]
  for (const [name, value] of cases)
    it(`issue 9.8: ${name} is one whole rejection`, () => {
      const { index, rejected } = applyBatch(unverified, [value, good])(emptyRepoIndex)
      expect(rejected.filter((r) => r.position === 0 && !r.partial)).toHaveLength(1)
      expect(eqRepoIndex.equals(index, applyBatch(unverified, [good])(emptyRepoIndex).index)).toBe(true)
    })

  it('issue 9.8: a batch that is a throwing Proxy or revoked is invalid-batch', () => {
    for (const batch of [new Proxy([good], { get: boom }), revokedArray])
      expect(applyBatch(unverified, batch as Array<unknown>)(emptyRepoIndex).rejected.map((r) => r.code)).toEqual(['invalid-batch'])
  })

  it('issue 9.8: options with a throwing getter are reported', () => {
    const options = Object.defineProperty({}, 'now', { get: boom })
    expect(applyBatch(unverified, [good], options)(emptyRepoIndex).rejected.map((r) => r.code)).toEqual(['invalid-batch'])
    expect(() => decodeNip34Event(unverified, options)(good)).not.toThrow()
  })
})

describe('issue 9.9: one rule for a now that is not a finite number', () => {
  const future = announce('repo', [], { created_at: 2_000_000_000 })
  const past = announce('old', [], { created_at: 100 })
  for (const now of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '1700000000'])
    it(`issue 9.9: now = ${String(now)} is reported and no future-date check is made, in decodeNip34Event and applyBatch alike`, () => {
      const options = { now } as unknown as { now: number }
      const d = decodeNip34Event(resolveConfig(unverified), options)
      for (const ev of [future, past]) {
        const { event, rejected } = d(ev, 0)
        expect(event?._tag).toBe('Announcement')
        expect(rejected.map((r) => r.code)).toEqual(['invalid-batch'])
      }
      const { rejected } = applyBatch(unverified, [future, past], options)(emptyRepoIndex)
      expect(rejected.map((r) => r.code)).toEqual(['invalid-batch'])
      expect(rejected[0]?.message).toBe(d(past).rejected[0]?.message)
    })

  it('issue 9.9: a finite now still checks, in both', () => {
    const options = { now: 1_700_000_000 }
    expect(decodeNip34Event(unverified, options)(future).rejected.map((r) => r.code)).toEqual(['future-dated'])
    expect(applyBatch(unverified, [future], options)(emptyRepoIndex).rejected.map((r) => r.code)).toEqual(['future-dated'])
  })
})

describe('issue 9: ignored kinds are counted, not rejected', () => {
  const of = (kind: number) => finish({ kind, pubkey: PK, created_at: 1, content: '', tags: [['a', ref('repo')]] })

  it('issue 9 ignored kinds: 30618, 1111, 1630-1633 and 10317 come back as a count, not as rejections', () => {
    const batch = IGNORED_KINDS.map(of)
    const { index, rejected, ignored, ignoredKinds } = applyBatch(unverified, [...batch, of(30618)])(emptyRepoIndex)
    expect(rejected).toEqual([])
    expect(ignored).toBe(IGNORED_KINDS.length + 1)
    expect(ignoredKinds).toEqual({ 1111: 1, 1630: 1, 1631: 1, 1632: 1, 1633: 1, 10317: 1, 30618: 2 })
    expect(eqRepoIndex.equals(index, emptyRepoIndex)).toBe(true)
    expect(decodeNip34Event(unverified)(of(1111))).toEqual({ event: undefined, rejected: [], ignored: 1111 })
  })

  it('issue 9 ignored kinds: other unknown kinds are still rejected; a configured root kind is used, not ignored', () => {
    const { rejected, ignored } = applyBatch(unverified, [of(1), of(1111)])(emptyRepoIndex)
    expect(rejected.map((r) => r.code)).toEqual(['unsupported-kind'])
    expect(ignored).toBe(1)
    const withComments = { ...unverified, rootKinds: [1617, 1111] }
    const r = applyBatch(withComments, [of(1111)])(emptyRepoIndex)
    expect(r.ignored).toBe(0)
    expect(r.rejected).toEqual([])
  })

  it('issue 9 ignored kinds: deletions (kind 5) are used, not ignored', () => {
    expect(IGNORED_KINDS.includes(5)).toBe(false)
    const del = finish({ kind: 5, pubkey: PK, created_at: 1, content: '', tags: [['a', ref('repo')]] })
    expect(applyBatch(unverified, [del])(emptyRepoIndex).ignored).toBe(0)
  })
})
