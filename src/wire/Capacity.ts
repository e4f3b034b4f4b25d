/**
 * How much one relay's plan costs, and how it grows past one connection: `relayCapacity(desired,
 * relay, limits?, options?)` says which strategy the plan uses, how many connections,
 * subscriptions and filters it needs, its largest message, and an estimate of its over-fetch.
 *
 * Two levers make a popular relay fit (`docs/capacity.md` gives the reasoning and the figures):
 *
 * - **Coarse state filters** (`owners`): one `{kinds:[30618], authors:[...]}` per chunk of owners
 *   instead of one filter per owner. A repository of its own owner then costs one list value
 *   instead of a whole filter. The over-fetch is bounded: the state events (30618, one live
 *   version per pair) of the owners' repositories that the relay is not asked for.
 * - **More connections**, each with the relay's live subscription budget, up to `maxConnections`.
 *
 * The repository-tagged and root-tagged layers stay exact in both: a list of tag values has no
 * superset but the whole relay, so those values cost bytes and, past one connection, sockets.
 *
 * Total: a `desired` that is not a relay index reads as the empty one; a relay that is not in it
 * has an empty plan; options and limits are checked as everywhere else.
 *
 * @since 0.3.0
 */
import { option as O } from 'fp-ts'
import type { CapacityOptions } from './types.js'
import { liveSubscriptionBudget, relayLimits, type RelayLimits } from '../config/Limits.js'
import { relayTarget, relayTargets, type RelayIndex } from '../relays/RelayIndex.js'
import { canonicalRelay } from '../model/RelayUrl.js'
import { repoRefParts, type RepoRef } from '../model/RepoRef.js'
import { jsonBytes } from '../util/hash.js'
import { askable, capacityLayout, capacityOptions } from './layout.js'
import { asArray, orElse } from './match.js'

/**
 * The cost of one relay's live plan, and what it over-fetches.
 *
 * @example
 * import { relayCapacity, type RelayCapacity } from 'nip34-sync'
 * import { emptyRelayIndex } from 'nip34-sync'
 *
 * const none: RelayCapacity = relayCapacity(emptyRelayIndex, 'wss://r.example')
 * assert.strictEqual(none.connections, 0)
 *
 * @category model
 * @since 0.3.0
 */
export interface RelayCapacity {
  readonly relay: string
  /** The state-layer strategy the plan uses: `exact` (no over-fetch) or `owners` (coarse). */
  readonly strategy: 'exact' | 'owners'
  /** Connections the whole plan needs (0 for a relay not in the index). */
  readonly connections: number
  /** Connections the plan may use (the option). */
  readonly maxConnections: number
  /** Live subscriptions one connection holds under the limits. */
  readonly subscriptionsPerConnection: number
  /** Live subscriptions planned within `maxConnections`, discovery included. */
  readonly subscriptions: number
  /** Subscriptions past the last connection: not asked for, reported as `over-budget` (0 when the plan fits). */
  readonly overflow: number
  /** Filters of the whole plan (overflow included). */
  readonly filters: number
  /** UTF-8 bytes of the largest live `REQ` of the plan. */
  readonly largestMessageBytes: number
  /** Repositories (full and state-only), their distinct owners, and root events the plan asks for. */
  readonly repositories: number
  readonly owners: number
  readonly rootEvents: number
  /**
   * The over-fetch estimate: events the plan's filters match that GRASP-02 does not want from the
   * relay. `statePairs`: the (owner, d) pairs of the plan's owners that are known (in `desired`,
   * or in `options.knownRepos`) and not asked for: their state events (one live version each, and
   * its updates) come too under `owners`. Pairs nobody announced to the host are not counted.
   * 0 under `exact`.
   */
  readonly overFetch: { readonly statePairs: number }
}

/**
 * {@link CapacityOptions}, and what the host knows of the world for the over-fetch estimate.
 *
 * @example
 * import type { RelayCapacityOptions } from 'nip34-sync'
 *
 * const options: RelayCapacityOptions = { maxConnections: 16, knownRepos: [`30617:${'a'.repeat(64)}:other`] }
 * assert.strictEqual(options.knownRepos?.length, 1)
 *
 * @category model
 * @since 0.3.0
 */
export interface RelayCapacityOptions extends CapacityOptions {
  /**
   * Repository addresses the host knows of (for example every repository of its `RepoIndex`),
   * besides those of `desired`; only the estimate reads them.
   */
  readonly knownRepos?: ReadonlyArray<string>
}

/**
 * The cost of one relay's live plan under the limits (default {@link defaultRelayLimits}) and the
 * options (default: 8 connections, the `auto` strategy): which strategy, how many connections,
 * subscriptions and filters, the largest message, and the over-fetch estimate. The plan is the one
 * {@link relayFilters} returns the filters of.
 *
 * @example
 * import { fromRelayTargets, relayCapacity } from 'nip34-sync'
 *
 * const hex = (i: number) => i.toString(16).padStart(64, '0')
 * const repos = Array.from({ length: 1000 }, (_, i) => `30617:${hex(i + 1)}:repo`)
 * const desired = fromRelayTargets([{ relay: 'wss://popular.example', repos, rootEvents: {} }])
 * const coarse = relayCapacity(desired, 'wss://popular.example')
 * assert.strictEqual(coarse.strategy, 'owners')
 * assert.strictEqual(coarse.connections, 1)
 * const exact = relayCapacity(desired, 'wss://popular.example', undefined, { strategy: 'exact' })
 * assert.ok(exact.connections > 1)
 *
 * @category destructors
 * @since 0.3.0
 */
export const relayCapacity = (
  desired: RelayIndex,
  relay: string,
  limits?: Partial<RelayLimits>,
  options?: RelayCapacityOptions
): RelayCapacity =>
  orElse(
    () => capacityOf(desired, relay, relayLimits(limits).limits, options),
    () => empty(typeof relay === 'string' ? relay : '', defaultOf(options), relayLimits(undefined).limits)
  )

const defaultOf = (options: unknown): number => orElse(() => capacityOptions(options).maxConnections, () => capacityOptions(undefined).maxConnections)

const empty = (relay: string, maxConnections: number, limits: RelayLimits): RelayCapacity => ({
  relay,
  strategy: 'exact',
  connections: 0,
  maxConnections,
  subscriptionsPerConnection: liveSubscriptionBudget(limits),
  subscriptions: 0,
  overflow: 0,
  filters: 0,
  largestMessageBytes: 0,
  repositories: 0,
  owners: 0,
  rootEvents: 0,
  overFetch: { statePairs: 0 }
})

const capacityOf = (desired: RelayIndex, relay: string, limits: RelayLimits, options: RelayCapacityOptions | undefined): RelayCapacity => {
  const maxConnections = capacityOptions(options).maxConnections
  if (typeof relay !== 'string') return empty('', maxConnections, limits)
  const canonical = canonicalRelay(relay)
  if (canonical === undefined) return empty(relay, maxConnections, limits)
  const target = relayTarget(canonical)(desired)
  if (O.isNone(target)) return empty(canonical, maxConnections, limits)
  const l = capacityLayout(target.value, limits, options)
  const all = [...l.subscriptions, ...l.overflow]
  let filters = 0
  let largest = 0
  for (const s of all) {
    filters += s.filters.length
    largest = Math.max(largest, jsonBytes(['REQ', s.id, ...s.filters]))
  }
  const a = askable(target.value, limits)
  let repositories = 0
  for (const ds of a.pairs.values()) repositories += ds.size
  return {
    relay: canonical,
    strategy: l.strategy,
    connections: l.connections,
    maxConnections,
    subscriptionsPerConnection: liveSubscriptionBudget(limits),
    subscriptions: l.subscriptions.length,
    overflow: l.overflow.length,
    filters,
    largestMessageBytes: largest,
    repositories,
    owners: a.pairs.size,
    rootEvents: a.roots.size,
    overFetch: { statePairs: l.strategy === 'owners' ? untrackedPairs(desired, a.pairs, options) : 0 }
  }
}

/** Known (owner, d) pairs of the plan's owners that the plan does not ask for. */
const untrackedPairs = (
  desired: RelayIndex,
  pairs: ReadonlyMap<string, ReadonlySet<string>>,
  options: RelayCapacityOptions | undefined
): number => {
  const seen = new Set<string>()
  const visit = (ref: string): void => {
    if (seen.has(ref)) return
    const { pubkey, identifier } = repoRefParts(ref as RepoRef)
    const ds = pairs.get(pubkey)
    if (ds !== undefined && !ds.has(identifier)) seen.add(ref)
  }
  for (const t of relayTargets(desired)) for (const ref of t.repos) visit(ref)
  const known = orElse(() => asArray((options as { readonly knownRepos?: unknown } | undefined)?.knownRepos), () => [])
  for (const ref of known) if (typeof ref === 'string' && /^30617:[0-9a-f]{64}:/.test(ref)) visit(ref)
  return seen.size
}
