import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E, function as F } from 'fp-ts'
import { applyActions, decodeRelayActions, diff, emptyRelayIndex, eqRelayIndex, fromRelayTargets, relayTarget, relays, RelayAction } from '../../../src/index.js'
import { relayIndexArb } from '../../support/arbitraries.js'
import { PK, ref } from '../../support/helpers.js'

const id = (n: number) => n.toString(16).padStart(64, '0')

describe('diff', () => {
  const applied = fromRelayTargets([
    { relay: 'wss://a.example', repos: [], rootEvents: {} },
    { relay: 'wss://b.example', repos: [ref('x'), ref('y')], rootEvents: { [ref('x')]: [id(1), id(2)] } }
  ] as never)
  const desired = fromRelayTargets([
    { relay: 'wss://b.example', repos: [ref('x'), ref('z')], rootEvents: { [ref('x')]: [id(2), id(3)], [ref('z')]: [id(4)] } },
    { relay: 'wss://c.example', repos: [ref('z')], rootEvents: { [ref('z')]: [id(4)] } }
  ] as never)

  it('spawns, closes, and removes before it adds, by relay', () => {
    expect(F.pipe(applied, diff(desired))).toEqual([
      { _tag: 'CloseRelay', relay: 'wss://a.example' },
      { _tag: 'RemoveFilters', relay: 'wss://b.example', repos: [ref('y')], rootEvents: { [ref('x')]: [id(1)] } },
      { _tag: 'AddFilters', relay: 'wss://b.example', repos: [ref('z')], rootEvents: { [ref('x')]: [id(3)], [ref('z')]: [id(4)] } },
      { _tag: 'SpawnRelay', relay: 'wss://c.example', repos: [ref('z')], rootEvents: { [ref('z')]: [id(4)] } }
    ])
  })

  it('a relay emptied of repos stays present (RemoveFilters), unlike a relay no longer desired (CloseRelay)', () => {
    const emptied = fromRelayTargets([{ relay: 'wss://b.example', repos: [], rootEvents: {} }] as never)
    const next = F.pipe(applied, applyActions(F.pipe(applied, diff(emptied))))
    expect(relays(next)).toEqual(['wss://b.example'])
    expect(F.pipe(relayTarget('wss://b.example')(next))).toEqual({ _tag: 'Some', value: { relay: 'wss://b.example', repos: [], rootEvents: {} } })
  })
})

describe('applyActions', () => {
  it('ignores values that are not actions instead of throwing', () => {
    const junk = [null, 42, { _tag: 'SpawnRelay' }, { _tag: 'Nope', relay: 'wss://x' }] as unknown as ReadonlyArray<RelayAction>
    expect(F.pipe(emptyRelayIndex, applyActions(junk))).toBe(emptyRelayIndex)
  })

  test.prop([fc.anything()], { numRuns: 1000 })('never throws on any input', (u) => {
    expect(() => F.pipe(emptyRelayIndex, applyActions(u as ReadonlyArray<RelayAction>))).not.toThrow()
    expect(() => F.pipe(emptyRelayIndex, applyActions([u] as ReadonlyArray<RelayAction>))).not.toThrow()
  })
})

describe('RelayAction codec', () => {
  test.prop([relayIndexArb, relayIndexArb], { numRuns: 500 })('decode(encode(a)) round-trips every action diff produces', (d, a) => {
    for (const action of F.pipe(a, diff(d))) expect(RelayAction.decode(RelayAction.encode(action as never))).toEqual(E.right(action))
  })

  it('refuses non-canonical relays, bad repo refs and bad ids, saying where', () => {
    const bad = [
      { _tag: 'SpawnRelay', relay: 'wss://R.example/', repos: [], rootEvents: {} },
      { _tag: 'AddFilters', relay: 'wss://r.example', repos: [`30617:${PK}`], rootEvents: {} },
      { _tag: 'RemoveFilters', relay: 'wss://r.example', repos: [], rootEvents: { [ref('x')]: ['xyz'] } }
    ]
    for (const b of bad) expect(E.isLeft(decodeRelayActions([b]))).toBe(true)
  })

  test.prop([relayIndexArb, relayIndexArb], { numRuns: 300 })('decoded actions apply like the originals', (d, a) => {
    const actions = F.pipe(a, diff(d))
    const decoded = decodeRelayActions(JSON.parse(JSON.stringify(actions)))
    expect(E.isRight(decoded) && eqRelayIndex.equals(F.pipe(a, applyActions(decoded.right)), d)).toBe(true)
  })
})
