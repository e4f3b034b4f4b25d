/**
 * The reducers of the state: `markSent`, `confirm`, `fail`, `closed`, `disconnected`; every answer
 * belongs to one attempt (internal; public through `engine/Lifecycle.ts`).
 */
import { option as O } from 'fp-ts'
import { Map as IMap, Set as ISet } from 'immutable'
import type { NostrFilter } from '../../wire/Filters.js'
import { applyActions, type RelayAction } from '../../relays/RelayAction.js'
import type { WireMessage } from '../../wire/Wire.js'
import { UNKNOWN, digest } from '../../wire/batches.js'
import { asArray, asRecord, isString, orElse, stringsIn } from '../../wire/match.js'
import type { SyncBatch } from './batches.js'
import { validTime } from './paging.js'
import {
  GONE,
  answered,
  attemptId,
  attemptOf,
  bumped,
  data,
  wrap,
  type InFlightData,
  type OpenSub,
  type StateData,
  type SyncState
} from './state.js'
import { isPresent, syncFilterTarget, syncTargets } from './targets.js'

// -------------------------------------------------------------------------------------------------
// transitions
// -------------------------------------------------------------------------------------------------

const complete = (d: StateData, relay: string, f: InFlightData, at: number | undefined): StateData => {
  const applied = syncTargets(applyActions(f.full)(d.applied.full), applyActions(f.stateOnly)(d.applied.stateOnly))
  const present = isPresent(applied, relay)
  const time = validTime(at)
  return {
    ...d,
    applied,
    inFlight: d.inFlight.delete(relay),
    open: present ? d.open : d.open.delete(relay),
    confirmedAt: !present ? d.confirmedAt.delete(relay) : time === undefined ? d.confirmedAt : d.confirmedAt.set(relay, time),
    resume: d.resume.delete(relay),
    attempts: present ? d.attempts : d.attempts.delete(relay)
  }
}

const CONNECTIONS: ReadonlySet<unknown> = new Set(['open', 'keep', 'close'])
const TAGS: ReadonlySet<unknown> = new Set(['SpawnRelay', 'AddFilters', 'RemoveFilters', 'CloseRelay'])

const isActionLike = (u: unknown): u is RelayAction => {
  const r = asRecord(u)
  return r !== undefined && TAGS.has(r['_tag']) && typeof r['relay'] === 'string'
}

const isMessage = (u: unknown): u is WireMessage => Array.isArray(u) && (u[0] === 'REQ' || u[0] === 'CLOSE') && typeof u[1] === 'string'

/**
 * A value given as a batch: `undefined` unless it is an object with a string `relay` and a
 * `connection` of `open`, `keep` or `close`; then its lists, with anything in them that is not an
 * action, a message or a string id left out (a list that is not an array is empty).
 */
const asBatch = (u: unknown): ReturnType<typeof readBatch> => orElse(() => readBatch(u), () => undefined)

const readBatch = (
  u: unknown
):
  | (Pick<SyncBatch, 'relay' | 'connection' | 'full' | 'stateOnly' | 'messages' | 'awaiting'> & {
      /** The plan ids of the live plan's subscriptions (`undefined`: the batch has no plan). */
      readonly slots: ReadonlyArray<string> | undefined
    })
  | undefined => {
  const r = asRecord(u)
  if (r === undefined || typeof r['relay'] !== 'string' || !CONNECTIONS.has(r['connection'])) return undefined
  const plan = asRecord(r['plan'])
  const subs = plan?.['subscriptions']
  return {
    relay: r['relay'],
    connection: r['connection'] as SyncBatch['connection'],
    full: asArray(r['full']).filter(isActionLike),
    stateOnly: asArray(r['stateOnly']).filter(isActionLike),
    messages: asArray(r['messages']).filter(isMessage),
    awaiting: stringsIn(r['awaiting']),
    slots: Array.isArray(subs) ? subs.map((x) => asRecord(x)?.['id']).filter(isString) : undefined
  }
}

/**
 * Records that a batch was sent: its live messages update the subscriptions open on the relay,
 * and it waits in flight for its `awaiting` ids. A batch that awaits nothing (only `CLOSE`s, or
 * nothing to send) is applied at once. A second batch for a relay already in flight joins it.
 * The batch's `plan` tells which slot each id of this attempt belongs to, so that a slot keeps
 * its id while it stays open (a batch without a plan: each id is its own slot).
 * Total: a value that is not a batch (an object with a string `relay` and a `connection` of
 * `open`, `keep` or `close`) leaves the state as it is; elements of its lists that are not
 * actions, messages or string ids are left out.
 *
 * @example
 * import { emptySyncState, fromRelayTargets, inFlight, markSent, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * const state = F.pipe(emptySyncState, markSent(batch!))
 * assert.strictEqual(inFlight(state)[0]?.awaiting.length, 2)
 * assert.deepStrictEqual(F.pipe(state, nextBatches(desired)), [])
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category reducers
 * @since 0.1.0
 */
export const markSent =
  (batch: SyncBatch) =>
  (state: SyncState): SyncState => {
    const b = asBatch(batch)
    if (b === undefined) return state
    const d = data(state)
    const relay = b.relay
    let subs = d.open.get(relay) ?? IMap<string, OpenSub>()
    // the slot of each id: plan ids and their ids in this attempt (anything else is its own slot)
    const attempt = attemptOf(d, relay)
    const slotOf = new Map<string, string>()
    for (const slot of b.slots ?? []) {
      slotOf.set(slot, slot)
      slotOf.set(attemptId(slot, attempt, 0), slot)
    }
    const sent: Array<string> = []
    const reqSlots = new Set<string>()
    for (const m of b.messages) {
      if (m[0] === 'CLOSE') subs = subs.delete(m[1])
      else {
        const slot = slotOf.get(m[1]) ?? subs.get(m[1])?.slot ?? m[1]
        subs = subs.set(m[1], { digest: digest(m.slice(2) as ReadonlyArray<NostrFilter>), slot })
        reqSlots.add(slot)
        sent.push(m[1])
      }
    }
    // a slot the relay closed is settled by a batch that sends it again or no longer plans it
    const planned = b.slots === undefined ? undefined : new Set(b.slots)
    subs = subs.filter((e) => e.digest !== GONE || !(reqSlots.has(e.slot) || (planned !== undefined && !planned.has(e.slot))))
    const open = b.connection === 'close' || subs.size === 0 ? d.open.delete(relay) : d.open.set(relay, subs)
    const prior = d.inFlight.get(relay)
    const f: InFlightData = {
      full: [...(prior?.full ?? []), ...b.full],
      stateOnly: [...(prior?.stateOnly ?? []), ...b.stateOnly],
      awaiting: (prior?.awaiting ?? ISet<string>()).union(b.awaiting),
      sent: [...(prior?.sent ?? []), ...sent]
    }
    const next: StateData = { ...d, open }
    return wrap(f.awaiting.size === 0 ? complete(next, relay, f, undefined) : { ...next, inFlight: next.inFlight.set(relay, f) })
  }

/**
 * Records the `EOSE` of one awaited subscription (or the end of a history subscription's paging)
 * at the host's time `at` (seconds). When the last awaited id of the relay's batch is confirmed,
 * the batch's actions become applied and `at` becomes the relay's {@link lastConfirmed}. An id
 * that is not awaited by the relay's batch in flight changes nothing (a late `EOSE` of a failed
 * attempt names an id of that attempt, never one of its retry), nor does a `relay` or `id` that
 * is not a string; an `at`
 * that is not a time in seconds (see {@link reconnectSince}) applies the batch without recording
 * a time.
 *
 * @example
 * import { appliedTargets, confirm, emptySyncState, fromRelayTargets, inFlight, markSent, nextBatches, syncTargets, eqSyncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * const state = batch!.awaiting.reduce((s, id) => confirm('wss://r.example', id, 1700000000)(s), markSent(batch!)(emptySyncState))
 * assert.deepStrictEqual(inFlight(state), [])
 * assert.strictEqual(eqSyncTargets.equals(appliedTargets(state), desired), true)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category reducers
 * @since 0.1.0
 */
export const confirm =
  (relay: string, id: string, at: number) =>
  (state: SyncState): SyncState => {
    if (typeof relay !== 'string' || typeof id !== 'string') return state
    const d = data(state)
    const f = d.inFlight.get(relay)
    if (f === undefined || !f.awaiting.has(id)) return state
    const awaiting = f.awaiting.delete(id)
    if (awaiting.size > 0) return wrap({ ...d, inFlight: d.inFlight.set(relay, { ...f, awaiting }) })
    return wrap(complete(d, relay, f, at))
  }

/**
 * Records that a relay's batch failed (a `CLOSED` of one of its subscriptions, a timeout, a
 * `NOTICE` refusing it): the batch leaves the flight and its work comes back in the next
 * {@link nextBatches}; the subscriptions it sent are marked unknown, so they are closed next time,
 * and sent again under new ids if still wanted; the relay's attempt counter is bumped, so the
 * retry's live and history ids all differ from this batch's (a late `EOSE` or `CLOSED` of this
 * attempt cannot confirm or fail the retry). With an `id` (the subscription a `CLOSED` names),
 * only a batch that awaits or sent that id fails: a late `CLOSED` of an older batch leaves the
 * current one alone (use {@link closed} for it). No batch in flight, a `relay` that is not a string, or an `id` given
 * that is not a string: nothing changes.
 *
 * @example
 * import { emptySyncState, fail, fromRelayTargets, inFlight, markSent, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * const sent = markSent(batch!)(emptySyncState)
 * assert.strictEqual(fail('wss://r.example', 'n34lnot-of-this-batch')(sent), sent)
 * const state = F.pipe(sent, fail('wss://r.example'))
 * assert.deepStrictEqual(inFlight(state), [])
 * const [retry] = F.pipe(state, nextBatches(desired))
 * // the retry awaits none of the failed batch's ids: their late answers match nothing
 * assert.strictEqual(retry!.awaiting.some((id) => batch!.awaiting.includes(id)), false)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category reducers
 * @since 0.1.0
 */
export const fail =
  (relay: string, id?: string) =>
  (state: SyncState): SyncState => {
    if (typeof relay !== 'string' || (id !== undefined && typeof id !== 'string')) return state
    const d = data(state)
    const f = d.inFlight.get(relay)
    if (f === undefined) return state
    if (id !== undefined && !f.awaiting.has(id) && !f.sent.includes(id)) return state
    const subs = d.open.get(relay) ?? IMap<string, OpenSub>()
    const marked = subs.withMutations((m) => {
      for (const sent of f.sent) m.set(sent, { digest: UNKNOWN, slot: m.get(sent)?.slot ?? sent })
    })
    return wrap({
      ...d,
      inFlight: d.inFlight.delete(relay),
      open: marked.size === 0 ? d.open.delete(relay) : d.open.set(relay, marked),
      attempts: bumped(d, relay)
    })
  }

/**
 * Records a relay's `CLOSED` for one subscription, whenever it comes. While the relay's batch in
 * flight still awaits that id, the batch fails ({@link fail}). Otherwise, when the id is open and
 * answered (a live subscription already confirmed, say after the relay restarted it), it is
 * marked closed and the relay's attempt counter is bumped: the next {@link nextBatches} sends that
 * slot again under a new id (no `CLOSE`: the relay closed it), once nothing is in flight. Any
 * other id (one of a failed attempt, a history subscription already done, an id never sent), a
 * `relay` or `id` that is not a string: nothing changes.
 *
 * @example
 * import { closed, confirm, emptySyncState, fromRelayTargets, markSent, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * const synced = batch!.awaiting.reduce((s, id) => confirm('wss://r.example', id, 1700000000)(s), markSent(batch!)(emptySyncState))
 * assert.deepStrictEqual(F.pipe(synced, nextBatches(desired)), [])
 * const [, live, ...filters] = batch!.messages[0]!
 * const [again] = F.pipe(synced, closed('wss://r.example', live), nextBatches(desired))
 * const [tag, id, ...refiltered] = again!.messages[0]!
 * assert.deepStrictEqual([tag, refiltered], ['REQ', filters])
 * assert.notStrictEqual(id, live)
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category reducers
 * @since 0.1.0
 */
export const closed =
  (relay: string, id: string) =>
  (state: SyncState): SyncState => {
    if (typeof relay !== 'string' || typeof id !== 'string') return state
    const d = data(state)
    const failed = d.inFlight.get(relay)?.awaiting.has(id) === true ? data(fail(relay, id)(state)) : undefined
    const subs = (failed ?? d).open.get(relay)
    const e = subs?.get(id)
    if (failed !== undefined) return wrap(subs === undefined || e === undefined ? failed : { ...failed, open: failed.open.set(relay, subs.set(id, { ...e, digest: GONE })) })
    if (subs === undefined || e === undefined || !answered(e)) return state
    return wrap({ ...d, open: d.open.set(relay, subs.set(id, { ...e, digest: GONE })), attempts: bumped(d, relay) })
  }

/**
 * Records that a relay's connection dropped: its subscriptions are gone, its batch in flight is
 * dropped, and it leaves the applied targets, so the next {@link nextBatches} opens it again.
 * What it had is remembered, so that its history resumes from {@link reconnectSince} of its last
 * confirmation instead of from the beginning. The relay's attempt counter is bumped: what is
 * sent on the new connection goes under new ids, so a late answer read from the old one matches
 * nothing. A `relay` that is not a string leaves the state as it is.
 *
 * @example
 * import { confirm, disconnected, emptySyncState, fromRelayTargets, markSent, nextBatches, syncTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = syncTargets(fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * const [batch] = F.pipe(emptySyncState, nextBatches(desired))
 * const synced = batch!.awaiting.reduce((s, id) => confirm('wss://r.example', id, 1700000000)(s), markSent(batch!)(emptySyncState))
 * const [again] = F.pipe(synced, disconnected('wss://r.example'), nextBatches(desired))
 * assert.strictEqual(again?.connection, 'open')
 * assert.deepStrictEqual(again?.history[0]?.filters, [{ kinds: [30617, 10317], since: 1700000000 - 900, limit: 500 }])
 *
 * @deprecated Since 0.2.0: the sync engine (`syncEngine`, `step`) owns this state, tracks every
 * connection a relay needs and gives each attempt its own ids. Kept working for 0.1 hosts.
 * @category reducers
 * @since 0.1.0
 */
export const disconnected =
  (relay: string) =>
  (state: SyncState): SyncState => {
    if (typeof relay !== 'string') return state
    const d = data(state)
    const had = O.toUndefined(syncFilterTarget(relay)(d.applied))
    const close: ReadonlyArray<RelayAction> = [{ _tag: 'CloseRelay', relay }]
    const known = had !== undefined || d.inFlight.has(relay) || d.open.has(relay) || d.attempts.has(relay)
    return wrap({
      ...d,
      applied: syncTargets(applyActions(close)(d.applied.full), applyActions(close)(d.applied.stateOnly)),
      inFlight: d.inFlight.delete(relay),
      open: d.open.delete(relay),
      resume: had === undefined ? d.resume : d.resume.set(relay, { target: had, at: d.confirmedAt.get(relay) }),
      attempts: known ? bumped(d, relay) : d.attempts
    })
  }
