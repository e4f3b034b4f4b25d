/**
 * Reading an untrusted event once into a plain copy, with the cheap caps checked as it reads
 * (internal; used by `decodeNip34Event`, and by the engine to copy an `Events` batch once).
 */
import type { ResolvedConfig } from '../config/Config.js'
import { IGNORED_KINDS } from '../model/events.js'
import { utf8Length } from '../util/hash.js'

const ignoredKinds: ReadonlySet<number> = new Set(IGNORED_KINDS)

export type Read =
  | { readonly _tag: 'copy'; readonly ev: Record<string, unknown> }
  | { readonly _tag: 'ignored'; readonly kind: number; readonly id: unknown }
  | { readonly _tag: 'capped'; readonly rule: string; readonly message: string; readonly id: unknown }
  | { readonly _tag: 'unreadable' }

/** A field value as the shape check sees it: primitives kept, objects replaced by an empty stand-in (never read again). */
const scalar = (v: unknown): unknown => (typeof v !== 'object' || v === null ? v : Array.isArray(v) ? [] : {})

/** A non-negative safe integer length, or a throw (a Proxy may answer anything). */
const lengthOf = (a: ReadonlyArray<unknown>): number => {
  const n: unknown = a.length
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new TypeError('unreadable length')
  return n
}

/** An array that claims `n` elements and holds none: what a cap check reads of it is its length only. */
const claims = (n: number): ReadonlyArray<unknown> => new Proxy([], { get: (t, k) => (k === 'length' ? n : Reflect.get(t, k)) })

const capped = (rule: string, message: string, id: unknown): Read => ({ _tag: 'capped', rule, message, id })

/**
 * How {@link readEvent} reads for a later `readEvent` (the engine copies each event of an `Events`
 * batch once, for the index, fetching and discovery alike): where `readEvent` would stop, the copy
 * holds a stand-in that makes a later `readEvent` stop the same way, and nothing past it is read.
 * A cap passed: an array that claims the length past the cap (and no tag after it); an ignored
 * kind: the event without content, sig and tags. The result is always `copy` or `unreadable`.
 */
export interface CopyOptions {
  /** An ignored kind whose tags are read all the same (within the caps): kind 10317 for discovery. */
  readonly keepKind?: number
}

/**
 * Reads an event ONCE into a plain copy, checking the cheap caps while it reads, so that no cap
 * is passed before the work it bounds: the tag count before any tag is read, each tag's value
 * count before its values are read, the running value count and each value's length as they are
 * read. Ignored kinds stop before the tags are read. Getters and Proxy traps run at most once per
 * field; one that throws makes the event unreadable. Everything after this reads the copy only.
 * With `copy` ({@link CopyOptions}) it stops at the same places, with stand-ins, and leaves the
 * byte cap on a value to the later read (the value is copied as it is).
 */
export const readEvent = (config: ResolvedConfig, input: object, copy?: CopyOptions): Read => {
  try {
    const o = input as Record<string, unknown>
    const id = scalar(o['id'])
    const pubkey = scalar(o['pubkey'])
    const created_at = scalar(o['created_at'])
    const kind = scalar(o['kind'])
    if (typeof kind === 'number' && ignoredKinds.has(kind) && !config.rootKinds.has(kind) && kind !== copy?.keepKind)
      return copy === undefined ? { _tag: 'ignored', kind, id } : { _tag: 'copy', ev: { id, pubkey, created_at, kind } }
    const content = scalar(o['content'])
    const sig = scalar(o['sig'])
    const raw = o['tags']
    let tags: unknown
    if (typeof raw !== 'object' || raw === null || !Array.isArray(raw)) tags = scalar(raw)
    else {
      const { tagsPerEvent, valuesPerTag, valuesPerEvent, bytesPerTagValue: max } = config.caps
      const n = lengthOf(raw)
      if (n > tagsPerEvent) {
        if (copy === undefined) return capped('tagsPerEvent', `${n} tags, more than the cap of ${tagsPerEvent}`, id)
        tags = claims(n)
      } else {
        const out: Array<unknown> = new Array(n)
        let values = 0
        for (let i = 0; i < n; i++) {
          const tag: unknown = raw[i]
          if (typeof tag !== 'object' || tag === null || !Array.isArray(tag)) {
            out[i] = scalar(tag)
            continue
          }
          const m = lengthOf(tag)
          values += Math.max(0, m - 1)
          const over =
            m - 1 > valuesPerTag
              ? capped('valuesPerTag', `tags.${i} has ${m - 1} values, more than the cap of ${valuesPerTag}`, id)
              : values > valuesPerEvent
                ? capped('valuesPerEvent', `more than ${valuesPerEvent} tag values in one event (the cap)`, id)
                : undefined
          if (over !== undefined) {
            if (copy === undefined) return over
            // the later read stops here: the rest is never read
            out[i] = claims(m)
            break
          }
          const t: Array<unknown> = new Array(m)
          for (let j = 0; j < m; j++) {
            const v = scalar(tag[j])
            if (copy === undefined && typeof v === 'string' && (v.length > max || (v.length * 3 > max && utf8Length(v) > max)))
              return capped('bytesPerTagValue', `tags.${i}.${j} is longer than ${max} bytes`, id)
            t[j] = v
          }
          out[i] = t
        }
        tags = out
      }
    }
    return { _tag: 'copy', ev: { id, pubkey, created_at, kind, tags, content, sig } }
  } catch {
    return { _tag: 'unreadable' }
  }
}

export const readableId = (id: unknown): string | undefined => (typeof id === 'string' && /^[0-9a-f]{64}$/.test(id) ? id : undefined)
