/** Shared oracles, spellings and arbitraries of the relay policy tests. */
import { expect } from 'vitest'
import { fc } from '@fast-check/vitest'
import { either as E, function as F } from 'fp-ts'
import { checkRelayUrl, type PolicyRule, type RelayPolicy } from '../../../../src/config/RelayPolicy.js'

/** The rule that refuses `url` under `policy`, or `'allowed'`. */
export const verdict = (url: string, policy?: Partial<RelayPolicy>): PolicyRule | 'allowed' =>
  F.pipe(
    checkRelayUrl(policy)(url),
    E.match(
      (r) => r.rule,
      () => 'allowed' as const
    )
  )

export const expectAll = (urls: ReadonlyArray<string>, expected: PolicyRule | 'allowed', policy?: Partial<RelayPolicy>) => {
  for (const url of urls) expect([url, verdict(url, policy)]).toEqual([url, expected])
}

// ---------------------------------------------------------------------------------------------
// IPv4 spellings, built independently of the code under test
// ---------------------------------------------------------------------------------------------

export type Style = 'dec' | 'hex' | 'HEX' | 'oct'

export const spellNumber = (n: number, style: Style, pad: number): string => {
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

export interface Spelling {
  readonly parts: number
  readonly styles: ReadonlyArray<Style>
  readonly pads: ReadonlyArray<number>
  readonly trailingDot: boolean
}

export const spellingArb: fc.Arbitrary<Spelling> = fc.record({
  parts: fc.integer({ min: 1, max: 4 }),
  styles: fc.array(fc.constantFrom<Style>('dec', 'hex', 'HEX', 'oct'), { minLength: 4, maxLength: 4 }),
  pads: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
  trailingDot: fc.boolean()
})

/** `addr` written with `s.parts` parts (the last one filling the remaining bytes), each in its style. */
export const spell = (addr: number, s: Spelling): string => {
  const bytes = [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255]
  const rest = addr % 256 ** (5 - s.parts)
  const numbers = [...bytes.slice(0, s.parts - 1), rest]
  const text = numbers.map((n, i) => spellNumber(n, s.styles[i] ?? 'dec', s.pads[i] ?? 0)).join('.')
  return s.trailingDot ? `${text}.` : text
}

export const dotted = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.')

/** The special IPv4 blocks, written out again here as the oracle (IANA special-purpose registry). */
export const ORACLE4: ReadonlyArray<readonly [string, PolicyRule]> = [
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

export const oracle4 = (a: number): PolicyRule | 'allowed' => {
  for (const [cidr, rule] of ORACLE4) {
    const [ip = '', bits = '32'] = cidr.split('/')
    const base = ip.split('.').reduce((acc, b) => acc * 256 + Number(b), 0)
    const size = 2 ** (32 - Number(bits))
    if (Math.floor(a / size) === Math.floor(base / size)) return rule
  }
  return 'allowed'
}

export const LOCAL_SUFFIXES = ['local', 'internal', 'home.arpa', 'intranet', 'private', 'corp', 'home', 'lan', 'localdomain']

export const oracleName = (name: string): PolicyRule | 'allowed' => {
  const n = name.replace(/\.+$/, '')
  const under = (s: string) => n === s || n.endsWith(`.${s}`)
  if (under('localhost')) return 'loopback'
  if (under('onion')) return 'onion'
  if (LOCAL_SUFFIXES.some(under) || !n.includes('.')) return 'local-name'
  return 'allowed'
}

export const u32 = fc.integer({ min: 0, max: 0xffffffff })
export const portAndPath = fc.constantFrom('', ':443', ':6379', '/', '/nostr?b=1&a=2', ':8080/x/')

// ---------------------------------------------------------------------------------------------
// one named test per rule
// ---------------------------------------------------------------------------------------------
