/**
 * The relay policy's vocabulary (internal; the public face is `config/RelayPolicy.ts`): the
 * rules, the policy shape, host classes, refusals, and the default policy. Types only, plus
 * constants; `ip.ts`, `classify.ts`, `resolve.ts` and `check.ts` import from here, never back.
 */
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

/** The longest relay URL the policy accepts, and the default `maxLength`. */
export const MAX_URL_LENGTH = 2048

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
