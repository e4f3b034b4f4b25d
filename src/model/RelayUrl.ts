/**
 * A `RelayUrl` is the canonical spelling of a nostr relay's WebSocket address.
 *
 * Relay URLs arrive from announcements written by many clients, each with its own habits:
 * `WSS://Relay.Example.com/`, `wss://relay.example.com:443`, `wss://relay.example.com.` all name
 * the same relay. The library keys every index by relay, so two spellings of one relay must be one
 * key. {@link relayUrl} is the only way to make a `RelayUrl`; once a value has this type no other
 * code re-validates it.
 *
 * The canonical form, built from the WHATWG URL parser (the same in Node and browsers):
 *
 * - scheme `ws` or `wss`, lower case; any other scheme is refused (an `https://` clone host is
 *   never turned into a relay);
 * - host lower case, international names in punycode, trailing dots removed, IPv6 in brackets;
 * - the default port (80 for `ws`, 443 for `wss`) removed, any other port kept;
 * - the path with repeated slashes collapsed and trailing slashes removed (`wss://r.com/` is
 *   `wss://r.com`; `wss://r.com/nostr/` is `wss://r.com/nostr`);
 * - query parameters sorted, the fragment removed;
 * - user info (`wss://user:pw@host`) is refused, because it is a credential, not an address.
 *
 * `ws://r.com` and `wss://r.com` stay two relays: they are two transports and may be two servers.
 * Host comparisons (is this URL one of ours?) use {@link hostOf}, which ignores scheme, port and
 * path.
 *
 * @since 0.1.0
 */
import { either as E, eq as Eq, ord as Ord, string as S } from 'fp-ts'
import { cut, show } from '../util/text.js'
import { parseUrl } from './url.js'

/**
 * A relay URL in canonical form. Make one with {@link relayUrl}.
 *
 * @category model
 * @since 0.1.0
 */
export type RelayUrl = string & { readonly RelayUrl: unique symbol }

/**
 * Why a string is not a usable relay URL.
 *
 * @category model
 * @since 0.1.0
 */
export interface RelayUrlError {
  readonly _tag: 'RelayUrlError'
  /** The input as given (cut to 200 characters). */
  readonly input: string
  /** A readable reason. */
  readonly reason: string
}

const MAX_INPUT = 2048

const err = (input: string, reason: string): E.Either<RelayUrlError, never> =>
  E.left({ _tag: 'RelayUrlError', input: cut(input), reason })

const normaliseHost = (hostname: string): string => hostname.replace(/\.+$/, '')

/**
 * The canonical spelling of a parsed URL: host without trailing dots, repeated and trailing
 * slashes of the path removed, query parameters sorted (the parser already lower-cased the scheme
 * and host and dropped a default port).
 */
const spell = (url: URL): string => {
  const port = url.port === '' ? '' : `:${url.port}`
  const path = url.pathname.replace(/\/{2,}/g, '/').replace(/\/+$/, '')
  url.searchParams.sort()
  const query = url.searchParams.toString()
  return `${url.protocol}//${normaliseHost(url.hostname)}${port}${path}${query === '' ? '' : `?${query}`}`
}

/** Whether a canonical spelling parses and spells back to itself. */
const isFixedPoint = (canonical: string): boolean => {
  const again = parseUrl(canonical)
  return again !== undefined && spell(again) === canonical
}

/**
 * Turns a string into a canonical {@link RelayUrl}, or says why it cannot.
 *
 * @example
 * import { relayUrl } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.deepStrictEqual(relayUrl('WSS://Relay.Example.com:443/'), E.right('wss://relay.example.com'))
 * assert.strictEqual(E.isLeft(relayUrl('https://github.com')), true)
 *
 * @category constructors
 * @since 0.1.0
 */
export const relayUrl = (input: string): E.Either<RelayUrlError, RelayUrl> => {
  if (typeof input !== 'string') return err(show(input), 'not a string')
  const trimmed = input.trim()
  if (trimmed.length === 0) return err(input, 'empty')
  if (trimmed.length > MAX_INPUT) return err(input, `longer than ${MAX_INPUT} characters`)
  const url = parseUrl(trimmed)
  if (url === undefined) return err(input, 'not a URL')
  const scheme = url.protocol.slice(0, -1)
  if (scheme !== 'ws' && scheme !== 'wss') return err(input, `scheme "${scheme}" is not ws or wss`)
  if (url.username !== '' || url.password !== '') return err(input, 'contains user info')
  const host = normaliseHost(url.hostname)
  if (host.length === 0 || host.startsWith('.')) return err(input, 'no host')
  const canonical = spell(url)
  if (canonical.length > MAX_INPUT) return err(input, `longer than ${MAX_INPUT} characters once canonical`)
  // The canonical form must be a fixed point; anything the parser would still change is refused.
  if (canonical !== trimmed && !isFixedPoint(canonical)) return err(input, 'has no stable canonical form')
  return E.right(canonical as RelayUrl)
}

/**
 * The canonical {@link RelayUrl} of a relay argument, or `undefined` when it is not a string or
 * does not parse. Every lookup by relay (`wants`, `relayFilters`, `relayCapacity`, `planRelay`,
 * `engineRelay`) goes through it, so any spelling of a relay (nostr-tools writes
 * `wss://r.example/`) finds the same entry. Total: never throws.
 *
 * @example
 * import { canonicalRelay } from 'nip34-sync'
 *
 * assert.strictEqual(canonicalRelay('wss://r.example/'), 'wss://r.example')
 * assert.strictEqual(canonicalRelay('WSS://R.Example:443'), 'wss://r.example')
 * assert.strictEqual(canonicalRelay('https://r.example'), undefined)
 * assert.strictEqual(canonicalRelay(42), undefined)
 *
 * @category destructors
 * @since 0.3.0
 */
export const canonicalRelay = (relay: unknown): RelayUrl | undefined => {
  if (typeof relay !== 'string') return undefined
  try {
    const r = relayUrl(relay)
    return E.isRight(r) ? r.right : undefined
  } catch {
    return undefined
  }
}

/**
 * The host name of any URL (relay or clone URL) in normalised form: lower case, punycode, no
 * trailing dot, no port. `undefined` when the string is not an absolute URL with a host.
 * Hosts are compared exactly, never as substrings: `relay.example.com.evil.net` is not
 * `relay.example.com`.
 *
 * @example
 * import { hostOf } from 'nip34-sync'
 *
 * assert.strictEqual(hostOf('https://Relay.Example.com./npub1x/repo.git'), 'relay.example.com')
 * assert.strictEqual(hostOf('not a url'), undefined)
 *
 * @category destructors
 * @since 0.1.0
 */
export const hostOf = (input: string): string | undefined => {
  if (typeof input !== 'string') return undefined
  const url = parseUrl(input.trim())
  if (url === undefined) return undefined
  const host = normaliseHost(url.hostname)
  return host.length === 0 || host.startsWith('.') ? undefined : host
}

/**
 * Equality of relay URLs (they are canonical, so string equality is enough).
 *
 * @example
 * import { eqRelayUrl, relayUrl } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * const a = relayUrl('wss://r.example/')
 * const b = relayUrl('WSS://R.example:443')
 * assert.strictEqual(E.isRight(a) && E.isRight(b) && eqRelayUrl.equals(a.right, b.right), true)
 *
 * @category instances
 * @since 0.1.0
 */
export const eqRelayUrl: Eq.Eq<RelayUrl> = S.Eq

/**
 * Order of relay URLs: code-unit order of the canonical strings; the order of every list the
 * library returns.
 *
 * @example
 * import { ordRelayUrl, type RelayUrl } from 'nip34-sync'
 *
 * assert.strictEqual(ordRelayUrl.compare('wss://a.example' as RelayUrl, 'wss://b.example' as RelayUrl), -1)
 *
 * @category instances
 * @since 0.1.0
 */
export const ordRelayUrl: Ord.Ord<RelayUrl> = S.Ord
