/**
 * Reading untrusted values at the edge: once, into plain data, never throwing.
 *
 * @internal
 */
import * as t from 'io-ts'
import { show } from './text.js'

// ---------------------------------------------------------------------------------------------

/** Sets a property without ever reaching a setter (`__proto__` included). */
const put = (o: Record<string, unknown>, k: string, v: unknown): void => {
  // a fresh object literal has one inherited setter, `__proto__`; every other key is a plain
  // store (defineProperty on every key would turn the copy into a slow dictionary object)
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  else o[k] = v
}

/**
 * Reads an untrusted value ONCE into plain data: primitives as they are, arrays element by element,
 * objects by their own enumerable string keys, `depth` levels deep (deeper objects and arrays
 * become `{}` and `[]`). Functions and symbols are kept as they are (never called). Every getter
 * and Proxy trap is run at most once per property, and nothing is read again afterwards. A throw
 * from a getter or trap is caught: the result is then `{ ok: false }`.
 */
export const readPlain = (u: unknown, depth: number, maxItems: number = MAX_PLAIN_ITEMS): { readonly ok: true; readonly value: unknown } | { readonly ok: false } => {
  try {
    return { ok: true, value: copyPlain(u, depth, { left: maxItems }) }
  } catch {
    return { ok: false }
  }
}

/**
 * The most array elements and object keys one `readPlain` copies (in total, at every depth): a
 * length is checked against what is left BEFORE the copy is allocated or looped, so a Proxy that
 * claims 2^32 - 1 elements is refused at once. 2^24 is far above any input the library takes
 * (the CLI's longest line is 16 MiB, and every element costs at least one byte of JSON).
 */
export const MAX_PLAIN_ITEMS = 2 ** 24

const copyPlain = (u: unknown, depth: number, budget: { left: number }): unknown => {
  if (typeof u !== 'object' || u === null) return u
  if (Array.isArray(u)) {
    if (depth <= 0) return []
    const n: unknown = u.length
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new TypeError('not a readable array')
    if (n > budget.left) throw new RangeError('too many elements')
    budget.left -= n
    const out: Array<unknown> = new Array(n)
    for (let i = 0; i < n; i++) out[i] = copyPlain(u[i], depth - 1, budget)
    return out
  }
  if (depth <= 0) return {}
  const out: Record<string, unknown> = {}
  const keys = Object.keys(u)
  if (keys.length > budget.left) throw new RangeError('too many keys')
  budget.left -= keys.length
  for (const k of keys) put(out, k, copyPlain((u as Record<string, unknown>)[k], depth - 1, budget))
  return out
}

/**
 * Reads `options.now` once: a finite number is used; anything else that is given (not
 * `undefined`) is a problem, reported by the caller, and then no future-date check is made. The
 * one rule for `decodeNip34Event` and `applyBatch`.
 */
export const readNow = (options: unknown): { readonly now: number | undefined; readonly problem: string | undefined } => {
  const BAD = 'options.now must be a finite number of unix seconds; no future-date check was made'
  if (options === undefined || options === null) return { now: undefined, problem: undefined }
  if (typeof options !== 'object') return { now: undefined, problem: 'options must be an object; no future-date check was made' }
  let now: unknown
  try {
    now = (options as { readonly now?: unknown }).now
  } catch {
    return { now: undefined, problem: 'options cannot be read; no future-date check was made' }
  }
  if (now === undefined) return { now: undefined, problem: undefined }
  if (typeof now !== 'number' || !Number.isFinite(now)) return { now: undefined, problem: BAD }
  return { now, problem: undefined }
}

/** `show` of util/text.ts (already total: a revoked Proxy reads as "an object"), by its old name. */
export const showAny = show

/**
 * The same io-ts codec, total on any value: `is`, `validate` and `decode` read the input once into
 * a plain copy (`depth` levels) and check the copy; an input that cannot be read is a failure. The
 * result keeps the codec's class and type, so exported codecs keep their types.
 */
export const readingPlain = <C extends t.Any>(codec: C, depth: number): C => {
  const validate = codec.validate.bind(codec)
  const is = codec.is.bind(codec)
  const wrapped = Object.assign(Object.create(Object.getPrototypeOf(codec) as object) as C, codec)
  const self = wrapped as { validate: t.Validate<unknown, unknown>; is: t.Is<unknown>; decode: (i: unknown) => t.Validation<unknown> }
  self.validate = (u, c) => {
    const p = readPlain(u, depth)
    return p.ok ? validate(p.value, c) : t.failure(u, c, 'the value cannot be read (a getter or Proxy trap threw)')
  }
  self.is = (u): u is unknown => {
    const p = readPlain(u, depth)
    return p.ok && is(p.value)
  }
  self.decode = (i) => self.validate(i, [{ key: '', type: wrapped, actual: i }])
  return wrapped
}
