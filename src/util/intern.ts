/**
 * One shared copy of strings the indexes keep many times (root-event authors, repository
 * addresses): every root event of one author or repository points at the same string instead of
 * its own copy from the parsed batch. A cache only: bounded (cleared when full), never semantics.
 *
 * @internal
 */
const pool = new Map<string, string>()
const POOL_MAX = 1 << 20

/**
 * A direct-mapped front table: slot by a cheap hash of a few sampled characters (authors and
 * addresses differ early), so the usual hit costs one string comparison instead of hashing the
 * whole string for the pool. A cache of the cache: a collision only sends a string to the pool.
 */
const FRONT_BITS = 14
const front: Array<string | undefined> = new Array<string | undefined>(1 << FRONT_BITS).fill(undefined)
const slotOf = (s: string): number => {
  const n = s.length
  let h = n
  for (let i = 0; i < 8; i++) h = Math.imul(h ^ s.charCodeAt(((i * 7 + 3) * n) >>> 6), 0x01000193)
  h = Math.imul(h ^ s.charCodeAt(n - 1), 0x01000193) ^ s.charCodeAt(n - 2)
  h ^= h >>> 15
  return h & ((1 << FRONT_BITS) - 1)
}

/** The shared copy of a string (the string itself the first time it is seen). */
export const intern = (s: string): string => {
  const slot = slotOf(s)
  const f = front[slot]
  if (f === s) return f
  const shared = internSlow(s)
  front[slot] = shared
  return shared
}

const internSlow = (s: string): string => {
  const hit = pool.get(s)
  if (hit !== undefined) return hit
  if (pool.size >= POOL_MAX) pool.clear()
  pool.set(s, s)
  return s
}
