/**
 * Host classification (internal; public through `config/RelayPolicy.ts`): what a host is (IPv4,
 * IPv6, name) and which special-purpose block it falls in. Never resolves a name.
 */
import { classifyIpv6, IPV4_BLOCKS, IPV6_RANGES, ipv4Range, NAME_RANGES, nameRange, parseIpv4, parseIpv6, parseUrl, showIpv4 } from './ip.js'
import { MAX_URL_LENGTH, type HostClass, type SpecialRange } from './model.js'
import { cut, describe } from '../../util/text.js'

/**
 * Every special-purpose block the policy knows, IPv4 first, then IPv6, then names, each with its
 * rule and RFC. (IPv6 prefixes that carry an IPv4 address, such as `::ffff:0:0/96`, are not blocks
 * of their own: the carried address decides.)
 *
 * @example
 * import { specialRanges } from 'nip34-sync'
 *
 * const metadata = specialRanges.find((r) => r.block === '169.254.0.0/16')
 * assert.strictEqual(metadata?.rule, 'link-local')
 * assert.strictEqual(metadata?.rfc, 'RFC 3927')
 *
 * @category constants
 * @since 0.1.0
 */
export const specialRanges: ReadonlyArray<SpecialRange> = /* @__PURE__ */ (() =>
  Object.freeze([...IPV4_BLOCKS.map((b) => b.range), ...IPV6_RANGES, ...NAME_RANGES]))()

// -------------------------------------------------------------------------------------
// classification
// -------------------------------------------------------------------------------------

const invalidHost = (host: string, reason: string): HostClass => ({ kind: 'invalid', host: cut(host), reason })

const ipv4Class = (a: number): HostClass => {
  const range = ipv4Range(a)
  return { kind: 'ipv4', host: showIpv4(a), ...(range === undefined ? {} : { range }) }
}

const NOT_IN_NAME = /[\s/\\?#@[\]\u0000-\u001f\u007f]/
const IPV6_CHARS = /^[0-9a-fA-F:.]+$/

/**
 * Classifies a host as it appears in a URL (no port): an IPv4 address in any spelling the WHATWG
 * URL parser accepts, an IPv6 address (with or without brackets), or a name (normalised to lower
 * case and punycode, trailing dots removed). `range` says which special block it is in; a public
 * host has none. Total: anything else is `kind: 'invalid'` with a reason.
 *
 * The host's real address can only be known after a DNS lookup, which this function never does:
 * use it on the resolved address at connect time, too.
 *
 * @example
 * import { classifyHost } from 'nip34-sync'
 *
 * assert.deepStrictEqual(classifyHost('0x7f000001'), {
 *   kind: 'ipv4',
 *   host: '127.0.0.1',
 *   range: { rule: 'loopback', block: '127.0.0.0/8', title: 'loopback', rfc: 'RFC 1122 §3.2.1.3' }
 * })
 * assert.strictEqual(classifyHost('[::ffff:10.0.0.1]').kind, 'ipv6')
 * assert.strictEqual(classifyHost('[::ffff:10.0.0.1]').range?.rule, 'private')
 * assert.strictEqual(classifyHost('LOCALHOST.').range?.rule, 'loopback')
 * assert.deepStrictEqual(classifyHost('Relay.Damus.io'), { kind: 'name', host: 'relay.damus.io' })
 *
 * @category utils
 * @since 0.1.0
 */
export const classifyHost = (host: string): HostClass => {
  if (typeof host !== 'string') return invalidHost(describe(host), 'not a string')
  if (host.length === 0) return invalidHost(host, 'empty')
  if (host.length > MAX_URL_LENGTH) return invalidHost(host, `longer than ${MAX_URL_LENGTH} characters`)
  const bracketed = host.startsWith('[') && host.endsWith(']')
  if (bracketed || host.includes(':')) {
    const inner = bracketed ? host.slice(1, -1) : host
    if (!IPV6_CHARS.test(inner)) return invalidHost(host, 'not an IPv6 address (a host has no port and no zone)')
    const url = parseUrl(`wss://[${inner}]/`)
    const groups = url === undefined ? undefined : parseIpv6(url.hostname.slice(1, -1))
    if (url === undefined || groups === undefined) return invalidHost(host, 'not an IPv6 address')
    const c = classifyIpv6(groups)
    return {
      kind: 'ipv6',
      host: url.hostname,
      ...(c.range === undefined ? {} : { range: c.range }),
      ...(c.embedded === undefined ? {} : { embeds: { embedding: c.embedded.embedding, ipv4: showIpv4(c.embedded.ipv4) } })
    }
  }
  // Every IPv4 spelling, read directly (not trusting any other parser to have normalised it).
  const raw = parseIpv4(host)
  if (raw !== undefined) return ipv4Class(raw)
  if (NOT_IN_NAME.test(host)) return invalidHost(host, 'not a host name (it contains a space, "/", "?", "#", "@" or a bracket)')
  // Percent-decoding, Unicode mapping (`１２７。０。０。１`, `ＬＯＣＡＬＨＯＳＴ`) and punycode.
  const url = parseUrl(`wss://${host}/`)
  if (url === undefined) return invalidHost(host, 'not a host name (refused by the WHATWG URL parser)')
  const name = url.hostname.replace(/\.+$/, '')
  if (name.length === 0) return invalidHost(host, 'empty')
  // `127.0.0.1..` is a *name* to the URL parser; with its dots removed it is an address again,
  // and `1.2.3.999..` is no host at all.
  const v4 = parseIpv4(name)
  if (v4 !== undefined) return ipv4Class(v4)
  if (name !== url.hostname && parseUrl(`wss://${name}/`) === undefined)
    return invalidHost(host, 'not a host name once its trailing dots are removed')
  const range = nameRange(name)
  return { kind: 'name', host: name, ...(range === undefined ? {} : { range }) }
}
