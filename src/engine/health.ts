/**
 * Relay health as pure state: one model per relay that every retry of the engine uses.
 *
 * - **backoff**: a relay whose connections drop (or never open) waits before it is tried again,
 *   exponentially longer per failure in a row (`retryDelay` doubling up to `maxRetryDelay`),
 *   with a deterministic jitter: a fraction derived by hashing (seed, relay, attempt), so equal
 *   seeds give equal delays and no randomness enters the core. The failure count grows once per
 *   backoff period (eight connections dropping together are one failure) and starts over when the
 *   relay answers (`EOSE`), not when a socket merely opens: a relay that accepts and drops at once
 *   keeps failing.
 * - **dead**: after `deadAfter` failures in a row the relay is parked and tried once a day
 *   (`deadRetryDelay`), its connections closed.
 * - **cooling**: a `CLOSED` or `NOTICE` saying it rate-limits (`rate-limited:`, "slow down", …)
 *   pauses every `REQ` to the relay for `cooldown` seconds (connections stay up).
 * - **naughty**: a failure that will not mend soon (DNS, TLS, protocol, an address the policy
 *   refuses; the host reports it with a `Failed` input) parks the relay for `naughtyDelay` (12 h,
 *   as ngit-grasp does).
 * - **auth** (NIP-42): a `CLOSED` "auth-required:" makes the refused attempts wait for the host to
 *   authenticate (`Authenticated` re-sends them once); `AuthFailed` parks the relay like a naughty one.
 *
 * @internal
 */
import { sha256Hex } from '../util/hash.js'

/** Why a relay is paused: the park it is in. */
export type Park = 'backoff' | 'cooling' | 'dead' | 'naughty' | 'auth-failed'

/** A failure the host classified: the relay is put on the naughty list (`rate-limited`: it cools down). */
export type FailureKind = 'dns' | 'tls' | 'protocol' | 'refused-address' | 'rate-limited'

export const FAILURE_KINDS: ReadonlySet<string> = new Set(['dns', 'tls', 'protocol', 'refused-address', 'rate-limited'])

/** The health state of a relay as the status reports it. */
export type HealthState = 'ok' | 'backoff' | 'cooling' | 'dead' | 'naughty' | 'auth-required' | 'auth-failed'

export interface Health {
  /** Failures in a row (grown once per backoff period; 0 after an answer). */
  readonly failures: number
  /** Paused until then (unix seconds); meaningful with `park`. */
  readonly until: number
  readonly park: Park | undefined
  /** What put it there (a failure's text, the rate-limit message, the auth refusal), at most 200 characters. */
  readonly reason: string | undefined
  /** NIP-42: the relay asked for auth (`required`), accepted it (`ok`), or auth failed. */
  readonly auth: 'required' | 'ok' | 'failed' | undefined
  /** Connections authenticated (NIP-42 auth is per connection). */
  readonly authed: ReadonlyArray<number>
}

export const HEALTHY: Health = { failures: 0, until: -Infinity, park: undefined, reason: undefined, auth: undefined, authed: [] }

/** The health options, resolved. */
export interface HealthOptions {
  /** The jitter seed (`undefined`: no jitter). */
  readonly seed: string | undefined
  /** The largest jitter, as a fraction of the delay (0..1). */
  readonly jitter: number
  readonly deadAfter: number
  readonly deadRetryDelay: number
  readonly naughtyDelay: number
  /** Seconds of cooldown after a rate limit (`undefined`: the engine's `retryDelay`). */
  readonly cooldown: number | undefined
}

export const DEFAULT_DEAD_AFTER = 10
export const DAY = 86_400
export const NAUGHTY_DELAY = 43_200

const num = (u: unknown, fallback: number, min: number, max: number): number =>
  typeof u === 'number' && Number.isFinite(u) && u >= min && u <= max ? u : fallback

/** Reads `EngineOptions.health` once (a throwing getter or an unusable field: its default). */
export const readHealthOptions = (u: unknown): HealthOptions => {
  const o: Record<string, unknown> = {}
  try {
    if (typeof u === 'object' && u !== null)
      for (const k of ['seed', 'jitter', 'deadAfter', 'deadRetryDelay', 'naughtyDelay', 'cooldown']) o[k] = (u as Record<string, unknown>)[k]
  } catch {
    // the defaults
  }
  const seed = o['seed']
  const seeded = typeof seed === 'string' ? seed.slice(0, 200) : typeof seed === 'number' && Number.isFinite(seed) ? String(seed) : undefined
  return {
    seed: seeded,
    jitter: seeded === undefined ? 0 : num(o['jitter'], 0.5, 0, 1),
    deadAfter: Math.floor(num(o['deadAfter'], DEFAULT_DEAD_AFTER, 1, 1_000_000)),
    deadRetryDelay: num(o['deadRetryDelay'], DAY, 0, 365 * DAY),
    naughtyDelay: num(o['naughtyDelay'], NAUGHTY_DELAY, 0, 365 * DAY),
    cooldown: typeof o['cooldown'] === 'number' ? num(o['cooldown'], 0, 0, DAY) : undefined
  }
}

/** A fraction in [0, 1) from (seed, relay, attempt): the same for equal arguments. */
export const jitterFraction = (seed: string, relay: string, attempt: number): number =>
  parseInt(sha256Hex(`nip34-sync/jitter ${seed} ${relay} ${attempt}`).slice(0, 12), 16) / 2 ** 48

/**
 * The delay before retry `attempt` (1 = after the first failure): `base · 2^(attempt-1)`
 * stretched by up to `jitter` (at most 1, so it never passes the next attempt's delay), capped at
 * `max`. Monotone in `attempt`, never above `max`.
 */
export const retryDelay = (base: number, max: number, h: HealthOptions, relay: string, attempt: number): number => {
  const n = Math.max(1, Math.min(60, Math.floor(attempt)))
  const raw = base * 2 ** (n - 1)
  const j = h.seed === undefined || h.jitter <= 0 ? 0 : h.jitter * jitterFraction(h.seed, relay, n)
  return Math.min(max, raw * (1 + j))
}

/** The relay is paused at `now` (no connection opens; `cooling`: no `REQ` goes out either). */
export const paused = (h: Health | undefined, now: number): boolean => h !== undefined && h.park !== undefined && now < h.until

/** The relay is parked long (dead, naughty, auth failed): its connections close. */
export const parked = (h: Health | undefined, now: number): boolean =>
  paused(h, now) && (h?.park === 'dead' || h?.park === 'naughty' || h?.park === 'auth-failed')

/** No `REQ` goes to the relay at `now` (cooling, or parked). */
export const silenced = (h: Health | undefined, now: number): boolean => paused(h, now) && h?.park !== 'backoff'

/**
 * A connection failed (dropped, or never opened). Counted once per backoff period; past
 * `deadAfter` in a row the relay is dead for `deadRetryDelay`.
 */
export const failed = (h: Health, o: HealthOptions, base: number, max: number, relay: string, now: number, reason?: string): Health => {
  if (paused(h, now)) return h
  const failures = h.failures + 1
  const authed: ReadonlyArray<number> = []
  if (failures >= o.deadAfter) return { ...h, failures, park: 'dead', until: now + o.deadRetryDelay, reason: cut(reason) ?? h.reason, authed }
  return { ...h, failures, park: 'backoff', until: now + retryDelay(base, max, o, relay, failures), reason: cut(reason) ?? h.reason, authed }
}

/** The relay answered (an `EOSE`): backoff and death are over. */
export const answered = (h: Health): Health =>
  h.failures === 0 && h.park !== 'backoff' && h.park !== 'dead' ? h : { ...h, failures: 0, ...(h.park === 'backoff' || h.park === 'dead' ? { park: undefined, until: -Infinity } : {}) }

/** A failure that will not mend soon: the naughty list for `naughtyDelay`. */
export const naughty = (h: Health, o: HealthOptions, now: number, kind: FailureKind, reason: string): Health => ({
  ...h,
  park: 'naughty',
  until: Math.max(now + o.naughtyDelay, paused(h, now) ? h.until : -Infinity),
  reason: cut(`${kind}: ${reason}`),
  authed: []
})

/** A rate limit: every `REQ` waits `cooldown` seconds (parks already longer are kept). */
export const cooling = (h: Health, o: HealthOptions, relay: string, now: number, reason: string, retry: number): Health => {
  if (parked(h, now)) return h
  const base = o.cooldown ?? retry
  const until = now + retryDelay(base, base * 2, o, relay, 1)
  return { ...h, park: 'cooling', until: Math.max(until, paused(h, now) ? h.until : -Infinity), reason: cut(reason) }
}

/** A connection was authenticated (NIP-42). */
export const authenticated = (h: Health, socket: number, now: number): Health => ({
  ...h,
  auth: 'ok',
  authed: h.authed.includes(socket) ? h.authed : [...h.authed, socket].sort((a, b) => a - b),
  ...(h.park === 'auth-failed' && paused(h, now) ? { park: undefined, until: -Infinity } : {})
})

/** Auth failed (refused, or no key to sign with): parked like a naughty relay. */
export const authFailed = (h: Health, o: HealthOptions, now: number, reason: string): Health => ({
  ...h,
  auth: 'failed',
  park: 'auth-failed',
  until: Math.max(now + o.naughtyDelay, paused(h, now) ? h.until : -Infinity),
  reason: cut(`auth: ${reason}`),
  authed: []
})

/** The relay asked for auth on a connection that is not authenticated. */
export const authRequired = (h: Health): Health => (h.auth === 'required' ? h : { ...h, auth: 'required' })

/** A connection dropped: it is no longer authenticated. */
export const dropped = (h: Health, socket: number): Health => (h.authed.includes(socket) ? { ...h, authed: h.authed.filter((k) => k !== socket) } : h)

/** `auth-required:` (NIP-42), the machine-readable prefix of a `CLOSED`. */
export const isAuthRequired = (text: string): boolean => /^auth-required:/i.test(text.trimStart())

/** The status of a relay's health at `now`. */
export const healthState = (h: Health | undefined, o: HealthOptions, now: number): HealthState => {
  if (h === undefined) return 'ok'
  if (paused(h, now)) return h.park as HealthState
  if (h.park === 'dead' || h.failures >= o.deadAfter) return 'dead'
  if (h.auth === 'required') return 'auth-required'
  if (h.failures > 0) return 'backoff'
  return 'ok'
}

/** Health worth keeping (not healthy). */
export const notable = (h: Health | undefined): h is Health => h !== undefined && (h.failures > 0 || h.park !== undefined || h.auth === 'failed')

const cut = (s: string | undefined): string | undefined => (s === undefined ? undefined : s.slice(0, 200))
