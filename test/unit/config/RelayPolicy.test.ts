import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E, function as F } from 'fp-ts'
import { relayUrl } from '../../../src/model/RelayUrl.js'
import {
  checkRelayUrl,
  checkResolvedAddress,
  classifyHost,
  defaultRelayPolicy,
  policyRules,
  resolveRelayPolicy,
  specialRanges,
  trustRelays,
  type PolicyRule,
  type RelayPolicy
} from '../../../src/config/RelayPolicy.js'
import { parseIpv4 } from '../../../src/config/policy/ip.js'

/** The rule that refuses `url` under `policy`, or `'allowed'`. */
const verdict = (url: string, policy?: Partial<RelayPolicy>): PolicyRule | 'allowed' =>
  F.pipe(
    checkRelayUrl(policy)(url),
    E.match(
      (r) => r.rule,
      () => 'allowed' as const
    )
  )

const expectAll = (urls: ReadonlyArray<string>, expected: PolicyRule | 'allowed', policy?: Partial<RelayPolicy>) => {
  for (const url of urls) expect([url, verdict(url, policy)]).toEqual([url, expected])
}

// ---------------------------------------------------------------------------------------------
// IPv4 spellings, built independently of the code under test
// ---------------------------------------------------------------------------------------------

type Style = 'dec' | 'hex' | 'HEX' | 'oct'

const spellNumber = (n: number, style: Style, pad: number): string => {
  switch (style) {
    case 'dec':
      return String(n)
    case 'hex':
      return `0x${'0'.repeat(pad)}${n.toString(16)}`
    case 'HEX':
      return `0X${'0'.repeat(pad)}${n.toString(16).toUpperCase()}`
    case 'oct':
      return `0${'0'.repeat(pad)}${n.toString(8)}`
  }
}

interface Spelling {
  readonly parts: number
  readonly styles: ReadonlyArray<Style>
  readonly pads: ReadonlyArray<number>
  readonly trailingDot: boolean
}

const spellingArb: fc.Arbitrary<Spelling> = fc.record({
  parts: fc.integer({ min: 1, max: 4 }),
  styles: fc.array(fc.constantFrom<Style>('dec', 'hex', 'HEX', 'oct'), { minLength: 4, maxLength: 4 }),
  pads: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
  trailingDot: fc.boolean()
})

/** `addr` written with `s.parts` parts (the last one filling the remaining bytes), each in its style. */
const spell = (addr: number, s: Spelling): string => {
  const bytes = [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255]
  const rest = addr % 256 ** (5 - s.parts)
  const numbers = [...bytes.slice(0, s.parts - 1), rest]
  const text = numbers.map((n, i) => spellNumber(n, s.styles[i] ?? 'dec', s.pads[i] ?? 0)).join('.')
  return s.trailingDot ? `${text}.` : text
}

const dotted = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.')

/** The special IPv4 blocks, written out again here as the oracle (IANA special-purpose registry). */
const ORACLE4: ReadonlyArray<readonly [string, PolicyRule]> = [
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'private'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved']
]

const oracle4 = (a: number): PolicyRule | 'allowed' => {
  for (const [cidr, rule] of ORACLE4) {
    const [ip = '', bits = '32'] = cidr.split('/')
    const base = ip.split('.').reduce((acc, b) => acc * 256 + Number(b), 0)
    const size = 2 ** (32 - Number(bits))
    if (Math.floor(a / size) === Math.floor(base / size)) return rule
  }
  return 'allowed'
}

const LOCAL_SUFFIXES = ['local', 'internal', 'home.arpa', 'intranet', 'private', 'corp', 'home', 'lan', 'localdomain']

const oracleName = (name: string): PolicyRule | 'allowed' => {
  const n = name.replace(/\.+$/, '')
  const under = (s: string) => n === s || n.endsWith(`.${s}`)
  if (under('localhost')) return 'loopback'
  if (under('onion')) return 'onion'
  if (LOCAL_SUFFIXES.some(under) || !n.includes('.')) return 'local-name'
  return 'allowed'
}

const u32 = fc.integer({ min: 0, max: 0xffffffff })
const portAndPath = fc.constantFrom('', ':443', ':6379', '/', '/nostr?b=1&a=2', ':8080/x/')

// ---------------------------------------------------------------------------------------------
// one named test per rule
// ---------------------------------------------------------------------------------------------

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

describe('classifyHost', () => {
  it('reads raw IPv4 spellings itself, and agrees with the WHATWG parser', () => {
    for (const h of ['127.1', '0x7f000001', '2130706433', '0177.0.0.1', '0x7F.0.0.1', '127.0.0.1.', '127.0.0.1..']) {
      expect([h, classifyHost(h)]).toEqual([h, expect.objectContaining({ kind: 'ipv4', host: '127.0.0.1' })])
    }
    expect(new URL('wss://0x7f000001').hostname).toBe('127.0.0.1')
    expect(new URL('wss://0177.0.0.1').hostname).toBe('127.0.0.1')
  })

  it('IPv6 with and without brackets, with the IPv4 address it carries', () => {
    expect(classifyHost('[::ffff:127.0.0.1]')).toEqual({
      kind: 'ipv6',
      host: '[::ffff:7f00:1]',
      embeds: { embedding: 'ipv4-mapped', ipv4: '127.0.0.1' },
      range: expect.objectContaining({ rule: 'loopback', block: '127.0.0.0/8' })
    })
    expect(classifyHost('::1')).toEqual(expect.objectContaining({ kind: 'ipv6', host: '[::1]', range: expect.objectContaining({ rule: 'loopback' }) }))
    expect(classifyHost('[64:ff9b::8.8.8.8]')).toEqual({ kind: 'ipv6', host: '[64:ff9b::808:808]', embeds: { embedding: 'nat64', ipv4: '8.8.8.8' } })
    expect(classifyHost('[2606:4700::1]')).toEqual({ kind: 'ipv6', host: '[2606:4700::1]' })
  })

  it('names: normalised, public unless special', () => {
    expect(classifyHost('Relay.Damus.IO.')).toEqual({ kind: 'name', host: 'relay.damus.io' })
    expect(classifyHost('bücher.example')).toEqual({ kind: 'name', host: 'xn--bcher-kva.example' })
    expect(classifyHost('svc.internal').range?.rule).toBe('local-name')
    expect(classifyHost('x.onion').range?.rule).toBe('onion')
  })

  it('anything that is not a host is invalid, with a reason', () => {
    for (const h of ['', 'a/b', 'relay.damus.io:443', '[::1]:443', 'a b', 'user@host', '[fe80::1%eth0]', '256.1.1.1', '1.2.3.4.5', '.']) {
      const c = classifyHost(h)
      expect([h, c.kind]).toEqual([h, 'invalid'])
      if (c.kind === 'invalid') expect(c.reason.length).toBeGreaterThan(0)
    }
  })

  it('specialRanges: every block has a rule and an RFC, and its first and last IPv4 address are refused by that rule', () => {
    expect(specialRanges.length).toBeGreaterThan(30)
    for (const r of specialRanges) {
      expect(policyRules).toContain(r.rule)
      expect(r.rfc.length).toBeGreaterThan(0)
    }
    for (const r of specialRanges.filter((x) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(x.block))) {
      const [ip = '', bits = '32'] = r.block.split('/')
      const first = ip.split('.').reduce((acc, b) => acc * 256 + Number(b), 0)
      const last = first + 2 ** (32 - Number(bits)) - 1
      expect([r.block, verdict(`wss://${dotted(first)}`), verdict(`wss://${dotted(last)}`)]).toEqual([r.block, r.rule, r.rule])
    }
  })
})

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

describe('properties', () => {
  const wsUrl = fc.webUrl({
    validSchemes: ['ws', 'wss'],
    withQueryParameters: true,
    withFragments: true,
    authoritySettings: { withIPv4: true, withIPv6: true, withIPv4Extended: true, withPort: true, withUserInfo: true }
  })
  const anyInput = fc.oneof(fc.string(), fc.webUrl(), wsUrl, fc.anything())

  test.prop([anyInput], { numRuns: 1000 })('never throws, and a refusal always names a known rule and a reason', (u) => {
    let r: E.Either<{ rule: PolicyRule; reason: string }, string> | undefined
    expect(() => {
      r = checkRelayUrl()(u as string)
    }).not.toThrow()
    expect(() => classifyHost(u as string)).not.toThrow()
    if (r !== undefined && E.isLeft(r)) {
      expect(policyRules).toContain(r.left.rule)
      expect(r.left.reason.length).toBeGreaterThan(0)
    }
  })

  test.prop([fc.integer({ min: 0, max: 2 ** 24 - 1 }), spellingArb, portAndPath, fc.constantFrom('ws', 'wss', 'WSS')], { numRuns: 1000 })(
    'every address in 127.0.0.0/8, in any spelling, is refused as loopback',
    (low, s, tail, scheme) => {
      const addr = 127 * 2 ** 24 + low
      const host = spell(addr, s)
      expect(new URL(`wss://${host}`).hostname).toBe(dotted(addr)) // the spelling is a real one
      expect(classifyHost(host)).toEqual(expect.objectContaining({ kind: 'ipv4', host: dotted(addr) }))
      expect(verdict(`${scheme}://${host}${tail}`)).toBe('loopback')
    }
  )

  test.prop([fc.integer({ min: 0, max: 2 ** 24 - 1 }), spellingArb, portAndPath], { numRuns: 1000 })(
    'every address in 10.0.0.0/8, in any spelling, is refused as private',
    (low, s, tail) => {
      const addr = 10 * 2 ** 24 + low
      expect(verdict(`wss://${spell(addr, s)}${tail}`)).toBe('private')
      expect(verdict(`wss://[::ffff:${dotted(addr)}]${tail}`)).toBe('private')
    }
  )

  const numericish = fc.string({ unit: fc.constantFrom(...'0123456789abcdefxX.'), minLength: 1, maxLength: 24 })
  const edgyParts = fc
    .array(
      fc.tuple(
        fc.constantFrom(0, 1, 7, 8, 255, 256, 65535, 65536, 2 ** 24 - 1, 2 ** 24, 2 ** 32 - 1, 2 ** 32),
        fc.constantFrom<Style>('dec', 'hex', 'HEX', 'oct'),
        fc.integer({ min: 0, max: 2 })
      ),
      { minLength: 1, maxLength: 5 }
    )
    .chain((parts) => fc.constantFrom('', '.', '..').map((dots) => parts.map(([n, st, pad]) => spellNumber(n, st, pad)).join('.') + dots))

  test.prop([fc.oneof(numericish, edgyParts)], { numRuns: 2000 })(
    'classifyHost reads numeric hosts exactly as the WHATWG URL parser does',
    (h) => {
      const hostname = (s: string): string | undefined => {
        try {
          return new URL(`wss://${s}/`).hostname.replace(/\.+$/, '')
        } catch {
          return undefined
        }
      }
      // `127.0.0.1..` is a name to the parser, an address again once its dots are gone
      const once = hostname(h)
      const whatwg = once === undefined || once === '' ? once : hostname(once)
      const c = classifyHost(h)
      // the raw reader alone (no URL parser) agrees on every ASCII spelling
      let direct: string | undefined
      try {
        direct = new URL(`wss://${h}/`).hostname
      } catch {
        direct = undefined
      }
      const raw = parseIpv4(h)
      if (raw !== undefined) expect(dotted(raw)).toBe(direct)
      else if (direct !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(direct)) expect.fail(`${h} is ${direct} to the URL parser`)
      if (whatwg === undefined || whatwg === '') expect(c.kind).toBe('invalid')
      else if (/^\d+\.\d+\.\d+\.\d+$/.test(whatwg)) expect(c).toEqual(expect.objectContaining({ kind: 'ipv4', host: whatwg }))
      else expect(c).toEqual(expect.objectContaining({ kind: 'name', host: whatwg }))
    }
  )

  test.prop([u32, spellingArb], { numRuns: 1000 })('every IPv4 address is judged as the special-purpose registry says', (addr, s) => {
    const expected = oracle4(addr)
    expect(verdict(`wss://${spell(addr, s)}`)).toBe(expected)
    expect(verdict(`wss://[::ffff:${dotted(addr)}]`)).toBe(expected)
    expect(verdict(`wss://[64:ff9b::${dotted(addr)}]`)).toBe(expected)
  })

  test.prop([u32.filter((a) => oracle4(a) === 'allowed'), u32.filter((a) => oracle4(a) !== 'allowed')], { numRuns: 300 })(
    'the registry oracle has both outcomes in reach (a sanity check on the generator)',
    (pub, special) => {
      expect(verdict(`wss://${dotted(pub)}`)).toBe('allowed')
      expect(verdict(`wss://${dotted(special)}`)).not.toBe('allowed')
    }
  )

  const group = (min: number, max: number) => fc.integer({ min, max }).map((n) => n.toString(16))
  const tail6 = fc.array(group(0, 0xffff), { minLength: 7, maxLength: 7 })

  test.prop(
    [
      fc.constantFrom<readonly [number, number, PolicyRule | 'allowed']>(
        [0xfc00, 0xfdff, 'unique-local'],
        [0xfe80, 0xfebf, 'link-local'],
        [0xff00, 0xffff, 'multicast'],
        [0x2400, 0x2fff, 'allowed']
      ),
      fc.integer({ min: 0, max: 0xffff }),
      tail6
    ],
    { numRuns: 1000 }
  )('IPv6 blocks: unique-local, link-local, multicast refused; global unicast allowed', ([min, max, rule], first, rest) => {
    const g0 = (min + (first % (max - min + 1))).toString(16)
    expect(verdict(`wss://[${[g0, ...rest].join(':')}]`)).toBe(rule)
  })

  test.prop([wsUrl], { numRuns: 1000 })('every generated ws/wss URL gets the verdict the oracles give for its host', (u) => {
    const parsed = new URL(u)
    const got = verdict(u)
    if (parsed.username !== '' || parsed.password !== '') return void expect(got).toBe('user-info')
    if (u.length > 2048) return void expect(got).toBe('too-long')
    const h = parsed.hostname
    const hostVerdict = h.startsWith('[') ? undefined : /^[\d.]+$/.test(h) ? oracle4(h.split('.').reduce((a, b) => a * 256 + Number(b), 0)) : oracleName(h)
    if (hostVerdict === undefined) return void expect(policyRules.concat(['allowed' as PolicyRule])).toContain(got)
    const expected = hostVerdict !== 'allowed' ? hostVerdict : parsed.protocol === 'ws:' ? 'insecure-ws' : 'allowed'
    expect(got).toBe(expected)
    if (got === 'allowed') expect(checkRelayUrl()(u)).toEqual(relayUrl(u))
  })

  const specialHost = fc.oneof(
    fc.tuple(u32, spellingArb).map(([a, s]) => ({ url: spell(a, s), entry: dotted(a) })),
    fc.tuple(u32, spellingArb, spellingArb).map(([a, s1, s2]) => ({ url: spell(a, s1), entry: spell(a, s2) })),
    fc.tuple(u32).map(([a]) => ({ url: `[::ffff:${dotted(a)}]`, entry: `::ffff:${dotted(a)}` })),
    fc
      .tuple(fc.domain(), fc.constantFrom('', '.local', '.internal', '.localhost', '.onion', '.lan'), fc.boolean())
      .map(([d, tld, upper]) => ({ url: `${upper ? d.toUpperCase() : d}${tld}`, entry: `${d}${tld}.` })),
    fc.constantFrom('localhost', 'redis', '[fe80::1]', '[fd00::1]', '[::]', '0', '169.254.169.254').map((h) => ({ url: h, entry: h }))
  )

  test.prop([specialHost, portAndPath, fc.constantFrom('ws', 'wss')], { numRuns: 1000 })(
    'allow-list always wins: a host on allowHosts is accepted in any spelling, on any port and path',
    ({ url, entry }, tail, scheme) => {
      const full = `${scheme}://${url}${tail}`
      expect(verdict(full, { allowHosts: [entry], denyHosts: [entry] })).toBe('allowed')
      expect(verdict(full, { allowRelays: [full], denyHosts: [entry] })).toBe('allowed')
    }
  )

  // labels starting with "xn--" are punycode, mostly invalid (a.aa with xn--a is not a URL)
  const labelArb = fc.stringMatching(/^[a-z0-9-]{1,10}$/).filter((l) => !l.startsWith('xn--'))
  test.prop([fc.domain(), labelArb], { numRuns: 1000 })(
    'deny-list: a suffix entry denies the names under it, an exact entry never denies a longer name',
    (d, label) => {
      expect(verdict(`wss://${label}.${d}`, { denyHosts: [`.${d}`] })).toBe('denied-host')
      expect(verdict(`wss://${d}`, { denyHosts: [`.${d}`] })).toBe('denied-host')
      expect(verdict(`wss://${label}${d}`, { denyHosts: [d] })).not.toBe('denied-host')
      expect(verdict(`wss://${label}.${d}`, { denyHosts: [d] })).not.toBe('denied-host')
      expect(verdict(`wss://${d}.${label}x`, { denyHosts: [d, `.${d}`] })).not.toBe('denied-host')
    }
  )
})
