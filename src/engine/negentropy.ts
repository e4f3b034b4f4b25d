/**
 * NIP-77 negentropy for history, the steps: the engine's answers to a session's result, a
 * `NEG-ERR`, a `NOTICE` naming negentropy, no answer, and a relay's NIP-11 hint; what a relay
 * taught about its support, kept per relay (`EngineData.negentropy`, in snapshots) and followed
 * by its history (paged runs become sessions when it may be used, sessions are paged when not).
 *
 * A history run (state.ts `Run`) in negentropy mode carries `neg`: `session` (its attempt is a
 * `NEG-OPEN` the host runs, with the own relay's events as the "have" set; its cursors are the
 * paged fall back of its one filter) or `fetch` (a `REQ` of `ids` filters, done at its `EOSE`).
 * NIP-11 `supported_nips` is a hint only: a hinted relay is tried, and its first failure before
 * any success makes it `no` for 7 days (several relays advertise 77 and fail). The values are in
 * negentropyPlan.ts.
 *
 * @internal
 */
import { Map as IMap } from 'immutable'
import { isRefused } from './fetchState.js'
import { failPending, withRelay } from './feedback.js'
import { result, unchanged, type Read } from './input.js'
import { byRelay, reconcile } from './reconcile.js'
import { classify } from './refusals.js'
import { data, wrap, type EngineData, type RelayState, type Run } from './state.js'
import type { EngineProblem, StepResult, SyncEngine } from './types.js'
import {
  NEG_MAX_NEED,
  NEG_UNKNOWN,
  demoteRun,
  expired,
  failed,
  fetchRuns,
  negErrKind,
  negUse,
  readNeed,
  succeeded,
  toSessions,
  type NegKnown
} from './negentropyPlan.js'

// -------------------------------------------------------------------------------------------------
// the relay's knowledge
// -------------------------------------------------------------------------------------------------

/** The knowledge of a relay and whether its history uses negentropy, for a relay planned now. */
export const knownOf = (d: EngineData, relay: string): NegKnown | undefined => d.negentropy?.get(relay)

export const useFor = (d: EngineData, relay: string): boolean => negUse(knownOf(d, relay), d.options.negentropy ?? 'auto')

/**
 * New knowledge of a relay: kept (`EngineData.negentropy`), and the relay's history follows it:
 * a relay that may now be used has its paged runs turned into sessions (running ones are
 * `CLOSE`d first), one that may not has its sessions paged (running ones `CLOSE`d, as `NEG-CLOSE`).
 */
export const know = (d: EngineData, relay: string, k: NegKnown): EngineData => {
  const next: EngineData = { ...d, negentropy: (d.negentropy ?? IMap<string, NegKnown>()).set(relay, k) }
  const rs = d.relays.get(relay)
  if (rs === undefined) return next
  const use = useFor(next, relay)
  if (use === (rs.negentropy === true)) return next
  return { ...next, relays: next.relays.set(relay, use ? promote(rs) : demote(rs, () => true)) }
}

/** Every paged history run of the relay as sessions; running ones fail as may-be-open (their `CLOSE` goes first). */
const promote = (rs: RelayState): RelayState => {
  const runs = rs.runs.flatMap((r): Array<Run> => {
    if (r.neg !== undefined) return [r]
    const running = r.status === 'pending' && r.socket >= 0
    const sessions = toSessions([r], rs.limits)
    if (!running) return sessions
    // the running REQ is closed under its id; its sessions start fresh
    return [{ ...r, cursors: [], status: 'failed', mayBeOpen: true, retryAt: 0 }, ...sessions]
  })
  return { ...rs, negentropy: true, runs }
}

/** The relay's sessions that `which` picks, as paged runs; a running one is closed first. */
const demote = (rs: RelayState, which: (r: Run) => boolean, use = false): RelayState => ({
  ...rs,
  negentropy: use,
  runs: rs.runs.map((r) => {
    if (r.neg?.phase !== 'session' || !which(r)) return r
    const paged = demoteRun(r)
    return r.status === 'pending' && r.socket >= 0 ? { ...paged, status: 'failed', mayBeOpen: true, retryAt: 0 } : paged
  })
})

/** The relay re-planned after its knowledge changed: the `CLOSE`s and `REQ`s that follow. */
const settle = (res: StepResult, relay: string, now: number, problems: ReadonlyArray<EngineProblem> = []): StepResult => {
  const d = data(res.engine)
  const rs = d.relays.get(relay)
  if (rs === undefined) return { ...res, problems: [...res.problems, ...problems] }
  const out = reconcile(rs, d.options, now, [])
  return {
    ...res,
    engine: wrap({ ...d, relays: d.relays.set(relay, out.rs), now }),
    batches: byRelay([...res.batches, ...out.batches]),
    problems: [...res.problems, ...problems]
  }
}

/** The running session of `(socket, id)`, by index. */
const sessionIndex = (rs: RelayState, socket: number, id: string | undefined): number =>
  id === undefined ? -1 : rs.runs.findIndex((r) => r.socket === socket && r.wire === id && r.status === 'pending' && r.neg?.phase === 'session')

// -------------------------------------------------------------------------------------------------
// steps
// -------------------------------------------------------------------------------------------------

/** `NegentropyResult`: a session completed; what the relay has and the host lacks is fetched by id. */
export const onNegResult = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult => {
  let matched = false
  const problems: Array<EngineProblem> = []
  const res = withRelay(engine, d, r, now, (rs) => {
    const i = sessionIndex(rs, r.socket, r.id)
    if (i < 0) return undefined
    matched = true
    const run = rs.runs[i] as Run
    // ids the own relay refused (and still kept) are not fetched again: they would be refused again
    const refused = d.fetch?.refused
    const found = readNeed(r.ids)
    const need = refused === undefined || refused.size === 0 ? found : found.filter((id) => !isRefused(refused, id, now))
    const runs = [...rs.runs]
    if (r.needOver === true || found.length > NEG_MAX_NEED) {
      problems.push({ code: 'notice', relay: rs.relay, socket: r.socket, message: `negentropy found more than ${NEG_MAX_NEED} missing events: the filter is paged instead` })
      runs[i] = { ...demoteRun(run), status: 'queued', socket: -1, wire: '', mayBeOpen: false }
    } else runs.splice(i, 1, ...fetchRuns(run, need, rs.limits))
    return { rs: { ...rs, runs, lastEose: now } }
  })
  if (!matched || r.relay === undefined) return res
  const relay = r.relay
  const e = data(res.engine)
  return settle({ ...res, engine: wrap(know(e, relay, succeeded(knownOf(e, relay)))) }, relay, now, problems)
}

/** `NegentropyError`: the relay answered the session with `NEG-ERR`; the session's filter is paged. */
export const onNegError = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult => {
  let matched = false
  const res = withRelay(engine, d, r, now, (rs) => {
    const i = sessionIndex(rs, r.socket, r.id)
    if (i < 0) return undefined
    matched = true
    const runs = [...rs.runs]
    runs[i] = { ...demoteRun(rs.runs[i] as Run), status: 'queued', socket: -1, wire: '', mayBeOpen: false }
    return { rs: { ...rs, runs }, problems: [{ code: 'notice', relay: rs.relay, socket: r.socket, message: `NEG-ERR: ${r.text}`, ...(r.id === undefined ? {} : { value: r.id }) }] }
  })
  if (!matched || r.relay === undefined) return res
  if (negErrKind(r.text) === 'size') return res
  const e = data(res.engine)
  return settle({ ...res, engine: wrap(know(e, r.relay, failed(knownOf(e, r.relay), now))) }, r.relay, now)
}

/** A `CLOSED` for a running session (a relay that treats `NEG-OPEN` as a subscription): as `NEG-ERR`. `undefined`: no session of that id. */
export const onNegClosed = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult | undefined => {
  const rs = r.relay === undefined || r.socket < 0 ? undefined : d.relays.get(r.relay)
  if (rs === undefined || sessionIndex(rs, r.socket, r.id) < 0) return undefined
  return onNegError(engine, d, r, now)
}

const NAMES_NEG = /neg-?(open|msg|close|err)|negentropy/i
const UNKNOWN_VERB = /unknown|unsupported|not supported|unrecogni[sz]ed|invalid (message|command)|bad msg|not implemented/i

/**
 * A `NOTICE` that names negentropy (or, with a session running on the connection, says an unknown
 * or unsupported message): the connection's sessions fail and are paged, and the relay learns a
 * failure. `undefined`: not about negentropy (the usual `NOTICE` step handles it).
 */
export const onNegNotice = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult | undefined => {
  if (r.relay === undefined || r.socket < 0) return undefined
  const rs = d.relays.get(r.relay)
  if (rs === undefined) return undefined
  const running = rs.runs.some((x) => x.socket === r.socket && x.status === 'pending' && x.neg?.phase === 'session')
  const about = NAMES_NEG.test(r.text) || (running && classify(r.text) === undefined && UNKNOWN_VERB.test(r.text))
  if (!about) return undefined
  const problem: EngineProblem = { code: 'notice', relay: r.relay, socket: r.socket, message: r.text }
  if (!running && rs.negentropy !== true) return unchanged(engine, [problem])
  const next = know({ ...d, relays: d.relays.set(r.relay, demote(rs, (x) => x.socket === r.socket, rs.negentropy === true)) }, r.relay, failed(knownOf(d, r.relay), now))
  return settle(result({ ...next, now }, [], []), r.relay, now, [problem])
}

/**
 * A `Timeout` for a session (or for every pending attempt of a connection running one): no
 * answer, the session is paged (its `NEG-CLOSE` first) and the relay learns a failure; the other
 * attempts time out as usual. `undefined`: no session concerned.
 */
export const onNegTimeout = (_engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult | undefined => {
  if (r.relay === undefined || r.socket < 0) return undefined
  const rs = d.relays.get(r.relay)
  if (rs === undefined) return undefined
  const hit = (x: Run): boolean => x.socket === r.socket && x.status === 'pending' && x.neg?.phase === 'session' && (r.id === undefined || x.wire === r.id)
  if (!rs.runs.some(hit)) return undefined
  const next = know({ ...d, relays: d.relays.set(r.relay, demote(rs, hit, rs.negentropy === true)) }, r.relay, failed(knownOf(d, r.relay), now))
  const after = next.relays.get(r.relay) as RelayState
  const timedOut = r.id === undefined ? (failPending(after, r.socket, undefined, now, 0) ?? after) : after
  return settle(result({ ...next, relays: next.relays.set(r.relay, timedOut), now }, [], []), r.relay, now)
}

/**
 * Before a `Tick`: sessions unanswered for `requestTimeout` seconds time out as above (not
 * retried as sessions), and `no` whose time is over becomes `unknown`.
 */
export const negTick = (d: EngineData, now: number): EngineData => {
  if (d.options.negentropy === 'off' && d.negentropy === undefined) return d
  let out = d
  const timeout = d.options.requestTimeout
  if (timeout > 0)
    for (const [relay, rs] of d.relays) {
      const late = (x: Run): boolean => x.status === 'pending' && x.socket >= 0 && x.neg?.phase === 'session' && x.sentAt + timeout <= now
      if (!rs.runs.some(late)) continue
      out = know({ ...out, relays: out.relays.set(relay, demote(rs, late, rs.negentropy === true)) }, relay, failed(knownOf(out, relay), now))
    }
  for (const [relay, k] of d.negentropy ?? IMap<string, NegKnown>()) {
    const e = expired(k, now)
    if (e !== k) out = know(out, relay, e)
  }
  return out
}

/** `Nips`: the relay's NIP-11 `supported_nips`; listing 77 is a hint that makes the relay worth a try. */
export const onNips = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult => {
  if (r.relay === undefined) return unchanged(engine, [{ code: 'invalid-input', relay: '', message: 'Nips: `relay` is not a string' }])
  if (r.nips === undefined || r.nips === 'invalid') return unchanged(engine, [{ code: 'invalid-input', relay: r.relay, message: 'Nips: `nips` is not a list of numbers' }])
  const hinted = r.nips.includes(77)
  const k = knownOf(d, r.relay)
  if ((k?.hinted ?? false) === hinted) return unchanged(engine)
  const next = know(d, r.relay, { ...(k ?? NEG_UNKNOWN), hinted })
  return settle(result({ ...next, now }, [], []), r.relay, now)
}

// -------------------------------------------------------------------------------------------------
// snapshot and status
// -------------------------------------------------------------------------------------------------


/** The relay's negentropy as plain data (RelayStatus.negentropy). */
export const negStatus = (
  d: EngineData,
  rs: RelayState
): { readonly support: NegKnown['support']; readonly hinted: boolean; readonly used: boolean; readonly sessions: number; readonly running: number; readonly fetching: number } => {
  const k = knownOf(d, rs.relay) ?? NEG_UNKNOWN
  let running = 0
  let fetching = 0
  for (const r of rs.runs) {
    if (r.neg?.phase === 'session') running++
    else if (r.neg?.phase === 'fetch') fetching++
  }
  return { support: k.support, hinted: k.hinted, used: rs.negentropy === true, sessions: k.sessions, running, fetching }
}

