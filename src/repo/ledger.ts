/**
 * The deletion ledger of the repository index: which event ids each pubkey asked to delete
 * (NIP-09 `e` tags), so that a deletion that arrives before its target still wins, and a target
 * that arrives again after its deletion stays deleted.
 *
 * Bound: a deletion only ever affects events of its own author, so the ledger is bounded per
 * author: each pubkey is remembered for at most `perAuthor` ids (its smallest ones, in hex order;
 * {@link DELETIONS_PER_AUTHOR} unless the configuration says otherwise). Whatever anyone
 * publishes, a pubkey costs the ledger at most that many entries, and only that pubkey's own
 * events can be affected by what is forgotten. The bound is per pubkey, not in total: pubkeys
 * cost nothing to make, so the ledger as a whole still grows linearly with the deletions received
 * (K pubkeys may hold K x `perAuthor` entries). When the bound is lowered between batches, a
 * pubkey is trimmed down to the new bound (its smallest ids kept) the next time one of its
 * deletions arrives; until then it keeps what it had.
 *
 * Laws: "the N smallest ids per author" is itself a join-semilattice (the union, then the N
 * smallest per author), so the ledger does not depend on order, split or duplicates. The index's
 * root events and live announcements keep the laws for every stream in which no pubkey names more
 * than `perAuthor` ids; past that, for that pubkey's own events only, an event removed by a
 * deletion that the ledger later forgets stays removed, while the same event arriving after the
 * deletion was forgotten is kept: order independence then holds up to that pubkey's own events.
 *
 * @internal
 */
import { Editor, emptyHexSet, type HexTrie } from '../util/hexTrie.js'
import { intern } from '../util/intern.js'
import { emptyStrMap, strMap, type StrMap, type StrMapEditor } from '../util/strMap.js'

/**
 * How many event ids one pubkey's deletions are remembered for (the smallest ids in hex order when
 * it names more). Only that pubkey's own events can be affected by what is forgotten.
 */
export const DELETIONS_PER_AUTHOR = 10_000

/**
 * Who asked to delete one event id: one pubkey as the string itself, two or more as a set. (An
 * empty set only comes from a snapshot that lists an id with no pubkey, and is kept as given.)
 */
export type Deleters = string | StrMap<true>

/** The deletion ledger: event id → who asked to delete it (a hex trie: ids are never hashed). */
export type DeletionLedger = HexTrie<Deleters>

/** The ids each pubkey asked to delete (the ledger's reverse index, for the per-author bound). */
export type DeletionsByAuthor = StrMap<HexTrie<undefined>>

/** Whether `pubkey` asked to delete the id whose deleters are `d`. */
export const isDeleter = (d: Deleters | undefined, pubkey: string): boolean =>
  d !== undefined && (typeof d === 'string' ? d === pubkey : d.has(pubkey))

/** `d` with `pubkey` added (`d` itself when it is already there). */
export const addDeleter = (d: Deleters | undefined, pubkey: string): Deleters => {
  if (d === undefined) return pubkey
  if (typeof d === 'string') return d === pubkey ? d : strMap<true>([[d, true], [pubkey, true]])
  return d.size === 0 ? pubkey : d.set(pubkey, true)
}

/** `d` without `pubkey` (`undefined` when nobody is left). */
const removeDeleter = (d: Deleters | undefined, pubkey: string): Deleters | undefined => {
  if (d === undefined || typeof d === 'string') return d === pubkey ? undefined : d
  const rest = d.delete(pubkey)
  return rest.size === 1 ? (rest.keys().next().value as string) : rest
}

/** The pubkeys of `d`, unordered. */
export const deletersOf = (d: Deleters | undefined): Array<string> => (d === undefined ? [] : typeof d === 'string' ? [d] : [...d.keys()])

/** Equality of deleters (a set never holds exactly one pubkey: one is kept as the string). */
const deletersEqual = (a: Deleters, b: Deleters): boolean => (typeof a === 'string' || typeof b === 'string' ? a === b : a.equals(b))

/** Equality of ledgers: same ids, each with the same pubkeys. */
export const ledgerEquals = (a: DeletionLedger, b: DeletionLedger): boolean => {
  if (a === b) return true
  if (a.size !== b.size) return false
  for (const [id, d] of a.entries()) {
    const e = b.get(id)
    if (e === undefined || !deletersEqual(d, e)) return false
  }
  return true
}

/** The ledger as it is being changed by one batch. */
export class LedgerEditor {
  private readonly ids: Editor<Deleters>
  private readonly authors: StrMapEditor<HexTrie<undefined>>
  /** Per author this batch adds to: an editor of that author's ids. */
  private readonly open = new Map<string, Editor<undefined>>()
  /** Ids forgotten by trimming an author down to a bound lowered since its last deletion. */
  readonly trimmed: Array<{ readonly id: string; readonly pubkey: string }> = []

  constructor(
    ledger: DeletionLedger,
    byAuthor: DeletionsByAuthor,
    private readonly perAuthor: number
  ) {
    this.ids = new Editor(ledger)
    this.authors = byAuthor.edit()
  }

  /** Whether the ledger is empty (then no lookup is needed). */
  get isEmpty(): boolean {
    return this.ids.size === 0
  }

  /** Whether `pubkey` asked to delete `id`. */
  deletes(id: string, pubkey: string): boolean {
    return this.ids.size !== 0 && isDeleter(this.ids.get(id), pubkey)
  }

  private authorIds(pubkey: string): Editor<undefined> {
    let e = this.open.get(pubkey)
    if (e === undefined) {
      e = new Editor(this.authors.get(pubkey) ?? emptyHexSet)
      this.open.set(pubkey, e)
      // a bound lowered since this author's last deletion: its largest ids go, O(excess) once
      while (e.size > this.perAuthor) {
        const largest = e.lastKey()
        if (largest === undefined) break
        e.remove(largest)
        const rest = removeDeleter(this.ids.get(largest), pubkey)
        if (rest === undefined) this.ids.remove(largest)
        else this.ids.set(largest, rest)
        this.trimmed.push({ id: largest, pubkey })
      }
    }
    return e
  }

  /**
   * Records that `pubkey` asks to delete `id`. Returns the id the per-author bound forgets as a
   * result (`id` itself when it is not among the author's smallest), or `undefined`.
   */
  add(id: string, pubkey: string): string | undefined {
    const by = this.ids.get(id)
    if (isDeleter(by, pubkey)) return undefined
    const mine = this.authorIds(pubkey)
    if (mine.size >= this.perAuthor) {
      const largest = mine.lastKey()
      if (largest === undefined || id > largest) return id
      mine.remove(largest)
      const rest = removeDeleter(this.ids.get(largest), pubkey)
      if (rest === undefined) this.ids.remove(largest)
      else this.ids.set(largest, rest)
      mine.set(id, undefined)
      this.ids.set(id, addDeleter(by, intern(pubkey)))
      return largest
    }
    mine.set(id, undefined)
    this.ids.set(id, addDeleter(by, intern(pubkey)))
    return undefined
  }

  /** The ledger and its reverse index after this batch. */
  done(): { readonly ledger: DeletionLedger; readonly byAuthor: DeletionsByAuthor } {
    for (const [pubkey, e] of this.open) this.authors.set(intern(pubkey), e.done())
    return { ledger: this.ids.done(), byAuthor: this.authors.done() }
  }
}

/** The reverse index of a ledger (snapshots carry the ledger alone). */
export const authorsOf = (ledger: DeletionLedger): DeletionsByAuthor => {
  const per = new Map<string, Editor<undefined>>()
  for (const [id, d] of ledger.entries())
    for (const p of deletersOf(d)) {
      let e = per.get(p)
      if (e === undefined) per.set(p, (e = new Editor(emptyHexSet)))
      e.set(id, undefined)
    }
  const out = emptyStrMap<HexTrie<undefined>>().edit()
  for (const [p, e] of per) out.set(p, e.done())
  return out.done()
}
