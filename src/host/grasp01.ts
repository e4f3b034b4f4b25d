/**
 * The executor's side of GRASP-01 fetching and kind 10317 discovery (internal): which
 * subscriptions ask for exact events (their events are kept whatever `wants` says), and which
 * `OK false` answers of the own relay are refusals worth remembering.
 */
import type { NostrFilter } from '../index.js'

/**
 * A filter that names what it asks for exactly: by `ids` (fetch by id), the announcements of
 * some authors (`{kinds:[30617], authors}`, discovery), or one address (`{kinds:[k], authors:[pk],
 * '#d':[d]}`, a `q` address). The engine's layout never makes the first two; the third is also
 * the exact state filter, whose events `wants` accepts anyway.
 */
export const isDirectFilter = (f: NostrFilter): boolean => {
  const keys = Object.keys(f).filter((k) => k !== 'limit' && k !== 'since' && k !== 'until')
  if (Array.isArray(f.ids)) return keys.length === 1
  const kinds = f.kinds
  if (!Array.isArray(kinds) || kinds.length !== 1 || !Array.isArray(f.authors)) return false
  if (keys.length === 2) return kinds[0] === 30617
  const d = (f as Record<string, unknown>)['#d']
  return keys.length === 3 && Array.isArray(d) && d.length === 1 && f.authors.length === 1
}

/** Every filter of a subscription is direct: the events it brings are asked for by the engine one by one. */
export const isDirect = (filters: ReadonlyArray<NostrFilter> | undefined): boolean => filters !== undefined && filters.length > 0 && filters.every(isDirectFilter)

/**
 * An `OK false` reason that refuses the event itself (NIP-01 prefixes `blocked:`, `invalid:`,
 * `restricted:`, `pow:`, `mute:`, or none), not one that may pass later (`duplicate:` is a
 * success, `rate-limited:` and `error:` are transient, `auth-required:` asks the writer to
 * authenticate first: NIP-42, answered by the store sink with the operator's key).
 */
export const isRefusal = (reason: string): boolean => !/^(duplicate|rate-limited|error|auth-required):/i.test(reason.trim())

/** Whether the engine options turn kind 10317 discovery on (`discovery: true` or an object not `enabled: false`). */
export const discoveryOn = (engine: unknown): boolean => {
  try {
    const d = typeof engine === 'object' && engine !== null ? (engine as Record<string, unknown>)['discovery'] : undefined
    return d === true || (typeof d === 'object' && d !== null && (d as Record<string, unknown>)['enabled'] !== false)
  } catch {
    return false
  }
}
