/**
 * A `RelayPolicy` decides whether a relay URL may be used as a sync target.
 *
 * A GRASP server follows repository announcements written by anyone, and every `relays` value in
 * them becomes a WebSocket connection the server opens. Without a policy, an announcement listing
 * `wss://127.0.0.1:6379`, `ws://169.254.169.254/latest/meta-data` or `wss://redis.internal` makes
 * the server connect into its own network: a server-side request forgery (SSRF). The policy
 * refuses such URLs before they become targets, and every refusal names the rule that refused it
 * ({@link PolicyRefusal}).
 *
 * {@link checkRelayUrl} first canonicalises the string with {@link relayUrl}, then applies, in
 * this order:
 *
 * 1. structural rules, never switched off (a `RelayUrl` cannot break them): `not-a-url`,
 *    `too-long` (`maxLength`, at most 2048), `scheme` (only `ws`/`wss`), `user-info`;
 * 2. `allowRelays` (exact canonical URLs) and `allowHosts`: a match is accepted, skipping every
 *    rule below;
 * 3. `denied-host` (`denyHosts`);
 * 4. the host's class ({@link classifyHost}): `loopback`, `private`, `link-local`,
 *    `unique-local`, `multicast`, `unspecified`, `reserved`, `local-name`, `onion` (the blocks are
 *    listed in {@link specialRanges}, each with its RFC);
 * 5. `insecure-ws`: `ws://` is refused unless `allowWs` (a `.onion` host allowed by `allowOnion`
 *    may use `ws://`: Tor already encrypts and authenticates the connection).
 *
 * Host names and addresses are compared exactly, after normalisation (lower case, punycode,
 * trailing dots removed, IPv4 in dotted decimal, IPv6 in its canonical bracketed form), never as
 * substrings. IPv4 addresses are recognised in every spelling the WHATWG URL parser and
 * `inet_aton` accept (`127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1`), and inside IPv6
 * addresses that carry one (`[::ffff:127.0.0.1]`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`).
 *
 * The policy is pure: it never resolves a name. A public name can still resolve to a private
 * address (DNS rebinding, or simply `127.0.0.1.nip.io`), so the host must check the *resolved*
 * addresses again at connect time with {@link checkResolvedAddress}, from the `lookup` hook of its
 * WebSocket library, and connect to the address it checked, not to the name again. See
 * `docs/security-urls.md`.
 *
 * @since 0.1.0
 */
import { either as E, function as F } from 'fp-ts'
import * as t from 'io-ts'
import { relayUrl, type RelayUrl } from '../model/RelayUrl.js'
import {
  classifyIpv6,
  IPV4_BLOCKS,
  IPV6_RANGES,
  ipv4Range,
  NAME_RANGES,
  nameRange,
  parseIpv4,
  parseIpv6,
  parseUrl,
  showIpv4
} from './ip.js'
import { readPlain } from '../util/plain.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The rules a host's class can break (see {@link classifyHost} and {@link specialRanges}).
 *
 * | rule | what |
 * | --- | --- |
 * | `loopback` | 127.0.0.0/8, ::1, `localhost` and `*.localhost` |
 * | `private` | RFC 1918 (10/8, 172.16/12, 192.168/16), CGNAT 100.64/10, 64:ff9b:1::/48 |
 * | `link-local` | 169.254/16 (cloud metadata), fe80::/10 |
 * | `unique-local` | fc00::/7, deprecated site-local fec0::/10 |
 * | `multicast` | 224/4, ff00::/8 |
 * | `unspecified` | 0.0.0.0/8, :: |
 * | `reserved` | documentation, benchmarking, 240/4, broadcast, IETF and other non-global blocks |
 * | `local-name` | `.local`, `.internal`, `.home.arpa`, `.lan`, `.corp`, ..., names without a dot |
 * | `onion` | `.onion` |
 *
 * @category model
 * @since 0.1.0
 */
export type HostRule =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'multicast'
  | 'unspecified'
  | 'reserved'
  | 'local-name'
  | 'onion'

/**
 * The rules that {@link RelayPolicy.disabledRules} can switch off: the host rules and
 * `insecure-ws`.
 *
 * @category model
 * @since 0.1.0
 */
export type ConfigurableRule = HostRule | 'insecure-ws'

/**
 * Every rule a URL can be refused by.
 *
 * - `not-a-url`: not a string, empty, not an absolute URL, or no host;
 * - `too-long`: longer than `maxLength` characters;
 * - `scheme`: not `ws:` or `wss:`;
 * - `user-info`: `wss://user:pw@host`;
 * - `denied-host`: the host is on `denyHosts`;
 * - `insecure-ws`: `ws://` while `allowWs` is false;
 * - `invalid-policy`: the policy itself has problems (see {@link resolveRelayPolicy}); an invalid
 *   policy refuses every URL, it never falls back to a more permissive one;
 * - `not-an-address`: at connect time ({@link checkResolvedAddress}), the resolved address is not
 *   an IP address;
 * - the {@link HostRule}s.
 *
 * @category model
 * @since 0.1.0
 */
export type PolicyRule =
  | 'not-a-url'
  | 'too-long'
  | 'scheme'
  | 'user-info'
  | 'denied-host'
  | 'invalid-policy'
  | 'not-an-address'
  | ConfigurableRule

/**
 * Every policy rule, in the order they are checked.
 *
 * @example
 * import { policyRules } from 'nip34-sync'
 *
 * assert.strictEqual(policyRules.includes('loopback'), true)
 * assert.strictEqual(policyRules.length, 17)
 *
 * @category constants
 * @since 0.1.0
 */
export const policyRules: ReadonlyArray<PolicyRule> = [
  'invalid-policy',
  'not-a-url',
  'too-long',
  'scheme',
  'user-info',
  'denied-host',
  'loopback',
  'private',
  'link-local',
  'unique-local',
  'multicast',
  'unspecified',
  'reserved',
  'local-name',
  'onion',
  'insecure-ws',
  'not-an-address'
]

/**
 * Which relay URLs may be sync targets. Every field has a safe default
 * ({@link defaultRelayPolicy}); pass only what you change.
 *
 * @category model
 * @since 0.1.0
 */
export interface RelayPolicy {
  /** Accept `ws://` (unencrypted) URLs. Default `false`. */
  readonly allowWs: boolean
  /** Accept `.onion` hosts (the host needs a Tor proxy). Default `false`. */
  readonly allowOnion: boolean
  /**
   * Accept loopback, private, unique-local addresses and local names (`loopback`, `private`,
   * `unique-local`, `local-name`), for tests and LAN deployments. Link-local (cloud metadata),
   * multicast, unspecified and reserved blocks stay refused: switch them off one by one with
   * `disabledRules` if you really must. Default `false`.
   */
  readonly allowPrivate: boolean
  /**
   * Hosts always accepted, on any port and path, whatever the other rules say (but never with a
   * bad scheme, user info, or over `maxLength`). `relay.example.com` matches that host only;
   * `.example.com` matches `example.com` and every name under it (`a.example.com`,
   * `a.b.example.com`), never `notexample.com`. Addresses match exactly (`10.0.0.5`, `[fd00::1]`).
   * Default `[]`.
   */
  readonly allowHosts: ReadonlyArray<string>
  /** Hosts always refused (`denied-host`), in the same forms as `allowHosts`. Default `[]`. */
  readonly denyHosts: ReadonlyArray<string>
  /**
   * Relay URLs always accepted, compared in canonical form (`wss://R.com:443/` is
   * `wss://r.com`): the way to trust your own and bootstrap relays without trusting every port of
   * their host (see {@link trustRelays}). Default `[]`.
   */
  readonly allowRelays: ReadonlyArray<string>
  /** Rules switched off, for every URL. Default `[]`. */
  readonly disabledRules: ReadonlyArray<ConfigurableRule>
  /** The longest accepted URL, in UTF-16 code units after trimming: an integer 1..2048. Default 2048. */
  readonly maxLength: number
}

/**
 * One special-purpose block of addresses or names.
 *
 * @category model
 * @since 0.1.0
 */
export interface SpecialRange {
  /** The rule that refuses addresses in this block. */
  readonly rule: HostRule
  /** The block: a CIDR (`127.0.0.0/8`, `fc00::/7`) or a name pattern (`.local`). */
  readonly block: string
  /** What the block is. */
  readonly title: string
  /** Where it is defined. */
  readonly rfc: string
}

/**
 * How an IPv6 address carries an IPv4 address. Such an address is refused when the IPv4 address
 * is, by the same rule: `[::ffff:127.0.0.1]` is loopback.
 *
 * @category model
 * @since 0.1.0
 */
export type Ipv4Embedding = 'ipv4-mapped' | 'ipv4-translated' | 'ipv4-compatible' | 'nat64' | '6to4'

/**
 * What a host is, as {@link classifyHost} sees it. `host` is the normalised host (the form
 * `allowHosts` and `denyHosts` are compared with); `range` is present when the host is in a
 * special block, and absent for a public address or name.
 *
 * @category model
 * @since 0.1.0
 */
export type HostClass =
  | { readonly kind: 'ipv4'; readonly host: string; readonly range?: SpecialRange }
  | {
      readonly kind: 'ipv6'
      readonly host: string
      readonly range?: SpecialRange
      /** The IPv4 address this IPv6 address carries, if any. */
      readonly embeds?: { readonly embedding: Ipv4Embedding; readonly ipv4: string }
    }
  | { readonly kind: 'name'; readonly host: string; readonly range?: SpecialRange }
  | { readonly kind: 'invalid'; readonly host: string; readonly reason: string; readonly range?: never }

/**
 * Why a URL may not be a sync target.
 *
 * @category model
 * @since 0.1.0
 */
export interface PolicyRefusal {
  readonly _tag: 'PolicyRefusal'
  /** The URL as given (cut to 200 characters). */
  readonly url: string
  /** The rule that refused it. */
  readonly rule: PolicyRule
  /** A readable reason, with the block and its RFC when a host rule refused it. */
  readonly reason: string
  /** The normalised host, when the URL got that far. */
  readonly host?: string
}

/**
 * What {@link resolveRelayPolicy} makes of an input: a complete policy and the problems found.
 *
 * @category model
 * @since 0.1.0
 */
export interface RelayPolicyResolution {
  /** The policy, every host and URL normalised; unusable values replaced by their default. */
  readonly policy: RelayPolicy
  /** What was wrong with the input (empty when nothing was). */
  readonly problems: ReadonlyArray<string>
}

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

const MAX_URL_LENGTH = 2048

/**
 * The default policy: `wss://` only, no `.onion`, no private, loopback, link-local or reserved
 * address or local name, no allow or deny list, URLs up to 2048 characters.
 *
 * `allowWs` is `false` because over `ws://` the whole HTTP upgrade request, path included, reaches
 * the target in clear text, which is what a cross-protocol request to a plain HTTP service behind a
 * rebinding name needs, while `wss://` first needs a valid certificate for the name. Public relays
 * serve `wss://`, so the default costs little.
 *
 * @example
 * import { defaultRelayPolicy } from 'nip34-sync'
 *
 * assert.strictEqual(defaultRelayPolicy.allowWs, false)
 * assert.strictEqual(defaultRelayPolicy.maxLength, 2048)
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultRelayPolicy: RelayPolicy = Object.freeze({
  allowWs: false,
  allowOnion: false,
  allowPrivate: false,
  allowHosts: Object.freeze([]),
  denyHosts: Object.freeze([]),
  allowRelays: Object.freeze([]),
  disabledRules: Object.freeze([]),
  maxLength: MAX_URL_LENGTH
})

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
export const specialRanges: ReadonlyArray<SpecialRange> = Object.freeze([
  ...IPV4_BLOCKS.map((b) => b.range),
  ...IPV6_RANGES,
  ...NAME_RANGES
])

// -------------------------------------------------------------------------------------
// classification
// -------------------------------------------------------------------------------------

const cut = (s: string): string => (s.length > 200 ? `${s.slice(0, 200)}…` : s)

const describe = (u: unknown): string => {
  if (typeof u === 'string') return JSON.stringify(cut(u))
  if (u === null || u === undefined || typeof u === 'number' || typeof u === 'boolean' || typeof u === 'bigint') return String(u)
  try {
    if (Array.isArray(u)) return 'an array'
  } catch {
    return 'an unreadable object' // a revoked Proxy
  }
  return typeof u === 'object' ? 'an object' : typeof u
}

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

// -------------------------------------------------------------------------------------
// resolution
// -------------------------------------------------------------------------------------

interface MaxLengthBrand {
  readonly MaxLength: unique symbol
}

const MaxLength = t.brand(t.Int, (n): n is t.Branded<t.Int, MaxLengthBrand> => n >= 1 && n <= MAX_URL_LENGTH, 'MaxLength')

const configurableRules: ReadonlyArray<ConfigurableRule> = policyRules.filter(
  (r): r is ConfigurableRule =>
    !['invalid-policy', 'not-a-url', 'too-long', 'scheme', 'user-info', 'denied-host', 'not-an-address'].includes(r)
)

const ConfigurableRuleCodec = t.keyof(
  Object.fromEntries(configurableRules.map((r) => [r, null])) as { [K in ConfigurableRule]: null },
  'ConfigurableRule'
)

const AnyList = t.readonlyArray(t.unknown)

type Field = keyof RelayPolicy

const fields: { readonly [K in Field]: { readonly codec: t.Mixed; readonly expected: string } } = {
  allowWs: { codec: t.boolean, expected: 'a boolean' },
  allowOnion: { codec: t.boolean, expected: 'a boolean' },
  allowPrivate: { codec: t.boolean, expected: 'a boolean' },
  allowHosts: { codec: AnyList, expected: 'an array of host names' },
  denyHosts: { codec: AnyList, expected: 'an array of host names' },
  allowRelays: { codec: AnyList, expected: 'an array of relay URLs' },
  disabledRules: { codec: AnyList, expected: `an array of rules (${configurableRules.join(', ')})` },
  maxLength: { codec: MaxLength, expected: `an integer from 1 to ${MAX_URL_LENGTH}` }
}

/** A normalised host entry: the host, and whether it also matches every name under it. */
interface HostPattern {
  readonly host: string
  readonly suffix: boolean
}

const hostPattern = (entry: unknown): E.Either<string, HostPattern> => {
  if (typeof entry !== 'string') return E.left(`${describe(entry)} is not a string`)
  const s = entry.trim()
  if (s.length === 0) return E.left('empty host')
  if (s.includes('://')) return E.left(`${describe(s)} is a URL, not a host name (put relay URLs in allowRelays)`)
  if (s.startsWith('*.')) return E.left(`${describe(s)}: write ".${s.slice(2)}" for a domain and every name under it`)
  const suffix = s.startsWith('.') && s.length > 1
  const c = classifyHost(suffix ? s.slice(1) : s)
  if (c.kind === 'invalid') return E.left(`${describe(s)} is not a host: ${c.reason}`)
  if (suffix && c.kind !== 'name') return E.left(`${describe(s)}: an address cannot be a suffix`)
  return E.right({ host: c.host, suffix })
}

const showPattern = (p: HostPattern): string => (p.suffix ? `.${p.host}` : p.host)

const sortedUnique = (xs: Iterable<string>): ReadonlyArray<string> => Object.freeze([...new Set(xs)].sort())

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)

const resolveUncached = (input: unknown): RelayPolicyResolution => {
  // Read once into plain data: a Proxy or a getter cannot answer differently to two reads.
  const plain = readPlain(input, 3)
  if (!plain.ok) return { policy: defaultRelayPolicy, problems: ['the relay policy cannot be read (a getter or Proxy trap threw)'] }
  try {
    return resolveFields(plain.value)
  } catch {
    return { policy: defaultRelayPolicy, problems: ['the relay policy cannot be read'] }
  }
}

const resolveFields = (input: unknown): RelayPolicyResolution => {
  if (input === undefined) return { policy: defaultRelayPolicy, problems: [] }
  if (!isRecord(input))
    return { policy: defaultRelayPolicy, problems: [`the relay policy must be an object, got ${describe(input)}`] }
  const problems: Array<string> = []
  for (const key of Object.keys(input))
    if (!Object.prototype.hasOwnProperty.call(fields, key)) problems.push(`unknown option ${describe(key)}`)
  const read = <K extends Field>(key: K): unknown => {
    const value = input[key]
    if (value === undefined) return undefined
    const { codec, expected } = fields[key]
    if (E.isLeft(codec.decode(value))) {
      problems.push(`${key} must be ${expected}, got ${describe(value)}`)
      return undefined
    }
    return value
  }
  const flag = (key: 'allowWs' | 'allowOnion' | 'allowPrivate'): boolean => (read(key) as boolean | undefined) ?? defaultRelayPolicy[key]
  const hosts = (key: 'allowHosts' | 'denyHosts'): ReadonlyArray<string> => {
    const list = (read(key) as ReadonlyArray<unknown> | undefined) ?? []
    const out: Array<string> = []
    list.forEach((entry, i) => {
      const p = hostPattern(entry)
      if (E.isLeft(p)) problems.push(`${key}[${i}]: ${p.left}`)
      else out.push(showPattern(p.right))
    })
    return sortedUnique(out)
  }
  const relays = (): ReadonlyArray<string> => {
    const list = (read('allowRelays') as ReadonlyArray<unknown> | undefined) ?? []
    const out: Array<string> = []
    list.forEach((entry, i) => {
      if (typeof entry !== 'string') return void problems.push(`allowRelays[${i}]: ${describe(entry)} is not a string`)
      const r = relayUrl(entry)
      if (E.isLeft(r)) problems.push(`allowRelays[${i}]: ${describe(entry)} is not a relay URL: ${r.left.reason}`)
      else out.push(r.right)
    })
    return sortedUnique(out)
  }
  const rules = (): ReadonlyArray<ConfigurableRule> => {
    const list = (read('disabledRules') as ReadonlyArray<unknown> | undefined) ?? []
    const out: Array<ConfigurableRule> = []
    list.forEach((entry, i) => {
      const r = ConfigurableRuleCodec.decode(entry)
      if (E.isLeft(r)) problems.push(`disabledRules[${i}]: ${describe(entry)} is not a rule that can be disabled`)
      else out.push(r.right)
    })
    return sortedUnique(out) as ReadonlyArray<ConfigurableRule>
  }
  const policy: RelayPolicy = Object.freeze({
    allowWs: flag('allowWs'),
    allowOnion: flag('allowOnion'),
    allowPrivate: flag('allowPrivate'),
    allowHosts: hosts('allowHosts'),
    denyHosts: hosts('denyHosts'),
    allowRelays: relays(),
    disabledRules: rules(),
    maxLength: (read('maxLength') as number | undefined) ?? MAX_URL_LENGTH
  })
  return { policy, problems: Object.freeze(problems) }
}

const resolutions = new WeakMap<object, RelayPolicyResolution>()

/**
 * Validates a policy given by a user (a parsed configuration file, say): a complete, normalised
 * {@link RelayPolicy} and the list of problems. Total: any input gives a result. `undefined` is the
 * default policy; a value that is not usable (wrong type, unknown option, a host entry that is a
 * URL or has a port, `*.example.com` instead of `.example.com`, `maxLength` outside 1..2048) is
 * reported and left out. {@link checkRelayUrl} refuses every URL under a policy with problems, so
 * check `problems` at start-up and refuse to run with a bad policy.
 *
 * The result is memoised per input object: treat policy objects as values and never mutate one
 * after use.
 *
 * @example
 * import { resolveRelayPolicy } from 'nip34-sync'
 *
 * const { policy, problems } = resolveRelayPolicy({ allowHosts: ['Relay.Example.COM.'], denyHosts: ['wss://x.com'] })
 * assert.deepStrictEqual(policy.allowHosts, ['relay.example.com'])
 * assert.deepStrictEqual(problems, ['denyHosts[0]: "wss://x.com" is a URL, not a host name (put relay URLs in allowRelays)'])
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolveRelayPolicy = (input: unknown): RelayPolicyResolution => {
  if (typeof input !== 'object' || input === null) return resolveUncached(input)
  const hit = resolutions.get(input)
  if (hit !== undefined) return hit
  const resolved = resolveUncached(input)
  resolutions.set(input, resolved)
  return resolved
}

// -------------------------------------------------------------------------------------
// checking
// -------------------------------------------------------------------------------------

/** The policy turned into sets, once per policy. */
interface Compiled {
  readonly problems: ReadonlyArray<string>
  readonly maxLength: number
  readonly allowRelays: ReadonlySet<string>
  readonly allowExact: ReadonlySet<string>
  readonly allowSuffix: ReadonlySet<string>
  readonly denyExact: ReadonlySet<string>
  readonly denySuffix: ReadonlySet<string>
  readonly disabled: ReadonlySet<ConfigurableRule>
}

const PRIVATE_RULES: ReadonlyArray<ConfigurableRule> = ['loopback', 'private', 'unique-local', 'local-name']

const compile = (r: RelayPolicyResolution): Compiled => {
  const { policy } = r
  // An exact entry matches its host in every spelling: an IPv6 address that carries an IPv4
  // address (mapped, translated, compatible, NAT64, 6to4) is entered under that IPv4 address too.
  const split = (list: ReadonlyArray<string>, suffix: boolean) =>
    new Set(list.filter((h) => h.startsWith('.') === suffix).flatMap((h) => (suffix ? [h.slice(1)] : hostKeys(classifyHost(h), h))))
  return {
    problems: r.problems,
    maxLength: policy.maxLength,
    allowRelays: new Set(policy.allowRelays),
    allowExact: split(policy.allowHosts, false),
    allowSuffix: split(policy.allowHosts, true),
    denyExact: split(policy.denyHosts, false),
    denySuffix: split(policy.denyHosts, true),
    disabled: new Set([
      ...policy.disabledRules,
      ...(policy.allowWs ? (['insecure-ws'] as const) : []),
      ...(policy.allowOnion ? (['onion'] as const) : []),
      ...(policy.allowPrivate ? PRIVATE_RULES : [])
    ])
  }
}

const compiledCache = new WeakMap<object, Compiled>()
const compiledDefault = compile({ policy: defaultRelayPolicy, problems: [] })

const compiled = (policy: unknown): Compiled => {
  if (policy === undefined || policy === defaultRelayPolicy) return compiledDefault
  if (typeof policy !== 'object' || policy === null) return compile(resolveRelayPolicy(policy))
  const hit = compiledCache.get(policy)
  if (hit !== undefined) return hit
  const c = compile(resolveRelayPolicy(policy))
  compiledCache.set(policy, c)
  return c
}

/**
 * The keys a host is matched under in `allowHosts` / `denyHosts`: its normalised form and, for
 * an IPv6 address that carries an IPv4 address, that IPv4 address in dotted decimal, so that
 * `93.184.215.14`, `[::ffff:93.184.215.14]`, `[::ffff:0:93.184.215.14]`, `[64:ff9b::5db8:d70e]`
 * and `[2002:5db8:d70e::1]` are one host to the lists.
 */
const hostKeys = (c: HostClass, fallback: string): ReadonlyArray<string> =>
  c.kind === 'invalid' ? [fallback] : c.kind === 'ipv6' && c.embeds !== undefined ? [c.host, c.embeds.ipv4] : [c.host]

/** The entry of `exact`/`suffix` that matches `c`, if any. */
const matchHost = (c: HostClass, exact: ReadonlySet<string>, suffix: ReadonlySet<string>): string | undefined => {
  for (const key of hostKeys(c, c.host)) if (exact.has(key)) return key
  if (c.kind !== 'name' || suffix.size === 0) return undefined
  for (let rest = c.host; ; ) {
    if (suffix.has(rest)) return `.${rest}`
    const dot = rest.indexOf('.')
    if (dot < 0) return undefined
    rest = rest.slice(dot + 1)
  }
}

const EMBEDDING_NAMES: { readonly [K in Ipv4Embedding]: string } = {
  'ipv4-mapped': 'an IPv4-mapped address',
  'ipv4-translated': 'an IPv4-translated address',
  'ipv4-compatible': 'an IPv4-compatible address',
  nat64: 'a NAT64 address',
  '6to4': 'a 6to4 address'
}

const HINTS: { readonly [K in ConfigurableRule]: string } = {
  loopback: 'allowPrivate',
  private: 'allowPrivate',
  'unique-local': 'allowPrivate',
  'local-name': 'allowPrivate',
  onion: 'allowOnion',
  'insecure-ws': 'allowWs',
  'link-local': 'disabledRules',
  multicast: 'disabledRules',
  unspecified: 'disabledRules',
  reserved: 'disabledRules'
}

const rangeReason = (c: HostClass, range: SpecialRange): string => {
  const via = c.kind === 'ipv6' && c.embeds !== undefined ? ` (${EMBEDDING_NAMES[c.embeds.embedding]} of ${c.embeds.ipv4})` : ''
  return `host ${c.host}${via} is ${range.rule}: ${range.block}, ${range.title} (${range.rfc}); allow it with ${HINTS[range.rule]}, allowHosts or allowRelays`
}

/** A URL the policy accepted: its canonical form, and whether an allow-list accepted it. */
interface Accepted {
  readonly relay: RelayUrl
  readonly trusted: boolean
}

const refusal = (url: unknown, rule: PolicyRule, reason: string, host?: string): E.Either<PolicyRefusal, never> =>
  E.left({
    _tag: 'PolicyRefusal',
    url: typeof url === 'string' ? cut(url) : describe(url),
    rule,
    reason,
    ...(host === undefined ? {} : { host })
  })

const accept = (p: Compiled, url: string): E.Either<PolicyRefusal, Accepted> => {
  const refuse = (rule: PolicyRule, reason: string, host?: string) => refusal(url, rule, reason, host)
  if (p.problems.length > 0) return refuse('invalid-policy', `the relay policy is invalid: ${p.problems.join('; ')}`)
  if (typeof url !== 'string') return refuse('not-a-url', 'not a string')
  const trimmed = url.trim()
  if (trimmed.length > p.maxLength) return refuse('too-long', `longer than ${p.maxLength} characters (${trimmed.length})`)
  if (trimmed.length === 0) return refuse('not-a-url', 'empty')
  const parsed = parseUrl(trimmed)
  if (parsed === undefined) return refuse('not-a-url', 'not an absolute URL')
  const scheme = parsed.protocol.slice(0, -1)
  if (scheme !== 'ws' && scheme !== 'wss') return refuse('scheme', `scheme ${describe(scheme)} is not ws or wss`)
  if (parsed.username !== '' || parsed.password !== '') return refuse('user-info', 'contains user info (a credential, not an address)')
  const canonical = relayUrl(trimmed)
  if (E.isLeft(canonical)) return refuse('not-a-url', canonical.left.reason)
  const relay = canonical.right
  if (p.allowRelays.has(relay)) return E.right({ relay, trusted: true })
  const canonicalUrl = parseUrl(relay)
  const c = classifyHost(canonicalUrl === undefined ? '' : canonicalUrl.hostname)
  if (c.kind === 'invalid') return refuse('not-a-url', `no usable host: ${c.reason}`)
  if (matchHost(c, p.allowExact, p.allowSuffix) !== undefined) return E.right({ relay, trusted: true })
  const denied = matchHost(c, p.denyExact, p.denySuffix)
  if (denied !== undefined) return refuse('denied-host', `host ${c.host} is on the deny list (entry ${denied})`, c.host)
  const range = c.range
  if (range !== undefined && !p.disabled.has(range.rule)) return refuse(range.rule, rangeReason(c, range), c.host)
  const onion = range !== undefined && range.rule === 'onion'
  if (scheme === 'ws' && !onion && !p.disabled.has('insecure-ws'))
    return refuse('insecure-ws', 'ws:// is not encrypted; use wss:// (allow ws:// with allowWs, allowHosts or allowRelays)', c.host)
  return E.right({ relay, trusted: false })
}

/**
 * Checks a relay URL against a policy: `Right` with its canonical {@link RelayUrl} when it may be a
 * sync target, `Left` with the {@link PolicyRefusal} (and the rule) otherwise. Data-last, total,
 * and pure (no DNS: pair it with {@link checkResolvedAddress} at connect time). `policy` is
 * partial; missing fields take their default, and a policy with problems
 * ({@link resolveRelayPolicy}) refuses everything with the rule `invalid-policy`. The policy is
 * resolved once per policy object: keep the checker, `checkRelayUrl(policy)`, and reuse it.
 *
 * @example
 * import { checkRelayUrl } from 'nip34-sync'
 * import { either as E, function as F } from 'fp-ts'
 *
 * assert.deepStrictEqual(checkRelayUrl()('WSS://Relay.Damus.io/'), E.right('wss://relay.damus.io'))
 * const refused = checkRelayUrl()('wss://0x7f000001:6379')
 * assert.strictEqual(E.isLeft(refused) && refused.left.rule, 'loopback')
 * assert.strictEqual(E.isLeft(checkRelayUrl()('wss://169.254.169.254')), true)
 * assert.strictEqual(F.pipe('ws://127.0.0.1:7777', checkRelayUrl({ allowPrivate: true, allowWs: true }), E.isRight), true)
 *
 * @category constructors
 * @since 0.1.0
 */
export const checkRelayUrl = (policy?: Partial<RelayPolicy>): ((url: string) => E.Either<PolicyRefusal, RelayUrl>) => {
  const p = compiled(policy)
  return (url) =>
    F.pipe(
      accept(p, url),
      E.map((a) => a.relay)
    )
}

/**
 * The connect-time half of the policy, against DNS rebinding: checks an IP address that a relay's
 * host name resolved to. `Right` with the address when the host may connect to it, `Left`
 * otherwise. The relay URL is checked first, exactly as {@link checkRelayUrl} does; a relay
 * accepted through `allowRelays` or `allowHosts` may resolve anywhere (that is what trusting it
 * means), any other relay only to an address that no enabled rule refuses and that is not on
 * `denyHosts`. An `address` that is not an IP address is refused with `not-an-address`.
 *
 * Call it from the `lookup` hook of the connection, on every address the lookup returned, and
 * connect only to checked addresses (see `docs/security-urls.md`).
 *
 * @example
 * import { checkResolvedAddress } from 'nip34-sync'
 * import { either as E, function as F } from 'fp-ts'
 *
 * const check = checkResolvedAddress()('wss://rebind.example.com')
 * assert.deepStrictEqual(check('93.184.215.14'), E.right('93.184.215.14'))
 * const refused = check('127.0.0.1')
 * assert.strictEqual(E.isLeft(refused) && refused.left.rule, 'loopback')
 * assert.strictEqual(E.isRight(checkResolvedAddress({ allowHosts: ['grasp.lan'] })('wss://grasp.lan')('192.168.1.10')), true)
 *
 * @category utils
 * @since 0.1.0
 */
export const checkResolvedAddress = (
  policy?: Partial<RelayPolicy>
): ((relay: string) => (address: string) => E.Either<PolicyRefusal, string>) => {
  const p = compiled(policy)
  return (relay) => {
    const accepted = accept(p, relay)
    const refuse = (rule: PolicyRule, reason: string, host?: string) => refusal(relay, rule, reason, host)
    return (address) => {
      if (E.isLeft(accepted)) return accepted
      if (accepted.right.trusted) return E.right(address)
      const c = classifyHost(address)
      if (c.kind !== 'ipv4' && c.kind !== 'ipv6')
        return refuse('not-an-address', `resolved address ${describe(address)} is not an IP address`)
      const denied = matchHost(c, p.denyExact, p.denySuffix)
      if (denied !== undefined) return refuse('denied-host', `resolved address ${c.host} is on the deny list`, c.host)
      const range = c.range
      if (range !== undefined && !p.disabled.has(range.rule))
        return refuse(range.rule, `${accepted.right.relay} resolved to a refused address: ${rangeReason(c, range)}`, c.host)
      return E.right(address)
    }
  }
}

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Adds relay URLs to a policy's `allowRelays`: the way a host accepts its own and bootstrap relays
 * (checked by the same {@link checkRelayUrl}) even when they are on loopback or a private network,
 * without trusting every other port of that host. Data-last, for `pipe`.
 *
 * @example
 * import { checkRelayUrl, defaultRelayPolicy, trustRelays } from 'nip34-sync'
 * import { either as E, function as F } from 'fp-ts'
 *
 * const check = F.pipe(defaultRelayPolicy, trustRelays(['ws://127.0.0.1:7777']), checkRelayUrl)
 * assert.strictEqual(E.isRight(check('ws://127.0.0.1:7777/')), true)
 * assert.strictEqual(E.isLeft(check('ws://127.0.0.1:6379')), true)
 *
 * @category combinators
 * @since 0.1.0
 */
export const trustRelays =
  (urls: ReadonlyArray<string>) =>
  (policy: Partial<RelayPolicy> = {}): Partial<RelayPolicy> => {
    // A value that is not usable is kept as it is, so that resolution reports it and refuses.
    // Both values are read once, into plain copies (a Proxy or a throwing getter cannot throw here).
    const p = readPlain(policy, 3)
    const u = readPlain(urls, 1)
    if (!p.ok || !isRecord(p.value)) return policy
    const own: unknown = p.value['allowRelays']
    if (own !== undefined && !Array.isArray(own)) return p.value as Partial<RelayPolicy>
    if (!u.ok || !Array.isArray(u.value)) return { ...p.value, allowRelays: u.ok ? u.value : urls } as Partial<RelayPolicy>
    return { ...p.value, allowRelays: [...((own as ReadonlyArray<string> | undefined) ?? []), ...(u.value as ReadonlyArray<string>)] } as Partial<RelayPolicy>
  }
