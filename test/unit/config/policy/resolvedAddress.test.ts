/**
 * checkResolvedAddress: the connect-time check against DNS rebinding.
 */
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E, function as F } from 'fp-ts'
import { checkResolvedAddress, type RelayPolicy } from '../../../../src/config/RelayPolicy.js'
import { dotted, oracle4, u32 } from './helpers.js'

describe('checkResolvedAddress (connect time, against DNS rebinding)', () => {
  const rule = (relay: string, address: string, policy?: Partial<RelayPolicy>) =>
    F.pipe(
      checkResolvedAddress(policy)(relay)(address),
      E.match(
        (r) => r.rule,
        (a) => `allowed ${a}`
      )
    )

  it('a public name that resolves to a refused address is refused by that address\'s rule', () => {
    expect(rule('wss://rebind.example.com', '93.184.215.14')).toBe('allowed 93.184.215.14')
    expect(rule('wss://rebind.example.com', '2606:4700::1')).toBe('allowed 2606:4700::1')
    expect(rule('wss://rebind.example.com', '127.0.0.1')).toBe('loopback')
    expect(rule('wss://127.0.0.1.nip.io', '127.0.0.1')).toBe('loopback')
    expect(rule('wss://rebind.example.com', '::ffff:10.0.0.1')).toBe('private')
    expect(rule('wss://rebind.example.com', '169.254.169.254')).toBe('link-local')
    expect(rule('wss://rebind.example.com', 'fd00:ec2::254')).toBe('unique-local')
    expect(rule('wss://rebind.example.com', '0.0.0.0')).toBe('unspecified')
    expect(rule('wss://rebind.example.com', 'localhost')).toBe('not-an-address')
    expect(rule('wss://rebind.example.com', '')).toBe('not-an-address')
  })

  it('the relay URL is checked first', () => {
    expect(rule('https://rebind.example.com', '93.184.215.14')).toBe('scheme')
    expect(rule('wss://svc.internal', '93.184.215.14')).toBe('local-name')
    expect(rule('wss://rebind.example.com', '93.184.215.14', { allowWs: 'no' } as unknown as Partial<RelayPolicy>)).toBe('invalid-policy')
  })

  it('trusted relays may resolve anywhere; the policy\'s switches and deny-list apply to addresses', () => {
    expect(rule('wss://grasp.lan', '192.168.1.10', { allowHosts: ['grasp.lan'] })).toBe('allowed 192.168.1.10')
    expect(rule('ws://own.example:7777', '127.0.0.1', { allowRelays: ['ws://own.example:7777'] })).toBe('allowed 127.0.0.1')
    expect(rule('ws://own.example:7778', '127.0.0.1', { allowRelays: ['ws://own.example:7777'], allowWs: true })).toBe('loopback')
    expect(rule('wss://nas.example.com', '10.0.0.1', { allowPrivate: true })).toBe('allowed 10.0.0.1')
    expect(rule('wss://nas.example.com', '169.254.169.254', { allowPrivate: true })).toBe('link-local')
    expect(rule('wss://x.example.com', '1.2.3.4', { denyHosts: ['1.2.3.4'] })).toBe('denied-host')
  })

  test.prop([fc.domain(), u32], { numRuns: 1000 })('a relay on a public name may connect exactly to the addresses the registry calls public', (d, a) => {
    const relay = `wss://relay.${d}.com`
    const expected = oracle4(a) === 'allowed' ? `allowed ${dotted(a)}` : oracle4(a)
    expect(rule(relay, dotted(a))).toBe(expected)
  })
})
