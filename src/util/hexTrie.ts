/**
 * A compact persistent map (or set) keyed by lower-case hex strings (event ids), for the
 * per-root-event tables of the indexes, where a general HAMT costs about 135 bytes per entry.
 *
 * A 16-way radix trie on the key's hex digits whose leaves are sorted arrays of up to
 * {@link LEAF_MAX} keys (and, for maps, values): about 8 bytes per key in a set and 16 in a map,
 * plus the key string itself. A leaf may fill a run of adjacent slots of its branch (the keys of
 * several digits); a full leaf is cut in two at the digit boundary nearest its middle key, and
 * only a leaf of one digit moves one level deeper (into a branch whose slots all hold it). So
 * leaves stay about half full or more at every size, where splitting a full leaf 16 ways left
 * leaves of two or three keys at unlucky sizes (200 000 ids: 65 536 leaves of three). Updates copy one path (a leaf and at most a few 16-slot branches);
 * a batch of updates made through one {@link Editor} mutates the nodes it already copied in
 * place, so a batch costs what it touches. Iteration is in key order (hex digit order is code-unit
 * order). Ids are hashes, so the trie stays shallow; someone grinding ids with a shared prefix
 * pays 16 hashes per extra level they force.
 *
 * Values are immutable to everyone outside an editor. `equals`/`hashCode` make sets usable as
 * values inside immutable.js collections (`is` compares them by content).
 *
 * @internal
 */
import {
  holds,
  insertAt,
  isLeaf,
  keysOnlyInNodes,
  lastKeyOf,
  LEAF_MAX,
  lookup,
  replaceKid,
  search,
  sizeOf,
  digit,
  valueAt,
  widthOf,
  type Branch,
  type Columns,
  type Leaf,
  type Node
} from './hexNodes.js'

export { LEAF_MAX, type Columns } from './hexNodes.js'

/** The layout of a set (no values). */
const SET: unique symbol = Symbol('set')

export class HexTrie<V> {
  /** A set, or how a map lays out its values (one field: a per-repository set costs one less). */
  private readonly layout: Columns<V> | typeof SET | undefined

  /** @internal */
  constructor(
    readonly root: Node | undefined,
    isSet: boolean,
    cols: Columns<V> | undefined = undefined
  ) {
    this.layout = isSet ? SET : cols
  }

  get isSet(): boolean {
    return this.layout === SET
  }

  /** How values are laid out in the leaves (a map only; `undefined`: one slot, the value). */
  get cols(): Columns<V> | undefined {
    return this.layout === SET ? undefined : this.layout
  }

  get size(): number {
    return sizeOf(this.root)
  }

  get(key: string): V | undefined {
    return lookup<V>(this.root, key, this.isSet, this.cols)
  }

  has(key: string): boolean {
    return holds(this.root, key, 0)
  }

  /** The greatest key, if any. */
  lastKey(): string | undefined {
    return lastKeyOf(this.root)
  }

  /** Keys in order. */
  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v
  }

  *entries(): IterableIterator<[string, V]> {
    const stack: Array<Node> = this.root === undefined ? [] : [this.root]
    while (stack.length > 0) {
      const n = stack.pop() as Node
      if (isLeaf(n)) {
        for (let i = 0; i < n.keys.length; i++) {
          const k = n.keys[i] as string
          yield [k, (n.vals === undefined ? undefined : valueAt(n.vals, i, k, this.cols)) as V]
        }
      } else for (let d = 15; d >= 0; d--) if (n.kids[d] !== undefined && n.kids[d] !== n.kids[d - 1]) stack.push(n.kids[d] as Node)
    }
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.keys()
  }

  /** Keys in order, as a new array. */
  toArray(): Array<string> {
    const out: Array<string> = []
    for (const k of this.keys()) out.push(k)
    return out
  }

  /** A copy with one key set (sets: added). */
  set(key: string, value?: V): HexTrie<V> {
    const e = new Editor(this)
    e.set(key, value as V)
    return e.done()
  }

  add(key: string): HexTrie<V> {
    return this.has(key) ? this : this.set(key)
  }

  remove(key: string): HexTrie<V> {
    if (!this.has(key)) return this
    const e = new Editor(this)
    e.remove(key)
    return e.done()
  }

  /** The keys of this set that are not in `other`. */
  subtract(other: HexTrie<unknown>): HexTrie<V> {
    if (other.size === 0 || this.size === 0) return this
    const e = new Editor<V>(emptyLike(this))
    for (const [k, v] of this.entries()) if (!other.has(k)) e.set(k, v)
    return e.done()
  }

  /** The union of two sets (values of `this` win for maps). */
  union(other: Iterable<string>): HexTrie<V> {
    const e = new Editor(this)
    for (const k of other) if (!this.has(k)) e.set(k, undefined as V)
    return e.done()
  }

  equals(other: unknown): boolean {
    if (other === this) return true
    if (!(other instanceof HexTrie) || other.size !== this.size || other.isSet !== this.isSet) return false
    if (this.isSet) {
      for (const k of this.keys()) if (!other.has(k)) return false
      return true
    }
    if (other.cols !== this.cols) return false
    const cols = this.cols
    for (const [k, v] of this.entries()) {
      if (!other.has(k)) return false
      const w = other.get(k) as V
      if (cols === undefined ? w !== v : !cols.holds(slotsOf(cols, w), 0, v)) return false
    }
    return true
  }

  hashCode(): number {
    let h = 0
    for (const k of this.keys()) {
      let x = 0
      for (let i = 0; i < 8 && i < k.length; i++) x = (Math.imul(x, 31) + k.charCodeAt(i)) | 0
      h = (h + x) | 0
    }
    return h
  }
}

/**
 * The keys of `a` that are not in `b`, in order. Versions of one trie share every node an edit
 * did not touch, and shared subtrees are skipped, so comparing a set with its next version costs
 * what changed between them, not their size.
 */
export const keysOnlyIn = (a: HexTrie<unknown>, b: HexTrie<unknown>): Array<string> => keysOnlyInNodes(a.root, b.root)

const EMPTY_SET = new HexTrie<undefined>(undefined, true)
const EMPTY_MAP = new HexTrie<never>(undefined, false)

/** The empty set or map. */
export const empty = <V>(isSet: boolean): HexTrie<V> => (isSet ? EMPTY_SET : EMPTY_MAP) as unknown as HexTrie<V>

/** The empty map whose values are laid out by `cols`. */
export const emptyColumns = <V>(cols: Columns<V>): HexTrie<V> => new HexTrie<V>(undefined, false, cols)

/** The empty set or map of the same kind (and layout) as `t`. */
const emptyLike = <V>(t: HexTrie<V>): HexTrie<V> => (t.cols === undefined ? empty<V>(t.isSet) : t.root === undefined ? t : emptyColumns(t.cols))

/** The slots of one value, in a new array. */
const slotsOf = <V>(cols: Columns<V>, v: V): Array<unknown> => {
  const out = new Array<unknown>(cols.width)
  cols.write(v, out, 0)
  return out
}

export const emptyHexSet: HexTrie<undefined> = EMPTY_SET

/** A set of the given keys. */
export const hexSet = (keys: Iterable<string>): HexTrie<undefined> => {
  const e = new Editor<undefined>(EMPTY_SET)
  for (const k of keys) e.set(k, undefined)
  return e.done()
}

/** A batch of updates: nodes copied once, then changed in place until `done`. */
export class Editor<V> {
  /** The token of the nodes this editor may change in place (itself: no allocation per editor). */
  private owner: object = this
  private root: Node | undefined
  private readonly isSet: boolean
  private readonly cols: Columns<V> | undefined
  private readonly base: HexTrie<V>
  private altered = false
  /** Nodes this editor made: sealed by `done`. */
  private readonly made: Array<Node> = []
  /** Leaves this editor changed in place: trimmed by `done`. */
  private readonly grown: Array<Leaf> = []

  constructor(base: HexTrie<V>) {
    this.base = base
    this.root = base.root
    this.isSet = base.isSet
    this.cols = base.cols
  }

  get size(): number {
    return sizeOf(this.root)
  }

  get(key: string): V | undefined {
    return lookup<V>(this.root, key, this.isSet, this.cols)
  }

  has(key: string): boolean {
    return holds(this.root, key, 0)
  }

  /** The greatest key, if any. */
  lastKey(): string | undefined {
    return lastKeyOf(this.root)
  }

  /**
   * Sets `key` to `value` when it is absent and returns `undefined`; when present, changes nothing
   * and returns its value (`true` for a set member). One walk instead of a `get` and a `set`.
   */
  setIfAbsent(key: string, value: V): V | undefined {
    const before = sizeOf(this.root)
    this.absent = undefined
    this.root = this.insert(this.wrapRoot(key), key, value, 0, true)
    return sizeOf(this.root) === before ? (this.isSet ? (true as unknown as V) : (this.absent as V)) : undefined
  }

  /** The value `insert` found under the key when asked to keep it. */
  private absent: unknown = undefined

  private leaf(keys: Array<string>, vals: Array<unknown> | undefined): Leaf {
    const l: Leaf = { owner: this.owner, keys, vals: this.isSet ? undefined : vals }
    this.made.push(l)
    return l
  }

  private own<N extends Node>(n: N): N {
    if (n.owner === this.owner) return n
    const m = (isLeaf(n)
      ? { owner: this.owner, keys: n.keys.slice(), vals: n.vals === undefined ? undefined : n.vals.slice() }
      : { owner: this.owner, kids: n.kids.slice(), size: n.size }) as N
    this.made.push(m)
    return m
  }

  set(key: string, value: V): void {
    this.root = this.insert(this.wrapRoot(key), key, value, 0, false)
  }

  /**
   * The root, made a branch first when it is a full leaf that `key` would join: every slot of
   * the new branch holds that one leaf, whose run of slots the next insert splits.
   */
  private wrapRoot(key: string): Node | undefined {
    const r = this.root
    if (r === undefined || !isLeaf(r) || r.keys.length < LEAF_MAX || key.length <= 1 || search(r.keys, key) >= 0) return r
    const branch: Branch = { owner: this.owner, kids: new Array<Node | undefined>(16).fill(r), size: r.keys.length }
    this.made.push(branch)
    return branch
  }

  private insert(n: Node | undefined, key: string, value: V, depth: number, keep: boolean): Node {
    const cols = this.cols
    if (n === undefined) {
      this.altered = true
      return this.leaf([key], cols === undefined ? [value] : slotsOf(cols, value))
    }
    if (isLeaf(n)) {
      const i = search(n.keys, key)
      if (i >= 0) {
        if (keep) {
          this.absent = n.vals === undefined ? undefined : valueAt(n.vals, i, key, cols)
          return n
        }
        if (this.isSet || n.vals === undefined) return n
        if (cols === undefined ? n.vals[i] === value : cols.holds(n.vals, i * cols.width, value)) return n
        const m = this.own(n)
        if (cols === undefined) (m.vals as Array<unknown>)[i] = value
        else cols.write(value, m.vals as Array<unknown>, i * cols.width)
        this.altered = true
        return m
      }
      const at = -i - 1
      // a full leaf was split by its parent before this insert reached it (see `makeRoom`); a
      // leaf still full here holds keys that cannot be told apart further, and grows
      this.altered = true
      if (n.owner !== this.owner) return this.leaf(insertAt(n.keys, at, key), n.vals === undefined ? undefined : this.valsWith(n.vals, at, value))
      // a leaf this editor made: in place (the spare capacity is trimmed by `done`)
      n.keys.splice(at, 0, key)
      if (n.vals !== undefined) {
        if (cols === undefined) n.vals.splice(at, 0, value)
        else n.vals.splice(at * cols.width, 0, ...slotsOf(cols, value))
      }
      this.grown.push(n)
      return n
    }
    const d = digit(key, depth)
    let before = n.kids[d]
    // each cut shrinks the leaf's run of slots, or moves it one digit deeper
    while (before !== undefined && isLeaf(before) && before.keys.length >= LEAF_MAX && depth + 1 < key.length && search(before.keys, key) < 0) {
      n = this.makeRoom(n, d, depth)
      before = n.kids[d]
    }
    const sizeBefore = sizeOf(before)
    const after = this.insert(before, key, value, depth + 1, keep)
    // a child this editor owns may have changed in place: compare sizes, not only identity
    const delta = sizeOf(after) - sizeBefore
    if (after === before && delta === 0) return n
    const m = this.own(n)
    replaceKid(m, d, before, after)
    m.size += delta
    return m
  }

  /** A copy of a leaf's values with `value` inserted at key position `at`. */
  private valsWith(vals: ReadonlyArray<unknown>, at: number, value: V): Array<unknown> {
    const cols = this.cols
    if (cols === undefined) return insertAt(vals, at, value)
    const w = cols.width
    const out = new Array<unknown>(vals.length + w)
    for (let j = 0; j < at * w; j++) out[j] = vals[j]
    cols.write(value, out, at * w)
    for (let j = at * w; j < vals.length; j++) out[j + w] = vals[j]
    return out
  }

  /**
   * Splits the full leaf in slot `d` of the branch `n` (at `depth`), so that fills stay high
   * whatever the size: a leaf filling several slots (a run of digits) is cut into two leaves at
   * the digit boundary nearest its middle key; a leaf filling one slot becomes a branch one digit
   * deeper, every slot of which holds the leaf (the next insert cuts that run). Returns the
   * branch, owned by this editor.
   */
  private makeRoom(n: Branch, d: number, depth: number): Branch {
    const m = this.own(n)
    const leaf = m.kids[d] as Leaf
    let lo = d
    let hi = d
    while (lo > 0 && m.kids[lo - 1] === leaf) lo--
    while (hi < 15 && m.kids[hi + 1] === leaf) hi++
    if (lo === hi) {
      const sub: Branch = { owner: this.owner, kids: new Array<Node | undefined>(16).fill(leaf), size: leaf.keys.length }
      this.made.push(sub)
      m.kids[d] = sub
      return m
    }
    // the first key whose digit is past the middle key's, or the middle key's own digit when
    // every key after it shares that digit
    const keys = leaf.keys
    const mid = keys.length >> 1
    let cut = digit(keys[mid] as string, depth)
    if (cut === lo) cut = lo + 1
    let at = 0
    while (at < keys.length && digit(keys[at] as string, depth) < cut) at++
    const w = widthOf(this.cols)
    const left = this.leaf(keys.slice(0, at), leaf.vals?.slice(0, at * w))
    const right = this.leaf(keys.slice(at), leaf.vals?.slice(at * w))
    for (let j = lo; j <= hi; j++) m.kids[j] = j < cut ? (at === 0 ? undefined : left) : at === keys.length ? undefined : right
    return m
  }

  remove(key: string): void {
    if (this.root !== undefined) this.root = this.delete(this.root, key, 0)
  }

  private delete(n: Node, key: string, depth: number): Node | undefined {
    if (isLeaf(n)) {
      const i = search(n.keys, key)
      if (i < 0) return n
      this.altered = true
      if (n.keys.length === 1) return undefined
      const m = this.own(n)
      m.keys.splice(i, 1)
      const w = widthOf(this.cols)
      m.vals?.splice(i * w, w)
      return m
    }
    const d = digit(key, depth)
    const before = n.kids[d]
    if (before === undefined) return n
    const sizeBefore = sizeOf(before)
    const after = this.delete(before, key, depth + 1)
    if (sizeOf(after) === sizeBefore) return n
    const size = n.size - 1
    if (size === 0) return undefined
    if (size <= LEAF_MAX / 2) {
      // collapse a small branch back into one leaf
      const keys: Array<string> = []
      const vals: Array<unknown> = []
      const cols = this.cols
      const rest = new HexTrie<V>({ owner: undefined, kids: n.kids.map((k) => (k === before ? after : k)), size }, this.isSet, cols)
      for (const [k, v] of rest.entries()) {
        keys.push(k)
        if (cols === undefined) vals.push(v)
        else cols.write(v, vals, vals.length)
      }
      return this.leaf(keys, vals)
    }
    const m = this.own(n)
    replaceKid(m, d, before, after)
    m.size = size
    return m
  }

  /** The result; the editor must not be used after. */
  done(): HexTrie<V> {
    // seal what this editor made (no owner: nobody changes them in place again) and drop the
    // spare capacity in-place inserts left in leaf arrays
    for (const n of this.grown) {
      n.keys = n.keys.slice()
      if (n.vals !== undefined) n.vals = n.vals.slice()
    }
    for (const n of this.made) n.owner = undefined
    this.made.length = 0
    this.grown.length = 0
    if (!this.altered) return this.base
    return this.root === undefined ? emptyLike(this.base) : new HexTrie<V>(this.root, this.isSet, this.cols)
  }
}
