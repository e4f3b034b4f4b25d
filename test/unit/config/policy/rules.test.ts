/**
 * checkRelayUrl: one test per rule, and the list of rules.
 */
import { describe, expect, it } from 'vitest'
import { either as E } from 'fp-ts'
import { checkRelayUrl, policyRules, type PolicyRule, type RelayPolicy } from '../../../../src/config/RelayPolicy.js'
import { verdict, expectAll } from './helpers.js'

describe('checkRelayUrl: one test per rule', () => {
  it('scheme: only ws and wss', () => {
    expectAll(['http://host', 'https://relay.damus.io', 'ftp://relay.damus.io', 'file:///etc/passwd', 'gopher://127.0.0.1:6379/_x'], 'scheme')
  })

  it('user-info: a credential is never part of a relay address', () => {
    expectAll(['wss://user:pw@host', 'wss://user@relay.damus.io', 'wss://:pw@relay.damus.io', 'wss://relay.damus.io@127.0.0.1'], 'user-info')
  })

  it('too-long: more than maxLength characters (2048 by default)', () => {
    const base = 'wss://relay.damus.io/'
    expect(verdict(base + 'a'.repeat(2048 - base.length))).toBe('allowed')
    expect(verdict(base + 'a'.repeat(2049 - base.length))).toBe('too-long')
    expect(verdict(base + 'a'.repeat(100_000))).toBe('too-long')
    expect(verdict('wss://relay.damus.io/abc', { maxLength: 20 })).toBe('too-long')
    expect(verdict('wss://nos.lol', { maxLength: 20 })).toBe('allowed')
  })

  it('not-a-url: empty, relative, host-less and unparsable input', () => {
    expectAll(['', '   ', 'relay.damus.io', 'wss://', 'wss://[::1', 'wss://256.0.0.1', 'wss://1.2.3.4.5', 'wss://[fe80::1%25eth0]'], 'not-a-url')
    expect(verdict(42 as unknown as string)).toBe('not-a-url')
  })

  it('loopback: every spelling of 127.0.0.0/8, ::1 and localhost', () => {
    expectAll(
      [
        'wss://127.0.0.1',
        'wss://127.1',
        'wss://0x7f000001',
        'wss://0X7F000001',
        'wss://2130706433',
        'wss://0177.0.0.1',
        'wss://0x7f.1',
        'wss://127.0.0.1.',
        'wss://127.0.0.1..',
        'wss://127%2e0%2e0%2e1',
        'wss://１２７．０．０．１',
        'wss://127.255.255.254:6379/x',
        'wss://[::1]',
        'wss://[::ffff:127.0.0.1]',
        'wss://[::ffff:7f00:1]',
        'wss://[0:0:0:0:0:ffff:127.0.0.1]',
        'wss://[::ffff:0:127.0.0.1]',
        'wss://[::127.0.0.1]',
        'wss://[64:ff9b::127.0.0.1]',
        'wss://[2002:7f00:1::1]',
        'wss://localhost',
        'wss://LOCALHOST.',
        'wss://localhost..',
        'wss://LocalHost:8080',
        'wss://foo.localhost',
        'wss://ＬＯＣＡＬＨＯＳＴ'
      ],
      'loopback'
    )
  })

  it('private: RFC 1918 and carrier-grade NAT, and nothing just outside them', () => {
    expectAll(
      ['wss://10.0.0.1', 'wss://012.0.0.1', 'wss://167772161', 'wss://192.168.1.1', 'wss://172.16.0.1', 'wss://172.31.255.255', 'wss://100.64.0.1', 'wss://[::ffff:10.0.0.1]', 'wss://[::ffff:c0a8:101]', 'wss://[64:ff9b:1::1]'],
      'private'
    )
    expectAll(['wss://172.32.0.1', 'wss://172.15.255.255', 'wss://100.128.0.1', 'wss://11.0.0.1', 'wss://192.169.0.1'], 'allowed')
  })

  it('link-local: 169.254.0.0/16 (cloud metadata) and fe80::/10', () => {
    expectAll(['wss://169.254.169.254', 'ws://169.254.169.254/latest/meta-data', 'wss://0xa9fea9fe', 'wss://[::ffff:169.254.169.254]', 'wss://[fe80::1]', 'wss://[febf::1]'], 'link-local')
  })

  it('unique-local: fc00::/7 and the deprecated site-local fec0::/10', () => {
    expectAll(['wss://[fd00::1]', 'wss://[fc00::1]', 'wss://[fd00:ec2::254]', 'wss://[fec0::1]'], 'unique-local')
  })

  it('multicast: 224.0.0.0/4 and ff00::/8', () => {
    expectAll(['wss://224.0.0.1', 'wss://239.255.255.250', 'wss://[ff02::1]', 'wss://[::ffff:224.0.0.251]'], 'multicast')
  })

  it('unspecified: 0.0.0.0/8 and ::', () => {
    expectAll(['wss://0.0.0.0', 'wss://0', 'wss://0x0', 'wss://0.1.2.3', 'wss://[::]', 'wss://[::ffff:0.0.0.0]'], 'unspecified')
  })

  it('reserved: documentation, benchmarking, broadcast, 240/4 and non-global IPv6', () => {
    expectAll(
      [
        'wss://240.0.0.1',
        'wss://255.255.255.255',
        'wss://4294967295',
        'wss://192.0.2.1',
        'wss://198.51.100.7',
        'wss://203.0.113.9',
        'wss://198.18.0.1',
        'wss://198.19.255.255',
        'wss://192.0.0.8',
        'wss://192.88.99.1',
        'wss://[2001:db8::1]',
        'wss://[3fff::1]',
        'wss://[100::1]',
        'wss://[2001::1]',
        'wss://[::8.8.8.8]',
        'wss://[4000::1]',
        'wss://[5f00::1]'
      ],
      'reserved'
    )
    expectAll(['wss://198.20.0.1', 'wss://239.255.255.255.example.com', 'wss://[2003::1]'], 'allowed')
  })

  it('local-name: .local, .internal, home networks and names without a dot', () => {
    expectAll(
      ['wss://foo.local', 'wss://foo.local.', 'wss://Foo.LOCAL', 'wss://svc.internal', 'wss://a.b.internal:8443', 'wss://router.home.arpa', 'wss://nas.lan', 'wss://x.corp', 'wss://box.localdomain', 'wss://redis', 'wss://redis:6379', 'wss://metadata'],
      'local-name'
    )
    expectAll(['wss://local.example.com', 'wss://internal.example.org', 'wss://localhost.example.com', 'wss://lan.party', 'wss://relay.glocal', 'wss://relay.plan', 'wss://relay.notlocalhost', 'wss://relay.xonion'], 'allowed')
  })

  it('onion: refused unless allowOnion; ws:// to an allowed onion host is fine (Tor encrypts)', () => {
    expectAll(['wss://x.onion', 'wss://abc.def.onion', 'ws://x.onion'], 'onion')
    expectAll(['wss://x.onion', 'ws://x.onion'], 'allowed', { allowOnion: true })
  })

  it('insecure-ws: ws:// refused unless allowWs; host rules are reported first', () => {
    expect(verdict('ws://relay.damus.io')).toBe('insecure-ws')
    expect(verdict('WS://relay.damus.io:80/')).toBe('insecure-ws')
    expect(verdict('ws://relay.damus.io', { allowWs: true })).toBe('allowed')
    expect(verdict('ws://10.0.0.1')).toBe('private')
    expect(verdict('ws://10.0.0.1', { allowPrivate: true })).toBe('insecure-ws')
    expect(verdict('ws://10.0.0.1', { allowPrivate: true, allowWs: true })).toBe('allowed')
  })

  it('denied-host: exact names never match a substring; a leading dot adds the names under it', () => {
    const exact = { denyHosts: ['evil.com'] }
    expectAll(['wss://evil.com', 'wss://EVIL.com.', 'wss://evil.com:8443/x'], 'denied-host', exact)
    expectAll(['wss://notevil.com', 'wss://a.evil.com', 'wss://evil.com.attacker.net', 'wss://evil.community'], 'allowed', exact)
    const suffix = { denyHosts: ['.evil.com'] }
    expectAll(['wss://evil.com', 'wss://a.evil.com', 'wss://a.b.evil.com'], 'denied-host', suffix)
    expectAll(['wss://notevil.com', 'wss://evil.community', 'wss://evil.com.attacker.net'], 'allowed', suffix)
  })

  it('denied-host: an address is denied in every spelling', () => {
    expectAll(['wss://1.2.3.4', 'wss://16909060', 'wss://0x01020304', 'wss://1.2.772'], 'denied-host', { denyHosts: ['1.2.3.4'] })
    expectAll(['wss://[2606:4700::1]', 'wss://[2606:4700:0:0:0:0:0:1]'], 'denied-host', { denyHosts: ['2606:4700::0001'] })
  })

  it('invalid-policy: a policy with problems refuses every URL', () => {
    const bad = { allowWs: 'yes' } as unknown as Partial<RelayPolicy>
    const r = checkRelayUrl(bad)('wss://relay.damus.io')
    expect(E.isLeft(r) && r.left.rule).toBe('invalid-policy')
    expect(E.isLeft(r) && r.left.reason).toContain('allowWs must be a boolean')
    expect(verdict('wss://relay.damus.io', { allowHosts: ['wss://relay.damus.io'] })).toBe('invalid-policy')
    expect(verdict('wss://relay.damus.io', { allowPrivates: true } as unknown as Partial<RelayPolicy>)).toBe('invalid-policy')
  })
})

describe('policyRules', () => {
  it('lists every rule exactly once', () => {
    const every: Record<PolicyRule, true> = {
      'not-a-url': true,
      'too-long': true,
      scheme: true,
      'user-info': true,
      'denied-host': true,
      'invalid-policy': true,
      'not-an-address': true,
      'insecure-ws': true,
      loopback: true,
      private: true,
      'link-local': true,
      'unique-local': true,
      multicast: true,
      unspecified: true,
      reserved: true,
      'local-name': true,
      onion: true
    }
    expect([...policyRules].sort()).toEqual(Object.keys(every).sort())
  })
})
