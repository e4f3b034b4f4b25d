/**
 * Reconciling one relay: the messages that bring every connection to its plan, attempt ids, and the batches they go out in.
 *
 * @internal
 */
import { option as O } from 'fp-ts'
import { liveSubscriptionBudget, type RelayLimits } from '../config/Limits.js'
import type { NostrFilter } from '../wire/Filters.js'
import type { RelayAction } from '../relays/RelayAction.js'
import type { RelayBatch, RelayPlan, Subscription, WireMessage } from '../wire/Wire.js'
import { digest } from '../wire/batches.js'
import { ID_PREFIX, idLength } from '../wire/layout.js'
import { sha256Hex } from '../util/hash.js'
import { compareStrings } from '../util/sorted.js'
import { pageFilter, reconnectSince, type PageCursor } from './Lifecycle.js'
import { addJob } from './plan.js'
import { addFilterJobs } from './filterJobs.js'
import { CLOSED_CONN, type Conn, type Options, type RelayState, type Run } from './state.js'
import type { EngineProblem, NegentropyOpen } from './types.js'
import { mergeOpens, openOf } from './negentropyPlan.js'
import { parked, paused, silenced } from './health.js'

/** The subscription id of one attempt: the namespace letter, then hex of SHA-256 of the slot and the attempt counter. */
export const attemptId = (namespace: 'l' | 'h', slot: string, seq: number, limits: RelayLimits): string =>
  `${ID_PREFIX}${namespace}${sha256Hex(`nip34-sync/engine ${slot} ${seq}`).slice(0, Math.max(1, idLength(limits) - ID_PREFIX.length - 1))}`

export const pageFilters = (cursors: ReadonlyArray<PageCursor>): Array<NostrFilter> => {
  const out: Array<NostrFilter> = []
  for (const c of cursors) {
    const f = pageFilter(c)
    if (O.isSome(f)) out.push(f.value)
  }
  return out
}

export interface Emit {
  readonly closes: Array<string>
  readonly reqs: Array<WireMessage>
  readonly history: Array<Subscription>
  /** NIP-77 sessions to open (negentropy.ts). */
  readonly neg?: Array<NegentropyOpen>
}

/**
 * Brings every connection of a relay to its plan: `CLOSE`s for what is not wanted and for
 * attempts that may still be open, `REQ`s (with fresh attempt ids) for what is not open with the
 * planned filters, history started where a connection has room, connections opened and closed.
 */
export const reconcile = (
  input: RelayState,
  o: Options,
  now: number,
  actions: ReadonlyArray<RelayAction>,
  extraCloses: ReadonlyMap<number, ReadonlyArray<string>> = new Map()
): { readonly rs: RelayState; readonly batches: Array<RelayBatch> } => {
  // a pause that is over ends here (the failure count stays until the relay answers)
  const h0 = input.health
  const health = h0 !== undefined && h0.park !== undefined && now >= h0.until ? { ...h0, park: undefined, until: -Infinity } : h0
  const rs: RelayState = health === h0 || health === undefined ? input : { ...input, health }
  /** Dead, naughty or auth failed: every connection closes. Backoff: none opens. Cooling: no `REQ` goes out. */
  const closing = parked(health, now)
  const waiting = paused(health, now)
  const quiet = silenced(health, now)
  const limits = rs.limits
  let seq = rs.seq
  const used = new Set<string>()
  for (const c of rs.conns) for (const l of c.live.values()) used.add(l.wire)
  for (const r of rs.runs) if (r.wire !== '') used.add(r.wire)
  const fresh = (ns: 'l' | 'h', slot: string): string => {
    let id: string
    do id = attemptId(ns, slot, ++seq, limits)
    while (used.has(id))
    used.add(id)
    return id
  }
  const runs: Array<Run> = [...rs.runs]
  const conns: Array<Conn> = [...rs.conns]
  const batches: Array<RelayBatch> = []
  let jobs = rs.jobs
  let resume = rs.resume
  const n = Math.max(rs.plan.length, conns.length)
  const budget = liveSubscriptionBudget(limits)
  for (let k = 0; k < n; k++) {
    const want = closing ? [] : (rs.plan[k] ?? [])
    let c = conns[k] ?? CLOSED_CONN
    const e: Emit = { closes: [...(extraCloses.get(k) ?? [])], reqs: [], history: [], neg: [] }
    if (want.length === 0) {
      if (c.up) {
        for (const l of [...c.live.values()].sort((a, b) => compareStrings(a.wire, b.wire)))
          if (l.status !== 'failed' || l.mayBeOpen) e.closes.push(l.wire)
        for (let i = 0; i < runs.length; i++) {
          const r = runs[i] as Run
          if (r.socket !== k) continue
          if (r.status === 'pending' || r.mayBeOpen) e.closes.push(r.wire)
          runs[i] = { ...r, socket: -1, status: r.status === 'pending' ? 'queued' : r.status, mayBeOpen: false }
        }
        batches.push(batchOf(rs, k, 'close', e, [], budget))
      }
      conns[k] = CLOSED_CONN
      continue
    }
    let opening = false
    if (!c.up) {
      if (now < c.retryAt || waiting) continue
      opening = true
      c = { ...c, up: true, live: new Map() }
      if (resume) {
        resume = false
        const since = reconnectSince(rs.lastEose, o.window)
        if (rs.target !== undefined && rs.limits.reservedSubscriptions > 0) {
          const sink: Array<EngineProblem> = []
          const withJob = addJob({ ...rs, jobs, runs }, rs.target, since, true, sink)
          jobs = withJob.jobs
          runs.push(...withJob.runs.slice(runs.length))
        }
        // kind 10317 discovery's subscriptions (discovery.ts): their history since the last EOSE too
        if ((rs.extra ?? []).length > 0) {
          const groups = (rs.extra ?? []).map((s) => s.filters.map(({ limit: _limit, ...f }) => ({ ...f, since })))
          const withJobs = addFilterJobs({ ...rs, jobs, runs }, groups, 'g:', false, [])
          jobs = withJobs.jobs
          runs.push(...withJobs.runs.slice(runs.length))
        }
      }
    }
    if (quiet && !opening) {
      if (e.closes.length > 0) batches.push(batchOf(rs, k, 'keep', e, [], budget))
      continue
    }
    const live = new Map(c.live)
    const wanted = new Set(want.map((s) => s.id))
    for (const l of [...live.values()].sort((a, b) => compareStrings(a.wire, b.wire)))
      if (!wanted.has(l.slot)) {
        if (l.status !== 'failed' || l.mayBeOpen) e.closes.push(l.wire)
        live.delete(l.slot)
      }
    for (const s of want) {
      const d = digest(s.filters)
      const l = live.get(s.id)
      if (l !== undefined && l.status !== 'failed' && l.digest === d) continue
      if (l !== undefined && l.status === 'failed' && l.retryAt > now) continue
      if (l !== undefined && l.status === 'open') {
        // nothing outstanding on this id: a REQ with it replaces the subscription (NIP-01)
        e.reqs.push(['REQ', l.wire, ...s.filters])
        live.set(s.id, { ...l, digest: d, status: 'pending', sentAt: now })
        continue
      }
      // an answer may still come for the old attempt: a new attempt, a new id
      if (l !== undefined && (l.status === 'pending' || l.mayBeOpen)) e.closes.push(l.wire)
      const wire = fresh('l', s.id)
      e.reqs.push(['REQ', wire, ...s.filters])
      live.set(s.id, { slot: s.id, wire, digest: d, status: 'pending', mayBeOpen: false, retryAt: 0, failures: l?.failures ?? 0, sentAt: now })
    }
    // history attempts of this connection that failed: close what may be open, put them back in the queue
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i] as Run
      if (r.socket !== k || r.status !== 'failed') continue
      if (r.mayBeOpen) e.closes.push(r.wire)
      runs[i] = { ...r, socket: -1, mayBeOpen: false }
    }
    let free = limits.reservedSubscriptions - runs.filter((r) => r.socket === k && r.status === 'pending').length
    for (let i = 0; i < runs.length && free > 0; i++) {
      const r = runs[i] as Run
      if (r.socket !== -1 || (r.status === 'failed' && r.retryAt > now)) continue
      const filters = pageFilters(r.cursors)
      if (filters.length === 0) {
        runs.splice(i--, 1)
        continue
      }
      const wire = fresh('h', r.slot)
      const open = openOf(r, wire)
      if (open !== undefined) e.neg?.push(open)
      else {
        e.reqs.push(['REQ', wire, ...filters])
        e.history.push({ id: wire, slot: r.slot, filters })
      }
      runs[i] = { ...r, status: 'pending', socket: k, wire, mayBeOpen: false, sentAt: now }
      free--
    }
    conns[k] = { ...c, live }
    if (opening || e.closes.length > 0 || e.reqs.length > 0 || (e.neg ?? []).length > 0)
      batches.push(batchOf({ ...rs, plan: rs.plan }, k, opening ? 'open' : 'keep', e, k === 0 ? actions : [], budget))
  }
  while (conns.length > rs.plan.length && !(conns[conns.length - 1] as Conn).up) conns.pop()
  const liveJobs = new Set(runs.map((r) => r.job))
  return { rs: { ...rs, conns, runs, jobs: jobs.filter((j) => liveJobs.has(j.id)), seq, resume }, batches }
}

export const batchOf = (
  rs: RelayState,
  socket: number,
  connection: RelayBatch['connection'],
  e: Emit,
  actions: ReadonlyArray<RelayAction>,
  budget: number
): RelayBatch => {
  const messages: Array<WireMessage> = [...e.closes.map((id): WireMessage => ['CLOSE', id]), ...e.reqs]
  const subs = connection === 'close' ? [] : (rs.plan[socket] ?? [])
  const last = socket === rs.plan.length - 1
  const plan: RelayPlan = {
    relay: rs.relay,
    subscriptions: subs,
    overflow: last ? rs.overflow : [],
    budget,
    folded: socket === 0 ? rs.folded : 0,
    overBudget: last ? rs.overflow.length : 0,
    problems: []
  }
  return {
    relay: rs.relay,
    connection,
    socket,
    actions,
    messages,
    awaiting: e.reqs.map((m) => m[1]),
    plan,
    history: e.history,
    problems: [],
    ...(e.neg !== undefined && e.neg.length > 0 ? { negentropy: e.neg } : {})
  }
}

/** Sorted by relay, then connection; two batches for one connection are merged (`CLOSE`s first). */
export const byRelay = (batches: Array<RelayBatch>): Array<RelayBatch> => {
  const out = new Map<string, RelayBatch>()
  for (const b of batches) {
    const key = `${b.socket} ${b.relay}`
    const a = out.get(key)
    if (a === undefined) {
      out.set(key, b)
      continue
    }
    const messages = [...a.messages, ...b.messages]
    const reqs = messages.filter((m) => m[0] === 'REQ')
    out.set(key, {
      ...b,
      connection: a.connection === 'keep' ? b.connection : a.connection,
      actions: [...a.actions, ...b.actions],
      messages: [...messages.filter((m) => m[0] === 'CLOSE'), ...reqs],
      awaiting: reqs.map((m) => m[1]),
      history: [...a.history, ...b.history],
      ...mergeOpens(a, b)
    })
  }
  return [...out.values()].sort((a, b) => compareStrings(a.relay, b.relay) || a.socket - b.socket)
}

/** A relay leaves: every connection closes (their subscriptions first). */
export const closeRelay = (rs: RelayState, o: Options, now: number): Array<RelayBatch> =>
  reconcile({ ...rs, target: undefined, plan: [], overflow: [] }, o, now, []).batches
