import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E } from 'fp-ts'
import { DEFAULT_ROOT_KINDS, resolveConfig, validateConfig } from '../../../src/index.js'

describe('resolveConfig', () => {
  it('fills defaults and canonicalises relays', () => {
    const c = resolveConfig({ ownRelays: ['WSS://Grasp.Example.com/'], bootstrapRelays: ['wss://b.example:443', 'wss://b.example'] })
    expect(c.ownRelays).toEqual(['wss://grasp.example.com'])
    expect([...c.ownHosts]).toEqual(['grasp.example.com'])
    expect(c.bootstrapRelays).toEqual(['wss://b.example'])
    expect(c.acceptance).toBe('listed')
    expect([...c.rootKinds]).toEqual([...DEFAULT_ROOT_KINDS])
    expect(c.problems).toEqual([])
  })

  it('reports every unusable value and keeps the usable ones', () => {
    const c = resolveConfig({ ownRelays: ['https://grasp.example.com', 'wss://ok.example'], acceptance: 'some', rootKinds: [1617, 30617, -1, 'x'] })
    expect(c.ownRelays).toEqual(['wss://ok.example'])
    expect(c.acceptance).toBe('listed')
    expect([...c.rootKinds]).toEqual([1617])
    expect(c.problems.map((p) => p.code)).toEqual(['invalid-config', 'invalid-config', 'invalid-config', 'invalid-config', 'invalid-config'])
    expect(c.problems.map((p) => p.message).join('\n')).toMatch(/ownRelays\[0\].*\n.*acceptance.*\n.*rootKinds\[1\].*30617/)
  })

  it('a missing ownRelays or a non-object is a problem, not a throw', () => {
    expect(E.isLeft(validateConfig({}))).toBe(true)
    expect(E.isLeft(validateConfig(null))).toBe(true)
    expect(E.isLeft(validateConfig({ ownRelays: [] }))).toBe(true) // nothing could ever be accepted
    expect(E.isRight(validateConfig({ ownRelays: [], acceptance: 'all' }))).toBe(true)
  })

  it('a bootstrap relay on our own host and a null relayPolicy are reported', () => {
    const c = resolveConfig({ ownRelays: ['wss://grasp.example.com'], bootstrapRelays: ['wss://grasp.example.com:4443'], relayPolicy: null })
    expect(c.bootstrapRelays).toEqual([])
    expect(c.problems.map((p) => p.message)).toEqual([
      'relayPolicy must be an object; using the default policy',
      'a bootstrap relay on one of our own hosts is never a target'
    ])
  })

  it('is memoised per config object', () => {
    const input = { ownRelays: ['wss://grasp.example.com'] }
    expect(resolveConfig(input)).toBe(resolveConfig(input))
  })

  test.prop([fc.anything()], { numRuns: 1000 })('never throws', (u) => {
    expect(() => resolveConfig(u)).not.toThrow()
  })
})
