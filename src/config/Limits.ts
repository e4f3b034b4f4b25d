/**
 * `RelayLimits` are the limits one relay puts on the messages a client sends it. Every plan the
 * wire layer makes ({@link planRelay}, {@link relayFilters}) stays within them.
 *
 * | field | meaning | default | NIP-11 `limitation` field |
 * | --- | --- | --- | --- |
 * | `maxValuesPerList` | values in one filter list (`ids`, `authors`, `#a`, `#e`, ...; not `kinds`) | 100 | (none) |
 * | `maxFiltersPerReq` | filters in one `REQ` | 20 | `max_filters` |
 * | `maxSubscriptions` | open subscriptions per connection | 20 | `max_subscriptions` |
 * | `reservedSubscriptions` | subscriptions the live plan leaves free for one-shot history requests (at least 1 when `maxSubscriptions` ≥ 2) | 2 | (none) |
 * | `maxMessageBytes` | UTF-8 bytes of one message (`["REQ", id, ...filters]`) | 65536 | `max_message_length` |
 * | `maxTagKeysPerFilter` | `#x` keys in one filter | 3 | (none) |
 * | `maxSubIdLength` | characters of a subscription id | 64 | `max_subid_length` |
 * | `maxLimit` | the largest `limit` a history request asks for (its page size) | 500 | `max_limit` |
 *
 * The defaults are safe for relays that publish nothing (reviewed for 0.3.0, `docs/capacity.md`):
 * current strfry allows 200 subscriptions per connection and 200 filters per `REQ`, but older
 * strfry releases and @nostr-relay/core allow 20, and past the limit a relay answers with a
 * `NOTICE` or evicts an older subscription silently, never a `CLOSED`: a default above the
 * relay's limit loses events without a trace, one below it costs a connection. 100 values per
 * list is the chunk size of the reference GRASP server (messages fill up on bytes first); 64 KiB
 * is half of strfry's and nostr-rs-relay's 128 KiB frame limit (past it the socket is closed);
 * 500 is strfry's `maxFilterLimit`. A relay's NIP-11 document overrides the defaults it has a
 * field for ({@link limitsFromRelayInfo}); hosts override anything with {@link relayLimits}.
 *
 * Decoding is total: a value that is missing keeps the default, a value that is not usable keeps
 * the default and is reported as a {@link LimitProblem}, nothing throws. Every input is read once
 * into a plain copy; a Proxy or a getter that throws is reported and the base limits are kept. Every function that takes
 * `RelayLimits` (a `base`, {@link liveSubscriptionBudget}) reads a value that is not valid limits
 * (a field missing or below its minimum, `reservedSubscriptions` not below `maxSubscriptions`, not
 * an object at all) field by field over {@link defaultRelayLimits}, as {@link relayLimits} does.
 *
 * @since 0.1.0
 */
import { isRecord, show } from '../util/text.js'
import { readPlain } from '../util/plain.js'

/**
 * The limits of one relay connection.
 *
 * @example
 * import { relayLimits, type RelayLimits } from 'nip34-sync'
 *
 * const limits: RelayLimits = relayLimits({ maxSubscriptions: 50 }).limits
 * assert.strictEqual(limits.maxFiltersPerReq, 20)
 *
 * @category model
 * @since 0.1.0
 */
export interface RelayLimits {
  /** Values in one filter list. Our own chunk size: no NIP-11 field names it. */
  readonly maxValuesPerList: number
  /** Filters in one `REQ` (NIP-11 `max_filters`). */
  readonly maxFiltersPerReq: number
  /** Open subscriptions per connection (NIP-11 `max_subscriptions`). */
  readonly maxSubscriptions: number
  /**
   * Subscriptions the live plan leaves free for one-shot history requests: below
   * `maxSubscriptions`, and at least 1 when `maxSubscriptions` ≥ 2 (a 0 is raised to 1 and
   * reported). It is 0 only for a relay that allows a single subscription.
   */
  readonly reservedSubscriptions: number
  /** UTF-8 bytes of one client message (NIP-11 `max_message_length`). */
  readonly maxMessageBytes: number
  /** Tag keys (`#x`) in one filter. The planner uses at most one. */
  readonly maxTagKeysPerFilter: number
  /** Characters of a subscription id (NIP-11 `max_subid_length`; NIP-01 says at most 64). */
  readonly maxSubIdLength: number
  /** The page size of history requests (NIP-11 `max_limit`). */
  readonly maxLimit: number
}

/**
 * The limits used when a relay publishes none.
 *
 * @example
 * import { defaultRelayLimits } from 'nip34-sync'
 *
 * assert.strictEqual(defaultRelayLimits.maxSubscriptions, 20)
 * assert.strictEqual(defaultRelayLimits.maxValuesPerList, 100)
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultRelayLimits: RelayLimits = {
  maxValuesPerList: 100,
  maxFiltersPerReq: 20,
  maxSubscriptions: 20,
  reservedSubscriptions: 2,
  maxMessageBytes: 65_536,
  maxTagKeysPerFilter: 3,
  maxSubIdLength: 64,
  maxLimit: 500
}

/**
 * One limit value that was not used, and why.
 *
 * @example
 * import { limitsFromLimitation } from 'nip34-sync'
 *
 * const [problem] = limitsFromLimitation({ max_filters: 0 }).problems
 * assert.deepStrictEqual(problem, { field: 'max_filters', value: '0', reason: 'below the minimum 1; keeping 20' })
 *
 * @category model
 * @since 0.1.0
 */
export interface LimitProblem {
  /** The field as it was spelled in the input (`max_subscriptions`, `maxValuesPerList`). */
  readonly field: string
  /** The value as given, readable and cut to 200 characters. */
  readonly value: string
  /** What was wrong and what was used instead. */
  readonly reason: string
}

/**
 * Limits with every value checked, and what was wrong with the input.
 *
 * @example
 * import { defaultRelayLimits, relayLimits } from 'nip34-sync'
 *
 * assert.deepStrictEqual(relayLimits({}), { limits: defaultRelayLimits, problems: [] })
 *
 * @category model
 * @since 0.1.0
 */
export interface LimitsResult {
  readonly limits: RelayLimits
  readonly problems: ReadonlyArray<LimitProblem>
}

/** The smallest value of each field the planner can work with. */
const minimum: { readonly [K in keyof RelayLimits]: number } = {
  maxValuesPerList: 1,
  maxFiltersPerReq: 1,
  maxSubscriptions: 1,
  reservedSubscriptions: 0,
  maxMessageBytes: 256,
  maxTagKeysPerFilter: 1,
  maxSubIdLength: 12,
  maxLimit: 1
}

const fields = Object.keys(defaultRelayLimits) as ReadonlyArray<keyof RelayLimits>

/** Why `u` is not a usable value of the limit `key` (an integer at or above its minimum); `undefined` when it is one. */
const whyNot = (key: keyof RelayLimits, u: unknown): string | undefined =>
  typeof u !== 'number' || !Number.isSafeInteger(u) ? 'not an integer' : u < minimum[key] ? `below the minimum ${minimum[key]}` : undefined

/**
 * The NIP-11 `limitation` fields the planner reads, and the limit each one sets.
 *
 * @example
 * import { nip11LimitFields } from 'nip34-sync'
 *
 * assert.strictEqual(nip11LimitFields['max_subscriptions'], 'maxSubscriptions')
 *
 * @category constants
 * @since 0.1.0
 */
export const nip11LimitFields: { readonly [nip11Field: string]: keyof RelayLimits } = {
  max_message_length: 'maxMessageBytes',
  max_subscriptions: 'maxSubscriptions',
  max_filters: 'maxFiltersPerReq',
  max_limit: 'maxLimit',
  max_subid_length: 'maxSubIdLength'
}

const problem = (field: string, value: unknown, reason: string): LimitProblem => ({
  field,
  value: value === undefined ? 'undefined' : typeof value === 'string' ? show(JSON.stringify(value)) : show(value),
  reason
})

const UNREADABLE = 'cannot be read (a getter or Proxy trap threw); using the base limits'

/** `reservedSubscriptions` is below `maxSubscriptions`, and at least 1 when `maxSubscriptions` leaves room for it. */
const isConsistent = (reserved: number, max: number): boolean => reserved < max && (reserved >= 1 || max === 1)

/** Every field usable, one live subscription left, and room for history: what {@link relayLimits} returns. */
const isValid = (u: unknown): u is RelayLimits =>
  isRecord(u) &&
  fields.every((key) => whyNot(key, u[key]) === undefined) &&
  isConsistent(u['reservedSubscriptions'] as number, u['maxSubscriptions'] as number)

/**
 * Keeps `reservedSubscriptions` below `maxSubscriptions`, so at least one live subscription
 * remains, and at least 1 when `maxSubscriptions` is 2 or more, so history always has room to run
 * (0 only when the relay allows a single subscription: then the history of a batch is not awaited).
 */
const consistent = (limits: RelayLimits, problems: Array<LimitProblem>): RelayLimits => {
  if (isConsistent(limits.reservedSubscriptions, limits.maxSubscriptions)) return limits
  if (limits.reservedSubscriptions >= limits.maxSubscriptions) {
    const reserved = limits.maxSubscriptions - 1
    problems.push(
      problem(
        'reservedSubscriptions',
        limits.reservedSubscriptions,
        `not below maxSubscriptions (${limits.maxSubscriptions}); using ${reserved} so one live subscription remains`
      )
    )
    return { ...limits, reservedSubscriptions: reserved }
  }
  problems.push(
    problem('reservedSubscriptions', limits.reservedSubscriptions, 'leaves no room for history requests; using 1')
  )
  return { ...limits, reservedSubscriptions: 1 }
}

const overlay = (
  base: RelayLimits,
  entries: ReadonlyArray<readonly [string, keyof RelayLimits, unknown]>,
  problems: Array<LimitProblem>
): RelayLimits => {
  const out: { -readonly [K in keyof RelayLimits]: number } = { ...base }
  for (const [field, key, value] of entries) {
    if (value === undefined) continue
    const why = whyNot(key, value)
    if (why === undefined) out[key] = value as number
    else problems.push(problem(field, value, `${why}; keeping ${out[key]}`))
  }
  return consistent(out, problems)
}

/**
 * Reads a value given as {@link RelayLimits}: itself when valid, otherwise its usable fields over
 * the defaults (problems dropped).
 */
const asLimits = (raw: unknown): RelayLimits => {
  if (raw === defaultRelayLimits) return defaultRelayLimits
  const plain = readPlain(raw, 1)
  if (!plain.ok) return defaultRelayLimits
  const u = plain.value
  if (isValid(u)) return u
  if (!isRecord(u)) return defaultRelayLimits
  return overlay(
    defaultRelayLimits,
    fields.map((key) => [key, key, u[key]] as const),
    []
  )
}

/**
 * Checks limits a host gives (any subset of the fields of {@link RelayLimits}) over a base
 * (default {@link defaultRelayLimits}). Unknown fields and unusable values are reported; the base
 * value is kept for them. Total: a value that is not an object gives the base and one problem; a
 * base that is not valid limits is read field by field over the defaults.
 *
 * @example
 * import { relayLimits } from 'nip34-sync'
 *
 * const { limits, problems } = relayLimits({ maxSubscriptions: 50, maxValuesPerList: -1, maxSubs: 3 })
 * assert.strictEqual(limits.maxSubscriptions, 50)
 * assert.strictEqual(limits.maxValuesPerList, 100)
 * assert.deepStrictEqual(problems.map((p) => p.field), ['maxSubs', 'maxValuesPerList'])
 *
 * @category constructors
 * @since 0.1.0
 */
export const relayLimits = (raw: Partial<RelayLimits> | unknown, base: RelayLimits = defaultRelayLimits): LimitsResult => {
  const problems: Array<LimitProblem> = []
  const checkedBase = asLimits(base)
  const plain = readPlain(raw, 1)
  if (!plain.ok) return { limits: checkedBase, problems: [problem('(limits)', 'an object', UNREADABLE)] }
  const overrides = plain.value
  if (overrides === undefined) return { limits: checkedBase, problems }
  if (!isRecord(overrides)) {
    problems.push(problem('(limits)', overrides, 'not an object; using the base limits'))
    return { limits: checkedBase, problems }
  }
  for (const key of Object.keys(overrides).sort())
    if (!(fields as ReadonlyArray<string>).includes(key)) problems.push(problem(key, overrides[key], 'unknown limit; ignored'))
  const limits = overlay(
    checkedBase,
    fields.map((key) => [key, key, overrides[key]] as const),
    problems
  )
  return { limits, problems }
}

/**
 * Reads a relay's NIP-11 `limitation` object over a base (default {@link defaultRelayLimits}):
 * each field of {@link nip11LimitFields} that is an integer at or above the planner's minimum
 * replaces the base value, larger or smaller; other fields of the object are ignored; a field with
 * an unusable value keeps the base value and is reported. Total: `undefined` and `null` give the
 * base; any other value that is not an object gives the base and one problem.
 *
 * @example
 * import { limitsFromLimitation } from 'nip34-sync'
 *
 * const { limits, problems } = limitsFromLimitation({ max_subscriptions: 300, max_filters: 'many', auth_required: false })
 * assert.strictEqual(limits.maxSubscriptions, 300)
 * assert.strictEqual(limits.maxFiltersPerReq, 20)
 * assert.strictEqual(problems[0]?.field, 'max_filters')
 *
 * @category decoders
 * @since 0.1.0
 */
export const limitsFromLimitation = (raw: unknown, base: RelayLimits = defaultRelayLimits): LimitsResult => {
  const problems: Array<LimitProblem> = []
  const checkedBase = asLimits(base)
  const plain = readPlain(raw, 1)
  if (!plain.ok) return { limits: checkedBase, problems: [problem('limitation', 'an object', UNREADABLE)] }
  const limitation = plain.value
  if (limitation === undefined || limitation === null) return { limits: checkedBase, problems }
  if (!isRecord(limitation)) {
    problems.push(problem('limitation', limitation, 'not an object; using the base limits'))
    return { limits: checkedBase, problems }
  }
  const entries = Object.keys(nip11LimitFields)
    .sort()
    .map((field) => [field, nip11LimitFields[field] as keyof RelayLimits, limitation[field]] as const)
  return { limits: overlay(checkedBase, entries, problems), problems }
}

/**
 * Reads the limits from a whole NIP-11 relay information document (its `limitation` object; see
 * {@link limitsFromLimitation}). A document without `limitation` gives the base limits. Total: a
 * value that is not an object gives the base limits and one problem.
 *
 * @example
 * import { limitsFromRelayInfo } from 'nip34-sync'
 *
 * const info = { name: 'r', limitation: { max_message_length: 131072, max_subid_length: 71 } }
 * assert.strictEqual(limitsFromRelayInfo(info).limits.maxMessageBytes, 131072)
 * assert.strictEqual(limitsFromRelayInfo('<html>').problems.length, 1)
 *
 * @category decoders
 * @since 0.1.0
 */
export const limitsFromRelayInfo = (raw: unknown, base: RelayLimits = defaultRelayLimits): LimitsResult => {
  const plain = readPlain(raw, 2)
  if (!plain.ok) return { limits: asLimits(base), problems: [problem('(relay information)', 'an object', UNREADABLE)] }
  const info = plain.value
  if (!isRecord(info)) return { limits: asLimits(base), problems: [problem('(relay information)', info, 'not an object; using the base limits')] }
  return limitsFromLimitation(info['limitation'], base)
}

/**
 * The number of live subscriptions a plan may use: `maxSubscriptions - reservedSubscriptions`,
 * at least 1. Total: limits that are not valid are read field by field over the defaults (so a
 * value that is not an object gives the default budget, 18).
 *
 * @example
 * import { defaultRelayLimits, liveSubscriptionBudget } from 'nip34-sync'
 *
 * assert.strictEqual(liveSubscriptionBudget(defaultRelayLimits), 18)
 *
 * @category utils
 * @since 0.1.0
 */
export const liveSubscriptionBudget = (limits: RelayLimits): number => {
  const l = asLimits(limits)
  return Math.max(1, l.maxSubscriptions - l.reservedSubscriptions)
}

/**
 * Limits for each relay: one set for every relay, or a function of the relay URL (for example a
 * lookup in the NIP-11 documents the host has fetched). Missing fields take the defaults.
 *
 * @example
 * import { limitsFor, type LimitsInput } from 'nip34-sync'
 *
 * const input: LimitsInput = (relay) => (relay.endsWith('.onion') ? { maxSubscriptions: 5 } : undefined)
 * assert.strictEqual(limitsFor(input)('ws://x.onion').maxSubscriptions, 5)
 *
 * @category model
 * @since 0.1.0
 */
export type LimitsInput = Partial<RelayLimits> | ((relay: string) => Partial<RelayLimits> | undefined)

/**
 * The checked limits of one relay from a {@link LimitsInput} (problems dropped: check the input
 * with {@link relayLimits} to see them). Total: an input that is neither limits nor a function,
 * or a function's result that is not limits, gives the defaults.
 *
 * @example
 * import { limitsFor } from 'nip34-sync'
 *
 * const byRelay = (relay: string) => (relay === 'wss://big.example' ? { maxSubscriptions: 300 } : undefined)
 * assert.strictEqual(limitsFor(byRelay)('wss://big.example').maxSubscriptions, 300)
 * assert.strictEqual(limitsFor(byRelay)('wss://small.example').maxSubscriptions, 20)
 *
 * @category utils
 * @since 0.1.0
 */
export const limitsFor =
  (input: LimitsInput | undefined) =>
  (relay: string): RelayLimits =>
    relayLimits(typeof input === 'function' ? callSafely(input, relay) : input).limits

/** A host's limits function, called without letting a throw escape (a throw gives the defaults). */
const callSafely = (f: (relay: string) => Partial<RelayLimits> | undefined, relay: string): unknown => {
  try {
    return f(relay)
  } catch {
    return undefined
  }
}
