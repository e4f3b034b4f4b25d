/**
 * `wants(desired, relay)` is the exact predicate of GRASP-02 proactive sync for one relay: true
 * if and only if the library wants that event from that relay, given the desired
 * {@link RelayIndex}. The executor applies it to every event a relay sends, so the over-fetch of
 * coarse filters (see `relayCapacity` and `docs/capacity.md`) is dropped on arrival.
 *
 * An event is wanted from a relay of the index when it is
 *
 * - an announcement (30617) or a git relay list (10317) (the discovery layer), or
 * - the state event (30618) of a (pubkey, d) pair the relay is asked for: its author is the
 *   pubkey and one of its `d` tags names the identifier, or
 * - an event with an `a`, `A` or `q` tag naming a repository the relay is asked for in full, or
 * - an event with an `e`, `E` or `q` tag naming a root event the relay is asked for.
 *
 * A tag counts by its first value, as in NIP-01 filters. Values no plan can ask for (an invalid
 * address or id, a value longer than one message under the limits) are not wanted, as `planTarget`
 * reports. Every event the predicate accepts matches `relayFilters(desired, relay, limits)`,
 * whatever the strategy; under the exact strategy the converse holds too.
 *
 * The sets are built once per call of `wants(desired, relay, limits)`; each event then costs one
 * read of its fields and one set lookup per tag. Decoding is at the edge: a value that is not an
 * event (not an object, a field of the wrong type, a tag that is not a list, a Proxy or a getter
 * that throws, more than 100 000 tags) is not wanted, and nothing throws.
 *
 * @since 0.3.0
 */
import { option as O } from 'fp-ts'
import { relayLimits, type RelayLimits } from '../config/Limits.js'
import { relayTarget, type RelayIndex } from '../relays/RelayIndex.js'
import { canonicalRelay } from '../model/RelayUrl.js'
import { ANNOUNCEMENT_KIND, GRASP_LIST_KIND, STATE_KIND } from './filterBuilders.js'
import { askable, type Askable } from './layout.js'
import { orElse } from './match.js'

/** The fields of an event that the predicate reads, copied once. */
interface Read {
  readonly kind: number
  readonly pubkey: string
  /** Name and first value of every tag. */
  readonly tags: ReadonlyArray<readonly [unknown, unknown]>
}

/**
 * The most tags an event may have to be wanted: far above any decoder cap (`caps.tagsPerEvent`,
 * default 2 000), and checked on the claimed length before any tag is read, so a Proxy claiming
 * 2^32 - 1 tags costs nothing.
 */
const MAX_WANTED_TAGS = 100_000

/** Reads an event once into a plain copy; `undefined` when it is not one (or reading it throws). */
const readEvent = (u: unknown): Read | undefined => {
  try {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) return undefined
    const e = u as { readonly [k: string]: unknown }
    const id = e['id']
    const pubkey = e['pubkey']
    const kind = e['kind']
    const createdAt = e['created_at']
    const tags = e['tags']
    if (typeof id !== 'string' || typeof pubkey !== 'string') return undefined
    if (typeof kind !== 'number' || !Number.isSafeInteger(kind) || typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt)) return undefined
    if (!Array.isArray(tags)) return undefined
    const n = tags.length
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_WANTED_TAGS) return undefined
    const copy: Array<readonly [unknown, unknown]> = []
    for (let i = 0; i < n; i++) {
      const t: unknown = tags[i]
      if (!Array.isArray(t)) return undefined
      copy.push([t[0], t[1]])
    }
    return { kind, pubkey, tags: copy }
  } catch {
    return undefined
  }
}

const NOTHING = (): boolean => false

/** The predicate over the sets of one relay's plan. */
const predicate =
  (a: Askable) =>
  (u: unknown): boolean => {
    const e = readEvent(u)
    if (e === undefined) return false
    if (e.kind === ANNOUNCEMENT_KIND || e.kind === GRASP_LIST_KIND) return true
    const ds = e.kind === STATE_KIND ? a.pairs.get(e.pubkey) : undefined
    for (const [name, value] of e.tags) {
      if (typeof value !== 'string') continue
      switch (name) {
        case 'd':
          if (ds !== undefined && ds.has(value)) return true
          break
        case 'a':
        case 'A':
          if (a.full.has(value)) return true
          break
        case 'e':
        case 'E':
          if (a.roots.has(value)) return true
          break
        case 'q':
          if (a.full.has(value) || a.roots.has(value)) return true
          break
      }
    }
    return false
  }

/**
 * The exact GRASP-02 predicate for one relay of a desired {@link RelayIndex}: `wants(desired,
 * relay, limits?)(event)` is true if and only if that event is wanted from that relay (see the
 * module comment). A relay that is not in the index wants nothing; `limits` (default
 * {@link defaultRelayLimits}) only decide which values are too long to ask for. Build it once per
 * relay and plan, then call it per event. Total: any value gives a predicate, any event a boolean.
 *
 * @example
 * import { fromRelayTargets, wants } from 'nip34-sync'
 *
 * const owner = 'a'.repeat(64)
 * const repo = `30617:${owner}:x`
 * const desired = fromRelayTargets([{ relay: 'wss://r.example', repos: [repo], rootEvents: {} }])
 * const wanted = wants(desired, 'wss://r.example')
 * const event = (kind: number, pubkey: string, tags: Array<Array<string>>) => ({ id: '0'.repeat(64), pubkey, kind, created_at: 1, tags, content: '', sig: '' })
 * assert.strictEqual(wanted(event(30618, owner, [['d', 'x']])), true)
 * assert.strictEqual(wanted(event(30618, owner, [['d', 'other']])), false)
 * assert.strictEqual(wanted(event(1621, 'b'.repeat(64), [['a', repo]])), true)
 * assert.strictEqual(wanted(null), false)
 * assert.strictEqual(wants(desired, 'wss://elsewhere.example')(event(30617, owner, [['d', 'x']])), false)
 *
 * @category destructors
 * @since 0.3.0
 */
export const wants = (desired: RelayIndex, relay: string, limits?: Partial<RelayLimits>): ((event: unknown) => boolean) =>
  orElse(
    () => {
      const canonical = canonicalRelay(relay)
      if (canonical === undefined) return NOTHING
      const target = relayTarget(canonical)(desired)
      if (O.isNone(target)) return NOTHING
      return predicate(askable(target.value, relayLimits(limits).limits))
    },
    () => NOTHING
  )
