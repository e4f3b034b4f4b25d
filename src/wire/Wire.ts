/**
 * The wire plan: what a host sends each relay, as plain data. A {@link RelayPlan} is the set of
 * live subscriptions one relay target needs; {@link planActions} turns {@link RelayAction}s into
 * the `REQ` and `CLOSE` messages that move a relay from one plan to the next.
 *
 * How a target is cut into subscriptions (the full rule, with reasons, is in `docs/wire.md`):
 *
 * - **Slots.** Each repository and each root event id has a 256-bit key (SHA-256 of the address;
 *   the id itself). A binary trie over the keys cuts them into slots: a slot is the largest key
 *   prefix whose filters fit one `REQ` under the relay's {@link RelayLimits} (filters per `REQ`,
 *   bytes per message, values per list). Adding a repository or a root event changes only the slot
 *   its key falls in; every other subscription stays as it is and is never re-sent.
 * - **Ids.** A subscription id is `n34` + a namespace letter (`l` live, `h` history) + hex of
 *   SHA-256 of the slot name, at most 28 characters (and never above `maxSubIdLength`). A slot keeps
 *   its id while its content changes, so a changed slot is one `REQ` that replaces the old one
 *   (NIP-01); a slot that splits or merges is a `CLOSE` and new `REQ`s.
 * - **Discovery** has a subscription of its own, first, which never changes.
 * - **Folding.** When the slots need more than the live budget (`maxSubscriptions -
 *   reservedSubscriptions`), neighbouring slots that share their first `D` key bits are merged
 *   while the merge still fits one `REQ`, for the deepest `D` whose count fits. If even that is not
 *   enough, the subscriptions beyond the budget go to the plan's `overflow` (for a second
 *   connection) and are reported: nothing is dropped, and nothing is sent over the budget.
 *
 * Messages are `['REQ', id, ...filters]` and `['CLOSE', id]`. Within one relay, `CLOSE`s come
 * first, so a connection never holds more subscriptions than the new plan.
 *
 * Every function is total: a target that is not an object gives an empty plan (no
 * subscriptions), a relay that is not a string is in no index, values that are not actions,
 * subscriptions or messages are skipped. Nothing throws, nothing is mutated.
 *
 * @since 0.1.0
 */
import { option as O } from 'fp-ts'
import type { FilterTarget } from './Filters.js'
import { limitsFor, relayLimits, type LimitsInput, type RelayLimits } from '../config/Limits.js'
import { applyActions, type RelayAction } from '../relays/RelayAction.js'
import { relayTarget, type RelayIndex, type RelayTarget } from '../relays/RelayIndex.js'
import { canonicalRelay, type RelayUrl } from '../model/RelayUrl.js'
import type { RepoRef } from '../model/RepoRef.js'
import { filtersText, historyPlan, reconcileBy, viewOf } from './batches.js'
import type { RelayBatch, RelayPlan, Subscription, WireMessage } from './plan.js'
import * as engine from './layout.js'
import { asArray, asRecord, isNumber, orElse, stringsIn } from './match.js'

export type { PlanProblem, RelayBatch, RelayPlan, Subscription, WireMessage } from './plan.js'
export { checkMessage, messageBytes } from './check.js'

const planWith = (target: FilterTarget | undefined, relay: string, limits: RelayLimits): RelayPlan => engine.livePlan(relay, target, limits)

/** The plan of one relay argument, looked up by its canonical spelling (an unparseable one has none). */
const planOf = (index: RelayIndex, relay: string, limits: RelayLimits): RelayPlan => {
  const canonical = canonicalRelay(relay)
  return canonical === undefined ? planWith(undefined, relay, limits) : planWith(O.toUndefined(relayTarget(canonical)(index)), canonical, limits)
}

/** The relay of a target: its `relay` when a string, `''` otherwise. */
const relayOfTarget = (t: { readonly [key: string]: unknown }): string => (typeof t['relay'] === 'string' ? t['relay'] : '')

/**
 * The live plan of a {@link FilterTarget} under the limits (default {@link defaultRelayLimits}).
 * Total: values that cannot be asked for are reported in `problems`; a target that is not an
 * object gives the empty plan (relay `''`, no subscriptions, no problems), and one whose `relay`
 * is not a string is planned as relay `''`.
 *
 * @example
 * import { planTarget } from 'nip34-sync'
 *
 * const plan = planTarget()({ relay: 'wss://r.example', repos: [`30617:${'a'.repeat(64)}:x`], rootEvents: {} })
 * assert.strictEqual(plan.subscriptions.length, 2)
 * assert.deepStrictEqual(plan.subscriptions[0]?.filters, [{ kinds: [30617, 10317], limit: 0 }])
 * assert.strictEqual(plan.subscriptions[1]?.filters.length, 4)
 *
 * @category constructors
 * @since 0.1.0
 */
export const planTarget =
  (limits?: Partial<RelayLimits>) =>
  (target: FilterTarget): RelayPlan =>
    orElse(
      () => {
        const t = asRecord(target)
        return planWith(t === undefined ? undefined : target, t === undefined ? '' : relayOfTarget(t), relayLimits(limits).limits)
      },
      () => planWith(undefined, '', relayLimits(limits).limits)
    )

/**
 * The live plan of one relay of a {@link RelayIndex} (no subscriptions when the relay is absent;
 * an `index` that is not a relay index reads as the empty one; a `relay` that is not a string
 * gives the empty plan of relay `''`).
 *
 * @example
 * import { fromRelayTargets, planRelay } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const index = fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }])
 * assert.strictEqual(F.pipe(index, planRelay('wss://r.example')).subscriptions.length, 1)
 * assert.strictEqual(F.pipe(index, planRelay('wss://other.example')).subscriptions.length, 0)
 *
 * @category constructors
 * @since 0.1.0
 */
export const planRelay =
  (relay: string, limits?: Partial<RelayLimits>) =>
  (index: RelayIndex): RelayPlan =>
    orElse(
      () =>
        typeof relay === 'string'
          ? planOf(index, relay, relayLimits(limits).limits)
          : planWith(undefined, '', relayLimits(limits).limits),
      () => planWith(undefined, typeof relay === 'string' ? relay : '', relayLimits(limits).limits)
    )

/** A subscription as far as messages need it: a string id and an array of filters. */
const isSubscription = (u: unknown): u is Subscription => {
  const r = asRecord(u)
  return r !== undefined && typeof r['id'] === 'string' && Array.isArray(r['filters'])
}

/** The subscriptions of a list (anything else in it is skipped). */
const subscriptionsIn = (u: unknown): ReadonlyArray<Subscription> => asArray(u).filter(isSubscription)

/**
 * The `REQ` messages that open every subscription of a plan. Total: a value that is not a plan
 * gives `[]`; a subscription without a string id and a list of filters is skipped.
 *
 * @example
 * import { planTarget, planMessages } from 'nip34-sync'
 *
 * const plan = planTarget()({ relay: 'wss://r.example', repos: [], rootEvents: {} })
 * const [req] = planMessages(plan)
 * assert.strictEqual(req?.[0], 'REQ')
 * assert.deepStrictEqual(req?.slice(2), [{ kinds: [30617, 10317], limit: 0 }])
 *
 * @category destructors
 * @since 0.1.0
 */
export const planMessages = (plan: RelayPlan): ReadonlyArray<WireMessage> =>
  orElse(() => subscriptionsIn(asRecord(plan)?.['subscriptions']).map((s): WireMessage => ['REQ', s.id, ...s.filters]), () => [])

/**
 * The messages that turn the subscriptions `before` into `after`: a `CLOSE` for every id of
 * `before` that `after` lacks, then a `REQ` for every subscription of `after` that is new or whose
 * filters changed (same id: the relay replaces it). Unchanged subscriptions are not re-sent.
 * Total: a list that is not an array has no subscriptions; an element without a string id and a
 * list of filters is skipped.
 *
 * @example
 * import { changeMessages } from 'nip34-sync'
 *
 * const a = { id: 'a', slot: 's:0', filters: [{ '#e': ['1'.repeat(64)], limit: 0 }] }
 * const b = { id: 'b', slot: 's:1', filters: [{ '#e': ['2'.repeat(64)], limit: 0 }] }
 * const b2 = { ...b, filters: [{ '#e': ['3'.repeat(64)], limit: 0 }] }
 * assert.deepStrictEqual(changeMessages([a, b], [b2]), [['CLOSE', 'a'], ['REQ', 'b', ...b2.filters]])
 * assert.deepStrictEqual(changeMessages([a, b], [a, b]), [])
 *
 * @category combinators
 * @since 0.1.0
 */
export const changeMessages = (
  before: ReadonlyArray<Subscription>,
  after: ReadonlyArray<Subscription>
): ReadonlyArray<WireMessage> => orElse(() => reconcileBy(viewOf(subscriptionsIn(before)), subscriptionsIn(after), filtersText), () => [])

const reqIds = (messages: ReadonlyArray<WireMessage>): ReadonlyArray<string> =>
  messages.filter((m) => m[0] === 'REQ').map((m) => m[1])

const TAGS: ReadonlySet<unknown> = new Set(['SpawnRelay', 'AddFilters', 'RemoveFilters', 'CloseRelay'])

/** The relay of an action, `undefined` for a value that is not one. */
const relayOf = (a: unknown): string | undefined =>
  typeof a === 'object' &&
  a !== null &&
  TAGS.has((a as { _tag?: unknown })._tag) &&
  typeof (a as { relay?: unknown }).relay === 'string'
    ? (a as { relay: string }).relay
    : undefined

/**
 * The batches, one per relay in order of first appearance, that carry out `actions` from the
 * `applied` index: each relay's plan before and after its actions, and the messages between them.
 * `SpawnRelay` opens a connection and sends every `REQ`; `AddFilters` and `RemoveFilters` replace,
 * open or close only the subscriptions that change; `CloseRelay` closes everything. Limits are one
 * set for all relays or a function of the relay (default {@link defaultRelayLimits}). Total:
 * values that are not actions are skipped (`actions` that is not an array gives `[]`), and an
 * `applied` that is not a relay index reads as the empty one.
 *
 * @example
 * import { diff, emptyRelayIndex, fromRelayTargets, planActions } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const ref = `30617:${'a'.repeat(64)}:x`
 * const before = fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }])
 * const after = fromRelayTargets([{ relay: 'wss://r.example', repos: [ref], rootEvents: {} }])
 * const [batch] = F.pipe(before, planActions(F.pipe(before, diff(after))))
 * assert.strictEqual(batch?.connection, 'keep')
 * // discovery is unchanged: only the new slot is sent
 * assert.deepStrictEqual(batch?.messages.map((m) => m[0]), ['REQ'])
 *
 * @category combinators
 * @since 0.1.0
 */
export const planActions =
  (actions: ReadonlyArray<RelayAction>, limits?: LimitsInput) =>
  (applied: RelayIndex): ReadonlyArray<RelayBatch> =>
    orElse(() => batchesOf(actions, limits, applied), () => [])

const batchesOf = (actions: ReadonlyArray<RelayAction>, limits: LimitsInput | undefined, applied: RelayIndex): ReadonlyArray<RelayBatch> => {
    const byRelay = new Map<string, Array<RelayAction>>()
    for (const a of Array.isArray(actions) ? actions : []) {
      const relay = relayOf(a)
      if (relay === undefined) continue
      const list = byRelay.get(relay)
      if (list === undefined) byRelay.set(relay, [a])
      else list.push(a)
    }
    const limitsOf = limitsFor(limits)
    const out: Array<RelayBatch> = []
    for (const [relay, relayActions] of byRelay) {
      const l = limitsOf(relay)
      const beforeTarget = O.toUndefined(relayTarget(relay)(applied))
      const afterTarget = O.toUndefined(relayTarget(relay)(applyActions(relayActions)(applied)))
      const before = planWith(beforeTarget, relay, l)
      const plan = planWith(afterTarget, relay, l)
      const messages = changeMessages(before.subscriptions, plan.subscriptions)
      const connection = beforeTarget === undefined ? (afterTarget === undefined ? 'keep' : 'open') : afterTarget === undefined ? 'close' : 'keep'
      out.push({ relay, connection, actions: relayActions, messages, awaiting: reqIds(messages), plan, socket: 0, history: [], problems: plan.problems })
    }
    return out
  }

/**
 * One-shot history subscriptions for a target: the same slots as the live plan, each filter with
 * `since` (left out when not above 0: the whole history) and `limit` = `maxLimit` (the page
 * size), ids in their own namespace (`n34h…`, derived from the slot and `since`). No budget
 * applies: a host sends at most `reservedSubscriptions` of them at a time, pages each one with
 * `startPaging`/`nextPage`, and closes it when done. With `discovery: true` the discovery filter
 * is included (for a new connection). Total: a `since` that is not a finite number counts as
 * none, `options` that is not an object as `{}`, `discovery` other than `true` as `false`; a
 * target that is not an object gives `[]`.
 *
 * @example
 * import { historySubscriptions } from 'nip34-sync'
 *
 * const subs = historySubscriptions(1700000000, { discovery: true })({ relay: 'wss://r.example', repos: [], rootEvents: {} })
 * assert.deepStrictEqual(subs[0]?.filters, [{ kinds: [30617, 10317], since: 1700000000, limit: 500 }])
 * assert.strictEqual(subs[0]?.id.startsWith('n34h'), true)
 *
 * @category constructors
 * @since 0.1.0
 */
export const historySubscriptions =
  (since: number | undefined, options: { readonly limits?: Partial<RelayLimits>; readonly discovery?: boolean } = {}) =>
  (target: FilterTarget): ReadonlyArray<Subscription> =>
    orElse(() => {
      if (asRecord(target) === undefined) return []
      const o = asRecord(options) ?? {}
      const limits = relayLimits(o['limits']).limits
      return historyPlan(target, isNumber(since) ? since : undefined, limits, o['discovery'] === true).subscriptions
    }, () => [])

/**
 * The content an action adds to its relay, as a {@link RelayTarget} (`SpawnRelay` and
 * `AddFilters`: their repositories and root events; anything else: nothing). Use it to ask for
 * the history of what was just added. Total: a value that is not such an action (or whose `relay`
 * is not a string) gives `None`; values of `repos` and `rootEvents` that are not strings are left
 * out.
 *
 * @example
 * import { addedTarget } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * assert.deepStrictEqual(addedTarget({ _tag: 'CloseRelay', relay: 'wss://r.example' }), O.none)
 * assert.deepStrictEqual(
 *   addedTarget({ _tag: 'AddFilters', relay: 'wss://r.example', repos: [], rootEvents: {} }),
 *   O.some({ relay: 'wss://r.example', repos: [], rootEvents: {} })
 * )
 *
 * @category destructors
 * @since 0.1.0
 */
export const addedTarget = (action: RelayAction): O.Option<RelayTarget> => orElse(() => addedOf(action), () => O.none)

const addedOf = (action: RelayAction): O.Option<RelayTarget> => {
  const a = asRecord(action)
  if (a === undefined || (a['_tag'] !== 'SpawnRelay' && a['_tag'] !== 'AddFilters') || typeof a['relay'] !== 'string') return O.none
  const roots = asRecord(a['rootEvents']) ?? {}
  const target: RelayTarget = {
    relay: a['relay'] as RelayUrl,
    repos: stringsIn(a['repos']) as Array<RepoRef>,
    rootEvents: Object.fromEntries(Object.keys(roots).map((repo) => [repo, stringsIn(roots[repo])]))
  }
  return O.some(target)
}
