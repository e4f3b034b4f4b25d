/**
 * Steps of relay health (health.ts): a classified connection failure (`Failed`), NIP-42
 * `Authenticated` and `AuthFailed`, and the `CLOSED` "auth-required:" that makes attempts wait
 * for auth. The other feedback steps (feedback.ts) feed the same model: a drop counts a failure,
 * an `EOSE` ends the backoff, a rate limit starts the cooldown.
 *
 * @internal
 */
import { FAILURE_KINDS, HEALTHY, authFailed, authRequired, authenticated, cooling, dropped, failed, isAuthRequired, naughty, type FailureKind, type Health } from './health.js'
import { invalid, type Read } from './input.js'
import { disconnect, withRelay } from './feedback.js'
import { liveByWire, runIndex, setLive, setRun, type EngineData, type RelayState, type Run } from './state.js'
import type { EngineProblem, StepResult, SyncEngine } from './types.js'

export const healthOf = (rs: RelayState): Health => rs.health ?? HEALTHY

const problem = (rs: RelayState, socket: number, message: string): EngineProblem => ({ code: 'health', relay: rs.relay, socket, message })

export const onFailed = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult => {
  if (r.kind === undefined || !FAILURE_KINDS.has(r.kind)) return invalid(engine, 'Failed: `kind` is not dns, tls, protocol, refused-address or rate-limited')
  const kind = r.kind as FailureKind
  return withRelay(engine, d, r, now, (rs, c) => {
    const next = disconnect(rs, r.socket, c, now, d.options)
    if (kind === 'rate-limited') {
      // HTTP 429 on the upgrade: a failure of the relay (as Disconnected), then its cooldown (no
      // connection opens and no REQ goes out before it ends); parks already longer are kept
      const o = d.options
      const down = failed(dropped(healthOf(rs), r.socket), o.health, o.retryDelay, o.maxRetryDelay, rs.relay, now, r.text === '' ? undefined : r.text)
      const health = down.park === 'dead' ? down : cooling(down, o.health, rs.relay, now, r.text === '' ? 'rate-limited' : r.text, o.retryDelay)
      return { rs: { ...next, health }, problems: [problem(rs, r.socket, `${health.park ?? 'cooling'} until ${health.until}: ${health.reason ?? kind}`)] }
    }
    const health = naughty(dropped(healthOf(rs), r.socket), d.options.health, now, kind, r.text)
    return { rs: { ...next, health }, problems: [problem(rs, r.socket, `naughty until ${health.until}: ${health.reason ?? kind}`)] }
  })
}

export const onAuthenticated = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => {
    const health = authenticated(healthOf(rs), r.socket, now)
    let next: RelayState = { ...rs, health }
    // the attempts refused for auth are sent again now (under new ids)
    if (c !== undefined && c.up)
      for (const l of c.live.values()) if (l.waitsAuth === true) next = setLive(next, r.socket, next.conns[r.socket] ?? c, { ...l, retryAt: now, waitsAuth: false })
    const runs = next.runs.map((x): Run => (x.waitsAuth === true ? { ...x, retryAt: now, waitsAuth: false } : x))
    if (runs.some((x, i) => x !== next.runs[i])) next = { ...next, runs }
    return { rs: next }
  })

export const onAuthFailed = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs) => {
    const health = authFailed(healthOf(rs), d.options.health, now, r.text === '' ? 'failed' : r.text)
    return { rs: { ...rs, health }, problems: [problem(rs, r.socket, `parked until ${health.until}: ${health.reason ?? 'auth failed'}`)] }
  })

/**
 * A `CLOSED` "auth-required:" on a connection not authenticated yet: the attempt waits for
 * `Authenticated` (at most `naughtyDelay`), the relay is marked as needing auth. `undefined` when
 * it is not such a refusal (or the connection is authenticated already: then it is an ordinary
 * refusal, retried after the backoff, so auth is tried once per connection).
 */
export const closedForAuth = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult | undefined => {
  if (!isAuthRequired(r.text) || r.relay === undefined || r.socket < 0) return undefined
  const rs0 = d.relays.get(r.relay)
  if (rs0 === undefined || healthOf(rs0).authed.includes(r.socket)) return undefined
  const wait = now + Math.max(1, d.options.health.naughtyDelay)
  return withRelay(engine, d, r, now, (rs, c) => {
    const refused: EngineProblem = { code: 'closed', relay: rs.relay, socket: r.socket, message: r.text, ...(r.id === undefined ? {} : { value: r.id }) }
    const health = authRequired(healthOf(rs))
    const l = liveByWire(c, r.id)
    if (l !== undefined && c !== undefined && l.status !== 'failed')
      return { rs: { ...setLive(rs, r.socket, c, { ...l, status: 'failed', mayBeOpen: false, retryAt: wait, waitsAuth: true }), health }, problems: [refused] }
    const i = runIndex(rs, r.socket, r.id)
    if (i < 0) return undefined
    const run = rs.runs[i] as Run
    return { rs: { ...setRun(rs, i, { ...run, status: 'failed', socket: -1, mayBeOpen: false, retryAt: wait, waitsAuth: true }), health }, problems: [refused] }
  })
}
