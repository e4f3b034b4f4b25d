/**
 * checkRelayUrl: what is allowed (allow lists, switches, spellings of public hosts).
 */
import { describe, expect, it } from 'vitest'
import { either as E, function as F } from 'fp-ts'
import { checkRelayUrl, defaultRelayPolicy, trustRelays, type RelayPolicy } from '../../../../src/config/RelayPolicy.js'
import { verdict, expectAll } from './helpers.js'

describe('checkRelayUrl: what is allowed', () => {
  it('public relays pass, in their canonical form', () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['wss://relay.damus.io', 'wss://relay.damus.io'],
      ['wss://nos.lol/', 'wss://nos.lol'],
      ['WSS://Relay.Nostr.Band:443/', 'wss://relay.nostr.band'],
      ['wss://[2606:4700::1]', 'wss://[2606:4700::1]'],
      ['wss://[2001:4860:4860::8888]:7777', 'wss://[2001:4860:4860::8888]:7777'],
      ['wss://8.8.8.8', 'wss://8.8.8.8'],
      ['wss://134744072', 'wss://8.8.8.8'],
      ['wss://[::ffff:8.8.8.8]', 'wss://[::ffff:808:808]'],
      ['wss://bücher.example', 'wss://xn--bcher-kva.example']
    ]
    for (const [input, canonical] of cases) expect(checkRelayUrl()(input)).toEqual(E.right(canonical))
  })

  it('a refusal carries the input, the rule, a reason with the RFC, and the host', () => {
    expect(checkRelayUrl()('wss://0x7f000001:6379')).toEqual(
      E.left({
        _tag: 'PolicyRefusal',
        url: 'wss://0x7f000001:6379',
        rule: 'loopback',
        host: '127.0.0.1',
        reason: expect.stringContaining('127.0.0.0/8')
      })
    )
    const mapped = checkRelayUrl()('wss://[::ffff:10.1.2.3]')
    expect(E.isLeft(mapped) && mapped.left.reason).toMatch(/IPv4-mapped address of 10\.1\.2\.3.*RFC 1918/)
  })

  it('allowHosts overrides every destination rule, but not scheme, user info or length', () => {
    const p = { allowHosts: ['localhost', '.lan', '169.254.169.254', '[fd00::1]', 'x.onion'] }
    expectAll(['wss://localhost:7777', 'ws://localhost', 'wss://LOCALHOST.', 'wss://nas.lan', 'wss://lan', 'wss://0xa9fea9fe', 'wss://[fd00::1]', 'ws://x.onion'], 'allowed', p)
    expect(verdict('wss://127.0.0.1', p)).toBe('loopback')
    expect(verdict('http://localhost', p)).toBe('scheme')
    expect(verdict('wss://u:p@localhost', p)).toBe('user-info')
    expect(verdict(`wss://localhost/${'a'.repeat(3000)}`, p)).toBe('too-long')
  })

  it('allowHosts wins over denyHosts', () => {
    const p = { denyHosts: ['.evil.com'], allowHosts: ['good.evil.com'] }
    expect(verdict('wss://good.evil.com', p)).toBe('allowed')
    expect(verdict('wss://bad.evil.com', p)).toBe('denied-host')
  })

  it('allowRelays and trustRelays trust one relay URL, not every port or path of its host', () => {
    const check = F.pipe(defaultRelayPolicy, trustRelays(['ws://127.0.0.1:7777', 'wss://grasp.local/']), checkRelayUrl)
    for (const ok of ['ws://127.0.0.1:7777', 'WS://127.1:7777/', 'ws://0x7f000001:7777', 'wss://GRASP.local'])
      expect([ok, E.isRight(check(ok))]).toEqual([ok, true])
    for (const no of ['ws://127.0.0.1:6379', 'ws://127.0.0.1:7777/admin', 'wss://127.0.0.1:7777', 'wss://other.local'])
      expect([no, E.isLeft(check(no))]).toEqual([no, true])
    expect(trustRelays(['wss://b.example'])({ allowRelays: ['wss://a.example'], allowWs: true })).toEqual({
      allowRelays: ['wss://a.example', 'wss://b.example'],
      allowWs: true
    })
  })

  it('allowPrivate opens loopback, private, unique-local and local names, and nothing else', () => {
    const p = { allowPrivate: true }
    expectAll(['wss://10.0.0.1', 'wss://127.1', 'wss://localhost', 'wss://[::1]', 'wss://[fd00::1]', 'wss://nas.local', 'wss://redis', 'wss://100.64.1.1'], 'allowed', p)
    expect(verdict('wss://169.254.169.254', p)).toBe('link-local')
    expect(verdict('wss://[fe80::1]', p)).toBe('link-local')
    expect(verdict('wss://0.0.0.0', p)).toBe('unspecified')
    expect(verdict('wss://224.0.0.1', p)).toBe('multicast')
    expect(verdict('wss://240.0.0.1', p)).toBe('reserved')
    expect(verdict('wss://x.onion', p)).toBe('onion')
  })

  it('disabledRules switches off exactly the rules it names', () => {
    expect(verdict('wss://169.254.169.254', { disabledRules: ['link-local'] })).toBe('allowed')
    expect(verdict('wss://10.0.0.1', { disabledRules: ['link-local'] })).toBe('private')
    expect(verdict('wss://192.0.2.1', { disabledRules: ['reserved'] })).toBe('allowed')
    expect(verdict('ws://nos.lol', { disabledRules: ['insecure-ws'] })).toBe('allowed')
    expect(verdict('wss://nos.lol', { disabledRules: ['scheme'] } as unknown as Partial<RelayPolicy>)).toBe('invalid-policy')
  })
})
