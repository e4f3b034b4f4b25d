/**
 * Readers for values of unknown shape, used at the public boundary of the wire layer so that
 * every export is total: small guards (records, arrays, strings, numbers) and a total NIP-01
 * filter matcher for events and filters of unknown shape (nostr-tools' `matchFilter` assumes a
 * well-formed event and throws on others).
 *
 * None of them throws or mutates its input, whatever it is (`null`, a number, an array, an
 * object with a null prototype or a throwing `toString`).
 *
 * @internal
 */
import type { NostrFilter } from './types.js'

/** `Array.isArray`, false where it throws (a revoked Proxy). */
const isArray = (u: unknown): u is ReadonlyArray<unknown> => {
  try {
    return Array.isArray(u)
  } catch {
    return false
  }
}

/** The value as a record (a non-null object that is not an array, any prototype); `undefined` otherwise (a revoked Proxy too). */
export const asRecord = (u: unknown): { readonly [key: string]: unknown } | undefined => {
  if (typeof u !== 'object' || u === null) return undefined
  try {
    return Array.isArray(u) ? undefined : (u as { readonly [key: string]: unknown })
  } catch {
    return undefined
  }
}

/** The value when it is an array; the empty array otherwise. */
export const asArray = (u: unknown): ReadonlyArray<unknown> => (isArray(u) ? u : [])

/**
 * Runs `f`; when it throws (a Proxy trap or a getter of the input, read by a public function),
 * gives `fallback()`, the documented empty answer. The edge rule: nothing throws on any value.
 */
export const orElse = <A>(f: () => A, fallback: () => A): A => {
  try {
    return f()
  } catch {
    return fallback()
  }
}

export const isString = (u: unknown): u is string => typeof u === 'string'

/** The strings of an array, in order (anything that is not an array has none). */
export const stringsIn = (u: unknown): Array<string> => asArray(u).filter(isString)

/** A finite number (not `NaN`, not ±`Infinity`). */
export const isNumber = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u)

export interface EventLike {
  readonly id: string
  readonly pubkey: string
  readonly kind: number
  readonly created_at: number
  readonly tags: ReadonlyArray<ReadonlyArray<unknown>>
}

/** The event when it has the fields a filter reads, with the right types; `undefined` otherwise. */
export const asEvent = (u: unknown): EventLike | undefined => {
  const e = asRecord(u)
  if (e === undefined) return undefined
  const tags = e['tags']
  return typeof e['id'] === 'string' &&
    typeof e['pubkey'] === 'string' &&
    typeof e['kind'] === 'number' &&
    typeof e['created_at'] === 'number' &&
    Number.isSafeInteger(e['created_at']) &&
    Array.isArray(tags) &&
    tags.every(Array.isArray)
    ? (e as unknown as EventLike)
    : undefined
}

/** A list condition holds: absent, or an array that includes the value (a condition of any other type holds for nothing). */
const inList = (condition: unknown, value: unknown): boolean => condition === undefined || (Array.isArray(condition) && condition.includes(value))

/**
 * NIP-01: every condition of the filter holds (`since <= created_at <= until`; a tag condition
 * looks at the first value). A condition of the wrong type (a list that is not an array, a bound
 * that is not a number) holds for no event; a filter that is not an object matches nothing.
 */
export const matches = (f: NostrFilter, e: EventLike): boolean => {
  const r = asRecord(f)
  if (r === undefined) return false
  if (!inList(r['ids'], e.id) || !inList(r['kinds'], e.kind) || !inList(r['authors'], e.pubkey)) return false
  const since = r['since']
  const until = r['until']
  if (since !== undefined && !(typeof since === 'number' && e.created_at >= since)) return false
  if (until !== undefined && !(typeof until === 'number' && e.created_at <= until)) return false
  for (const key of Object.keys(r)) {
    if (!key.startsWith('#')) continue
    const values = r[key]
    if (values === undefined) continue
    if (!Array.isArray(values)) return false
    const name = key.slice(1)
    if (!e.tags.some((t) => t[0] === name && typeof t[1] === 'string' && values.includes(t[1]))) return false
  }
  return true
}
