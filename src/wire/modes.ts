/**
 * The wire layer's layout vocabulary: filter overheads, subscription ids, problems, subscriptions,
 * strategies, and the two modes (live and history) a layout is made in.
 *
 * @internal
 */
import { liveSubscriptionBudget, type RelayLimits } from '../config/Limits.js'
import type { NostrFilter } from './types.js'
import { history, live } from './filterBuilders.js'
import { jsonBytes } from '../util/hash.js'
import { isNumber } from './match.js'
/**
 * Structural bytes of one filter besides its values, from above: a live state filter
 * `{"kinds":[30618],"authors":[],"#d":[],"limit":0}` has 48; a history one with 16-digit
 * `since`, `until` and `limit` has 113.
 */
export const LIVE_FILTER_OVERHEAD = 64
export const HISTORY_FILTER_OVERHEAD = 160
/** One pubkey in an `authors` list: quotes, 64 hex characters, a comma. */
export const PUBKEY_BYTES = 67
/** Prefix of every subscription id the planner makes. */
export const ID_PREFIX = 'n34'

/** Length of the subscription ids for these limits. */
export const idLength = (limits: RelayLimits): number => Math.min(limits.maxSubIdLength, 28)

/** `["REQ",` + quoted id + `]`, from above (one comma per filter is counted with the filter). */
export const messageOverhead = (limits: RelayLimits): number => 16 + idLength(limits)

export type ProblemCode = 'invalid-repo' | 'invalid-root-id' | 'oversized-value' | 'over-budget' | 'no-history-room'

export interface Problem {
  readonly code: ProblemCode
  readonly message: string
  readonly value?: string
}

export interface Subscription {
  readonly id: string
  readonly slot: string
  readonly filters: ReadonlyArray<NostrFilter>
}

/**
 * How the state layer is asked for. `exact`: one filter per owner (`authors:[P], #d:[D...]`),
 * owners with identical identifier lists merged: no over-fetch. `owners`: one filter per chunk of
 * owners (`authors:[P...]`, no `#d`): it also matches the state events of the owners' untracked
 * repositories (the over-fetch, trimmed on arrival by `wants`), and costs one list value per owner
 * instead of one filter. Every other layer is exact in both.
 */
export type Strategy = 'exact' | 'owners'

/** A strategy, or `auto`: `exact` unless `owners` needs fewer connections (see {@link layout}). */
export type StrategyChoice = Strategy | 'auto'

/** The default number of connections a relay's plan may spread over (the engine's `maxConnectionsPerRelay`). */
export const DEFAULT_CONNECTIONS = 8

export interface Layout {
  /** Within the budget (discovery first). */
  readonly subscriptions: ReadonlyArray<Subscription>
  /** The subscriptions beyond the budget, even folded: the last ones in key order. */
  readonly overflow: ReadonlyArray<Subscription>
  /** Slots merged by folding. */
  readonly folded: number
  /** The fold depth `D` (runs share their first `D` key bits); `undefined` when nothing is folded. */
  readonly foldDepth: number | undefined
  /** The number of overflow subscriptions (0 when the plan fits). */
  readonly overBudget: number
  readonly problems: ReadonlyArray<Problem>
  /** The strategy used (always `exact` unless the mode asks for `owners` or `auto`). */
  readonly strategy: Strategy
  /** Connections of `connectionBudget` subscriptions the whole plan needs (subscriptions and overflow). */
  readonly connections: number
}

export interface Mode {
  /** Separates the id spaces of live and history subscriptions. */
  readonly namespace: string
  readonly variant: (f: NostrFilter) => NostrFilter
  readonly discovery: boolean
  /** The subscription budget; `undefined`: no budget, no folding. */
  readonly budget: number | undefined
  /** Bytes of one filter besides its values, from above, in this variant. */
  readonly filterOverhead: number
  /** The largest size, in bytes, a filter of this variant may take on the wire (history: with paging bounds). */
  readonly measure: (f: NostrFilter) => number
  /** The state-layer strategy; absent: `exact` (the 0.1 and 0.2 behaviour). */
  readonly strategy?: StrategyChoice
  /** Subscriptions one connection holds, to count connections (`auto` compares them); absent: `budget`, or no limit. */
  readonly connectionBudget?: number
}

/** Live subscriptions: `limit: 0`, discovery included, within the live subscription budget. */
export const liveMode = (limits: RelayLimits): Mode => ({
  namespace: 'live',
  variant: live,
  discovery: true,
  budget: liveSubscriptionBudget(limits),
  connectionBudget: liveSubscriptionBudget(limits),
  filterOverhead: LIVE_FILTER_OVERHEAD,
  measure: (f) => jsonBytes(live(f))
})

/**
 * Bytes paging may add to a history filter, from above: `,"since":` with the longest JSON number
 * (23 characters, such as `1.2345678901234567e-308`) and `,"until":` with a safe integer (16
 * digits; a widened page sets both to one `created_at`).
 */
export const PAGING_BOUNDS_BYTES = 9 + 23 + 9 + 16

/**
 * One-shot history subscriptions: `since`, `limit` = the page size, no budget (sent a few at a
 * time). A `since` that is not a finite number counts as none (the whole history).
 */
export const historyMode = (since: unknown, limits: RelayLimits, withDiscovery: boolean, strategy?: StrategyChoice): Mode => ({
  namespace: `history ${isNumber(since) ? since : 0}`,
  variant: (f) => history(f, since, undefined, limits.maxLimit),
  discovery: withDiscovery,
  budget: undefined,
  ...(strategy === undefined ? {} : { strategy }),
  connectionBudget: liveSubscriptionBudget(limits),
  filterOverhead: HISTORY_FILTER_OVERHEAD,
  measure: (f) => jsonBytes(history(f, undefined, undefined, limits.maxLimit)) + PAGING_BOUNDS_BYTES
})
