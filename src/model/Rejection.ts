/**
 * A `Rejection` says why a piece of input was not used. Reducers never throw and never drop input
 * silently: everything they refuse comes back as a `Rejection` beside the new value.
 *
 * A rejection is either *whole* (`partial: false`: the event changed nothing) or *partial*
 * (`partial: true`: one value of the event, such as one relay URL or one `a` tag, was refused and
 * the rest of the event still applied). `position` is the event's index in the batch;
 * configuration problems have no position.
 *
 * @since 0.1.0
 */
import type { Errors } from 'io-ts'
import { readPlain } from '../util/plain.js'
import { cut, show } from '../util/text.js'

/**
 * The closed set of rejection codes.
 *
 * | code | what was wrong |
 * | --- | --- |
 * | `not-an-object` | the input is not a JSON object |
 * | `invalid-event` | a NIP-01 field is missing or has the wrong type or form (id, pubkey, sig hex; created_at, kind integers; tags an array of string arrays), or the event cannot be read (a getter or Proxy trap threw) |
 * | `unsupported-kind` | the kind is neither an announcement nor one of the configured root kinds |
 * | `missing-d` | an announcement has no `d` tag, or an empty one |
 * | `invalid-repo-ref` | an `a` tag that starts with `30617:` is not a valid repository address (partial) |
 * | `no-repo-ref` | a root event names no repository in its `a` tags |
 * | `invalid-relay-url` | a `relays` value is not a usable relay URL (partial) |
 * | `invalid-config` | a configuration value is unusable (it is left out) |
 * | `invalid-batch` | the batch itself is not an array (or cannot be read), or the options are unusable (`now` not a finite number: no future-date check is made) |
 * | `invalid-signature` | the id is not the event's hash, or the signature does not verify (when `verify` is on) |
 * | `future-dated` | an announcement or deletion is dated further ahead of `now` than `maxFutureSkew` |
 * | `refused-relay-url` | a `relays` value is a relay URL the relay policy refuses (partial; `rule` says which) |
 * | `cap-exceeded` | a configured cap was hit: too many tags, values in one tag or in the event, or too long a tag value (whole, `rule` names the cap), too many relays, repositories or maintainers (partial, the rest reported) |
 * | `not-authorised` | a deletion names an announcement of another pubkey (partial; it has no effect) |
 * | `invalid-event-ref` | a deletion's `e` tag is not an event id (partial) |
 * | `no-target` | a deletion names nothing the core tracks |
 * | `invalid-maintainer` | a `maintainers` value is not a hex pubkey (partial) |
 *
 * @category model
 * @since 0.1.0
 */
export type RejectionCode =
  | 'not-an-object'
  | 'invalid-event'
  | 'unsupported-kind'
  | 'missing-d'
  | 'invalid-repo-ref'
  | 'no-repo-ref'
  | 'invalid-relay-url'
  | 'invalid-config'
  | 'invalid-batch'
  | 'invalid-signature'
  | 'future-dated'
  | 'refused-relay-url'
  | 'cap-exceeded'
  | 'not-authorised'
  | 'invalid-event-ref'
  | 'no-target'
  | 'invalid-maintainer'

/**
 * Every rejection code, in a fixed order.
 *
 * @example
 * import { rejectionCodes } from 'nip34-sync'
 *
 * assert.strictEqual(rejectionCodes.includes('invalid-signature'), true)
 *
 * @category constants
 * @since 0.1.0
 */
export const rejectionCodes: ReadonlyArray<RejectionCode> = [
  'not-an-object',
  'invalid-event',
  'unsupported-kind',
  'missing-d',
  'invalid-repo-ref',
  'no-repo-ref',
  'invalid-relay-url',
  'invalid-config',
  'invalid-batch',
  'invalid-signature',
  'future-dated',
  'refused-relay-url',
  'cap-exceeded',
  'not-authorised',
  'invalid-event-ref',
  'no-target',
  'invalid-maintainer'
]

/**
 * One refused input, with enough context to find it.
 *
 * @category model
 * @since 0.1.0
 */
export interface Rejection {
  readonly code: RejectionCode
  /** A readable reason. */
  readonly message: string
  /** `true` when only `value` was refused and the rest of the event applied. */
  readonly partial: boolean
  /** The event's index in the batch (absent for configuration problems). */
  readonly position?: number
  /** The event id, when it could be read. */
  readonly eventId?: string
  /** The repository concerned, when known. */
  readonly repo?: string
  /** The refused value (a URL, an `a` tag value, a config entry), cut to 200 characters. */
  readonly value?: string
  /** For `refused-relay-url` and `cap-exceeded`: the rule or cap that refused it. */
  readonly rule?: string
}

/**
 * Where a rejection happened and what it concerned; every field optional.
 *
 * @category model
 * @since 0.1.0
 */
export interface RejectionContext {
  readonly partial?: boolean | undefined
  readonly position?: number | undefined
  readonly eventId?: string | undefined
  readonly repo?: string | undefined
  readonly value?: string | undefined
  readonly rule?: string | undefined
}

/**
 * Builds a {@link Rejection}; optional context fields that are `undefined` are left out. Total:
 * a context that cannot be read (a Proxy, a throwing getter) gives a rejection without context.
 *
 * @example
 * import { rejection } from 'nip34-sync'
 *
 * const r = rejection('missing-d', 'announcement has no d tag', { position: 3 })
 * assert.deepStrictEqual(r, { code: 'missing-d', message: 'announcement has no d tag', partial: false, position: 3 })
 *
 * @category constructors
 * @since 0.1.0
 */
export const rejection = (
  code: RejectionCode,
  message: string,
  context: RejectionContext = {}
): Rejection => {
  // read once, into a plain copy: a Proxy or a throwing getter gives a rejection without context
  const plain = readPlain(context, 1)
  const ctx = plain.ok && typeof plain.value === 'object' && plain.value !== null && !Array.isArray(plain.value) ? (plain.value as RejectionContext) : {}
  return rejectionOf(code, typeof message === 'string' ? message : show(message), ctx)
}

const rejectionOf = (
  code: RejectionCode,
  message: string,
  context: RejectionContext
): Rejection => ({
  code,
  message,
  partial: context.partial ?? false,
  ...(context.position === undefined ? {} : { position: context.position }),
  ...(context.eventId === undefined ? {} : { eventId: context.eventId }),
  ...(context.repo === undefined ? {} : { repo: context.repo }),
  ...(context.value === undefined ? {} : { value: typeof context.value === 'string' ? cut(context.value) : show(context.value) }),
  ...(context.rule === undefined ? {} : { rule: typeof context.rule === 'string' ? context.rule : show(context.rule) })
})

const describeValue = (u: unknown): string => {
  if (u === undefined) return 'undefined'
  try {
    const s = JSON.stringify(u)
    return s === undefined ? typeof u : cut(s)
  } catch {
    return typeof u
  }
}

/**
 * Turns io-ts decode errors into one readable sentence that says where and what:
 * `tags.0.1: expected string, got 42`.
 *
 * @example
 * import { formatDecodeErrors } from 'nip34-sync'
 * import * as t from 'io-ts'
 * import { either as E } from 'fp-ts'
 *
 * const result = t.type({ kind: t.number }).decode({ kind: 'x' })
 * assert.strictEqual(E.isLeft(result) && formatDecodeErrors(result.left), 'kind: expected number, got "x"')
 *
 * @category destructors
 * @since 0.1.0
 */
export const formatDecodeErrors = (errors: Errors): string => {
  try {
    return formatErrors(errors)
  } catch {
    return 'the errors cannot be read'
  }
}

const formatErrors = (errors: Errors): string => {
  if (!Array.isArray(errors)) return ''
  const lines = (errors as ReadonlyArray<unknown>).flatMap((u) => {
    if (typeof u !== 'object' || u === null) return []
    const e = u as Partial<Errors[number]>
    const context = Array.isArray(e.context) ? e.context : []
    const path = context
      .map((c) => (typeof c === 'object' && c !== null && typeof c.key === 'string' ? c.key : ''))
      .filter((k) => k !== '')
      .join('.')
    const last = context[context.length - 1]
    const expected = typeof last === 'object' && last !== null && typeof last.type?.name === 'string' ? last.type.name : 'value'
    const what = typeof e.message === 'string' ? e.message : `expected ${expected}, got ${describeValue(e.value)}`
    return [path === '' ? what : `${path}: ${what}`]
  })
  const unique = [...new Set(lines)]
  return unique.length > 3 ? `${unique.slice(0, 3).join('; ')}; and ${unique.length - 3} more` : unique.join('; ')
}
