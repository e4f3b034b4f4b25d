/**
 * The atoms of a layout: every repository and root event id of a target with its 256-bit key
 * (step 1 of layout.ts), the size estimate of a group of atoms, and what a plan asks for.
 *
 * @internal
 */
import { either as E } from 'fp-ts'
import type { FilterTarget } from './types.js'
import type { RelayLimits } from '../config/Limits.js'
import { isHex64, repoRef, repoRefParts, type RepoRef } from '../model/RepoRef.js'
import { jsonBytes, sha256Hex } from '../util/hash.js'
import { asArray, asRecord } from './match.js'
import { compareStrings } from '../util/sorted.js'
import { cut, show } from '../util/text.js'
import { HISTORY_FILTER_OVERHEAD, PUBKEY_BYTES, messageOverhead, type Problem } from './modes.js'
export const REPO = 0
export const STATE = 1
export const ROOT = 2

export interface Atom {
  readonly key: string
  readonly kind: typeof REPO | typeof STATE | typeof ROOT
  readonly value: string
  readonly pubkey: string
  readonly bytes: number
  readonly dBytes: number
}

export interface Prepared {
  readonly full: ReadonlyArray<RepoRef>
  readonly stateOnly: ReadonlyArray<RepoRef>
  readonly roots: ReadonlyArray<string>
  readonly problems: ReadonlyArray<Problem>
}

/**
 * Checks a target's values: invalid repository addresses and root ids are reported and left out.
 * Total: a field that is not a list (or, for `rootEvents`, not an object) has no values, and a
 * target that is not an object has none at all.
 */
export const prepare = (target: FilterTarget): Prepared => {
  const problems: Array<Problem> = []
  const t = asRecord(target) ?? {}
  const refs = (u: unknown): Set<RepoRef> => {
    const out = new Set<RepoRef>()
    for (const v of asArray(u)) {
      const r = typeof v === 'string' ? repoRef(v) : E.left(undefined)
      if (E.isRight(r)) out.add(r.right)
      else problems.push({ code: 'invalid-repo', message: 'not a repository address; left out', value: show(v) })
    }
    return out
  }
  const full = refs(t['repos'])
  const stateOnly = [...refs(t['stateOnly'])].filter((r) => !full.has(r))
  const roots = new Set<string>()
  const rootEvents = asRecord(t['rootEvents'])
  if (rootEvents !== undefined)
    for (const ids of Object.values(rootEvents))
      for (const id of asArray(ids)) {
        if (isHex64(id)) roots.add(id)
        else problems.push({ code: 'invalid-root-id', message: 'not a 64 hex event id; left out', value: show(id) })
      }
  const sort = <A extends string>(s: Iterable<A>): Array<A> => [...s].sort(compareStrings)
  return { full: sort(full), stateOnly: sort(stateOnly), roots: sort(roots), problems }
}

/** The keys of recently planned repository addresses (SHA-256 is most of a plan's cost); bounded, cleared when full. */
const refKeys = new Map<string, string>()
const REF_KEYS_MAX = 200_000

/** The 256-bit key of a repository address: SHA-256 of it, remembered (the engine's incremental re-plan uses the same keys). */
export const refKey = (ref: string): string => {
  const hit = refKeys.get(ref)
  if (hit !== undefined) return hit
  if (refKeys.size >= REF_KEYS_MAX) refKeys.clear()
  const key = sha256Hex(ref)
  refKeys.set(ref, key)
  return key
}

/**
 * One value-size rule for both modes: a value is left out when it would not fit one message as a
 * *history* filter (the larger variant), so the live plan never asks for a value whose history
 * cannot be fetched, and both report it.
 */
export const atomsOf = (p: Prepared, limits: RelayLimits, problems: Array<Problem>): Array<Atom> => {
  const out: Array<Atom> = []
  const maxValueBytes = limits.maxMessageBytes - messageOverhead(limits) - HISTORY_FILTER_OVERHEAD - 1 - PUBKEY_BYTES - 1
  const add = (a: Atom): void => {
    if (a.bytes > maxValueBytes)
      problems.push({ code: 'oversized-value', message: `too long for a ${limits.maxMessageBytes}-byte message; left out`, value: cut(a.value) })
    else out.push(a)
  }
  const repo = (kind: typeof REPO | typeof STATE) => (ref: RepoRef) => {
    const { pubkey, identifier } = repoRefParts(ref)
    add({ key: refKey(ref), kind, value: ref, pubkey, bytes: jsonBytes(ref), dBytes: jsonBytes(identifier) })
  }
  p.full.forEach(repo(REPO))
  p.stateOnly.forEach(repo(STATE))
  for (const id of p.roots) add({ key: id, kind: ROOT, value: id, pubkey: '', bytes: 66, dBytes: 0 })
  return out.sort((a, b) => compareStrings(a.key, b.key) || a.kind - b.kind || compareStrings(a.value, b.value))
}

/**
 * Filters and bytes of a set of atoms, from above, accumulated one atom at a time: one state
 * filter per pubkey (merging pubkeys only lowers both), every list cut at `maxValuesPerList`.
 * Grows when atoms are added.
 */
export class Estimate {
  /** `coarse`: the state layer by owners (one `authors` value per distinct owner, no `#d`). */
  constructor(private readonly coarse = false) {}
  private readonly perPubkey = new Map<string, number>()
  private stateBytes = 0
  private repos = 0
  private repoBytes = 0
  private roots = 0
  private rootBytes = 0

  add(atoms: ReadonlyArray<Atom>, lo: number, hi: number): this {
    for (let i = lo; i < hi; i++) {
      const a = atoms[i] as Atom
      if (a.kind === ROOT) {
        this.roots++
        this.rootBytes += a.bytes + 1
      } else {
        this.perPubkey.set(a.pubkey, (this.perPubkey.get(a.pubkey) ?? 0) + 1)
        this.stateBytes += a.dBytes + 1
        if (a.kind === REPO) {
          this.repos++
          this.repoBytes += a.bytes + 1
        }
      }
    }
    return this
  }

  /** Fits one `REQ`: filter count and bytes within the limits. */
  fits(limits: RelayLimits, overhead: number): boolean {
    const c = limits.maxValuesPerList
    const ceil = (n: number): number => Math.ceil(n / c)
    let stateFilters = 0
    let stateBytes: number
    if (this.coarse) {
      stateFilters = ceil(this.perPubkey.size)
      stateBytes = this.perPubkey.size * PUBKEY_BYTES
    } else {
      for (const n of this.perPubkey.values()) stateFilters += ceil(n)
      stateBytes = stateFilters * PUBKEY_BYTES + this.stateBytes
    }
    const filters = stateFilters + 2 * ceil(this.repos) + ceil(this.repos + this.roots) + 2 * ceil(this.roots)
    const bytes =
      messageOverhead(limits) +
      filters * (overhead + 1) +
      stateBytes +
      3 * this.repoBytes +
      3 * this.rootBytes
    return filters <= limits.maxFiltersPerReq && bytes <= limits.maxMessageBytes
  }
}

/** What a plan asks for, value by value: the exact sets `wants` reads. */
export interface Askable {
  /** Repository addresses synced in full (`a`, `A`, `q` tags). */
  readonly full: ReadonlySet<string>
  /** Per owner pubkey, the identifiers whose state events are asked for (full and state-only). */
  readonly pairs: ReadonlyMap<string, ReadonlySet<string>>
  /** Root event ids (`e`, `E`, `q` tags). */
  readonly roots: ReadonlySet<string>
}

/**
 * The values a target's plan asks for: those of the target, less the ones no plan can ask for (an
 * invalid address or id, a value too long for one message under `limits`), exactly as
 * {@link layout} leaves them out.
 */
export const askable = (target: FilterTarget, limits: RelayLimits): Askable => {
  const atoms = atomsOf(prepare(target), limits, [])
  const full = new Set<string>()
  const pairs = new Map<string, Set<string>>()
  const roots = new Set<string>()
  for (const a of atoms) {
    if (a.kind === ROOT) {
      roots.add(a.value)
      continue
    }
    if (a.kind === REPO) full.add(a.value)
    const { pubkey, identifier } = repoRefParts(a.value as RepoRef)
    let ds = pairs.get(pubkey)
    if (ds === undefined) pairs.set(pubkey, (ds = new Set()))
    ds.add(identifier)
  }
  return { full, pairs, roots }
}
