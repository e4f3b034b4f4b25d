/**
 * The pieces of the wire layer that the stateless functions (`Wire.changeMessages`,
 * `Wire.planActions`, `Wire.historySubscriptions`), the deprecated `Lifecycle` state and the
 * engine (`Engine.ts`) share: ONE differ from what may be open to what is wanted, ONE history
 * builder, and the digest that says whether a subscription's filters changed (the JSON text when
 * nothing is stored).
 *
 * @internal
 */
import type { FilterTarget, NostrFilter } from './Filters.js'
import type { RelayLimits } from '../config/Limits.js'
import { jsonText, sha256Hex } from '../util/hash.js'
import { historyMode, layout, type Problem, type StrategyChoice, type Subscription } from './layout.js'
import { compareStrings } from '../util/sorted.js'

/** The digest of filters whose content on the relay is unknown (a failed `REQ`): it matches no plan. */
export const UNKNOWN = '?'

const digests = new WeakMap<object, string>()

/**
 * The digest of a list of filters: SHA-256 of its JSON text ({@link UNKNOWN} when it has none).
 * Remembered per array (plans are immutable values, so a plan's subscriptions are hashed once).
 */
export const digest = (filters: ReadonlyArray<NostrFilter>): string => {
  const isObject = typeof filters === 'object' && filters !== null
  const hit = isObject ? digests.get(filters) : undefined
  if (hit !== undefined) return hit
  const text = jsonText(filters)
  const d = text === undefined ? UNKNOWN : sha256Hex(text)
  // arrays only: their content is fixed once a plan made them; anything else is hashed each time
  if (isObject && Array.isArray(filters) && Object.isFrozen(filters)) digests.set(filters, d)
  return d
}

/**
 * The JSON text of a list of filters ({@link UNKNOWN} when it has none): equal exactly when the
 * {@link digest}s are. The differ's key when nothing is stored (`changeMessages`, `planActions`
 * compare two plans of one call): no hashing, so the stateless pipeline carries no SHA-256.
 */
export const filtersText = (filters: ReadonlyArray<NostrFilter>): string => jsonText(filters) ?? UNKNOWN

/** What the differ reads of what may be open: the key (digest) of an id's filters, if the id may be open. */
export interface OpenView {
  readonly get: (id: string) => string | undefined
  readonly ids: () => Iterable<string>
}

export type Message = readonly ['REQ', string, ...Array<NostrFilter>] | readonly ['CLOSE', string]

/**
 * The one differ: a `CLOSE` for every id that may be open and is not wanted (sorted), then a `REQ`
 * for every wanted subscription that is not open with the same filters (in plan order). `CLOSE`s
 * come first so that a connection never holds more than the new plan.
 */
export const reconcile = (open: OpenView, wanted: ReadonlyArray<Subscription>): Array<Message> => reconcileBy(open, wanted, digest)

/** {@link reconcile} with the key `open` holds: {@link digest} or {@link filtersText}. */
export const reconcileBy = (open: OpenView, wanted: ReadonlyArray<Subscription>, key: (filters: ReadonlyArray<NostrFilter>) => string): Array<Message> => {
  const want = new Set(wanted.map((s) => s.id))
  const out: Array<Message> = []
  for (const id of [...open.ids()].sort(compareStrings)) if (!want.has(id)) out.push(['CLOSE', id])
  for (const s of wanted) {
    const was = open.get(s.id)
    if (was === undefined || was === UNKNOWN || was !== key(s.filters)) out.push(['REQ', s.id, ...s.filters])
  }
  return out
}

/** An {@link OpenView} of a list of subscriptions keyed by {@link filtersText} (the last of a repeated id wins). */
export const viewOf = (subs: ReadonlyArray<Subscription>): OpenView => {
  const m = new Map<string, string>()
  for (const s of subs) m.set(s.id, filtersText(s.filters))
  return { get: (id) => m.get(id), ids: () => m.keys() }
}

/**
 * The one history builder: one-shot history subscriptions for a target, the same slots as the
 * live plan, each filter with `since` (none when not above 0) and `limit` = `maxLimit`. No budget:
 * a host (or the engine) runs at most `reservedSubscriptions` of them at a time. An empty target
 * without discovery has none.
 */
export const historyPlan = (
  target: FilterTarget,
  since: number | undefined,
  limits: RelayLimits,
  withDiscovery: boolean,
  /** The state layer's strategy (default `exact`; the engine passes its live plan's). */
  strategy?: StrategyChoice
): { readonly subscriptions: ReadonlyArray<Subscription>; readonly problems: ReadonlyArray<Problem> } => {
  if (!withDiscovery && isEmptyTarget(target)) return { subscriptions: [], problems: [] }
  const l = layout(target, limits, historyMode(since, limits, withDiscovery, strategy))
  return { subscriptions: l.subscriptions, problems: l.problems }
}

/** A target with no repository, no state-only repository and no root event. */
export const isEmptyTarget = (t: FilterTarget): boolean =>
  (t.repos ?? []).length === 0 && (t.stateOnly ?? []).length === 0 && Object.values(t.rootEvents ?? {}).every((ids) => ids.length === 0)
