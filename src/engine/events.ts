/**
 * Steps that change what relays are asked for: a batch of events, purgatory (`Held`), and the clock (`Tick`).
 *
 * @internal
 */
import { option as O } from 'fp-ts'
import type { SyncConfig } from '../config/Config.js'
import { diff, type RelayAction } from '../relays/RelayAction.js'
import { deriveTargets } from '../derive/Targets.js'
import { relayTarget } from '../relays/RelayIndex.js'
import { applyBatch } from '../repo/RepoIndex.js'
import { addedTarget, type RelayBatch } from '../wire/Wire.js'
import { invalid, result, unchanged, type Read } from './input.js'
import { addJob, replan, split } from './plan.js'
import { byRelay, closeRelay, reconcile } from './reconcile.js'
import { expire } from './feedback.js'
import { reconnectSince } from './Lifecycle.js'
import { freshRelay, limitsOf, wrap, type EngineData } from './state.js'
import type { EngineProblem, StepResult, SyncEngine } from './types.js'
import { Map as IMap } from 'immutable'
import { notable, type Health } from './health.js'
import { negUse } from './negentropyPlan.js'
import { afterEvents, afterTick, merged, readsEvents } from './grasp01.js'
import { plainEvents } from './fetch.js'

export const onEvents = (d: EngineData, r: Read, now: number): StepResult => {
  if (r.events === undefined) return invalid(wrap(d), 'Events: `events` is not an array')
  const config = d.config as unknown as SyncConfig
  // one plain copy per element when fetching or discovery read the events too: they all see the same event (fetch.ts)
  const events = readsEvents(d) ? plainEvents(d.config, r.events) : r.events
  const applied = applyBatch(config, events, r.now === undefined ? {} : { now: r.now })(d.index)
  const desired = deriveTargets(config)(applied.index)
  const actions = diff(desired)(d.desired)
  const perRelay = new Map<string, Array<RelayAction>>()
  for (const a of actions) {
    const list = perRelay.get(a.relay)
    if (list === undefined) perRelay.set(a.relay, [a])
    else list.push(a)
  }
  const problems: Array<EngineProblem> = []
  const batches: Array<RelayBatch> = []
  let relays = d.relays
  let memory = d.memory
  let health = d.health ?? IMap<string, Health>()
  for (const [relay, list] of perRelay) {
    const target = O.toUndefined(relayTarget(relay)(desired))
    const before = relays.get(relay)
    if (target === undefined && before !== undefined && (before.extra ?? []).length > 0) {
      // still named by a maintainer's GRASP list (discovery.ts): its extra subscriptions stay
      const out = reconcile(replan({ ...before, target: undefined }, d.options, problems), d.options, now, list)
      batches.push(...out.batches)
      relays = relays.set(relay, out.rs)
      continue
    }
    if (target === undefined) {
      if (before !== undefined) batches.push(...closeRelay(before, d.options, now).map((b) => ({ ...b, actions: b.socket === 0 ? list : [] })))
      // a relay that leaves keeps its bad health: listed again, it does not start afresh
      if (notable(before?.health)) health = health.set(relay, before.health)
      relays = relays.delete(relay)
      continue
    }
    const kept = before === undefined ? health.get(relay) : undefined
    if (kept !== undefined) health = health.delete(relay)
    // a relay restored from a snapshot: its history resumes from its last EOSE
    const remembered = before === undefined ? memory.get(relay) : undefined
    if (remembered !== undefined) memory = memory.delete(relay)
    const since = remembered === undefined ? undefined : reconnectSince(remembered, d.options.window)
    let rs = replan({ ...(before ?? { ...freshRelay(relay, limitsOf(d, relay)), lastEose: remembered, ...(kept === undefined ? {} : { health: kept }), ...(negUse(d.negentropy?.get(relay), d.options.negentropy ?? 'auto') ? { negentropy: true } : {}) }), target: split(target, d.held) }, d.options, problems)
    for (const a of list) {
      const added = O.toUndefined(addedTarget(a))
      if (added !== undefined) rs = addJob(rs, split(added, d.held), since, a._tag === 'SpawnRelay', problems)
    }
    const next = reconcile(rs, d.options, now, list)
    batches.push(...next.batches)
    relays = relays.set(relay, next.rs)
  }
  // GRASP-01: what accepted events tag is fetched by id; kind 10317 discovery (grasp01.ts)
  const g = afterEvents({ ...d, index: applied.index, desired, relays, memory, health, now }, events, now, problems)
  return result(g.d, merged(byRelay(batches), g.batches), problems, applied.rejected)
}

/** Purgatory changed: relays with a repository that entered or left it are re-planned; what left it gets its full history. */
export const onHeld = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult => {
  if (r.repos === undefined) return invalid(engine, 'Held: `repos` is not a list of repository addresses')
  const held = new Set(r.repos)
  const changed = new Set<string>()
  for (const x of held) if (!d.held.has(x)) changed.add(x)
  for (const x of d.held) if (!held.has(x)) changed.add(x)
  if (changed.size === 0) return unchanged(engine)
  const problems: Array<EngineProblem> = []
  const batches: Array<RelayBatch> = []
  let relays = d.relays
  for (const [relay, rs] of d.relays) {
    const t = O.toUndefined(relayTarget(relay)(d.desired))
    if (t === undefined || !t.repos.some((x) => changed.has(x))) continue
    let next = replan({ ...rs, target: split(t, held) }, d.options, problems)
    const released = t.repos.filter((x) => d.held.has(x) && !held.has(x))
    if (released.length > 0) {
      const rootEvents: Record<string, ReadonlyArray<string>> = {}
      for (const x of released) if (t.rootEvents[x] !== undefined) rootEvents[x] = t.rootEvents[x] as ReadonlyArray<string>
      next = addJob(next, { relay, repos: released, rootEvents }, undefined, false, problems)
    }
    const out = reconcile(next, d.options, now, [])
    batches.push(...out.batches)
    relays = relays.set(relay, out.rs)
  }
  return result({ ...d, held, relays, now }, byRelay(batches), problems)
}

export const onTick = (d: EngineData, now: number): StepResult => {
  const batches: Array<RelayBatch> = []
  let relays = d.relays
  for (const [relay, rs] of d.relays) {
    const next = reconcile(expire(rs, d.options.requestTimeout, now), d.options, now, [])
    if (next.batches.length > 0 || next.rs.health !== rs.health) {
      batches.push(...next.batches)
      relays = relays.set(relay, next.rs)
    }
  }
  // GRASP-01: tagged values whose delay is over are fetched (grasp01.ts)
  const problems: Array<EngineProblem> = []
  const g = afterTick({ ...d, relays, now }, now, problems)
  return result(g.d, merged(byRelay(batches), g.batches), problems)
}

