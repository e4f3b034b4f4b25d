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

/**
 * A copy of the sorted, duplicate-free `xs` with `x` inserted at its place by `key` (code-unit
 * order), or `xs` itself when an element with that key is there already. Binary search, one copy.
 */
export const insertSorted = <A>(xs: ReadonlyArray<A>, x: A, key: (a: A) => string): ReadonlyArray<A> => {
  const k = key(x)
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (key(xs[mid] as A) < k) lo = mid + 1
    else hi = mid
  }
  if (lo < xs.length && key(xs[lo] as A) === k) return xs
  return [...xs.slice(0, lo), x, ...xs.slice(lo)]
}

/** `show` lives in util/text.ts; re-exported for the modules that import it from here. */
export { show } from './text.js'
