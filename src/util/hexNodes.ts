/**
 * The nodes of the hex trie (`hexTrie.ts`) and the walks that only read them: leaves (sorted keys
 * and values), branches (16 slots, a leaf may fill a run of adjacent slots), lookups, and the
 * comparison of two versions that skips the subtrees they share.
 *
 * @internal
 */

/** The most keys a leaf holds before it is cut (see `hexTrie.ts`). */
export const LEAF_MAX = 64

export interface Leaf {
  owner: object | undefined
  keys: Array<string>
  /** The values, `width` slots per key (see {@link Columns}); absent in a set. */
  vals: Array<unknown> | undefined
}

/**
 * How a map lays out each value in its leaves: `width` slots per key, side by side in the leaf's
 * one `vals` array (columns of a table, where one object per value would cost a header and a
 * pointer more). Without one (`undefined`), the plain layout: one slot holding the value itself.
 */
export interface Columns<V> {
  readonly width: number
  /** Writes `v` into `out[at]` to `out[at + width - 1]`. */
  write(v: V, out: Array<unknown>, at: number): void
  /** The value whose slots start at `vals[at]`, kept under `key`. */
  read(vals: ReadonlyArray<unknown>, at: number, key: string): V
  /** Whether the slots at `vals[at]` hold `v` (a value written, or one equal to it). */
  holds(vals: ReadonlyArray<unknown>, at: number, v: V): boolean
}

/** Slots per key of a layout. */
export const widthOf = (cols: Columns<unknown> | undefined): number => (cols === undefined ? 1 : cols.width)

/** The value at position `i` of a leaf's values. */
export const valueAt = <V>(vals: ReadonlyArray<unknown>, i: number, key: string, cols: Columns<V> | undefined): V =>
  cols === undefined ? (vals[i] as V) : cols.read(vals, i * cols.width, key)

export interface Branch {
  owner: object | undefined
  kids: Array<Node | undefined>
  size: number
}

export type Node = Leaf | Branch

export const isLeaf = (n: Node): n is Leaf => (n as Leaf).keys !== undefined

export const digit = (key: string, depth: number): number => {
  const c = key.charCodeAt(depth)
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  return 0
}

/** Index of `key` in a sorted leaf, or `-(insertion point) - 1`. */
export const search = (keys: ReadonlyArray<string>, key: string): number => {
  let lo = 0
  let hi = keys.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const k = keys[mid] as string
    if (k === key) return mid
    if (k < key) lo = mid + 1
    else hi = mid - 1
  }
  return -lo - 1
}

export const sizeOf = (n: Node | undefined): number => (n === undefined ? 0 : isLeaf(n) ? n.keys.length : n.size)

/** The value under `key` (`true` for a set member), or `undefined`. */
export const lookup = <V>(n: Node | undefined, key: string, isSet: boolean, cols?: Columns<V>): V | undefined => {
  let depth = 0
  while (n !== undefined) {
    if (isLeaf(n)) {
      const i = search(n.keys, key)
      return i < 0 ? undefined : isSet ? (true as unknown as V) : n.vals === undefined ? undefined : valueAt(n.vals, i, key, cols)
    }
    n = n.kids[digit(key, depth++)]
  }
  return undefined
}

/** The greatest key under `n`, if any. */
export const lastKeyOf = (n: Node | undefined): string | undefined => {
  while (n !== undefined) {
    if (isLeaf(n)) return n.keys[n.keys.length - 1]
    let d = 15
    while (d >= 0 && n.kids[d] === undefined) d--
    if (d < 0) return undefined
    n = n.kids[d]
  }
  return undefined
}

/** Whether the subtree `n` (whose keys share the first `depth` digits) holds `key`. */
export const holds = (n: Node | undefined, key: string, depth: number): boolean => {
  while (n !== undefined) {
    if (isLeaf(n)) return search(n.keys, key) >= 0
    n = n.kids[digit(key, depth++)]
  }
  return false
}

/** A persistent hex-keyed map; a set is a map whose values are all `undefined` and not stored. */
/** Puts `after` in slot `d` of `m` and in every slot of the run `before` filled around it. */
export const replaceKid = (m: Branch, d: number, before: Node | undefined, after: Node | undefined): void => {
  m.kids[d] = after
  if (before === undefined || !isLeaf(before)) return
  for (let j = d - 1; j >= 0 && m.kids[j] === before; j--) m.kids[j] = after
  for (let j = d + 1; j < 16 && m.kids[j] === before; j++) m.kids[j] = after
}

/** A copy of `xs` with `x` inserted at `at`, allocated at its exact length. */
export const insertAt = <A>(xs: ReadonlyArray<A>, at: number, x: A): Array<A> => {
  const n = xs.length
  const out = new Array<A>(n + 1)
  for (let j = 0; j < at; j++) out[j] = xs[j] as A
  out[at] = x
  for (let j = at; j < n; j++) out[j + 1] = xs[j] as A
  return out
}

/** Every key under `n`, in order (a leaf filling several slots once). */
const collect = (n: Node | undefined, out: Array<string>): void => {
  if (n === undefined) return
  if (isLeaf(n)) for (const k of n.keys) out.push(k)
  else for (let d = 0; d < 16; d++) if (n.kids[d] !== (d === 0 ? undefined : n.kids[d - 1])) collect(n.kids[d], out)
}

/** The keys of `a`, a branch's kid in slot `d` (a leaf may fill several slots), whose digit at `depth` is `d`. */
const collectSlot = (a: Node, d: number, depth: number, out: Array<string>): void => {
  if (!isLeaf(a)) return collect(a, out)
  for (const k of a.keys) if (digit(k, depth) === d) out.push(k)
}

const only = (a: Node | undefined, b: Node | undefined, depth: number, out: Array<string>): void => {
  if (a === undefined || a === b) return
  if (b === undefined) return collect(a, out)
  if (!isLeaf(a) && !isLeaf(b)) {
    for (let d = 0; d < 16; d++) {
      const ak = a.kids[d]
      const bk = b.kids[d]
      if (ak === undefined || ak === bk) continue
      if (!isLeaf(ak) && bk !== undefined && !isLeaf(bk)) {
        only(ak, bk, depth + 1, out)
        continue
      }
      const keys: Array<string> = []
      collectSlot(ak, d, depth, keys)
      for (const k of keys) if (!holds(bk, k, depth + 1)) out.push(k)
    }
    return
  }
  const keys: Array<string> = []
  collect(a, keys)
  for (const k of keys) if (!holds(b, k, depth)) out.push(k)
}

/**
 * The keys of `a` that are not in `b`, in order. Versions of one trie share every node an edit
 * did not touch, and shared subtrees are skipped, so comparing a set with its next version costs
 * what changed between them, not their size.
 */
export const keysOnlyInNodes = (a: Node | undefined, b: Node | undefined): Array<string> => {
  const out: Array<string> = []
  only(a, b, 0, out)
  return out
}
