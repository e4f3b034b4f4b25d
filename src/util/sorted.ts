/**
 * Small helpers over sorted, duplicate-free string arrays, the shape every list the library
 * returns has.
 *
 * @internal
 */

/** Code-unit order (the order of `Array.prototype.sort` with no comparator). */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Sorted copy without duplicates. */
export const sortedUnique = <A extends string>(xs: Iterable<A>): Array<A> => [...new Set(xs)].sort(compareStrings)

/** Element-wise equality of two arrays of primitives. */
export const arrayEquals = <A>(a: ReadonlyArray<A>, b: ReadonlyArray<A>): boolean => {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Compares two sorted arrays lexicographically. */
export const compareArrays = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const c = compareStrings(a[i] as string, b[i] as string)
    if (c !== 0) return c
  }
  return a.length - b.length
}

/** A readable, never-throwing description of any value, for messages. */
export const show = (u: unknown): string => {
  if (u === undefined) return 'undefined'
  if (u === null) return 'null'
  if (typeof u === 'string') return u.length > 200 ? `${u.slice(0, 200)}…` : u
  if (typeof u === 'number' || typeof u === 'boolean' || typeof u === 'bigint') return String(u)
  if (typeof u === 'symbol' || typeof u === 'function') return typeof u
  try {
    // a revoked Proxy makes Array.isArray throw
    return Array.isArray(u) ? 'an array' : 'an object'
  } catch {
    return 'an object'
  }
}
