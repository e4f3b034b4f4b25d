/**
 * One shared copy of strings the indexes keep many times (root-event authors, repository
 * addresses): every root event of one author or repository points at the same string instead of
 * its own copy from the parsed batch. A cache only: bounded (cleared when full), never semantics.
 *
 * @internal
 */
const pool = new Map<string, string>()
const POOL_MAX = 1 << 20

/** The shared copy of a string (the string itself the first time it is seen). */
export const intern = (s: string): string => {
  const hit = pool.get(s)
  if (hit !== undefined) return hit
  if (pool.size >= POOL_MAX) pool.clear()
  pool.set(s, s)
  return s
}
