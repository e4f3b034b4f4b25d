/**
 * Reading the engine's state: when a relay counts as settled, and its status as plain data.
 *
 * @internal
 */
import type { LearnedLimits, RelayState } from './state.js'
import type { RelayStatus } from './types.js'
import { digest } from '../wire/batches.js'
import { healthState, paused, readHealthOptions, type HealthOptions } from './health.js'

const DEFAULT_HEALTH = readHealthOptions(undefined)

export const isSettledRelay = (rs: RelayState): boolean => {
  if (rs.runs.length > 0) return false
  for (let k = 0; k < Math.max(rs.plan.length, rs.conns.length); k++) {
    const want = rs.plan[k] ?? []
    const c = rs.conns[k]
    if (want.length === 0) {
      if (c !== undefined && c.up && c.live.size > 0) return false
      continue
    }
    if (c === undefined || !c.up || c.live.size !== want.length) return false
    for (const s of want) {
      const l = c.live.get(s.id)
      if (l === undefined || l.status !== 'open' || l.digest !== digest(s.filters)) return false
    }
  }
  return true
}

/** The earliest time a retry or a reconnect of the relay is due (`undefined`: none waits). */
export const nextDue = (rs: RelayState): number | undefined => {
  let due = Infinity
  for (let k = 0; k < rs.conns.length; k++) {
    const c = rs.conns[k]
    if (c === undefined) continue
    if (!c.up) {
      if ((rs.plan[k] ?? []).length > 0) due = Math.min(due, c.retryAt)
      continue
    }
    for (const l of c.live.values()) if (l.status === 'failed') due = Math.min(due, l.retryAt)
  }
  for (let k = rs.conns.length; k < rs.plan.length; k++) if ((rs.plan[k] ?? []).length > 0) due = Math.min(due, -Infinity)
  for (const r of rs.runs) if (r.status === 'failed') due = Math.min(due, r.retryAt)
  // a paused relay (backoff, cooling, parked) does nothing before its pause ends
  const h = rs.health
  if (h !== undefined && h.park !== undefined && Number.isFinite(h.until) && (due !== Infinity || rs.plan.some((p) => p.length > 0)))
    due = due === Infinity ? h.until : Math.max(due, h.until)
  return due === Infinity ? undefined : Math.max(0, due)
}

/** One relay's state as plain data. */
export const relayStatus = (rs: RelayState, learned: LearnedLimits | undefined, now = 0, ho: HealthOptions = DEFAULT_HEALTH): RelayStatus => {
  let open = 0
  let inFlight = 0
  const connections = rs.conns.map((c, socket) => {
    const history = rs.runs.filter((r) => r.socket === socket)
    const want = new Map((rs.plan[socket] ?? []).map((s) => [s.id, digest(s.filters)]))
    let o = 0
    let pending = 0
    for (const l of c.live.values()) {
      if (l.status === 'pending') pending++
      else if (l.status === 'open' && want.get(l.slot) === l.digest) o++
    }
    for (const r of history) if (r.status === 'pending') pending++
    open += o
    inFlight += pending
    return {
      socket,
      up: c.up,
      live: [...c.live.values()].map((l) => ({ slot: l.slot, id: l.wire, status: l.status })),
      history: history.map((r) => ({ slot: r.slot, id: r.wire, status: r.status })),
      inFlight: pending,
      open: o,
      failures: c.failures,
      reconnectAt: c.up ? undefined : Number.isFinite(c.retryAt) ? c.retryAt : undefined
    }
  })
  const settled = isSettledRelay(rs)
  return {
    relay: rs.relay,
    limits: rs.limits,
    lastEose: rs.lastEose,
    plan: rs.plan,
    overflow: rs.overflow,
    connections,
    queuedHistory: rs.runs.filter((r) => r.socket === -1).length,
    settled,
    connected: rs.conns.some((c) => c.up),
    subscriptions: rs.plan.reduce((n, p) => n + p.length, 0),
    open,
    inFlight,
    historyLeft: rs.runs.length,
    caughtUp: settled,
    nextDue: nextDue(rs),
    learned: { ...(learned ?? {}) },
    strategy: rs.strategy,
    connectionsNeeded: rs.connectionsNeeded,
    health: {
      state: healthState(rs.health, ho, now),
      failures: rs.health?.failures ?? 0,
      until: rs.health !== undefined && paused(rs.health, now) ? rs.health.until : undefined,
      reason: rs.health?.reason,
      auth: rs.health?.auth
    }
  }
}
