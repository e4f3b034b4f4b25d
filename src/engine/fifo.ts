/**
 * A persistent first-in first-out map: keys in insertion order, with removal from the front in
 * O(removed) and lookups by key (a HAMT map plus a queue of keys).
 *
 * Immutable's `OrderedMap` leaves a hole for every key deleted from the front and walks the holes
 * on `first()`, and `skip(n).toOrderedMap()` rebuilds the whole map: both cost the size of the
 * memory on every trim. Here a key moved to the end (or deleted) leaves a stale queue entry that is
 * dropped when it reaches the front, and the queue is compacted when stale entries outnumber the
 * live ones (amortized O(1) per edit).
 *
 * @internal
 */
import { List, Map as IMap } from 'immutable'

interface Slot<V> {
  readonly v: V
  readonly seq: number
}
interface Entry {
  readonly k: string
  readonly seq: number
}

/** Queue entries touched (pushed, shifted, skipped as stale, copied by a compaction): the tests' work counter. */
export const fifoWork = { steps: 0 }

/** The reads the value and its editor share (the front is always live: `tidy` keeps it so). */
abstract class FifoReads<V> {
  abstract readonly map: IMap<string, Slot<V>>
  abstract readonly queue: List<Entry>

  get size(): number {
    return this.map.size
  }

  get(k: string): V | undefined {
    return this.map.get(k)?.v
  }

  has(k: string): boolean {
    return this.map.has(k)
  }

  /** The oldest entry. */
  first(): readonly [string, V] | undefined {
    const e = this.queue.first()
    if (e === undefined) return undefined
    const s = this.map.get(e.k)
    return s === undefined ? undefined : [e.k, s.v]
  }

  /** The queue entry is the key's current place (not left behind by a move or a delete). */
  protected live(e: Entry): boolean {
    return this.map.get(e.k)?.seq === e.seq
  }
}

export class Fifo<V> extends FifoReads<V> {
  constructor(
    readonly map: IMap<string, Slot<V>>,
    readonly queue: List<Entry>,
    private readonly seq: number
  ) {
    super()
  }

  static empty<V>(): Fifo<V> {
    return new Fifo<V>(IMap(), List(), 0)
  }

  /** Live entries, oldest first. */
  *[Symbol.iterator](): IterableIterator<readonly [string, V]> {
    for (const e of this.queue) {
      const s = this.map.get(e.k)
      if (s !== undefined && s.seq === e.seq) yield [e.k, s.v]
    }
  }

  entries(): IterableIterator<readonly [string, V]> {
    return this[Symbol.iterator]()
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this) yield k
  }

  /** Edits in place on a private copy, then one new value. */
  edit(f: (e: FifoEditor<V>) => void): Fifo<V> {
    const e = new FifoEditor<V>(this.map.asMutable(), this.queue.asMutable(), this.seq)
    f(e)
    if (!e.changed) return this
    return new Fifo<V>(e.map.asImmutable(), e.queue.asImmutable(), e.seq)
  }
}

export class FifoEditor<V> extends FifoReads<V> {
  changed = false
  constructor(
    public map: IMap<string, Slot<V>>,
    public queue: List<Entry>,
    public seq: number
  ) {
    super()
  }

  /** Sets a key at the end (a key already there moves to the end). */
  set(k: string, v: V): void {
    const seq = this.seq++
    const had = this.map.has(k)
    this.map = this.map.set(k, { v, seq })
    this.queue = this.queue.push({ k, seq })
    fifoWork.steps++
    this.changed = true
    if (had) this.tidy()
  }

  /** Replaces the value of a key kept, in its place; `false` when the key is not kept. */
  update(k: string, v: V): boolean {
    const s = this.map.get(k)
    if (s === undefined) return false
    this.map = this.map.set(k, { v, seq: s.seq })
    this.changed = true
    return true
  }

  delete(k: string): void {
    if (!this.map.has(k)) return
    this.map = this.map.delete(k)
    this.changed = true
    this.tidy()
  }

  /** Drops the oldest entry. */
  shift(): void {
    const e = this.queue.first()
    if (e === undefined) return
    this.map = this.map.delete(e.k)
    this.queue = this.queue.shift()
    fifoWork.steps++
    this.changed = true
    this.tidy()
  }

  /** Stale entries leave the front; the queue is compacted when stale entries outnumber live ones. */
  private tidy(): void {
    for (let e = this.queue.first(); e !== undefined && !this.live(e); e = this.queue.first()) {
      this.queue = this.queue.shift()
      fifoWork.steps++
    }
    if (this.queue.size > 2 * this.map.size + 32) {
      const live: Array<Entry> = []
      for (const e of this.queue) {
        fifoWork.steps++
        if (this.live(e)) live.push(e)
      }
      this.queue = List(live).asMutable()
    }
  }
}
