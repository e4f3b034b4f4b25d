/**
 * The NIP-01 event codec (internal; public as `NostrEvent` through `decode/Nip34Event.ts`).
 */
import * as t from 'io-ts'
import { readPlain } from '../util/plain.js'

/** A codec of one field: `check` is the guard, `expected` the error message of a value it refuses. */
const field = <A>(name: string, check: (u: unknown) => boolean, expected: (u: unknown) => string) =>
  new t.Type<A, A, unknown>(name, (u): u is A => check(u), (u, c) => (check(u) ? t.success(u as A) : t.failure(u, c, expected(u))), t.identity)

const hex = (length: number, name: string) =>
  field<string>(name, (u) => isHex(u, length), (u) => `expected ${length} lower-case hex characters, got ${describe(u)}`)

/** Whether `s` is a string of `length` lower-case hex characters (one pass, no regular expression). */
export const isHex = (s: unknown, length: number): s is string => {
  if (typeof s !== 'string' || s.length !== length) return false
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || (c > 57 && c < 97) || c > 102) return false
  }
  return true
}

const isIntIn = (u: unknown, min: number, max: number): boolean => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max

/**
 * The shape check of {@link nostrEventShape} written out for a plain copy (`read.ts`): true
 * exactly when the codec accepts the value unchanged, so a well-formed event skips the codec's
 * per-field contexts; a false answer sends the value through the codec for its error messages.
 */
export const isWellFormed = (ev: Record<string, unknown>): boolean => {
  if (!isHex(ev['id'], 64) || !isHex(ev['pubkey'], 64) || !isHex(ev['sig'], 128)) return false
  if (!isIntIn(ev['created_at'], 0, Number.MAX_SAFE_INTEGER) || !isIntIn(ev['kind'], 0, 65535)) return false
  if (typeof ev['content'] !== 'string') return false
  const tags = ev['tags']
  if (!Array.isArray(tags)) return false
  for (let i = 0; i < tags.length; i++) {
    const tag: unknown = tags[i]
    if (!Array.isArray(tag)) return false
    for (let j = 0; j < tag.length; j++) if (typeof tag[j] !== 'string') return false
  }
  return true
}

/** A short description of a value for a shape error (a long string by its length only). */
export const describe = (u: unknown): string => {
  if (typeof u === 'string') return u.length > 80 ? `a string of ${u.length} characters` : JSON.stringify(u)
  if (Array.isArray(u)) return 'an array'
  return u === null ? 'null' : typeof u
}

const intIn = (min: number, max: number, name: string) =>
  field<number>(name, (u) => isIntIn(u, min, max), (u) => `expected an integer from ${min} to ${max}, got ${describe(u)}`)

/**
 * io-ts codec of a NIP-01 event. Extra fields are allowed and dropped. Total: the input is read
 * once into a plain copy (a Proxy or a getter that throws is a decode failure), and the decoded
 * value is that copy, never the caller's object.
 *
 * @example
 * import { NostrEvent } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.strictEqual(E.isLeft(NostrEvent.decode({ kind: 1 })), true)
 *
 * @category codecs
 * @since 0.1.0
 * @deprecated since 0.3.0: use {@link Nip01Event}; nostr-tools exports a NostrEvent type a host imports beside this one.
 */
export const NostrEvent: t.Type<NostrEventShape, NostrEventShape, unknown> = /* @__PURE__ */ (() => {
  const shape = nostrEventShape()
  // Total on any value: the input is read once into a plain copy (a getter or Proxy trap that
  // throws is a decode failure), and the shape is checked on the copy.
  return new t.Type<NostrEventShape, NostrEventShape, unknown>(
    'NostrEvent',
    (u): u is NostrEventShape => {
      const plain = readPlain(u, 3)
      return plain.ok && shape.is(plain.value)
    },
    (u, c) => {
      const plain = readPlain(u, 3)
      return plain.ok ? shape.validate(plain.value, c) : t.failure(u, c, 'the event cannot be read (a getter or Proxy trap threw)')
    },
    t.identity
  )
})()

type NostrEventShape = t.TypeOf<ReturnType<typeof nostrEventShape>>

export function nostrEventShape() {
  return t.type(
  {
    id: hex(64, 'EventId'),
    pubkey: hex(64, 'PubKey'),
    created_at: intIn(0, Number.MAX_SAFE_INTEGER, 'Timestamp'),
    kind: intIn(0, 65535, 'Kind'),
    tags: t.readonlyArray(t.readonlyArray(t.string)),
    content: t.string,
    sig: hex(128, 'Signature')
  },
  'NostrEvent'
  )
}

/**
 * A NIP-01 event as decoded by {@link NostrEvent}.
 *
 * @category model
 * @since 0.1.0
 * @deprecated since 0.3.0: use {@link Nip01Event}; nostr-tools exports a NostrEvent type a host imports beside this one.
 */
export type NostrEvent = t.TypeOf<typeof NostrEvent>
