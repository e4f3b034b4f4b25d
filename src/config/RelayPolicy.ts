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
export {
  policyRules,
  defaultRelayPolicy,
  type HostRule,
  type ConfigurableRule,
  type PolicyRule,
  type RelayPolicy,
  type SpecialRange,
  type Ipv4Embedding,
  type HostClass,
  type PolicyRefusal,
  type RelayPolicyResolution
} from './policy/model.js'
export { classifyHost, specialRanges } from './policy/classify.js'
export { resolveRelayPolicy } from './policy/resolve.js'
export { checkRelayUrl, checkResolvedAddress, trustRelays } from './policy/check.js'
