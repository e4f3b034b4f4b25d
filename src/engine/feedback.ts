/**
 * Steps that answer host feedback about one relay connection: `EOSE`, `CLOSED`, `NOTICE`, timeouts, connections opened and dropped, new limits.
 *
 * @internal
 */
import { limitsFor, liveSubscriptionBudget, relayLimits, type RelayLimits } from '../config/Limits.js'
import { messageBytes, type RelayBatch, type Subscription } from '../wire/Wire.js'
import { classify, learn, type Refusal } from './refusals.js'
import { nextPage } from './Lifecycle.js'
import { invalid, result, unchanged, type Read } from './input.js'
import { addJob, replan } from './plan.js'
import { batchOf, byRelay, pageFilters, reconcile } from './reconcile.js'
import { backoff, CLOSED_CONN, data, limitsOf, liveByWire, runIndex, setConn, setLive, setRun, wrap, type Conn, type EngineData, type RelayState, type Run } from './state.js'
import type { EngineProblem, StepResult, SyncEngine } from './types.js'
import { HEALTHY, answered, cooling, dropped, failed } from './health.js'
import { addFilterJobs } from './filterJobs.js'

export const withRelay = (
  engine: SyncEngine,
  d: EngineData,
  r: Read,
  now: number,
  f: (rs: RelayState, conn: Conn | undefined) => { readonly rs: RelayState; readonly extra?: Array<RelayBatch>; readonly problems?: Array<EngineProblem> } | undefined,
  /** Leave the relay unreconciled (the caller re-plans it). */
  deferred = false
): StepResult => {
  if (r.relay === undefined) return invalid(engine, `${r.tag}: \`relay\` is not a string`)
  if (r.socket < 0) return invalid(engine, `${r.tag}: \`socket\` is not a connection number`)
  const rs = d.relays.get(r.relay)
  if (rs === undefined) return unchanged(engine)
  const changed = f(rs, rs.conns[r.socket])
  if (changed === undefined) return unchanged(engine)
  if (deferred) return result({ ...d, relays: d.relays.set(r.relay, changed.rs), now }, changed.extra ?? [], changed.problems ?? [])
  const next = reconcile(changed.rs, d.options, now, [])
  const batches = byRelay([...(changed.extra ?? []), ...next.batches])
  return result({ ...d, relays: d.relays.set(r.relay, next.rs), now }, batches, changed.problems ?? [])
}

/** The relay answered: its backoff (and death) is over. */
const healed = (rs: RelayState): RelayState => {
  if (rs.health === undefined) return rs
  const health = answered(rs.health)
  return health === rs.health ? rs : { ...rs, health }
}

export const onEose = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => {
    const l = liveByWire(c, r.id)
    if (l !== undefined && c !== undefined && c.up) {
      if (l.status !== 'pending') return undefined
      // an answer: the connection's backoff for refusals (see `hold`) starts over
      const up = c.failures === 0 ? c : { ...c, failures: 0, retryAt: -Infinity }
      return { rs: healed({ ...setLive(rs, r.socket, up, { ...l, status: 'open', failures: 0 }), lastEose: now }) }
    }
    const i = runIndex(rs, r.socket, r.id)
    if (i < 0) return undefined // a late EOSE of an attempt that is over: it answers nothing
    const run = rs.runs[i] as Run
    // a fetch by id (NIP-77, negentropy.ts) asks for known ids: its one page is all of it
    const cursors = run.neg?.phase === 'fetch' || run.once === true ? [] : run.cursors.map(nextPage(r.events ?? []))
    const filters = pageFilters(cursors)
    const paged = healed({ ...rs, lastEose: now })
    if (filters.length > 0) {
      const sub: Subscription = { id: run.wire, slot: run.slot, filters }
      const batch: RelayBatch = {
        ...batchOf(rs, r.socket, 'keep', { closes: [], reqs: [['REQ', run.wire, ...filters]], history: [sub] }, [], liveSubscriptionBudget(rs.limits))
      }
      return { rs: setRun(paged, i, { ...run, cursors, sentAt: now }), extra: [batch] }
    }
    const done = batchOf(rs, r.socket, 'keep', { closes: [run.wire], reqs: [], history: [] }, [], liveSubscriptionBudget(rs.limits))
    return { rs: setRun(paged, i, undefined), extra: [done] }
  })

/** The `REQ` an attempt sent: its filter count and its size, for learning from a refusal. */
const sentSize = (rs: RelayState, socket: number, id: string | undefined): { readonly filters: number; readonly bytes: number } => {
  const c = rs.conns[socket]
  const l = liveByWire(c, id)
  if (l !== undefined) {
    const sub = rs.plan[socket]?.find((x) => x.id === l.slot) ?? rs.plan.flat().find((x) => x.id === l.slot)
    if (sub !== undefined) return { filters: sub.filters.length, bytes: messageBytes(['REQ', l.wire, ...sub.filters]) }
  }
  const run = rs.runs.find((x) => x.socket === socket && x.wire === id)
  if (run !== undefined) {
    const filters = pageFilters(run.cursors)
    return { filters: filters.length, bytes: messageBytes(['REQ', run.wire, ...filters]) }
  }
  return { filters: 0, bytes: 0 }
}

/** Subscriptions a connection holds (open or pending, live and history), leaving out one id. */
const heldOn = (rs: RelayState, socket: number, except: string | undefined): number => {
  let n = 0
  for (const l of rs.conns[socket]?.live.values() ?? []) if (l.wire !== except && (l.status !== 'failed' || l.mayBeOpen)) n++
  for (const x of rs.runs) if (x.socket === socket && x.wire !== except && (x.status === 'pending' || x.mayBeOpen)) n++
  return n
}

/**
 * A relay refused for a limit: the caps it taught are learned and the relay is re-planned under
 * them (`undefined` when nothing can be tightened: then the backoff applies).
 */
const relearn = (
  d: EngineData,
  rs: RelayState,
  kind: Refusal,
  seen: { readonly held: number; readonly filters: number; readonly bytes: number },
  now: number,
  problems: Array<EngineProblem>
): StepResult | undefined => {
  if (kind === 'rate') return undefined
  const caps = learn(kind, rs.limits, d.learned.get(rs.relay), seen, d.limits.get(rs.relay) ?? limitsFor(d.options.limits)(rs.relay))
  if (caps === undefined) return undefined
  const learned = d.learned.set(rs.relay, caps)
  const next: EngineData = { ...d, learned, now }
  const limits = limitsOf(next, rs.relay)
  problems.push({
    code: 'learned-limits',
    relay: rs.relay,
    message: `refused for its ${kind}: re-planned under maxSubscriptions ${limits.maxSubscriptions}, maxFiltersPerReq ${limits.maxFiltersPerReq}, maxMessageBytes ${limits.maxMessageBytes}`
  })
  const out = relimit(next, rs, limits, now, problems)
  return result({ ...next, relays: next.relays.set(rs.relay, out.rs) }, out.batches, problems)
}

export const onClosed = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult => {
  const failed = withRelay(engine, d, r, now, (rs, c) => {
    const problem: EngineProblem = { code: 'closed', relay: rs.relay, socket: r.socket, message: r.text, ...(r.id === undefined ? {} : { value: r.id }) }
    const l = liveByWire(c, r.id)
    if (l !== undefined && c !== undefined && l.status !== 'failed') {
      const failures = l.failures + 1
      return { rs: setLive(rs, r.socket, c, { ...l, status: 'failed', mayBeOpen: false, failures, retryAt: now + backoff(d.options, failures, rs.relay) }), problems: [problem] }
    }
    const i = runIndex(rs, r.socket, r.id)
    if (i < 0) return undefined // a late CLOSED of an attempt that is over
    const run = rs.runs[i] as Run
    const failures = run.failures + 1
    return { rs: setRun(rs, i, { ...run, status: 'failed', socket: -1, mayBeOpen: false, failures, retryAt: now + backoff(d.options, failures, rs.relay) }), problems: [problem] }
  }, true)
  // a refusal for a limit: learn it and re-plan the relay (the failed attempt goes with the old plan)
  const kind = classify(r.text)
  const rs = r.relay === undefined ? undefined : d.relays.get(r.relay)
  if (kind === undefined || rs === undefined || failed.problems.length === 0 || failed.engine === engine) return failed
  const seen = { held: heldOn(rs, r.socket, r.id), ...sentSize(rs, r.socket, r.id) }
  const after = data(failed.engine).relays.get(rs.relay)
  if (after === undefined) return failed
  const learned = relearn(data(failed.engine), after, kind, seen, now, [...failed.problems])
  if (learned !== undefined) return learned
  // nothing left to learn (the refused REQ was already at the floor) or rate limiting: the relay,
  // not this one attempt, is refusing; every attempt of the connection waits for one backoff
  const e = data(failed.engine)
  const stopped = hold(after, r.socket, now, e.options)
  // rate limiting: the whole relay cools down (no REQ on any connection until it is over)
  const held = kind === 'rate' ? { ...stopped, health: cooling(stopped.health ?? HEALTHY, e.options.health, after.relay, now, r.text, e.options.retryDelay) } : stopped
  return reconciled(held === after ? failed : { ...failed, engine: wrap({ ...e, relays: e.relays.set(after.relay, held) }) }, d, rs.relay, now)
}

/**
 * A connection whose relay refuses what cannot be made smaller: one exponential backoff for the
 * whole connection (its failure count grows once per backoff period, not once per refused
 * attempt), and every failed or queued attempt of the relay waits for it, so a relay refusing
 * everything costs a bounded number of `REQ`s per backoff period, whatever the plan's size.
 */
const hold = (rs: RelayState, socket: number, now: number, o: EngineData['options']): RelayState => {
  const c = rs.conns[socket]
  if (c === undefined || !c.up) return rs
  // an up connection does not use `retryAt` and `failures` for reconnecting: they hold the relay's backoff
  const failures = now >= c.retryAt ? c.failures + 1 : c.failures
  const until = now >= c.retryAt ? now + backoff(o, failures, rs.relay) : c.retryAt
  const live = new Map(c.live)
  for (const l of c.live.values()) if (l.status === 'failed' && l.retryAt < until) live.set(l.slot, { ...l, retryAt: until })
  const runs = rs.runs.map((x) =>
    (x.status === 'failed' || (x.status === 'queued' && x.socket === -1)) && (x.status !== 'failed' || x.retryAt < until)
      ? { ...x, status: 'failed' as const, retryAt: until }
      : x
  )
  return { ...setConn(rs, socket, { ...c, live, failures, retryAt: until }), runs }
}

/** The result of a feedback step whose relay was left unreconciled, reconciled now. */
const reconciled = (r: StepResult, d: EngineData, relay: string, now: number): StepResult => {
  const e = data(r.engine)
  const rs = e.relays.get(relay)
  if (rs === undefined) return r
  const out = reconcile(rs, d.options, now, [])
  return { ...r, engine: wrap({ ...e, relays: e.relays.set(relay, out.rs) }), batches: byRelay([...r.batches, ...out.batches]) }
}

/**
 * A `NOTICE`: reported. When it refuses for a limit (as older strfry does instead of a `CLOSED`:
 * "too many concurrent REQs"), the connection's pending attempts fail as if timed out and the relay
 * is re-planned under the learned caps.
 */
export const onNotice = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult => {
  const problem: EngineProblem = { code: 'notice', relay: r.relay ?? '', socket: r.socket, message: r.text }
  const kind = classify(r.text)
  const rs = r.relay === undefined || r.socket < 0 ? undefined : d.relays.get(r.relay)
  const c = rs?.conns[r.socket]
  if (kind === 'rate' && rs !== undefined)
    // rate limiting: the whole relay cools down (its pending attempts still get their answers)
    return withRelay(engine, d, r, now, (x) => ({ rs: { ...x, health: cooling(x.health ?? HEALTHY, d.options.health, x.relay, now, r.text, d.options.retryDelay) }, problems: [problem] }))
  if (kind === undefined || kind === 'rate' || rs === undefined || c === undefined || !c.up) return unchanged(engine, [problem])
  let filters = 0
  let bytes = 0
  let pending = 0
  for (const l of c.live.values())
    if (l.status === 'pending') {
      pending++
      const s = sentSize(rs, r.socket, l.wire)
      filters = Math.max(filters, s.filters)
      bytes = Math.max(bytes, s.bytes)
    }
  for (const x of rs.runs)
    if (x.socket === r.socket && x.status === 'pending') {
      pending++
      const s = sentSize(rs, r.socket, x.wire)
      filters = Math.max(filters, s.filters)
      bytes = Math.max(bytes, s.bytes)
    }
  if (pending === 0) return unchanged(engine, [problem])
  const seen = { held: heldOn(rs, r.socket, undefined) - 1, filters, bytes }
  const timedOut = failPending(rs, r.socket, undefined, now, d.options.retryDelay)
  if (timedOut === undefined) return unchanged(engine, [problem])
  return relearn(d, timedOut, kind, seen, now, [problem]) ?? unchanged(engine, [problem])
}

/**
 * The pending attempts of a connection (all, or the one of `id`) fail as timed out: the relay may
 * hold them, so each is `CLOSE`d before its retry, `delay` seconds from now. `undefined` when none is pending.
 */
export const failPending = (rs: RelayState, socket: number, id: string | undefined, now: number, delay: number): RelayState | undefined => {
  const c = rs.conns[socket]
  if (c === undefined || !c.up) return undefined
  let changed = false
  const live = new Map(c.live)
  for (const l of c.live.values())
    if (l.status === 'pending' && (id === undefined || l.wire === id)) {
      live.set(l.slot, { ...l, status: 'failed', mayBeOpen: true, failures: l.failures + 1, retryAt: now + delay })
      changed = true
    }
  const runs = rs.runs.map((x) => {
    if (x.socket !== socket || x.status !== 'pending' || (id !== undefined && x.wire !== id)) return x
    changed = true
    return { ...x, status: 'failed' as const, mayBeOpen: true, failures: x.failures + 1, retryAt: now + delay }
  })
  return changed ? { ...setConn(rs, socket, { ...c, live }), runs } : undefined
}

export const onTimeout = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs) => {
    const next = failPending(rs, r.socket, r.id, now, 0)
    return next === undefined ? undefined : { rs: next }
  })

/** A connection is gone: its subscriptions with it, its history back in the queue, its reopening after its backoff. */
export const disconnect = (rs: RelayState, socket: number, c: Conn | undefined, now: number, o: EngineData['options']): RelayState => {
  const was = c ?? CLOSED_CONN
  const failures = was.failures + 1
  const runs = rs.runs.map((x) => (x.socket === socket ? { ...x, socket: -1, status: x.status === 'pending' ? ('queued' as const) : x.status, mayBeOpen: false } : x))
  const conn: Conn = { up: false, live: new Map(), failures, retryAt: now + backoff(o, failures, rs.relay) }
  return { ...setConn(rs, socket, conn), runs, resume: rs.resume || rs.lastEose !== undefined }
}

export const onDisconnected = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => {
    // one failure of the relay (once per backoff period): its health decides when any connection reopens
    const health = failed(dropped(rs.health ?? HEALTHY, r.socket), d.options.health, d.options.retryDelay, d.options.maxRetryDelay, rs.relay, now)
    return { rs: { ...disconnect(rs, r.socket, c, now, d.options), health } }
  })

export const onConnected = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => (c === undefined || c.failures === 0 ? undefined : { rs: setConn(rs, r.socket, { ...c, failures: 0 }) }))

export const onLimits = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult => {
  if (r.relay === undefined) return invalid(engine, 'Limits: `relay` is not a string')
  const checked = relayLimits(r.limits)
  const problems: Array<EngineProblem> = checked.problems.map((p) => ({ code: 'invalid-limits', relay: r.relay as string, message: `${p.field}: ${p.reason}`, value: p.value }))
  const next: EngineData = { ...d, limits: d.limits.set(r.relay, checked.limits), now }
  const rs = d.relays.get(r.relay)
  if (rs === undefined) return result(next, [], problems)
  const out = relimit(next, rs, limitsOf(next, r.relay), now, problems)
  return result({ ...next, relays: next.relays.set(r.relay, out.rs) }, out.batches, problems)
}

/**
 * A relay re-planned under new limits, even when its target did not change: every history
 * attempt stops (its `REQ` may break the new limits) and its job is laid out again; `CLOSE`s first.
 */
export const relimit = (
  d: EngineData,
  rs: RelayState,
  limits: RelayLimits,
  now: number,
  problems: Array<EngineProblem>
): { readonly rs: RelayState; readonly batches: Array<RelayBatch> } => {
  const closes = new Map<number, Array<string>>()
  for (const run of rs.runs)
    if (run.socket >= 0 && (run.status === 'pending' || run.mayBeOpen)) closes.set(run.socket, [...(closes.get(run.socket) ?? []), run.wire])
  const jobs = rs.jobs.filter((j) => rs.runs.some((x) => x.job === j.id))
  let next = replan({ ...rs, limits, runs: [], jobs: [] }, d.options, problems)
  // a job of explicit filters (fetch by id, discovery by author: fetch.ts) is queued again as it was
  for (const j of jobs) next = j.filters !== undefined ? addFilterJobs(next, [j.filters], j.once === true ? 'f:' : 'g:', j.once === true, problems) : addJob(next, j.target, j.since, j.discovery, problems)
  const out = reconcile(next, d.options, now, [], closes)
  // a connection with closes but nothing else to send still gets its CLOSEs
  const sent = new Set(out.batches.map((b) => b.socket))
  const extra: Array<RelayBatch> = []
  for (const [k, ids] of closes)
    if (!sent.has(k) && out.rs.conns[k]?.up === true)
      extra.push(batchOf(out.rs, k, 'keep', { closes: ids, reqs: [], history: [] }, [], liveSubscriptionBudget(limits)))
  return { rs: out.rs, batches: byRelay([...out.batches, ...extra]) }
}

/**
 * The engine's own request timeout: every attempt of the relay whose `REQ` has waited `timeout`
 * seconds or more fails as a `Timeout` input would make it (0: none does).
 */
export const expire = (rs: RelayState, timeout: number, now: number): RelayState => {
  if (timeout <= 0) return rs
  const due: Array<[number, string]> = []
  rs.conns.forEach((c, k) => {
    if (c.up) for (const l of c.live.values()) if (l.status === 'pending' && l.sentAt + timeout <= now) due.push([k, l.wire])
  })
  for (const x of rs.runs) if (x.status === 'pending' && x.socket >= 0 && x.sentAt + timeout <= now) due.push([x.socket, x.wire])
  let out = rs
  for (const [k, id] of due) out = failPending(out, k, id, now, 0) ?? out
  return out
}
