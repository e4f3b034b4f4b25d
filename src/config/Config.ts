/**
 * `SyncConfig` is what a host tells the library about itself: which relay URLs are its own,
 * which relays it always connects to, whether it only syncs repositories that list it, and which
 * kinds are root events.
 *
 * Hosts pass a plain object. The library resolves it once ({@link resolveConfig}, memoised per
 * object, so treat a config object as immutable: build a new one to change a setting) into
 * canonical relay URLs and host names; a value that is not usable is left out and
 * reported as an `invalid-config` {@link Rejection} (every `applyBatch` result repeats them, and
 * {@link validateConfig} returns them up front), never silently ignored.
 *
 * @since 0.1.0
 */
import { either as E, readonlyArray as RA, type readonlyNonEmptyArray as RNEA } from 'fp-ts'
import { checkRelayUrl, resolveRelayPolicy, type RelayPolicy } from './RelayPolicy.js'
import { hostOf, relayUrl, type RelayUrl } from '../model/RelayUrl.js'
import { ANNOUNCEMENT_KIND } from '../model/RepoRef.js'
import { rejection, type Rejection } from '../model/Rejection.js'
import { isRecord as isObject, show } from '../util/text.js'
import { readPlain } from '../util/plain.js'

/**
 * How announcements are accepted.
 *
 * - `'listed'` (GRASP-01, the default): a repository is synced only while its live announcement
 *   lists one of our hosts in both a `relays` value and a `clone` URL.
 * - `'all'` (GRASP-05 archive mode): every announcement is synced.
 *
 * @category model
 * @since 0.1.0
 */
export type Acceptance = 'listed' | 'all'

/**
 * The configuration a host passes to {@link applyBatch} and {@link deriveTargets}.
 *
 * @category model
 * @since 0.1.0
 */
export interface SyncConfig {
  /** This server's own relay URLs: never sync targets, and the hosts announcements must list. */
  readonly ownRelays: ReadonlyArray<string>
  /** Relays always present in the targets (discovery), with no repos unless a repo lists them. */
  readonly bootstrapRelays?: ReadonlyArray<string>
  /** `'listed'` (default) or `'all'`. */
  readonly acceptance?: Acceptance
  /** Kinds treated as root events. Default {@link DEFAULT_ROOT_KINDS}. */
  readonly rootKinds?: ReadonlyArray<number>
  /**
   * Verify event ids and signatures (default `true`). Set `false` only when the host has already
   * verified every event it passes in.
   */
  readonly verify?: boolean
  /**
   * How far ahead of the batch's `now` an announcement or deletion may be dated, in seconds
   * (default 900, 15 minutes). Only checked when a batch is given `now`.
   */
  readonly maxFutureSkew?: number
  /** Limits on what one event may make the server do; see {@link DEFAULT_CAPS}. */
  readonly caps?: Partial<Caps>
  /**
   * Merge co-maintained repositories (default `true`): announcements with the same `d` whose
   * authors list each other in `maintainers`, transitively, are one repository whose relays are
   * the union of theirs. See docs/semantics.md.
   */
  readonly mergeMaintainers?: boolean
  /**
   * The relay URL policy (SSRF guard) applied to every `relays` value, and to `ownRelays` and
   * `bootstrapRelays`; see docs/security-urls.md. Default {@link defaultRelayPolicy}. Allow your
   * own relays explicitly with `allowRelays` (or `trustRelays`) when they are on private
   * addresses.
   */
  readonly relayPolicy?: Partial<RelayPolicy>
}

/**
 * Caps on what one event can make the server do. Each cap hit is reported.
 *
 * @category model
 * @since 0.1.0
 */
export interface Caps {
  /**
   * Relays taken from one announcement (not counting our own hosts); the first ones in tag order
   * are kept and the rest reported. Default 20.
   */
  readonly relaysPerAnnouncement: number
  /** Repositories taken from one root event's `a` tags (first in tag order). Default 10. */
  readonly reposPerRootEvent: number
  /** Tags per event; an event with more is rejected whole. Default 2000 (strfry's default). */
  readonly tagsPerEvent: number
  /** UTF-8 bytes per tag value; an event with a longer value is rejected whole. Default 1024 (strfry's default). */
  readonly bytesPerTagValue: number
  /**
   * Values in one tag (its name not counted); an event with a longer tag is rejected whole,
   * before any value is parsed. Default 100.
   * @since 0.2.0
   */
  readonly valuesPerTag: number
  /**
   * Tag values in one event, all tags together (names not counted); an event with more is
   * rejected whole, before any value is parsed. Default 4000.
   * @since 0.2.0
   */
  readonly valuesPerEvent: number
  /**
   * `maintainers` values taken from one announcement (first in tag order); the rest are reported
   * and not used. Default 50.
   * @since 0.2.0
   */
  readonly maintainersPerAnnouncement: number
  /**
   * Members of one co-maintained repository group. A group of mutually listing announcements
   * larger than this is not merged: each member stands alone, and the cap is reported. Only the
   * group's own members can grow it, so nobody else can split a group this way. Default 64.
   * @since 0.2.0
   */
  readonly membersPerGroup: number
  /**
   * Relays one repository group is synced from (members in address order, each in tag order);
   * the rest are reported and not used. Together with `membersPerGroup` this bounds the
   * (relay, repository) entries one group can create. Default 40.
   * @since 0.2.0
   */
  readonly relaysPerGroup: number
  /**
   * Event ids one pubkey's NIP-09 deletions are remembered for, in the deletion ledger (the
   * smallest ids in hex order are kept; an id past the bound is reported and not remembered).
   * Whatever one author deletes, nobody else's deletions are evicted. Default 10 000
   * (`DELETIONS_PER_AUTHOR`).
   * @since 0.3.0
   */
  readonly deletionsPerAuthor: number
}

/**
 * The default caps; docs/security.md explains each.
 *
 * @example
 * import { DEFAULT_CAPS } from 'nip34-sync'
 *
 * assert.strictEqual(DEFAULT_CAPS.relaysPerAnnouncement, 20)
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_CAPS: Caps = {
  relaysPerAnnouncement: 20,
  reposPerRootEvent: 10,
  tagsPerEvent: 2000,
  bytesPerTagValue: 1024,
  valuesPerTag: 100,
  valuesPerEvent: 4000,
  maintainersPerAnnouncement: 50,
  membersPerGroup: 64,
  relaysPerGroup: 40,
  deletionsPerAuthor: 10_000
}

/** The names of the caps, in their order (taken when the module loads). */
const CAP_NAMES = Object.keys(DEFAULT_CAPS) as ReadonlyArray<keyof Caps>

/**
 * The default `maxFutureSkew`: 15 minutes.
 *
 * @example
 * import { DEFAULT_MAX_FUTURE_SKEW } from 'nip34-sync'
 *
 * assert.strictEqual(DEFAULT_MAX_FUTURE_SKEW, 15 * 60)
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_MAX_FUTURE_SKEW = 900

/**
 * The default root kinds: patch 1617, pull request 1618, pull request update 1619, issue 1621.
 *
 * @example
 * import { DEFAULT_ROOT_KINDS } from 'nip34-sync'
 *
 * assert.deepStrictEqual(DEFAULT_ROOT_KINDS, [1617, 1618, 1619, 1621])
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_ROOT_KINDS: ReadonlyArray<number> = [1617, 1618, 1619, 1621]

/**
 * A configuration with every value checked and canonical.
 *
 * @category model
 * @since 0.1.0
 */
export interface ResolvedConfig {
  readonly ownRelays: ReadonlyArray<RelayUrl>
  /** Host names of `ownRelays`: a relay or clone URL on one of these hosts is "us". */
  readonly ownHosts: ReadonlySet<string>
  readonly bootstrapRelays: ReadonlyArray<RelayUrl>
  readonly acceptance: Acceptance
  readonly rootKinds: ReadonlySet<number>
  readonly verify: boolean
  readonly mergeMaintainers: boolean
  readonly maxFutureSkew: number
  readonly caps: Caps
  readonly relayPolicy: RelayPolicy
  /** The relay policy as a function: `undefined` when a relay may be a target, else the refusal. */
  readonly relayCheck: (relay: RelayUrl) => { readonly rule: string; readonly reason: string } | undefined
  /** What was wrong with the input (empty when nothing was). */
  readonly problems: ReadonlyArray<Rejection>
}


const relayList = (
  field: string,
  u: unknown,
  problems: Array<Rejection>,
  check: (relay: RelayUrl) => { readonly rule: string; readonly reason: string } | undefined
): ReadonlyArray<RelayUrl> => {
  if (u === undefined) return []
  if (!Array.isArray(u)) {
    problems.push(rejection('invalid-config', `${field} must be an array of relay URLs`, { value: show(u) }))
    return []
  }
  const out = new Set<RelayUrl>()
  u.forEach((v: unknown, i) => {
    if (typeof v !== 'string') {
      problems.push(rejection('invalid-config', `${field}[${i}] is not a string`, { value: show(v) }))
      return
    }
    const r = relayUrl(v)
    if (E.isLeft(r)) {
      problems.push(rejection('invalid-config', `${field}[${i}]: ${r.left.reason}`, { value: v }))
      return
    }
    const refused = check(r.right)
    if (refused !== undefined)
      problems.push(
        rejection('invalid-config', `${field}[${i}] is refused by the relay policy (allow it with relayPolicy.allowRelays): ${refused.reason}`, {
          value: v,
          rule: refused.rule
        })
      )
    else out.add(r.right)
  })
  return [...out].sort()
}

const RELAY_VERDICT_MEMO = 50_000

const nonNegativeInt = (field: string, u: unknown, fallback: number, problems: Array<Rejection>): number => {
  if (u === undefined) return fallback
  if (typeof u === 'number' && Number.isSafeInteger(u) && u >= 0) return u
  problems.push(rejection('invalid-config', `${field} must be a non-negative integer; using ${fallback}`, { value: show(u) }))
  return fallback
}

const resolveUncached = (raw: unknown): ResolvedConfig => {
  const problems: Array<Rejection> = []
  // Read once into plain data: a Proxy or a getter is run at most once per field, and one that
  // throws makes the whole configuration unreadable (reported), never a throw.
  const plain = readPlain(raw, 4)
  const input: unknown = plain.ok ? plain.value : undefined
  const o: Record<string, unknown> = isObject(input) ? input : {}
  if (!plain.ok) problems.push(rejection('invalid-config', 'the configuration cannot be read (a getter or Proxy trap threw)'))
  else if (!isObject(input)) problems.push(rejection('invalid-config', 'the configuration is not an object'))
  if (o['ownRelays'] === undefined) problems.push(rejection('invalid-config', 'ownRelays is required'))
  const policyInput: unknown = o['relayPolicy'] === null || o['relayPolicy'] === undefined ? {} : o['relayPolicy']
  const policyResolution = resolveRelayPolicy(policyInput)
  if (o['relayPolicy'] === null) problems.push(rejection('invalid-config', 'relayPolicy must be an object; using the default policy'))
  for (const problem of policyResolution.problems)
    problems.push(rejection('invalid-config', `relayPolicy: ${problem}; every relay is refused until it is fixed`))
  const policy = policyResolution.policy
  const checkUrl = checkRelayUrl(policyInput as Partial<RelayPolicy>)
  // Verdicts are memoised per configuration (most relays recur across announcements); the memo
  // is bounded, so hostile input with endless distinct URLs cannot grow it without limit.
  const verdicts = new Map<RelayUrl, { readonly rule: string; readonly reason: string } | null>()
  const relayCheck = (relay: RelayUrl): { readonly rule: string; readonly reason: string } | undefined => {
    const hit = verdicts.get(relay)
    if (hit !== undefined) return hit ?? undefined
    const r = checkUrl(relay)
    const verdict = E.isLeft(r) ? { rule: r.left.rule, reason: r.left.reason } : null
    if (verdicts.size >= RELAY_VERDICT_MEMO) verdicts.clear()
    verdicts.set(relay, verdict)
    return verdict ?? undefined
  }
  const ownRelays = relayList('ownRelays', o['ownRelays'], problems, relayCheck)
  const bootstrapRelays = relayList('bootstrapRelays', o['bootstrapRelays'], problems, relayCheck)
  let acceptance: Acceptance = 'listed'
  const acc = o['acceptance']
  if (acc === 'all' || acc === 'listed') acceptance = acc
  else if (acc !== undefined)
    problems.push(rejection('invalid-config', 'acceptance must be "listed" or "all"; using "listed"', { value: show(acc) }))
  let rootKinds: ReadonlySet<number> = new Set(DEFAULT_ROOT_KINDS)
  const rk = o['rootKinds']
  if (rk !== undefined) {
    if (!Array.isArray(rk)) {
      problems.push(rejection('invalid-config', 'rootKinds must be an array of kinds; using the default', { value: show(rk) }))
    } else {
      const kinds = new Set<number>()
      rk.forEach((k: unknown, i) => {
        if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > 65535)
          problems.push(rejection('invalid-config', `rootKinds[${i}] is not a kind (an integer 0..65535)`, { value: show(k) }))
        else if (k === ANNOUNCEMENT_KIND || k === 5)
          problems.push(rejection('invalid-config', `rootKinds[${i}]: kind ${k} cannot be a root kind`, { value: show(k) }))
        else kinds.add(k)
      })
      rootKinds = kinds
    }
  }
  let verify = true
  if (typeof o['verify'] === 'boolean') verify = o['verify']
  else if (o['verify'] !== undefined) problems.push(rejection('invalid-config', 'verify must be a boolean; verifying', { value: show(o['verify']) }))
  let mergeMaintainers = true
  if (typeof o['mergeMaintainers'] === 'boolean') mergeMaintainers = o['mergeMaintainers']
  else if (o['mergeMaintainers'] !== undefined)
    problems.push(rejection('invalid-config', 'mergeMaintainers must be a boolean; merging', { value: show(o['mergeMaintainers']) }))
  const maxFutureSkew = nonNegativeInt('maxFutureSkew', o['maxFutureSkew'], DEFAULT_MAX_FUTURE_SKEW, problems)
  const capsInput = o['caps']
  const capsObject: Record<string, unknown> = isObject(capsInput) ? capsInput : {}
  if (capsInput !== undefined && !isObject(capsInput)) problems.push(rejection('invalid-config', 'caps must be an object; using the defaults', { value: show(capsInput) }))
  const caps = {} as { -readonly [K in keyof Caps]: number }
  for (const k of CAP_NAMES) caps[k] = nonNegativeInt(`caps.${k}`, capsObject[k], DEFAULT_CAPS[k], problems)
  const ownHosts = new Set<string>()
  for (const r of ownRelays) {
    const h = hostOf(r)
    if (h !== undefined) ownHosts.add(h)
  }
  if (ownRelays.length === 0 && acceptance === 'listed' && o['ownRelays'] !== undefined)
    problems.push(rejection('invalid-config', "no usable ownRelays: in 'listed' acceptance no announcement can be accepted"))
  const foreignBootstrap = bootstrapRelays.filter((b) => {
    const h = hostOf(b)
    const own = h !== undefined && ownHosts.has(h)
    if (own) problems.push(rejection('invalid-config', 'a bootstrap relay on one of our own hosts is never a target', { value: b }))
    return !own
  })
  return { ownRelays, ownHosts, bootstrapRelays: foreignBootstrap, acceptance, rootKinds, verify, mergeMaintainers, maxFutureSkew, caps, relayPolicy: policy, relayCheck, problems }
}

const cache = new WeakMap<object, ResolvedConfig>()
const resolvedValues = new WeakSet<object>()

/**
 * Resolves a configuration: canonical relay URLs, own host names, defaults filled in, and the list
 * of problems. Total: any input gives a value (a Proxy or a throwing getter is read once, and an
 * unreadable one is reported as `invalid-config`). The result is memoised per config object, so
 * passing the same object to every call costs nothing after the first; a resolved configuration
 * passed in again is returned as it is, so every function that takes a `SyncConfig` also takes a
 * `ResolvedConfig`.
 *
 * @example
 * import { resolveConfig } from 'nip34-sync'
 *
 * const c = resolveConfig({ ownRelays: ['WSS://Grasp.Example.com/', 'not a url'] })
 * assert.deepStrictEqual(c.ownRelays, ['wss://grasp.example.com'])
 * assert.strictEqual(c.problems[0]?.code, 'invalid-config')
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolveConfig = (input: SyncConfig | ResolvedConfig | unknown): ResolvedConfig => {
  if (typeof input !== 'object' || input === null) return resolveUncached(input)
  if (resolvedValues.has(input)) return input as ResolvedConfig
  const hit = cache.get(input)
  if (hit !== undefined) return hit
  const resolved = resolveUncached(input)
  cache.set(input, resolved)
  resolvedValues.add(resolved)
  return resolved
}

/**
 * Checks a configuration up front: `Right` with the resolved configuration when every value is
 * usable, `Left` with the problems otherwise.
 *
 * @example
 * import { validateConfig } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.strictEqual(E.isRight(validateConfig({ ownRelays: ['wss://grasp.example.com'] })), true)
 * assert.strictEqual(E.isLeft(validateConfig({ ownRelays: ['https://grasp.example.com'] })), true)
 *
 * @category constructors
 * @since 0.1.0
 */
export const validateConfig = (
  input: SyncConfig | unknown
): E.Either<RNEA.ReadonlyNonEmptyArray<Rejection>, ResolvedConfig> => {
  const resolved = resolveConfig(input)
  return RA.isNonEmpty(resolved.problems) ? E.left(resolved.problems) : E.right(resolved)
}
