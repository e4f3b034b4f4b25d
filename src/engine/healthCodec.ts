/**
 * Relay health in the engine snapshot (`EngineSnapshot.relays[].health`): failures in a row and
 * the park a relay is in until when, so a restart does not hammer a dead or naughty relay.
 *
 * @internal
 */
import { MAX_TIMESTAMP } from './Lifecycle.js'
import { HEALTHY, notable, type Health, type Park } from './health.js'

export type { Health } from './health.js'

export interface EncodedHealth {
  readonly failures: number
  readonly park?: Park
  readonly until?: number
  readonly reason?: string
  readonly auth?: 'required' | 'ok' | 'failed'
}

const PARKS: ReadonlySet<string> = new Set(['backoff', 'cooling', 'dead', 'naughty', 'auth-failed'])
const AUTH: ReadonlySet<string> = new Set(['required', 'ok', 'failed'])

/** The health worth keeping (`undefined` when healthy). Connections do not survive a restart: which were authenticated is not kept. */
export const encodeHealth = (h: Health | undefined): EncodedHealth | undefined => {
  if (!notable(h)) return undefined
  const parked = h.park !== undefined && Number.isFinite(h.until)
  return {
    failures: h.failures,
    ...(parked ? { park: h.park, until: h.until } : {}),
    ...(h.reason === undefined ? {} : { reason: h.reason }),
    ...(h.auth === undefined ? {} : { auth: h.auth })
  }
}

/** A snapshot's health entry (a plain copy), or the name of its bad field (`.failures`, ...). */
export const readHealth = (u: unknown): Health | string => {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return ': not an object'
  const x = u as Record<string, unknown>
  const failures = x['failures']
  if (typeof failures !== 'number' || !Number.isSafeInteger(failures) || failures < 0) return '.failures: not a count'
  const park = x['park']
  if (park !== undefined && (typeof park !== 'string' || !PARKS.has(park))) return '.park: not a park'
  const until = x['until']
  if (until !== undefined && (typeof until !== 'number' || !Number.isFinite(until) || until < 0 || until > MAX_TIMESTAMP)) return '.until: not a time in unix seconds'
  if ((park === undefined) !== (until === undefined)) return '.until: given without park (or park without until)'
  const reason = x['reason']
  if (reason !== undefined && typeof reason !== 'string') return '.reason: not a string'
  const auth = x['auth']
  if (auth !== undefined && (typeof auth !== 'string' || !AUTH.has(auth))) return '.auth: not required, ok or failed'
  return {
    ...HEALTHY,
    failures,
    park: park as Park | undefined,
    until: typeof until === 'number' ? until : -Infinity,
    reason: typeof reason === 'string' ? reason.slice(0, 200) : undefined,
    auth: auth as Health['auth']
  }
}
