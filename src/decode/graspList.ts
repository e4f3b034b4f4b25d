/**
 * Kind 10317, a user's GRASP list: the git relays (GRASP servers) a user prefers, one `g` tag
 * each, in order of preference. The engine's optional discovery (`EngineOptions.discovery`)
 * reads the lists of the maintainers of accepted repositories to find more of their
 * announcements.
 *
 * @since 0.3.0
 */
import { canonicalRelay, type RelayUrl } from '../model/RelayUrl.js'
import { readPlain } from '../util/plain.js'

/**
 * A decoded kind 10317 list: its author, time and id (for the replaceable-event order) and its
 * relays, canonical, in preference order, each once.
 *
 * @example
 * import { decodeGraspList, type GraspList } from 'nip34-sync'
 *
 * const list: GraspList | undefined = decodeGraspList({
 *   id: '1'.repeat(64), pubkey: 'a'.repeat(64), created_at: 10, kind: 10317, content: '', sig: '',
 *   tags: [['g', 'wss://grasp.example/'], ['g', 'WSS://Grasp.example'], ['g', 'wss://other.example']]
 * })
 * assert.deepStrictEqual(list?.relays, ['wss://grasp.example', 'wss://other.example'])
 *
 * @category model
 * @since 0.3.0
 */
export interface GraspList {
  readonly id: string
  readonly pubkey: string
  readonly createdAt: number
  readonly relays: ReadonlyArray<RelayUrl>
}

/** The kind of a user's GRASP list (`GRASP_LIST_KIND` of the wire layer). */
const GRASP_LIST = 10317

const HEX64 = /^[0-9a-f]{64}$/

/**
 * Decodes a kind 10317 event into a {@link GraspList}: `g` values that are relay URLs
 * (`ws://`/`wss://`), normalised (`canonicalRelay`), in tag order, each once, at most
 * `maxRelays` (default 20); the other values are left out. `undefined` when the value is not a
 * kind 10317 event with a 64-hex `id` and `pubkey` and a `created_at` in seconds. Total: the value
 * is read once into a plain copy (a Proxy or a throwing getter gives `undefined`); the signature
 * is not checked (the engine's batch verification does that).
 *
 * @example
 * import { decodeGraspList } from 'nip34-sync'
 *
 * assert.strictEqual(decodeGraspList({ kind: 1 }), undefined)
 * const list = decodeGraspList({
 *   id: '2'.repeat(64), pubkey: 'b'.repeat(64), created_at: 5, kind: 10317, content: '', sig: '',
 *   tags: [['g', 'https://not-a-relay.example'], ['g', 'wss://grasp.example'], ['r', 'wss://x.example']]
 * }, 1)
 * assert.deepStrictEqual(list?.relays, ['wss://grasp.example'])
 *
 * @category constructors
 * @since 0.3.0
 */
export const decodeGraspList = (event: unknown, maxRelays = 20): GraspList | undefined => {
  const read = readPlain(event, 3)
  if (!read.ok) return undefined
  const e = read.value
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return undefined
  const r = e as Record<string, unknown>
  const { id, pubkey, kind, created_at: createdAt, tags } = r
  if (kind !== GRASP_LIST || typeof id !== 'string' || !HEX64.test(id) || typeof pubkey !== 'string' || !HEX64.test(pubkey)) return undefined
  if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || createdAt < 0) return undefined
  if (!Array.isArray(tags)) return undefined
  const cap = typeof maxRelays === 'number' && Number.isSafeInteger(maxRelays) && maxRelays >= 0 ? maxRelays : 20
  const relays: Array<RelayUrl> = []
  const seen = new Set<string>()
  for (const t of tags) {
    if (relays.length >= cap) break
    if (!Array.isArray(t) || t[0] !== 'g' || typeof t[1] !== 'string' || t[1].length > 1024) continue
    const relay = canonicalRelay(t[1].trim())
    if (relay === undefined || seen.has(relay)) continue
    seen.add(relay)
    relays.push(relay)
  }
  return { id, pubkey, createdAt, relays }
}

/**
 * The replaceable-event order (NIP-01) of two lists by one author: the later `created_at`
 * wins; on equal times the lower `id`. True when `a` replaces `b` (or `b` is `undefined`). Total:
 * an `a` that is not a list replaces nothing; a `b` that is not a list is replaced by any list.
 *
 * @example
 * import { replacesGraspList } from 'nip34-sync'
 *
 * const at = (createdAt: number, id: string) => ({ id, pubkey: 'a'.repeat(64), createdAt, relays: [] })
 * assert.strictEqual(replacesGraspList(at(2, 'b'.repeat(64)), at(1, 'a'.repeat(64))), true)
 * assert.strictEqual(replacesGraspList(at(1, 'b'.repeat(64)), at(1, 'a'.repeat(64))), false)
 *
 * @category utils
 * @since 0.3.0
 */
export const replacesGraspList = (a: GraspList, b: GraspList | undefined): boolean => {
  const ka = orderKey(a)
  if (ka === undefined) return false
  if (b === undefined) return true
  const kb = orderKey(b)
  return kb === undefined || ka.createdAt > kb.createdAt || (ka.createdAt === kb.createdAt && ka.id < kb.id)
}

/** A list's place in the replaceable order, read once (`undefined` for anything that is not a list: total for any value). */
const orderKey = (u: unknown): { readonly createdAt: number; readonly id: string } | undefined => {
  try {
    if (typeof u !== 'object' || u === null) return undefined
    const createdAt: unknown = (u as { readonly createdAt?: unknown }).createdAt
    const id: unknown = (u as { readonly id?: unknown }).id
    return typeof createdAt === 'number' && typeof id === 'string' ? { createdAt, id } : undefined
  } catch {
    return undefined
  }
}
