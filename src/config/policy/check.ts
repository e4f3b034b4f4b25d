/**
 * Checking URLs and resolved addresses against a policy (internal; public through
 * `config/RelayPolicy.ts`): the policy compiled once into sets, then one pass per URL.
 */
import { either as E, function as F } from 'fp-ts'
import { relayUrl, type RelayUrl } from '../../model/RelayUrl.js'
import { readPlain } from '../../util/plain.js'
import { cut, describe, isRecord } from '../../util/text.js'
import { parseUrl } from './ip.js'
import { classifyHost } from './classify.js'
import { resolveRelayPolicy } from './resolve.js'
import {
  defaultRelayPolicy,
  type ConfigurableRule,
  type HostClass,
  type Ipv4Embedding,
  type PolicyRefusal,
  type PolicyRule,
  type RelayPolicy,
  type RelayPolicyResolution,
  type SpecialRange
} from './model.js'

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
