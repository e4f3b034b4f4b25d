/**
 * The field checks of resolveRelayPolicy (plain predicates since 0.3.0, io-ts codecs before): which
 * values each field takes, and the words of the problem for one it refuses.
 */
import { describe, expect, it } from 'vitest'
import { defaultRelayPolicy, resolveRelayPolicy } from '../../../../src/config/RelayPolicy.js'

const problemsOf = (input: unknown): ReadonlyArray<string> => resolveRelayPolicy(input).problems

describe('resolveRelayPolicy field checks', () => {
  it('flags take booleans only', () => {
    expect(resolveRelayPolicy({ allowWs: true, allowOnion: false, allowPrivate: true }).problems).toEqual([])
    for (const v of [1, 0, 'true', null, [], {}]) expect(problemsOf({ allowWs: v })).toHaveLength(1)
    expect(problemsOf({ allowOnion: 'yes' })).toEqual(['allowOnion must be a boolean, got "yes"'])
  })

  it('lists take arrays only', () => {
    expect(problemsOf({ allowHosts: 'a.example' })).toEqual(['allowHosts must be an array of host names, got "a.example"'])
    expect(problemsOf({ denyHosts: {} })).toEqual(['denyHosts must be an array of host names, got an object'])
    expect(problemsOf({ allowRelays: 5 })).toEqual(['allowRelays must be an array of relay URLs, got 5'])
    expect(problemsOf({ disabledRules: 'reserved' })[0]).toMatch(/^disabledRules must be an array of rules \(loopback, .*\), got "reserved"$/)
    expect(problemsOf({ allowHosts: [], denyHosts: [], allowRelays: [], disabledRules: [] })).toEqual([])
  })

  it('maxLength takes an integer from 1 to 2048', () => {
    for (const ok of [1, 2, 2048]) {
      const r = resolveRelayPolicy({ maxLength: ok })
      expect(r.problems).toEqual([])
      expect(r.policy.maxLength).toBe(ok)
    }
    for (const bad of [0, -1, 2049, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '5', true, null]) {
      const r = resolveRelayPolicy({ maxLength: bad })
      expect(r.problems).toHaveLength(1)
      expect(r.problems[0]).toMatch(/^maxLength must be an integer from 1 to 2048, got /)
      expect(r.policy.maxLength).toBe(defaultRelayPolicy.maxLength)
    }
  })

  it('disabledRules keeps the rules that can be disabled and names every other entry', () => {
    const r = resolveRelayPolicy({ disabledRules: ['link-local', 'scheme', '__proto__', 'toString', 5, 'reserved', 'link-local'] })
    expect(r.policy.disabledRules).toEqual(['link-local', 'reserved'])
    expect(r.problems).toEqual([
      'disabledRules[1]: "scheme" is not a rule that can be disabled',
      'disabledRules[2]: "__proto__" is not a rule that can be disabled',
      'disabledRules[3]: "toString" is not a rule that can be disabled',
      'disabledRules[4]: 5 is not a rule that can be disabled'
    ])
  })
})
