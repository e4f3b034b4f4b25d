/**
 * Text for messages (internal): one copy of each helper that turns a value into a short,
 * never-throwing description.
 */

/** A string cut to 200 characters (with `…` when cut): no message grows with its input. */
export const cut = (s: string): string => (s.length > 200 ? `${s.slice(0, 200)}…` : s)

/**
 * A short description of any value for a problem message: a string quoted (and cut), a primitive
 * as itself, otherwise its kind. Never throws (a revoked Proxy is "an unreadable object").
 */
export const describe = (u: unknown): string => {
  if (typeof u === 'string') return JSON.stringify(cut(u))
  if (u === null || u === undefined || typeof u === 'number' || typeof u === 'boolean' || typeof u === 'bigint') return String(u)
  try {
    if (Array.isArray(u)) return 'an array'
  } catch {
    return 'an unreadable object' // a revoked Proxy
  }
  return typeof u === 'object' ? 'an object' : typeof u
}

/** A plain object (not null, not an array). */
export const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)

/** A readable, never-throwing description of any value, for messages. */
export const show = (u: unknown): string => {
  if (u === undefined) return 'undefined'
  if (u === null) return 'null'
  if (typeof u === 'string') return cut(u)
  if (typeof u === 'number' || typeof u === 'boolean' || typeof u === 'bigint') return String(u)
  if (typeof u === 'symbol' || typeof u === 'function') return typeof u
  try {
    // a revoked Proxy makes Array.isArray throw
    return Array.isArray(u) ? 'an array' : 'an object'
  } catch {
    return 'an object'
  }
}
