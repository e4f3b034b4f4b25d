/**
 * The NIP-01 event codec (internal; public as `NostrEvent` through `decode/Nip34Event.ts`).
 */
import * as t from 'io-ts'
import { readPlain } from '../util/plain.js'

const hex = (length: number, name: string) =>
  new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && u.length === length && /^[0-9a-f]*$/.test(u),
    (u, c) =>
      typeof u === 'string' && u.length === length && /^[0-9a-f]*$/.test(u)
        ? t.success(u)
        : t.failure(u, c, `expected ${length} lower-case hex characters, got ${describe(u)}`),
    t.identity
  )

/** A short description of a value for a shape error (a long string by its length only). */
export const describe = (u: unknown): string => {
  if (typeof u === 'string') return u.length > 80 ? `a string of ${u.length} characters` : JSON.stringify(u)
  if (Array.isArray(u)) return 'an array'
  return u === null ? 'null' : typeof u
}

const intIn = (min: number, max: number, name: string) =>
  new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max,
    (u, c) =>
      typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max
        ? t.success(u)
        : t.failure(u, c, `expected an integer from ${min} to ${max}, got ${describe(u)}`),
    t.identity
  )

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
export const NostrEvent: t.Type<NostrEventShape, NostrEventShape, unknown> = (() => {
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
