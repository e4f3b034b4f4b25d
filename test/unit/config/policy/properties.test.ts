/**
 * Properties of the relay policy against oracles (special-purpose registries, local names).
 */
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E } from 'fp-ts'
import { relayUrl } from '../../../../src/model/RelayUrl.js'
import { checkRelayUrl, classifyHost, policyRules, type PolicyRule } from '../../../../src/config/RelayPolicy.js'
import { parseIpv4 } from '../../../../src/config/policy/ip.js'
import {
  verdict,
  type Style,
  spellNumber,
  spellingArb,
  spell,
  dotted,
  oracle4,
  oracleName,
  u32,
  portAndPath
} from './helpers.js'

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
