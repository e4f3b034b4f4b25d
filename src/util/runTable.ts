/**
 * A persistent map keyed by strings, made for a table that grows by batches of random keys (event
 * ids) to millions of entries: the root-event table of the repository index.
 *
 * Why not the hex trie (`hexTrie.ts`): in a trie, a batch of random keys lands each key in a leaf
 * of its own, and a persistent version must copy every leaf it touches. At a million keys a
 * batch of 1 000 copied about 1 000 leaves of ~45 keys and their values (~1.4 KB per key added),
 * all of it surviving into the new version: the cold build of an index spent most of its time
 * copying and collecting those copies.
 *
 * Here the table is a short list of immutable sorted runs (a log-structured merge, as in LSM
 * trees): a batch's writes become one new run, sorted once; runs of the same size class are then
 * merged, a binary counter over the sizes (`level = floor(log2(size))`; a new run absorbs every
 * newer run whose level is not above its own, in one k-way merge, then merges with older runs
 * while its level has reached theirs). A merge into a run of level l takes at least 2^l newer
 * entries, each written after that run was made, so the copying is amortized: each write pays for
 * O(log2 size) entry copies, in sequential array copies, and there are at most log2(size) + 1 runs.
 * A version shares every run it did not merge with the version it came from.
 *
 * - Lookups search the runs from newest to oldest (binary search, about log2(size) runs).
 * - A newer run's entry shadows older ones; removing a key writes a tombstone, dropped when a
 *   merge makes the oldest run. The size is kept exact (every write looks the key up first).
 * - Values are laid out by {@link Columns} (`width` slots per key in one array per run), as in the
 *   trie's leaves; a tombstone is the {@link TOMB} marker in its first slot.
 * - Iteration is in (fence, key) order (a k-way merge of the runs): string order for the lower-case
 *   hex keys (event ids) the index keeps, a total order for any strings.
 * - Values must not be `undefined` (the type says so): the pending writes tell "absent" by it.
 *
 * The cost is amortized: one batch can trigger the merge of the largest run (a sequential copy
 * of the table), and the batches after it merge nothing big for a long while.
 *
 * @internal
 */
import type { Columns } from './hexNodes.js'

/** The first slot of a removed key's values in a run. */
const TOMB: unique symbol = Symbol('removed')

interface Run {
  /** Sorted by (fence, key), unique within the run. */
  readonly keys: ReadonlyArray<string>
  /** Each key's {@link fenceOf}, side by side: merges and searches compare these, not strings. */
  readonly fences: Uint32Array
  /** `width` slots per key; a tombstone has {@link TOMB} in its first slot. */
  readonly vals: ReadonlyArray<unknown>
  /** Whether any entry is a tombstone (a run without them skips the check). */
  readonly tombs: boolean
  /** A Bloom filter of the fences (8 bits per key, 3 probes): most runs are skipped unsearched. */
  readonly bloom: Uint32Array
}

const HEX_VALUE = new Uint8Array(128)
for (let c = 0; c < 128; c++) HEX_VALUE[c] = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c < 48 ? 0 : c < 97 ? 9 : 15

/**
 * The first 8 hex digits of a key as a 32-bit number (a shorter key is padded with zeros; a
 * character that is not a lower-case hex digit counts as the nearest one below or above it).
 * Keys are kept in (fence, key) order, which is exactly string order for the event ids (lower-case
 * hex) this table holds, and a total order for any strings. Comparing the fences, which sit side by
 * side in a typed array, spares loading both strings from wherever they live in the heap: a merge
 * or a search of a million keys touched a cache line per string it compared.
 */
const fenceOf = (k: string): number => {
  let x = 0
  for (let i = 0; i < 8; i++) {
    const c = i < k.length ? k.charCodeAt(i) : 48
    x = x * 16 + (c < 128 ? (HEX_VALUE[c] as number) : 15)
  }
  return x
}

/** The order of the runs: by fence, then by key (negative when (fa, a) comes first). */
const compareEntries = (fa: number, a: string, fb: number, b: string): number => (fa !== fb ? fa - fb : a < b ? -1 : a > b ? 1 : 0)

/** The Bloom filter's two hashes of a fence. */
let hashA = 0
let hashB = 0
const hashFence = (f: number): void => {
  hashA = Math.imul(f ^ (f >>> 15), 0x2c1b3c6d) >>> 0
  hashB = ((Math.imul(f ^ (f >>> 16), 0x45d9f3b) ^ (f >>> 13)) | 1) >>> 0
}

const bloomOf = (fences: Uint32Array): Uint32Array => {
  const words = Math.max(1, Math.ceil(fences.length / 4))
  const bloom = new Uint32Array(words)
  const bits = words * 32
  for (let i = 0; i < fences.length; i++) {
    hashFence(fences[i] as number)
    for (let p = 0; p < 3; p++) {
      const bit = bitOf(p, bits)
      bloom[bit >>> 5] = (bloom[bit >>> 5] as number) | (1 << (bit & 31))
    }
  }
  return bloom
}

/** Probe `p` of the last hashed fence, in [0, bits): a multiply and a shift instead of a division. */
const bitOf = (p: number, bits: number): number => Math.floor((((hashA + Math.imul(p, hashB)) >>> 0) * bits) / 4294967296)

/** Whether the run may hold the key whose fence was last hashed by {@link hashFence}. */
const mayHold = (bloom: Uint32Array): boolean => {
  const bits = bloom.length * 32
  for (let p = 0; p < 3; p++) {
    const bit = bitOf(p, bits)
    if (((bloom[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false
  }
  return true
}

/** The size class of a run: floor(log2(entries)). */
const levelOf = (n: number): number => 31 - Math.clz32(n)

/** Index of `key` (fence `f`) in a run, or -1. */
const search = (run: Run, f: number, key: string): number => {
  const fences = run.fences
  let lo = 0
  let hi = fences.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const g = fences[mid] as number
    if (g === f) {
      const k = run.keys[mid] as string
      if (k === key) return mid
      if (k < key) lo = mid + 1
      else hi = mid - 1
    } else if (g < f) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}

/** Where a key was found: the run and position (`run < 0`: nowhere). */
const find = (runs: ReadonlyArray<Run>, key: string): { run: number; at: number } => {
  if (runs.length === 0) return NOWHERE
  const f = fenceOf(key)
  hashFence(f)
  for (let r = runs.length - 1; r >= 0; r--) {
    const run = runs[r] as Run
    if (!mayHold(run.bloom)) continue
    const at = search(run, f, key)
    if (at >= 0) return { run: r, at }
  }
  return NOWHERE
}
const NOWHERE = { run: -1, at: -1 }

const isTomb = (run: Run, at: number, width: number): boolean => run.tombs && run.vals[at * width] === TOMB

/** A table; `V` is any value but `undefined` and `null`. */
export class RunTable<V extends {}> {
  /** @internal */
  constructor(
    readonly runs: ReadonlyArray<Run>,
    readonly size: number,
    readonly cols: Columns<V>
  ) {}

  get(key: string): V | undefined {
    const { run, at } = find(this.runs, key)
    if (run < 0) return undefined
    const r = this.runs[run] as Run
    const w = this.cols.width
    return isTomb(r, at, w) ? undefined : this.cols.read(r.vals, at * w, key)
  }

  has(key: string): boolean {
    const { run, at } = find(this.runs, key)
    return run >= 0 && !isTomb(this.runs[run] as Run, at, this.cols.width)
  }

  /** Live keys in order (no value is read). */
  *keys(): IterableIterator<string> {
    const w = this.cols.width
    for (const { run, at, key } of walk(this.runs)) if (!isTomb(this.runs[run] as Run, at, w)) yield key
  }

  /** Live entries in key order. */
  *entries(): IterableIterator<[string, V]> {
    const w = this.cols.width
    for (const { run, at, key } of walk(this.runs)) {
      const r = this.runs[run] as Run
      if (!isTomb(r, at, w)) yield [key, this.cols.read(r.vals, at * w, key)]
    }
  }
}

/**
 * Every key of the runs once, in (fence, key) order, with the run (the newest holding it) and
 * position of the entry that counts (which may be a tombstone).
 */
function* walk(runs: ReadonlyArray<Run>): IterableIterator<{ run: number; at: number; key: string }> {
  const pos = runs.map(() => 0)
  for (;;) {
    let best = -1
    // newest first, so that on equal keys the newest run is the one kept
    for (let r = runs.length - 1; r >= 0; r--) {
      const run = runs[r] as Run
      const p = pos[r] as number
      if (p >= run.keys.length) continue
      if (best < 0) best = r
      else {
        const b = runs[best] as Run
        const q = pos[best] as number
        if (compareEntries(run.fences[p] as number, run.keys[p] as string, b.fences[q] as number, b.keys[q] as string) < 0) best = r
      }
    }
    if (best < 0) return
    const at = pos[best] as number
    const key = (runs[best] as Run).keys[at] as string
    for (let r = 0; r < runs.length; r++) {
      const run = runs[r] as Run
      const p = pos[r] as number
      if (p < run.keys.length && run.keys[p] === key) pos[r] = p + 1
    }
    yield { run: best, at, key }
  }
}

/** The empty table whose values are laid out by `cols`. */
export const emptyRunTable = <V extends {}>(cols: Columns<V>): RunTable<V> => new RunTable<V>([], 0, cols)

/**
 * A batch of writes: kept in a mutable map until `done`, which sorts them into one new run and
 * merges runs of its size class. Reads see the writes made so far.
 */
export class RunEditor<V extends {}> {
  private readonly pending = new Map<string, V | typeof TOMB>()
  private count: number

  constructor(private readonly base: RunTable<V>) {
    this.count = base.size
  }

  get size(): number {
    return this.count
  }

  get(key: string): V | undefined {
    const p = this.pending.get(key)
    if (p !== undefined) return p === TOMB ? undefined : p
    return this.base.get(key)
  }

  has(key: string): boolean {
    const p = this.pending.get(key)
    if (p !== undefined) return p !== TOMB
    return this.base.has(key)
  }

  /**
   * Sets `key` to `value` when it is absent and returns `undefined`; when present, changes nothing
   * and returns its value. One lookup instead of a `get` and a `set`.
   */
  setIfAbsent(key: string, value: V): V | undefined {
    const before = this.get(key)
    if (before !== undefined) return before
    this.pending.set(key, value)
    this.count++
    return undefined
  }

  set(key: string, value: V): void {
    const p = this.pending.get(key)
    if (p !== undefined) {
      if (p === TOMB) this.count++
      this.pending.set(key, value)
      return
    }
    const { run, at } = find(this.base.runs, key)
    const w = this.base.cols.width
    if (run < 0 || isTomb(this.base.runs[run] as Run, at, w)) this.count++
    else if (this.base.cols.holds((this.base.runs[run] as Run).vals, at * w, value)) return
    this.pending.set(key, value)
  }

  remove(key: string): void {
    const p = this.pending.get(key)
    if (p === TOMB) return
    const { run, at } = find(this.base.runs, key)
    if (p !== undefined) {
      // written in this batch: a tombstone only when an older run holds the key
      this.count--
      if (run >= 0) this.pending.set(key, TOMB)
      else this.pending.delete(key)
      return
    }
    if (run < 0 || isTomb(this.base.runs[run] as Run, at, this.base.cols.width)) return
    this.count--
    this.pending.set(key, TOMB)
  }

  /** The result; the editor must not be used after. */
  done(): RunTable<V> {
    if (this.pending.size === 0) return this.base
    const cols = this.base.cols
    const w = cols.width
    const { keys, fences } = sortKeys(this.pending)
    const vals = new Array<unknown>(keys.length * w)
    let tombs = false
    for (let i = 0; i < keys.length; i++) {
      const v = this.pending.get(keys[i] as string) as V | typeof TOMB
      if (v === TOMB) {
        tombs = true
        vals[i * w] = TOMB
        for (let j = 1; j < w; j++) vals[i * w + j] = 0
      } else cols.write(v, vals, i * w)
    }
    this.pending.clear()
    const runs = this.base.runs.slice()
    let fresh: Run = { keys, fences, vals, tombs, bloom: bloomOf(fences) }
    // absorb every newer run whose size class is not above the new run's, then repeat while the
    // merged run has climbed to the class of the one before it
    let from = runs.length
    const level = levelOf(keys.length)
    while (from > 0 && levelOf((runs[from - 1] as Run).keys.length) <= level) from--
    if (from < runs.length) fresh = merge([...runs.slice(from), fresh], from === 0, w)
    runs.length = from
    while (runs.length > 0 && levelOf((runs[runs.length - 1] as Run).keys.length) <= levelOf(fresh.keys.length)) {
      fresh = merge([runs.pop() as Run, fresh], runs.length === 0, w)
    }
    if (fresh.keys.length > 0) runs.push(fresh)
    return new RunTable<V>(runs, this.count, cols)
  }
}

/** The keys of a map and their fences, sorted by (fence, key). */
const sortKeys = (m: ReadonlyMap<string, unknown>): { keys: Array<string>; fences: Uint32Array } => {
  const items: Array<{ readonly k: string; readonly f: number }> = []
  for (const k of m.keys()) items.push({ k, f: fenceOf(k) })
  items.sort((x, y) => compareEntries(x.f, x.k, y.f, y.k))
  const keys = new Array<string>(items.length)
  const fences = new Uint32Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as { readonly k: string; readonly f: number }
    keys[i] = it.k
    fences[i] = it.f
  }
  return { keys, fences }
}

/**
 * One run from several (oldest first): on equal keys the newest entry counts; tombstones are
 * dropped when the result is the oldest run (nothing older can hold their keys).
 */
const merge = (runs: ReadonlyArray<Run>, oldest: boolean, w: number): Run => {
  let total = 0
  for (const r of runs) total += r.keys.length
  const keys = new Array<string>(total)
  const fences = new Uint32Array(total)
  const vals = new Array<unknown>(total * w)
  let n = 0
  let tombs = false
  const put = (src: Run, at: number): void => {
    if (src.tombs && src.vals[at * w] === TOMB) {
      if (oldest) return
      tombs = true
    }
    keys[n] = src.keys[at] as string
    fences[n] = src.fences[at] as number
    const from = at * w
    const to = n * w
    for (let s = 0; s < w; s++) vals[to + s] = src.vals[from + s]
    n++
  }
  if (runs.length === 2) {
    // the usual case, two runs: a plain two-way merge on the fences (strings only on a tie)
    const a = runs[0] as Run
    const b = runs[1] as Run
    const af = a.fences
    const bf = b.fences
    let i = 0
    let j = 0
    while (i < af.length && j < bf.length) {
      const fa = af[i] as number
      const fb = bf[j] as number
      if (fa < fb) put(a, i++)
      else if (fb < fa) put(b, j++)
      else {
        const ka = a.keys[i] as string
        const kb = b.keys[j] as string
        if (ka < kb) put(a, i++)
        else {
          if (ka === kb) i++
          put(b, j++)
        }
      }
    }
    while (i < af.length) put(a, i++)
    while (j < bf.length) put(b, j++)
  } else {
    for (const { run, at } of walk(runs)) put(runs[run] as Run, at)
  }
  if (n < total) {
    keys.length = n
    vals.length = n * w
    return { keys, fences: fences.slice(0, n), vals, tombs, bloom: bloomOf(fences.subarray(0, n)) }
  }
  return { keys, fences, vals, tombs, bloom: bloomOf(fences) }
}
