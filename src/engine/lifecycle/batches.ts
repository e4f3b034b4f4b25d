/**
 * `nextBatches`: what to send next, per relay, from the desired targets and the state (live
 * subscriptions reconciled with what is open, history from the reconnect `since`) (internal;
 * public through `engine/Lifecycle.ts`).
 */
import { option as O } from 'fp-ts'
import { Map as IMap } from 'immutable'
import type { FilterTarget } from '../../wire/Filters.js'
import { limitsFor, type LimitsInput, type RelayLimits } from '../../config/Limits.js'
import type { RelayAction } from '../../relays/RelayAction.js'
import { addedTarget, type PlanProblem, type RelayBatch, type Subscription } from '../../wire/Wire.js'
import { historyPlan, reconcile, type OpenView } from '../../wire/batches.js'
import { livePlan } from '../../wire/layout.js'
import { asRecord, orElse } from '../../wire/match.js'
import { compareStrings, sortedUnique } from '../../util/sorted.js'
import { reconnectSince } from './paging.js'
import { GONE, type OpenSub, type SyncState, answered, attemptId, attemptOf, data, pendingDiff } from './state.js'
import { type SyncTargets, asTargets, isPresent, syncFilterTarget } from './targets.js'

// -------------------------------------------------------------------------------------------------
// batches
// -------------------------------------------------------------------------------------------------

/**
 * Everything a host does on one relay for one round of work: the one batch type
 * ({@link RelayBatch}) with the actions split by mode. Live messages only: its `history` is run
 * and paged by the host, at most `reservedSubscriptions` at a time, each confirmed when its paging
 * is done; `awaiting` holds the live `REQ` ids and (when the relay has room) the history ids; the
 * plan's `overflow` is not tracked (the engine, `step`, tracks it). The `plan` names each slot by
 * its plan id; the `messages` and `history` carry the ids of this attempt, which differ from the
 * plan ids once the relay has had a failure (see {@link nextBatches}).
 *
 * @example
 * import { emptySyncState, fromRelayTargets, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * assert.deepStrictEqual(batch?.awaiting.length, batch!.messages.length + batch!.history.length)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category model
 * @since 0.1.0
 */
export interface SyncBatch extends RelayBatch {
  /** The actions of the full index (`actions` holds these, then the state-only ones). */
  readonly full: ReadonlyArray<RelayAction>
  readonly stateOnly: ReadonlyArray<RelayAction>
}

/**
 * Options of {@link nextBatches}.
 *
 * @example
 * import { emptySyncState, fromRelayTargets, nextBatches, syncTargets, type NextBatchesOptions } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const options: NextBatchesOptions = { limits: { maxLimit: 100 }, reconnectWindow: 60 }
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * assert.strictEqual(F.pipe(emptySyncState, nextBatches(desired, options))[0]?.history[0]?.filters[0]?.limit, 100)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category model
 * @since 0.1.0
 */
export interface NextBatchesOptions {
  /** Limits for all relays, or per relay (default {@link defaultRelayLimits}). */
  readonly limits?: LimitsInput
  /** Seconds of overlap for a reconnect's history (default {@link DEFAULT_RECONNECT_WINDOW}). */
  readonly reconnectWindow?: number
}

/**
 * The default overlap of a reconnect's history: 15 minutes, wide enough for clock skew between
 * host and relay and for events that reach a relay late.
 *
 * @example
 * import { DEFAULT_RECONNECT_WINDOW, reconnectSince } from 'nip34-sync'
 *
 * assert.strictEqual(reconnectSince(1700000000, DEFAULT_RECONNECT_WINDOW), 1699999100)
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_RECONNECT_WINDOW = 900

/** The content the actions of one relay add, in both modes. */
const addedContent = (relay: string, full: ReadonlyArray<RelayAction>, stateOnly: ReadonlyArray<RelayAction>): FilterTarget => {
  const repos: Array<string> = []
  const roots: Record<string, Array<string>> = {}
  const held: Array<string> = []
  for (const a of full) {
    const t = O.toUndefined(addedTarget(a))
    if (t === undefined) continue
    repos.push(...t.repos)
    for (const [repo, ids] of Object.entries(t.rootEvents)) (roots[repo] ??= []).push(...ids)
  }
  for (const a of stateOnly) held.push(...(O.toUndefined(addedTarget(a))?.repos ?? []))
  const inFull = new Set(repos)
  return { relay, repos: sortedUnique(repos), rootEvents: roots, stateOnly: sortedUnique(held.filter((r) => !inFull.has(r))) }
}

/** Splits `t` into the part `known` already had and the rest. */
const splitKnown = (t: FilterTarget, known: FilterTarget): readonly [FilterTarget, FilterTarget] => {
  const knownRepos = new Set<string>([...known.repos, ...(known.stateOnly ?? [])])
  const knownRoots = new Set<string>(Object.values(known.rootEvents).flat())
  const pick = (keep: boolean): FilterTarget => {
    const rootEvents: Record<string, ReadonlyArray<string>> = {}
    for (const [repo, ids] of Object.entries(t.rootEvents)) {
      const chosen = ids.filter((id) => knownRoots.has(id) === keep)
      if (chosen.length > 0) rootEvents[repo] = chosen
    }
    return {
      relay: t.relay,
      repos: t.repos.filter((r) => knownRepos.has(r) === keep),
      rootEvents,
      stateOnly: (t.stateOnly ?? []).filter((r) => knownRepos.has(r) === keep)
    }
  }
  return [pick(true), pick(false)]
}

const historyOf = (target: FilterTarget, since: number | undefined, limits: RelayLimits, withDiscovery: boolean) =>
  historyPlan(target, since, limits, withDiscovery)

/** Problems in order, each once. */
const uniqueProblems = (problems: ReadonlyArray<PlanProblem>): ReadonlyArray<PlanProblem> => {
  const seen = new Set<string>()
  return problems.filter((p) => {
    const key = `${p.code} ${p.value ?? ''} ${p.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}


/** What the differ sees of a relay's subscriptions: those that may be open (closed by the relay: not). */
const openView = (open: IMap<string, OpenSub>): OpenView => ({
  get: (id) => {
    const e = open.get(id)
    return e === undefined || e.digest === GONE ? undefined : e.digest
  },
  ids: () => open.filter((e) => e.digest !== GONE).keys()
})

/**
 * The batches of the next round: for every relay with pending work ({@link pendingDiff}) or with
 * subscriptions in an unknown state (after {@link fail}), the live messages that bring its open
 * subscriptions to the plan of its desired target, and the history subscriptions for what is
 * added. History `since`: after a dropped connection ({@link disconnected}), what the relay had
 * before resumes from {@link reconnectSince}; anything new is fetched from the beginning. Relays
 * with a batch in flight get nothing. Sorted by relay.
 *
 * Ids: a live subscription that is open and answered keeps its id (a `REQ` under it replaces it,
 * NIP-01). Anything else (a slot never sent, one whose attempt failed, one the relay closed) is a
 * new attempt: in a relay's first attempt its id is the plan id; after a {@link fail},
 * {@link closed} or {@link disconnected}, an id derived from the plan id and the relay's attempt
 * counter, of the same length. The ids of a failed attempt that the relay may still hold are
 * `CLOSE`d first. History ids are derived the same way. So a retry never awaits an id of the
 * attempt that failed (issue 9.4). Total: `options` that is not an object
 * counts as `{}` (a `reconnectWindow` that is not a number of seconds ≥ 0 resumes from the
 * beginning, as {@link reconnectSince} says).
 *
 * @example
 * import { emptySyncState, fromRelayTargets, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * assert.strictEqual(batch?.connection, 'open')
 * assert.deepStrictEqual(batch?.messages[0]?.slice(2), [{ kinds: [30617, 10317], limit: 0 }])
 * assert.deepStrictEqual(batch?.history[0]?.filters, [{ kinds: [30617, 10317], limit: 500 }])
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category combinators
 * @since 0.1.0
 */
export const nextBatches =
  (desired: SyncTargets, options: NextBatchesOptions = {}) =>
  (state: SyncState): ReadonlyArray<SyncBatch> =>
    orElse(() => batchesFor(desired, options, state), () => [])

const batchesFor = (desired: SyncTargets, options: NextBatchesOptions, state: SyncState): ReadonlyArray<SyncBatch> => {
    const d = data(state)
    const targets = asTargets(desired)
    const o: { readonly [key: string]: unknown } = asRecord(options) ?? {}
    const work = pendingDiff(targets)(state)
    const byRelay = new Map<string, { full: Array<RelayAction>; stateOnly: Array<RelayAction> }>()
    const entry = (relay: string) => {
      let e = byRelay.get(relay)
      if (e === undefined) byRelay.set(relay, (e = { full: [], stateOnly: [] }))
      return e
    }
    for (const a of work.full) entry(a.relay).full.push(a)
    for (const a of work.stateOnly) entry(a.relay).stateOnly.push(a)
    for (const [relay, subs] of d.open) if (!d.inFlight.has(relay) && subs.some((e) => !answered(e))) entry(relay)
    const limitsOf = limitsFor(o['limits'] as LimitsInput | undefined)
    const window = (o['reconnectWindow'] ?? DEFAULT_RECONNECT_WINDOW) as number
    const out: Array<SyncBatch> = []
    for (const relay of [...byRelay.keys()].sort(compareStrings)) {
      const { full, stateOnly } = byRelay.get(relay) as { full: Array<RelayAction>; stateOnly: Array<RelayAction> }
      const limits = limitsOf(relay)
      const target = O.toUndefined(syncFilterTarget(relay)(targets))
      const plan = livePlan(relay, target, limits)
      const open = d.open.get(relay) ?? IMap<string, OpenSub>()
      // ids: a slot open and answered keeps its id (a REQ under it replaces it, NIP-01); any other
      // slot (never sent, failed, closed by the relay) is a new attempt under a new id
      const attempt = attemptOf(d, relay)
      const used = new Set<string>(open.keys())
      const fresh = (slot: string): string => {
        let id = attemptId(slot, attempt, 0)
        for (let k = 1; used.has(id); k++) id = attemptId(slot, attempt, k)
        used.add(id)
        return id
      }
      const current = new Map<string, string>()
      for (const [id, e] of open) if (answered(e) && !(compareStrings(current.get(e.slot) ?? id, id) < 0)) current.set(e.slot, id)
      const wanted = plan.subscriptions.map((s) => ({ ...s, id: current.get(s.id) ?? fresh(s.id) }))
      const messages = reconcile(openView(open), wanted)
      const was = isPresent(d.applied, relay) || d.open.has(relay)
      const connection = target === undefined ? 'close' : was ? 'keep' : 'open'
      let history: ReadonlyArray<Subscription> = []
      const historyProblems: Array<PlanProblem> = []
      if (target !== undefined) {
        const added = addedContent(relay, full, stateOnly)
        const resume = d.resume.get(relay)
        // a relay new to the applied targets (first connection, reconnection, or a spawn that failed) gets discovery history
        const opening = !isPresent(d.applied, relay)
        const resumeSince = resume === undefined ? 0 : reconnectSince(resume.at, window)
        const parts =
          opening && resume !== undefined && resumeSince > 0
            ? (([known, fresh]) => [historyOf(known, resumeSince, limits, true), historyOf(fresh, undefined, limits, false)])(
                splitKnown(added, resume.target)
              )
            : [historyOf(added, undefined, limits, opening)]
        history = parts.flatMap((p) => p.subscriptions).map((s) => {
          const id = fresh(s.id)
          return id === s.id ? s : { ...s, id }
        })
        for (const p of parts) historyProblems.push(...p.problems)
      }
      // a relay that allows a single subscription leaves no room for history: it is not awaited
      const room = limits.reservedSubscriptions > 0
      if (!room && history.length > 0)
        historyProblems.push({
          code: 'no-history-room',
          message: `the relay allows ${limits.maxSubscriptions} subscription(s) and the live plan uses them: the history is not awaited (fetch it on another connection)`
        })
      const awaiting = sortedUnique([...messages.filter((m) => m[0] === 'REQ').map((m) => m[1]), ...(room ? history.map((s) => s.id) : [])])
      const problems = uniqueProblems([...plan.problems, ...historyProblems])
      out.push({ relay, connection, socket: 0, actions: [...full, ...stateOnly], full, stateOnly, messages, history, awaiting, plan, problems })
    }
    return out
  }
