/**
 * The machinery behind `RelayPolicy`: IPv4 and IPv6 address parsing, the special-purpose address
 * tables and the special names. Pure, total, no DNS.
 *
 * @internal
 */

import type { HostRule as RangeRule, Ipv4Embedding as Embedding, SpecialRange as Range } from './model.js'

export { parseUrl } from '../../model/url.js'

// ---------------------------------------------------------------------------------------------
// IPv4
// ---------------------------------------------------------------------------------------------

const DEC = /^[0-9]+$/
const OCT = /^[0-7]*$/
const HEX = /^[0-9a-f]*$/

/** The WHATWG "IPv4 number parser": `0x` hex, leading-zero octal, else decimal. */
const ipv4Number = (part: string): number | undefined => {
  if (part === '') return undefined
  if (part.startsWith('0x')) {
    const digits = part.slice(2)
    if (!HEX.test(digits)) return undefined
    return digits === '' ? 0 : parseInt(digits, 16)
  }
  if (part.length >= 2 && part.startsWith('0')) {
    const digits = part.slice(1)
    return OCT.test(digits) ? parseInt(digits, 8) : undefined
  }
  return DEC.test(part) ? parseInt(part, 10) : undefined
}

/**
 * The WHATWG IPv4 parser (the one `new URL` applies to `ws:`/`wss:` hosts, modelled on
 * `inet_aton`): one to four parts, each decimal, `0x` hex or leading-zero octal, the last part
 * filling the remaining bytes, one trailing dot allowed. `127.1`, `0x7f000001`, `2130706433` and
 * `0177.0.0.1` are all 127.0.0.1. ASCII input only, case-insensitive; `undefined` when the input is
 * not an IPv4 address in any of these spellings.
 */
export const parseIpv4 = (input: string): number | undefined => {
  if (input.length === 0 || input.length > 256) return undefined
  const parts = input.toLowerCase().split('.')
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop()
  if (parts.length > 4) return undefined
  const numbers: Array<number> = []
  for (const part of parts) {
    const n = ipv4Number(part)
    if (n === undefined || !Number.isFinite(n)) return undefined
    numbers.push(n)
  }
  const last = numbers[numbers.length - 1]
  if (last === undefined) return undefined
  for (let i = 0; i < numbers.length - 1; i++) if ((numbers[i] as number) > 255) return undefined
  if (last >= 256 ** (5 - numbers.length)) return undefined
  let address = last
  for (let i = 0; i < numbers.length - 1; i++) address += (numbers[i] as number) * 256 ** (3 - i)
  return address
}

/** Dotted-decimal form of a 32-bit address. */
export const showIpv4 = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`

interface Block4 {
  readonly base: number
  readonly bits: number
  readonly range: Range
}

const block4 = (cidr: string, rule: RangeRule, title: string, rfc: string): Block4 => {
  const [ip = '', bits = '32'] = cidr.split('/')
  return { base: parseIpv4(ip) ?? 0, bits: Number(bits), range: { rule, block: cidr, title, rfc } }
}

/**
 * The IPv4 blocks that are never a public relay, from the IANA IPv4 Special-Purpose Address
 * Registry (RFC 6890) and the RFCs it cites. More specific blocks come first.
 */
export const IPV4_BLOCKS: ReadonlyArray<Block4> = [
  block4('0.0.0.0/8', 'unspecified', '"this network"; Linux connects 0.0.0.0 to the local host', 'RFC 1122 §3.2.1.3'),
  block4('10.0.0.0/8', 'private', 'private network', 'RFC 1918'),
  block4('100.64.0.0/10', 'private', 'shared address space (carrier-grade NAT)', 'RFC 6598'),
  block4('127.0.0.0/8', 'loopback', 'loopback', 'RFC 1122 §3.2.1.3'),
  block4('169.254.0.0/16', 'link-local', 'link-local (cloud metadata services live at 169.254.169.254)', 'RFC 3927'),
  block4('172.16.0.0/12', 'private', 'private network', 'RFC 1918'),
  block4('192.0.0.0/24', 'reserved', 'IETF protocol assignments', 'RFC 6890 §2.1'),
  block4('192.0.2.0/24', 'reserved', 'documentation (TEST-NET-1)', 'RFC 5737'),
  block4('192.88.99.0/24', 'reserved', '6to4 relay anycast (deprecated)', 'RFC 7526'),
  block4('192.168.0.0/16', 'private', 'private network', 'RFC 1918'),
  block4('198.18.0.0/15', 'reserved', 'network benchmarking', 'RFC 2544'),
  block4('198.51.100.0/24', 'reserved', 'documentation (TEST-NET-2)', 'RFC 5737'),
  block4('203.0.113.0/24', 'reserved', 'documentation (TEST-NET-3)', 'RFC 5737'),
  block4('224.0.0.0/4', 'multicast', 'multicast', 'RFC 5771'),
  block4('255.255.255.255/32', 'reserved', 'limited broadcast', 'RFC 919, RFC 8190'),
  block4('240.0.0.0/4', 'reserved', 'reserved for future use', 'RFC 1112 §4')
]

const in4 = (a: number, b: Block4): boolean => b.bits === 0 || Math.floor(a / 2 ** (32 - b.bits)) === Math.floor(b.base / 2 ** (32 - b.bits))

/** The special block an IPv4 address is in, if any. */
export const ipv4Range = (a: number): Range | undefined => IPV4_BLOCKS.find((b) => in4(a, b))?.range

// ---------------------------------------------------------------------------------------------
// IPv6
// ---------------------------------------------------------------------------------------------

/** An IPv6 address as eight 16-bit groups. */
export type Ipv6 = ReadonlyArray<number>

const GROUP = /^[0-9a-f]{1,4}$/

const groupsOf = (s: string): Array<number> | undefined => {
  if (s === '') return []
  const out: Array<number> = []
  const parts = s.split(':')
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string
    if (i === parts.length - 1 && p.includes('.')) {
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(p)) return undefined
      const bytes = p.split('.').map(Number)
      if (bytes.some((b) => b > 255)) return undefined
      const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = bytes
      out.push(b0 * 256 + b1, b2 * 256 + b3)
    } else if (GROUP.test(p)) out.push(parseInt(p, 16))
    else return undefined
  }
  return out
}

/**
 * Parses the RFC 4291 text form of an IPv6 address (no brackets, no zone): hex groups, at most one
 * `::`, an optional dotted IPv4 tail. `undefined` when it is not one.
 */
export const parseIpv6 = (input: string): Ipv6 | undefined => {
  if (input.length === 0 || input.length > 64) return undefined
  const s = input.toLowerCase()
  const halves = s.split('::')
  if (halves.length > 2) return undefined
  if (halves.length === 1) {
    const g = groupsOf(s)
    return g !== undefined && g.length === 8 ? g : undefined
  }
  const head = groupsOf(halves[0] as string)
  const tail = groupsOf(halves[1] as string)
  if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail]
}

interface Block6 {
  readonly prefix: Ipv6
  readonly bits: number
}

const prefix6 = (cidr: string): Block6 => {
  const [ip = '', bits = '128'] = cidr.split('/')
  return { prefix: parseIpv6(ip) ?? [], bits: Number(bits) }
}

const in6 = (a: Ipv6, b: Block6): boolean => {
  for (let i = 0, left = b.bits; left > 0; i++, left -= 16) {
    const keep = Math.min(16, left)
    const shift = 16 - keep
    if ((a[i] ?? 0) >>> shift !== (b.prefix[i] ?? 0) >>> shift) return false
  }
  return true
}

interface Special6 extends Block6 {
  readonly range: Range
}

const special6 = (cidr: string, rule: RangeRule, title: string, rfc: string): Special6 => ({
  ...prefix6(cidr),
  range: { rule, block: cidr, title, rfc }
})

interface Embed6 extends Block6 {
  readonly embedding: Embedding
  /** Index of the group holding the high 16 bits of the IPv4 address. */
  readonly at: number
}

const embed6 = (cidr: string, embedding: Embedding, at: number): Embed6 => ({ ...prefix6(cidr), embedding, at })

/**
 * IPv6 prefixes that embed an IPv4 address, checked after `::` and `::1`. A refusal names the
 * embedding (check.ts) and the IPv4 block it carries, so the sources are here only:
 */
export const IPV6_EMBEDDINGS: ReadonlyArray<Embed6> = [
  embed6('::ffff:0:0/96', 'ipv4-mapped', 6), // IPv4-mapped IPv6 address, RFC 4291 §2.5.5.2
  embed6('::ffff:0:0:0/96', 'ipv4-translated', 6), // IPv4-translated IPv6 address (SIIT), RFC 2765 §2.1
  embed6('::/96', 'ipv4-compatible', 6), // IPv4-compatible IPv6 address, RFC 4291 §2.5.5.1
  embed6('64:ff9b::/96', 'nat64', 6), // NAT64 well-known prefix, RFC 6052 §2.1
  embed6('2002::/16', '6to4', 1) // 6to4 (the IPv4 address is in bits 16 to 47), RFC 3056 §2
]

const UNSPECIFIED6 = special6('::/128', 'unspecified', 'unspecified address', 'RFC 4291 §2.5.2')
const LOOPBACK6 = special6('::1/128', 'loopback', 'loopback', 'RFC 4291 §2.5.3')
const COMPATIBLE6 = special6('::/96', 'reserved', 'IPv4-compatible IPv6 address (deprecated)', 'RFC 4291 §2.5.5.1')
const GLOBAL_UNICAST = prefix6('2000::/3')
const NOT_GLOBAL6 = special6('::/0', 'reserved', 'outside global unicast 2000::/3 (reserved by the IETF)', 'RFC 4291 §2.4')

/**
 * The IPv6 blocks that are never a public relay, from the IANA IPv6 Special-Purpose Address
 * Registry and the RFCs it cites. Checked in this order, after the IPv4-embedding prefixes.
 */
export const IPV6_BLOCKS: ReadonlyArray<Special6> = [
  special6('64:ff9b:1::/48', 'private', 'local-use IPv4/IPv6 translation', 'RFC 8215'),
  special6('100::/64', 'reserved', 'discard-only', 'RFC 6666'),
  special6('2001:db8::/32', 'reserved', 'documentation', 'RFC 3849'),
  special6('2001::/23', 'reserved', 'IETF protocol assignments (includes Teredo 2001::/32)', 'RFC 2928, RFC 4380'),
  special6('3fff::/20', 'reserved', 'documentation', 'RFC 9637'),
  special6('5f00::/16', 'reserved', 'segment routing (SRv6) SIDs', 'RFC 9602'),
  special6('fc00::/7', 'unique-local', 'unique local address (AWS metadata lives at fd00:ec2::254)', 'RFC 4193'),
  special6('fe80::/10', 'link-local', 'link-local unicast', 'RFC 4291 §2.5.6'),
  special6('fec0::/10', 'unique-local', 'site-local unicast (deprecated)', 'RFC 3879'),
  special6('ff00::/8', 'multicast', 'multicast', 'RFC 4291 §2.7')
]

/** Every special IPv6 block with a rule of its own, for documentation, in checking order. */
export const IPV6_RANGES: ReadonlyArray<Range> = /* @__PURE__ */ (() => [
  UNSPECIFIED6.range,
  LOOPBACK6.range,
  COMPATIBLE6.range,
  ...IPV6_BLOCKS.map((b) => b.range),
  NOT_GLOBAL6.range
])()

/** What an IPv6 address is: its special block, and the IPv4 address it carries, if any. */
export interface Ipv6Class {
  readonly range: Range | undefined
  readonly embedded: { readonly embedding: Embedding; readonly ipv4: number } | undefined
}

/** Classifies an IPv6 address. */
export const classifyIpv6 = (a: Ipv6): Ipv6Class => {
  if (in6(a, UNSPECIFIED6)) return { range: UNSPECIFIED6.range, embedded: undefined }
  if (in6(a, LOOPBACK6)) return { range: LOOPBACK6.range, embedded: undefined }
  for (const e of IPV6_EMBEDDINGS) {
    if (!in6(a, e)) continue
    const ipv4 = (a[e.at] ?? 0) * 65536 + (a[e.at + 1] ?? 0)
    const inner = ipv4Range(ipv4)
    const range = inner ?? (e.embedding === 'ipv4-compatible' ? COMPATIBLE6.range : undefined)
    return { range, embedded: { embedding: e.embedding, ipv4 } }
  }
  for (const b of IPV6_BLOCKS) if (in6(a, b)) return { range: b.range, embedded: undefined }
  if (!in6(a, GLOBAL_UNICAST)) return { range: NOT_GLOBAL6.range, embedded: undefined }
  return { range: undefined, embedded: undefined }
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

const LOCALHOST: Range = { rule: 'loopback', block: 'localhost, .localhost', title: 'localhost names resolve to loopback', rfc: 'RFC 6761 §6.3' }
const ONION: Range = { rule: 'onion', block: '.onion', title: 'Tor onion service', rfc: 'RFC 7686' }
const SINGLE_LABEL: Range = {
  rule: 'local-name',
  block: 'single-label names',
  title: 'a name without a dot is completed by the host\'s DNS search list (an internal service name)',
  rfc: 'RFC 1535'
}

/** Top-level labels that only ever resolve inside a network, with their source. */
const LOCAL_SUFFIXES: ReadonlyArray<Range> = [
  { rule: 'local-name', block: '.local', title: 'multicast DNS (mDNS) link-local names', rfc: 'RFC 6762' },
  { rule: 'local-name', block: '.internal', title: 'private-use top-level domain', rfc: 'ICANN resolution 2024.07.29.06' },
  { rule: 'local-name', block: '.home.arpa', title: 'home network names', rfc: 'RFC 8375' },
  { rule: 'local-name', block: '.intranet', title: 'private top-level domain in common use', rfc: 'RFC 6762 Appendix G' },
  { rule: 'local-name', block: '.private', title: 'private top-level domain in common use', rfc: 'RFC 6762 Appendix G' },
  { rule: 'local-name', block: '.corp', title: 'private top-level domain in common use', rfc: 'RFC 6762 Appendix G' },
  { rule: 'local-name', block: '.home', title: 'private top-level domain in common use', rfc: 'RFC 6762 Appendix G' },
  { rule: 'local-name', block: '.lan', title: 'private top-level domain in common use', rfc: 'RFC 6762 Appendix G' },
  { rule: 'local-name', block: '.localdomain', title: 'the local domain of many resolvers and /etc/hosts files', rfc: 'convention (no RFC)' }
]

/** Every special name block, for documentation. */
export const NAME_RANGES: ReadonlyArray<Range> = /* @__PURE__ */ (() => [LOCALHOST, ...LOCAL_SUFFIXES, SINGLE_LABEL, ONION])()

/** True when `name` is `suffix` or ends with `.suffix` (label boundary, never a substring). */
export const isUnder = (name: string, suffix: string): boolean =>
  name === suffix || (name.length > suffix.length && name.endsWith(suffix) && name[name.length - suffix.length - 1] === '.')

/**
 * The special block a host name is in, if any. `name` is lower case, in punycode, without trailing
 * dots.
 */
export const nameRange = (name: string): Range | undefined => {
  if (isUnder(name, 'localhost')) return LOCALHOST
  if (isUnder(name, 'onion')) return ONION
  for (const r of LOCAL_SUFFIXES) if (isUnder(name, r.block.slice(1))) return r
  if (!name.includes('.')) return SINGLE_LABEL
  return undefined
}

