/**
 * resolveRelayPolicy: any value to a valid policy and its problems.
 */
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { defaultRelayPolicy, resolveRelayPolicy } from '../../../../src/config/RelayPolicy.js'

describe('resolveRelayPolicy', () => {
  it('undefined is the default policy, without problems', () => {
    expect(resolveRelayPolicy(undefined)).toEqual({ policy: defaultRelayPolicy, problems: [] })
    expect(resolveRelayPolicy({})).toEqual({ policy: defaultRelayPolicy, problems: [] })
  })

  it('normalises hosts and relay URLs', () => {
    const { policy, problems } = resolveRelayPolicy({
      allowHosts: ['Relay.Example.COM.', '.LAN', '0x7f000001', '::1', 'bücher.example'],
      denyHosts: ['evil.com', 'evil.com'],
      allowRelays: ['WS://127.1:7777/'],
      disabledRules: ['reserved', 'link-local']
    })
    expect(problems).toEqual([])
    expect(policy.allowHosts).toEqual(['.lan', '127.0.0.1', '[::1]', 'relay.example.com', 'xn--bcher-kva.example'])
    expect(policy.denyHosts).toEqual(['evil.com'])
    expect(policy.allowRelays).toEqual(['ws://127.0.0.1:7777'])
    expect(policy.disabledRules).toEqual(['link-local', 'reserved'])
  })

  it('reports every unusable value and keeps the safe default for it', () => {
    const { policy, problems } = resolveRelayPolicy({
      allowWs: 'yes',
      allowPrivate: 1,
      maxLength: 4096,
      allowHosts: ['wss://x.com', '*.example.com', 'host:443', '.10.0.0.1', 42],
      denyHosts: 'evil.com',
      allowRelays: ['https://x.com'],
      disabledRules: ['scheme', 'nope'],
      surprise: true
    })
    expect(policy).toEqual(defaultRelayPolicy)
    expect(problems).toHaveLength(13)
    expect(problems.join('\n')).toMatch(/unknown option "surprise"/)
    expect(problems.join('\n')).toMatch(/maxLength must be an integer from 1 to 2048/)
    expect(problems.join('\n')).toMatch(/allowHosts\[1\]: "\*\.example\.com": write "\.example\.com"/)
    expect(resolveRelayPolicy('strict').problems).toEqual(['the relay policy must be an object, got "strict"'])
    expect(resolveRelayPolicy(null).problems).toHaveLength(1)
  })

  test.prop([fc.anything()], { numRuns: 1000 })('is total, and a resolved policy resolves to itself', (u) => {
    const r = resolveRelayPolicy(u)
    const again = resolveRelayPolicy({ ...r.policy })
    expect(again.problems).toEqual([])
    expect(again.policy).toEqual(r.policy)
  })
})

// ---------------------------------------------------------------------------------------------
// properties
// ---------------------------------------------------------------------------------------------
