/**
 * A compact persistent hash map keyed by strings (repository addresses, relay URLs), for the hot
 * tables of the indexes: a hash array mapped trie (32-way, one bitmap per node) whose nodes keep
 * keys and values side by side in one array, about 16 bytes per entry plus the nodes.
 *
 * Hashing: a string's hash is computed once over all its characters and kept in a bounded cache
 * (a native `Map`, whose own lookup uses the hash the engine keeps inside each string), so the
 * addresses a step touches are hashed in O(1) however long they are. The cache is a cache only:
 * clearing it never changes a result.
 *
 * Updates copy one path; an {@link StrMapEditor} mutates the nodes it already copied in place, so a
 * batch of updates costs what it touches. Values are immutable to everyone outside an editor.
 * Iteration order is the hash order (deterministic, but not sorted): readers that expose an order
 * sort.
 *
 * @internal
 */

const cache = new Map<string, number>()
const CACHE_MAX = 1 << 20

/** The 32-bit hash of a string (FNV-1a over UTF-16 code units, then a final mix). */
export const hashString = (s: string): number => {
  const hit = cache.get(s)
  if (hit !== undefined) return hit
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  h = h >>> 0
  if (cache.size >= CACHE_MAX) cache.clear()
  cache.set(s, h)
  return h
}

/**
 * The second hash of a string, used only below the first hash's last trie level (keys whose first
 * hashes are equal). FNV-1a's 32-bit state lets anyone build thousands of keys with one hash
 * cheaply (Joux multicollisions: colliding blocks concatenate), and repository identifiers are
 * chosen by outsiders; this hash keeps a 64-bit state in two lanes that mix into each other, so a
 * set of keys equal in both hashes costs an attacker about 2^48 work per doubling, and the trie
 * stays logarithmic instead of degrading to a list. Not cached: computed only at those depths.
 */
export const hashString2 = (s: string): number => {
  let a = 0x9e3779b9 ^ s.length
  let b = 0x85ebca6b
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193) ^ (b >>> 11)
    b = Math.imul((b ^ a) + c, 0x5bd1e995)
    b = (b << 13) | (b >>> 19)
  }
  let h = a ^ Math.imul(b, 0xcc9e2d51)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

const BITS = 5
const MASK = 31
/** The last trie level of the first hash (shifts 0, 5, ..., 30). */
const MAX_SHIFT = 30
/** Shifts 35, 40, ..., 65 read the second hash (bits `shift - 35` on). */
const SECOND = 35
/** Past this shift every bit of both hashes is used: a collision node (a list). */
const MAX_SHIFT2 = SECOND + 30

/** The 5 bits of `key` a node at `shift` branches on (`h` is its first hash). */
const frag = (key: string, h: number, shift: number): number =>
  shift <= MAX_SHIFT ? (h >>> shift) & MASK : (hashString2(key) >>> (shift - SECOND)) & MASK

/** Marks, in a node's array, a slot whose second cell is a child node instead of a value. */
const CHILD = Symbol('child')

interface BitmapNode {
  owner: object | undefined
  bitmap: number
  /** Per set bit, two cells: key and value, or CHILD and the child node. */
  cells: Array<unknown>
  size: number
}

interface CollisionNode {
  owner: object | undefined
  hash: number
  /** key, value, key, value, ... (keys with one full hash). */
  cells: Array<unknown>
  size: number
  collision: true
}

type Node = BitmapNode | CollisionNode

const isCollision = (n: Node): n is CollisionNode => (n as CollisionNode).collision === true

const popcount = (x: number): number => {
  x = x - ((x >>> 1) & 0x55555555)
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}

/** Marks a key that is not in the map (values may themselves be `undefined`). */
const MISSING: unique symbol = Symbol('missing')

/** The value under `key`, or {@link MISSING}. */
const locate = (root: Node | undefined, key: string): unknown => {
  if (root === undefined) return MISSING
  const h = hashString(key)
  let n: Node = root
  let shift = 0
  for (;;) {
    if (isCollision(n)) {
      const c = n.cells
      for (let i = 0; i < c.length; i += 2) if (c[i] === key) return c[i + 1]
      return MISSING
    }
    const bit = 1 << frag(key, h, shift)
    if ((n.bitmap & bit) === 0) return MISSING
    const i = 2 * popcount(n.bitmap & (bit - 1))
    const k = n.cells[i]
    if (k === CHILD) {
      n = n.cells[i + 1] as Node
      shift += BITS
      continue
    }
    return k === key ? n.cells[i + 1] : MISSING
  }
}

const lookup = <V>(root: Node | undefined, key: string): V | undefined => {
  const v = locate(root, key)
  return v === MISSING ? undefined : (v as V)
}

const has = (root: Node | undefined, key: string): boolean => locate(root, key) !== MISSING

function* walk<V>(n: Node | undefined): Generator<[string, V]> {
  if (n === undefined) return
  const c = n.cells
  for (let i = 0; i < c.length; i += 2) {
    if (c[i] === CHILD) yield* walk<V>(c[i + 1] as Node)
    else yield [c[i] as string, c[i + 1] as V]
  }
}

const forEachNode = <V>(n: Node | undefined, f: (k: string, v: V) => void): void => {
  if (n === undefined) return
  const c = n.cells
  for (let i = 0; i < c.length; i += 2) {
    if (c[i] === CHILD) forEachNode(c[i + 1] as Node, f)
    else f(c[i] as string, c[i + 1] as V)
  }
}

/** Whether two values are equal: identical, or equal by their own `equals` (sets, targets). */
const same = (a: unknown, b: unknown): boolean =>
  a === b ||
  (typeof a === 'object' && a !== null && typeof (a as { equals?: unknown }).equals === 'function' && (a as { equals(o: unknown): boolean }).equals(b))

/** A persistent map from strings to values. */
export class StrMap<V, K extends string = string> {
  /** @internal */
  constructor(readonly root: Node | undefined) {}

  get size(): number {
    return this.root === undefined ? 0 : this.root.size
  }

  get(key: K): V | undefined {
    return lookup<V>(this.root, key)
  }

  has(key: K): boolean {
    return has(this.root, key)
  }

  set(key: K, value: V): StrMap<V, K> {
    const e = new StrMapEditor<V, K>(this)
    e.set(key, value)
    return e.done()
  }

  delete(key: K): StrMap<V, K> {
    if (!this.has(key)) return this
    const e = new StrMapEditor<V, K>(this)
    e.delete(key)
    return e.done()
  }

  /** Entries in hash order. */
  entries(): IterableIterator<[K, V]> {
    return walk<V>(this.root) as IterableIterator<[K, V]>
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return walk<V>(this.root) as IterableIterator<[K, V]>
  }

  *keys(): IterableIterator<K> {
    for (const [k] of walk<V>(this.root)) yield k as K
  }

  *values(): IterableIterator<V> {
    for (const [, v] of walk<V>(this.root)) yield v
  }

  forEach(f: (value: V, key: K) => void): void {
    forEachNode<V>(this.root, (k, v) => f(v, k as K))
  }

  /** An editor that starts from this map. */
  edit(): StrMapEditor<V, K> {
    return new StrMapEditor<V, K>(this)
  }

  /** Same keys, each value equal (`===`, or by the value's own `equals`). */
  equals(other: unknown): boolean {
    if (other === this) return true
    if (!(other instanceof StrMap) || other.size !== this.size) return false
    let ok = true
    forEachNode<V>(this.root, (k, v) => {
      if (ok && !(other.has(k as K) && same(v, other.get(k as K)))) ok = false
    })
    return ok
  }

  /** Consistent with `equals` (equal maps have equal sizes). */
  hashCode(): number {
    return this.size
  }
}

const EMPTY = new StrMap<never>(undefined)

/** The empty map. */
export const emptyStrMap = <V, K extends string = string>(): StrMap<V, K> => EMPTY as unknown as StrMap<V, K>

/** A map of the given entries (later entries win). */
export const strMap = <V, K extends string = string>(entries: Iterable<readonly [K, V]>): StrMap<V, K> => {
  const e = new StrMapEditor<V, K>(emptyStrMap())
  for (const [k, v] of entries) e.set(k, v)
  return e.done()
}

/** A batch of updates: nodes copied once, then changed in place until `done`. */
export class StrMapEditor<V, K extends string = string> {
  private owner: object = {}
  private root: Node | undefined
  private readonly base: StrMap<V, K>
  private altered = false

  constructor(base: StrMap<V, K>) {
    this.base = base
    this.root = base.root
  }

  get size(): number {
    return this.root === undefined ? 0 : this.root.size
  }

  /** Whether an update changed anything since the editor started. */
  wasAltered(): boolean {
    return this.altered
  }

  get(key: K): V | undefined {
    return lookup<V>(this.root, key)
  }

  has(key: K): boolean {
    return has(this.root, key)
  }

  private own<N extends Node>(n: N): N {
    if (n.owner === this.owner) return n
    const m = { ...n, owner: this.owner, cells: n.cells.slice() }
    return m as N
  }

  set(key: K, value: V): void {
    const h = hashString(key)
    if (this.root === undefined) {
      this.root = { owner: this.owner, bitmap: 1 << (h & MASK), cells: [key, value], size: 1 }
      this.altered = true
      return
    }
    this.root = this.insert(this.root, key, h, value, 0)
  }

  /** A node holding two entries whose hashes first differ at or after `shift`. */
  private pair(k1: string, h1: number, v1: unknown, k2: string, h2: number, v2: unknown, shift: number): Node {
    if (shift > MAX_SHIFT2) return { owner: this.owner, hash: h1, cells: [k1, v1, k2, v2], size: 2, collision: true }
    if (shift > MAX_SHIFT && shift < SECOND) shift = SECOND
    const b1 = frag(k1, h1, shift)
    const b2 = frag(k2, h2, shift)
    if (b1 === b2) return { owner: this.owner, bitmap: 1 << b1, cells: [CHILD, this.pair(k1, h1, v1, k2, h2, v2, shift + BITS)], size: 2 }
    return { owner: this.owner, bitmap: (1 << b1) | (1 << b2), cells: b1 < b2 ? [k1, v1, k2, v2] : [k2, v2, k1, v1], size: 2 }
  }

  private insert(n: Node, key: string, h: number, value: V, shift: number): Node {
    if (isCollision(n)) {
      const c = n.cells
      for (let i = 0; i < c.length; i += 2)
        if (c[i] === key) {
          if (c[i + 1] === value) return n
          const m = this.own(n)
          m.cells[i + 1] = value
          this.altered = true
          return m
        }
      const m = this.own(n)
      m.cells.push(key, value)
      m.size++
      this.altered = true
      return m
    }
    const bit = 1 << frag(key, h, shift)
    const i = 2 * popcount(n.bitmap & (bit - 1))
    if ((n.bitmap & bit) === 0) {
      const m = this.own(n)
      m.cells.splice(i, 0, key, value)
      m.bitmap |= bit
      m.size++
      this.altered = true
      return m
    }
    const k = n.cells[i]
    if (k === CHILD) {
      const child = n.cells[i + 1] as Node
      const before = child.size
      const after = this.insert(child, key, h, value, shift + BITS)
      if (after === child && after.size === before) return n
      const m = this.own(n)
      m.cells[i + 1] = after
      m.size += after.size - before
      return m
    }
    if (k === key) {
      if (n.cells[i + 1] === value) return n
      const m = this.own(n)
      m.cells[i + 1] = value
      this.altered = true
      return m
    }
    const m = this.own(n)
    m.cells[i] = CHILD
    m.cells[i + 1] = this.pair(k as string, hashString(k as string), n.cells[i + 1], key, h, value, shift + BITS)
    m.size++
    this.altered = true
    return m
  }

  delete(key: K): void {
    if (this.root === undefined) return
    const h = hashString(key)
    const r = this.remove(this.root, key, h, 0)
    this.root = r === undefined || r.size === 0 ? undefined : r
  }

  private remove(n: Node, key: string, h: number, shift: number): Node | undefined {
    if (isCollision(n)) {
      const c = n.cells
      for (let i = 0; i < c.length; i += 2)
        if (c[i] === key) {
          this.altered = true
          if (n.size === 1) return undefined
          const m = this.own(n)
          m.cells.splice(i, 2)
          m.size--
          return m
        }
      return n
    }
    const bit = 1 << frag(key, h, shift)
    if ((n.bitmap & bit) === 0) return n
    const i = 2 * popcount(n.bitmap & (bit - 1))
    const k = n.cells[i]
    if (k === CHILD) {
      const child = n.cells[i + 1] as Node
      const before = child.size
      const after = this.remove(child, key, h, shift + BITS)
      if (after === child && (after === undefined || after.size === before)) return n
      const m = this.own(n)
      m.size--
      if (after === undefined) {
        m.cells.splice(i, 2)
        m.bitmap &= ~bit
      } else if (after.size === 1 && !isCollision(after) && after.cells[0] !== CHILD) {
        // a child left with one entry comes back up as an entry
        m.cells[i] = after.cells[0]
        m.cells[i + 1] = after.cells[1]
      } else if (after.size === 1 && isCollision(after)) {
        m.cells[i] = after.cells[0]
        m.cells[i + 1] = after.cells[1]
      } else m.cells[i + 1] = after
      return m
    }
    if (k !== key) return n
    this.altered = true
    if (n.size === 1) return undefined
    const m = this.own(n)
    m.cells.splice(i, 2)
    m.bitmap &= ~bit
    m.size--
    return m
  }

  /** The result; the editor must not be used after. */
  done(): StrMap<V, K> {
    this.owner = {}
    if (!this.altered) return this.base
    return this.root === undefined ? emptyStrMap<V, K>() : new StrMap<V, K>(this.root)
  }
}
