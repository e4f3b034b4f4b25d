import { describe, expect, it } from 'vitest'
import { function as F, option as O } from 'fp-ts'
import { applyBatch, decodeNip34Event, emptyRepoIndex, eqRepoIndex, lookupRepo, rejectionCodes, resolveConfig } from '../../../src/index.js'
import { config, finish } from '../../support/arbitraries.js'
import { announce, PK, ref, rootEvent } from '../../support/helpers.js'

const decode = decodeNip34Event(resolveConfig(config))

describe('decodeNip34Event', () => {
  it('keeps what sync needs of an announcement, canonical and sorted', () => {
    const a = announce('alpha', ['WSS://R2.example/', 'wss://r1.example', 'wss://r1.example:443'], {
      clone: ['https://Git.Example.org/x.git', 'git@github.com:x/y.git'],
      extraTags: [['relays', 'wss://r3.example'], ['maintainers', 'cd'.repeat(32), 'not-a-key']]
    })
    const { event, rejected } = decode(a, 0)
    expect(rejected).toEqual([expect.objectContaining({ code: 'invalid-maintainer', partial: true, value: 'not-a-key' })])
    expect(event).toEqual({
      _tag: 'Announcement',
      id: a.id,
      pubkey: PK,
      createdAt: 100,
      identifier: 'alpha',
      ref: ref('alpha'),
      relays: ['wss://grasp.example.com', 'wss://r1.example', 'wss://r2.example', 'wss://r3.example'],
      cloneHosts: ['git.example.org', 'grasp.example.com'],
      maintainers: ['cd'.repeat(32)],
      relaySources: [
        { relay: 'wss://grasp.example.com', tag: 1, value: 'wss://grasp.example.com' },
        { relay: 'wss://r2.example', tag: 1, value: 'WSS://R2.example/' },
        { relay: 'wss://r1.example', tag: 1, value: 'wss://r1.example' },
        { relay: 'wss://r3.example', tag: 3, value: 'wss://r3.example' }
      ],
      excluded: []
    })
  })

  it('reads only the first value of a and e tags (the rest is a relay hint and a marker)', () => {
    const del = finish({ kind: 5, pubkey: PK, created_at: 1, content: '', tags: [['e', 'ab'.repeat(32), 'wss://relay.example', 'root'], ['a', ref('x'), 'wss://relay.example']] })
    const { event, rejected } = decode(del)
    expect(rejected).toEqual([])
    expect(event).toMatchObject({ _tag: 'Deletion', eventIds: ['ab'.repeat(32)], addresses: [ref('x')] })
    const root = finish({ kind: 1617, pubkey: PK, created_at: 1, content: '', tags: [['a', ref('x'), `30617:${PK}:hint-is-not-a-repo`]] })
    expect(decode(root).event).toMatchObject({ repos: [ref('x')] })
  })

  it('reads every a tag of a root event, ignores addresses of other kinds, reports malformed repo refs', () => {
    const ev = rootEvent(1617, [ref('a'), ref('b'), `30618:${PK}:a`, '30617:XYZ:a'])
    const { event, rejected } = decode(ev, 4)
    expect(event).toMatchObject({ _tag: 'RootEvent', repos: [ref('a'), ref('b')] })
    expect(rejected).toEqual([expect.objectContaining({ code: 'invalid-repo-ref', partial: true, position: 4, value: '30617:XYZ:a' })])
  })

  const cases: ReadonlyArray<readonly [string, unknown, string]> = [
    ['not an object', 'hello', 'not-an-object'],
    ['an array', [1, 2], 'not-an-object'],
    ['null', null, 'not-an-object'],
    ['wrong field type', { ...announce('a', []), created_at: '100' }, 'invalid-event'],
    ['upper-case hex id', { ...announce('a', []), id: 'A'.repeat(64) }, 'invalid-event'],
    ['short signature', { ...announce('a', []), sig: 'ab' }, 'invalid-event'],
    ['a tag that is not a string array', { ...announce('a', []), tags: [['d', 5]] }, 'invalid-event'],
    ['fractional kind', { ...announce('a', []), kind: 30617.5 }, 'invalid-event'],
    ['missing d', finish({ kind: 30617, pubkey: PK, created_at: 1, content: '', tags: [['relays', 'wss://r.example']] }), 'missing-d'],
    ['empty d', finish({ kind: 30617, pubkey: PK, created_at: 1, content: '', tags: [['d', '']] }), 'missing-d'],
    ['unhandled kind', finish({ kind: 1, pubkey: PK, created_at: 1, content: 'hi', tags: [] }), 'unsupported-kind'],
    ['root event with no repo', finish({ kind: 1621, pubkey: PK, created_at: 1, content: 'hi', tags: [['a', `30618:${PK}:x`]] }), 'no-repo-ref']
  ]

  it.each(cases)('rejects whole: %s', (_name, input, code) => {
    const { event, rejected } = decode(input, 7)
    expect(event).toBeUndefined()
    expect(rejected.at(-1)).toEqual(expect.objectContaining({ code, partial: false, position: 7 }))
    expect(rejected.at(-1)?.message.length).toBeGreaterThan(5)
  })

  it('decode errors say where and what', () => {
    const { rejected } = decode({ ...announce('a', []), tags: [['d', 'x'], ['relays', 42]] })
    expect(rejected[0]?.message).toBe('tags.1.1: expected string, got 42')
  })

  it('every rejection code is documented in rejectionCodes', () => {
    for (const [, , code] of cases) expect(rejectionCodes).toContain(code)
  })
})

describe('applyBatch with bad input', () => {
  it('a rejected event changes nothing and the valid events of the same batch still apply', () => {
    const good = announce('alpha', ['wss://r1.example'])
    const { index, rejected } = applyBatch(config, [42, good, { kind: 30617 }, announce('beta', [], { extraTags: [] }).tags])(emptyRepoIndex)
    expect(rejected.map((r) => [r.code, r.position])).toEqual([
      ['not-an-object', 0],
      ['invalid-event', 2],
      ['not-an-object', 3]
    ])
    expect(eqRepoIndex.equals(index, applyBatch(config, [good])(emptyRepoIndex).index)).toBe(true)
    expect(O.isSome(lookupRepo(ref('alpha'))(index))).toBe(true)
  })

  it('a batch that is not an array is reported and changes nothing', () => {
    const { index, rejected } = F.pipe(emptyRepoIndex, applyBatch(config, 'nope' as unknown as ReadonlyArray<unknown>))
    expect(index).toBe(emptyRepoIndex)
    expect(rejected.map((r) => r.code)).toEqual(['invalid-batch'])
  })

  it('configuration problems are reported with every batch, never ignored', () => {
    const { rejected } = applyBatch({ ownRelays: ['wss://grasp.example.com', 'https://grasp.example.com'], bootstrapRelays: ['nope'] }, [])(emptyRepoIndex)
    expect(rejected.map((r) => [r.code, r.value])).toEqual([
      ['invalid-config', 'https://grasp.example.com'],
      ['invalid-config', 'nope']
    ])
  })
})
