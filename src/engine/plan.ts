/**
 * Planning one relay: its live plan cut over connections, and the history jobs it queues.
 *
 * @internal
 */
import type { FilterTarget } from '../wire/Filters.js'
import { liveSubscriptionBudget } from '../config/Limits.js'
import type { RelayTarget } from '../relays/RelayIndex.js'
import type { Subscription } from '../wire/Wire.js'
import { historyPlan } from '../wire/batches.js'
import { planLive } from './slots.js'
import { startPaging } from './Lifecycle.js'
import { toSessions } from './negentropyPlan.js'
import { queuedRun, type Options, type RelayState, type Run } from './state.js'
import type { EngineProblem } from './types.js'

export const freezeSubscription = (s: Subscription): Subscription => {
  for (const f of s.filters) {
    for (const v of Object.values(f)) if (Array.isArray(v)) Object.freeze(v)
    Object.freeze(f)
  }
  Object.freeze(s.filters)
  return Object.freeze(s)
}

/**
 * The live plan of a target, cut over up to `maxConnections` connections of one budget each.
 * The layout follows the change from the previous one (`slots.ts`); a subscription stays on the
 * connection it was on, and new ones go to the first connection with room, so a change sends
 * only the subscriptions it changed, never a shift of the others from one connection to the next.
 */
export const replan = (rs: RelayState, o: Options, problems: Array<EngineProblem>): RelayState => {
  const budget = liveSubscriptionBudget(rs.limits)
  const total = budget * o.maxConnections
  // a relay only kind 10317 discovery names: its extra subscriptions alone (discovery.ts)
  if (rs.target === undefined) return { ...rs, plan: (rs.extra ?? []).length === 0 ? [] : assign(rs.plan, (rs.extra ?? []).slice(0, total), budget, o.maxConnections), overflow: [], folded: 0, slots: undefined }
  // frozen (deeply): a plan is shared with the host, and its digests are remembered per filters array
  const l = planLive(rs.slots, rs.target, rs.limits, total, freezeSubscription, o.strategy)
  for (const p of l.problems) {
    if (p.code === 'over-budget')
      problems.push({
        code: 'over-budget',
        relay: rs.relay,
        message: `${l.subscriptions.length + l.overflow.length} live subscriptions needed; ${o.maxConnections} connection(s) of ${budget} hold ${total}: the last ${l.overflow.length} are not asked for (raise maxConnectionsPerRelay, or the relay's limits)`
      })
    else problems.push({ ...p, relay: rs.relay })
  }
  const needed = Math.max(1, Math.ceil((l.subscriptions.length + l.overflow.length) / Math.max(1, budget)))
  // discovery's extra subscriptions after the layout's, within what the connections still hold
  const extra = (rs.extra ?? []).slice(0, Math.max(0, total - l.subscriptions.length))
  return { ...rs, plan: assign(rs.plan, extra.length === 0 ? l.subscriptions : [...l.subscriptions, ...extra], budget, o.maxConnections), overflow: l.overflow, folded: l.folded, slots: l.slots, strategy: l.strategy, connectionsNeeded: needed }
}

/**
 * Subscriptions (in key order, at most `budget × connections`) cut over connections: each one on
 * the connection it was on in `before` while that has room, the rest on the first with room.
 * Each connection's list keeps the key order.
 */
export const assign = (
  before: ReadonlyArray<ReadonlyArray<Subscription>>,
  subs: ReadonlyArray<Subscription>,
  budget: number,
  connections: number
): ReadonlyArray<ReadonlyArray<Subscription>> => {
  const was = new Map<string, number>()
  before.forEach((list, k) => {
    for (const s of list) was.set(s.id, k)
  })
  const count: Array<number> = []
  const at = new Map<string, number>()
  for (const s of subs) {
    const k = was.get(s.id)
    if (k !== undefined && k < connections && (count[k] ?? 0) < budget) {
      at.set(s.id, k)
      count[k] = (count[k] ?? 0) + 1
    }
  }
  let k = 0
  for (const s of subs) {
    if (at.has(s.id)) continue
    while ((count[k] ?? 0) >= budget) k++
    at.set(s.id, k)
    count[k] = (count[k] ?? 0) + 1
  }
  const plan: Array<Array<Subscription>> = []
  for (const s of subs) {
    const c = at.get(s.id) as number
    while (plan.length <= c) plan.push([])
    ;(plan[c] as Array<Subscription>).push(s)
  }
  return plan.map((list) => Object.freeze(list))
}

/** Queues the history of `target` from `since` as a new job. */
export const addJob = (rs: RelayState, target: FilterTarget, since: number | undefined, discovery: boolean, problems: Array<EngineProblem>): RelayState => {
  const h = historyPlan(target, since, rs.limits, discovery, rs.strategy)
  if (h.subscriptions.length === 0) return rs
  if (rs.limits.reservedSubscriptions === 0) {
    problems.push({
      code: 'no-history-room',
      relay: rs.relay,
      message: `the relay allows ${rs.limits.maxSubscriptions} subscription(s) and the live plan uses them: its history is not fetched`
    })
    return rs
  }
  for (const p of h.problems) if (p.code !== 'invalid-repo' && p.code !== 'invalid-root-id') problems.push({ ...p, relay: rs.relay })
  const id = rs.jobs.reduce((m, j) => Math.max(m, j.id), 0) + 1
  const runs: Array<Run> = h.subscriptions.map((s) => queuedRun(id, s.id, s.filters.map((f) => startPaging(f, rs.limits))))
  // NIP-77: a relay whose history uses negentropy gets one session per filter (negentropy.ts)
  return { ...rs, jobs: [...rs.jobs, { id, target, since, discovery }], runs: [...rs.runs, ...(rs.negentropy === true ? toSessions(runs, rs.limits) : runs)] }
}

/** A relay's target with the repositories in purgatory moved to `stateOnly` (without their root events). */
export const split = (t: RelayTarget | FilterTarget, held: ReadonlySet<string>): FilterTarget => {
  if (held.size === 0 || !t.repos.some((r) => held.has(r))) return t
  const rootEvents: Record<string, ReadonlyArray<string>> = {}
  for (const [repo, ids] of Object.entries(t.rootEvents)) if (!held.has(repo)) rootEvents[repo] = ids
  return { relay: t.relay, repos: t.repos.filter((r) => !held.has(r)), rootEvents, stateOnly: t.repos.filter((r) => held.has(r)) }
}
