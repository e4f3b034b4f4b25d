/**
 * Steps that answer host feedback about one relay connection: `EOSE`, `CLOSED`, `NOTICE`, timeouts, connections opened and dropped, new limits.
 *
 * @internal
 */
import { liveSubscriptionBudget, relayLimits } from '../config/Limits.js'
import type { RelayBatch, Subscription } from '../wire/Wire.js'
import { nextPage } from './Lifecycle.js'
import { invalid, result, unchanged, type Read } from './input.js'
import { addJob, replan } from './plan.js'
import { batchOf, byRelay, pageFilters, reconcile } from './reconcile.js'
import { backoff, CLOSED_CONN, liveByWire, runIndex, setConn, setLive, setRun, type Conn, type EngineData, type RelayState, type Run } from './state.js'
import type { EngineProblem, StepResult, SyncEngine } from './types.js'

export const withRelay = (
  engine: SyncEngine,
  d: EngineData,
  r: Read,
  now: number,
  f: (rs: RelayState, conn: Conn | undefined) => { readonly rs: RelayState; readonly extra?: Array<RelayBatch>; readonly problems?: Array<EngineProblem> } | undefined
): StepResult => {
  if (r.relay === undefined) return invalid(engine, `${r.tag}: \`relay\` is not a string`)
  if (r.socket < 0) return invalid(engine, `${r.tag}: \`socket\` is not a connection number`)
  const rs = d.relays.get(r.relay)
  if (rs === undefined) return unchanged(engine)
  const changed = f(rs, rs.conns[r.socket])
  if (changed === undefined) return unchanged(engine)
  const next = reconcile(changed.rs, d.options, now, [])
  const batches = byRelay([...(changed.extra ?? []), ...next.batches])
  return result({ ...d, relays: d.relays.set(r.relay, next.rs), now }, batches, changed.problems ?? [])
}

export const onEose = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => {
    const l = liveByWire(c, r.id)
    if (l !== undefined && c !== undefined && c.up) {
      if (l.status !== 'pending') return undefined
      return { rs: { ...setLive(rs, r.socket, c, { ...l, status: 'open', failures: 0 }), lastEose: now } }
    }
    const i = runIndex(rs, r.socket, r.id)
    if (i < 0) return undefined // a late EOSE of an attempt that is over: it answers nothing
    const run = rs.runs[i] as Run
    const cursors = run.cursors.map(nextPage(r.events ?? []))
    const filters = pageFilters(cursors)
    const paged = { ...rs, lastEose: now }
    if (filters.length > 0) {
      const sub: Subscription = { id: run.wire, slot: run.slot, filters }
      const batch: RelayBatch = {
        ...batchOf(rs, r.socket, 'keep', { closes: [], reqs: [['REQ', run.wire, ...filters]], history: [sub] }, [], liveSubscriptionBudget(rs.limits))
      }
      return { rs: setRun(paged, i, { ...run, cursors }), extra: [batch] }
    }
    const done = batchOf(rs, r.socket, 'keep', { closes: [run.wire], reqs: [], history: [] }, [], liveSubscriptionBudget(rs.limits))
    return { rs: setRun(paged, i, undefined), extra: [done] }
  })

export const onClosed = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => {
    const problem: EngineProblem = { code: 'closed', relay: rs.relay, socket: r.socket, message: r.text, ...(r.id === undefined ? {} : { value: r.id }) }
    const l = liveByWire(c, r.id)
    if (l !== undefined && c !== undefined && l.status !== 'failed') {
      const failures = l.failures + 1
      return { rs: setLive(rs, r.socket, c, { ...l, status: 'failed', mayBeOpen: false, failures, retryAt: now + backoff(d.options, failures) }), problems: [problem] }
    }
    const i = runIndex(rs, r.socket, r.id)
    if (i < 0) return undefined // a late CLOSED of an attempt that is over
    const run = rs.runs[i] as Run
    const failures = run.failures + 1
    return { rs: setRun(rs, i, { ...run, status: 'failed', socket: -1, mayBeOpen: false, failures, retryAt: now + backoff(d.options, failures) }), problems: [problem] }
  })

export const onTimeout = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => {
    if (c === undefined || !c.up) return undefined
    let changed = false
    const live = new Map(c.live)
    for (const l of c.live.values())
      if (l.status === 'pending' && (r.id === undefined || l.wire === r.id)) {
        live.set(l.slot, { ...l, status: 'failed', mayBeOpen: true, failures: l.failures + 1, retryAt: now })
        changed = true
      }
    const runs = rs.runs.map((x) => {
      if (x.socket !== r.socket || x.status !== 'pending' || (r.id !== undefined && x.wire !== r.id)) return x
      changed = true
      return { ...x, status: 'failed' as const, mayBeOpen: true, failures: x.failures + 1, retryAt: now }
    })
    return changed ? { rs: { ...setConn(rs, r.socket, { ...c, live }), runs } } : undefined
  })

export const onDisconnected = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => {
    const was = c ?? CLOSED_CONN
    const failures = was.failures + 1
    const runs = rs.runs.map((x) => (x.socket === r.socket ? { ...x, socket: -1, status: x.status === 'pending' ? ('queued' as const) : x.status, mayBeOpen: false } : x))
    const conn: Conn = { up: false, live: new Map(), failures, retryAt: now + backoff(d.options, failures) }
    return { rs: { ...setConn(rs, r.socket, conn), runs, resume: rs.resume || rs.lastEose !== undefined } }
  })

export const onConnected = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult =>
  withRelay(engine, d, r, now, (rs, c) => (c === undefined || c.failures === 0 ? undefined : { rs: setConn(rs, r.socket, { ...c, failures: 0 }) }))

export const onLimits = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult => {
  if (r.relay === undefined) return invalid(engine, 'Limits: `relay` is not a string')
  const checked = relayLimits(r.limits)
  const problems: Array<EngineProblem> = checked.problems.map((p) => ({ code: 'invalid-limits', relay: r.relay as string, message: `${p.field}: ${p.reason}`, value: p.value }))
  const limitsMap = d.limits.set(r.relay, checked.limits)
  const rs = d.relays.get(r.relay)
  if (rs === undefined) return result({ ...d, limits: limitsMap, now }, [], problems)
  // every history attempt stops (its REQ may break the new limits) and its job is laid out again
  const closes = new Map<number, Array<string>>()
  for (const run of rs.runs)
    if (run.socket >= 0 && (run.status === 'pending' || run.mayBeOpen)) closes.set(run.socket, [...(closes.get(run.socket) ?? []), run.wire])
  const jobs = rs.jobs.filter((j) => rs.runs.some((x) => x.job === j.id))
  let next = replan({ ...rs, limits: checked.limits, runs: [], jobs: [] }, d.options, problems)
  for (const j of jobs) next = addJob(next, j.target, j.since, j.discovery, problems)
  const out = reconcile(next, d.options, now, [], closes)
  // a connection with closes but nothing else to send still gets its CLOSEs
  const sent = new Set(out.batches.map((b) => b.socket))
  const extra: Array<RelayBatch> = []
  for (const [k, ids] of closes)
    if (!sent.has(k) && out.rs.conns[k]?.up === true)
      extra.push(batchOf(out.rs, k, 'keep', { closes: ids, reqs: [], history: [] }, [], liveSubscriptionBudget(checked.limits)))
  return result({ ...d, limits: limitsMap, relays: d.relays.set(r.relay, out.rs), now }, byRelay([...out.batches, ...extra]), problems)
}
