/**
 * `NostrFilter` is a NIP-01 filter, and this module says which filters fetch, from one relay,
 * everything GRASP-02 proactive sync wants from it. Four layers, each a pure function of the
 * relay's target:
 *
 * | layer | filter | matches |
 * | --- | --- | --- |
 * | discovery | `{kinds:[30617,10317]}` | every announcement and git relay list (one per connection, bootstrap relays included) |
 * | state | `{kinds:[30618], authors:[P...], "#d":[D...]}` | the state event of a tracked (pubkey, d) pair, and no other pair: every pair of P × D is tracked |
 * | repo-tagged | `{"#a":[refs]}`, `{"#A":[refs]}`, `{"#q":[refs]}` | events that tag a tracked repository |
 * | root-tagged | `{"#e":[ids]}`, `{"#E":[ids]}`, `{"#q":[ids]}` | events that tag a tracked root event |
 *
 * The state layer groups repositories by pubkey and merges pubkeys whose identifier lists are
 * identical, so a filter never asks for a pair nobody tracks. Each layer comes in two variants:
 * *live* (`limit: 0`, new events only; {@link liveFilter}) and *history* (`since` from the host,
 * paged with `until`; {@link historyFilter}).
 *
 * {@link relayFilters} gives the complete live filter list of one relay of a {@link RelayIndex},
 * cut within the relay's {@link RelayLimits}, over all the connections of its plan (the chunking
 * rule is in `docs/wire.md`, the growth past one connection in `docs/capacity.md`). Every event
 * GRASP-02 wants from the relay matches them (`wants` is that predicate): an announcement or a
 * git relay list, the state event of a tracked (pubkey, d), an event with an `a`/`A`/`q` tag
 * naming a tracked repository, or an event with an `e`/`E`/`q` tag naming a tracked root event.
 * Under the `exact` strategy (every plan that fits one connection) the converse holds too; under
 * `owners` the filters also match the state events of the owners' other repositories.
 *
 * Every function is total: a list that is not an array has no values, values of the wrong type
 * are left out, a filter that is not an object reads as `{}`, a target that is not an object gives
 * no filters. Nothing throws, nothing is mutated.
 *
 * @since 0.1.0
 */
import { either as E, option as O } from 'fp-ts'
import { relayLimits, type RelayLimits } from '../config/Limits.js'
import { relayTarget, type RelayIndex } from '../relays/RelayIndex.js'
import { canonicalRelay } from '../model/RelayUrl.js'
import { repoRef, type RepoRef } from '../model/RepoRef.js'
import * as build from './filterBuilders.js'
import { capacityLayout } from './layout.js'
import type { CapacityOptions, FilterTarget, NostrFilter } from './types.js'

export type { CapacityOptions, FilterTarget, NostrFilter } from './types.js'
import { asArray, asRecord, orElse, stringsIn } from './match.js'

/**
 * The kind of a repository state event (NIP-34).
 *
 * @example
 * import { STATE_KIND } from 'nip34-sync'
 *
 * assert.strictEqual(STATE_KIND, 30618)
 *
 * @category constants
 * @since 0.1.0
 */
export const STATE_KIND = build.STATE_KIND

/**
 * The kind of a user's list of preferred git relays (NIP-34, `g` tags).
 *
 * @example
 * import { GRASP_LIST_KIND } from 'nip34-sync'
 *
 * assert.strictEqual(GRASP_LIST_KIND, 10317)
 *
 * @category constants
 * @since 0.1.0
 */
export const GRASP_LIST_KIND = build.GRASP_LIST_KIND

/**
 * The kinds the discovery filter asks for: announcements (30617) and git relay lists (10317).
 *
 * @example
 * import { DISCOVERY_KINDS } from 'nip34-sync'
 *
 * assert.deepStrictEqual(DISCOVERY_KINDS, [30617, 10317])
 *
 * @category constants
 * @since 0.1.0
 */
export const DISCOVERY_KINDS: ReadonlyArray<number> = [build.ANNOUNCEMENT_KIND, build.GRASP_LIST_KIND]

/**
 * The discovery filter, sent on every connection (bootstrap relays included), in no variant.
 *
 * @example
 * import { discoveryFilter } from 'nip34-sync'
 *
 * assert.deepStrictEqual(discoveryFilter, { kinds: [30617, 10317] })
 *
 * @category constructors
 * @since 0.1.0
 */
export const discoveryFilter: NostrFilter = build.discovery()

/** The chunk size of a list: the number given (below 1 counts as 1), or 100 for anything else. */
const chunkSize = (u: unknown): number => (typeof u === 'number' && !Number.isNaN(u) ? u : 100)

/** The repository addresses of a list (anything else in it is left out). */
const repoRefsIn = (u: unknown): Array<RepoRef> =>
  asArray(u).filter((v): v is RepoRef => typeof v === 'string' && E.isRight(repoRef(v)))

/**
 * State filters for repositories: one filter per group of pubkeys with identical identifier
 * lists, lists sorted and cut in chunks of `maxValues` (default 100; a value that is not a number
 * counts as 100, one below 1 as 1). Every (pubkey, d) pair a filter covers is one of `refs`.
 * Values that are not repository addresses are left out; `refs` that is not an array gives `[]`.
 *
 * @example
 * import { stateFilters } from 'nip34-sync'
 *
 * const a = 'a'.repeat(64)
 * const b = 'b'.repeat(64)
 * assert.deepStrictEqual(stateFilters([`30617:${a}:x`, `30617:${b}:x`, `30617:${b}:y`]), [
 *   { kinds: [30618], authors: [a], '#d': ['x'] },
 *   { kinds: [30618], authors: [b], '#d': ['x', 'y'] }
 * ])
 *
 * @category constructors
 * @since 0.1.0
 */
export const stateFilters = (refs: ReadonlyArray<RepoRef>, maxValues = 100): ReadonlyArray<NostrFilter> =>
  orElse(() => build.state(repoRefsIn(refs), chunkSize(maxValues)), () => [])

/**
 * The repo-tagged filters `#a`, `#A`, `#q` for repository addresses, values sorted and cut in
 * chunks of `maxValues` (default 100, as for {@link stateFilters}). Values that are not strings are
 * left out; `refs` that is not an array gives `[]`.
 *
 * @example
 * import { repoTaggedFilters } from 'nip34-sync'
 *
 * const ref = `30617:${'a'.repeat(64)}:x`
 * assert.deepStrictEqual(repoTaggedFilters([ref]), [{ '#a': [ref] }, { '#A': [ref] }, { '#q': [ref] }])
 *
 * @category constructors
 * @since 0.1.0
 */
export const repoTaggedFilters = (refs: ReadonlyArray<string>, maxValues = 100): ReadonlyArray<NostrFilter> => taggedBy(['a', 'A', 'q'], refs, maxValues)

/** One filter family per tag key, over the string values of `input` (total: anything else gives `[]`). */
const taggedBy = (keys: ReadonlyArray<string>, input: unknown, maxValues: number): ReadonlyArray<NostrFilter> =>
  orElse(() => {
    const values = stringsIn(input)
    const size = chunkSize(maxValues)
    return keys.flatMap((k) => build.tagged(k, values, size))
  }, () => [])

/**
 * The root-tagged filters `#e`, `#E`, `#q` for root event ids, values sorted and cut in chunks of
 * `maxValues` (default 100, as for {@link stateFilters}). Values that are not strings are left
 * out; `ids` that is not an array gives `[]`.
 *
 * @example
 * import { rootTaggedFilters } from 'nip34-sync'
 *
 * const id = '1'.repeat(64)
 * assert.deepStrictEqual(rootTaggedFilters([id]), [{ '#e': [id] }, { '#E': [id] }, { '#q': [id] }])
 *
 * @category constructors
 * @since 0.1.0
 */
export const rootTaggedFilters = (ids: ReadonlyArray<string>, maxValues = 100): ReadonlyArray<NostrFilter> => taggedBy(['e', 'E', 'q'], ids, maxValues)

/**
 * The live variant of a filter: `since` and `until` removed, `limit: 0`, so a relay sends no
 * stored events, only new ones. A value that is not an object reads as the empty filter `{}`.
 *
 * @example
 * import { discoveryFilter, liveFilter } from 'nip34-sync'
 *
 * assert.deepStrictEqual(liveFilter(discoveryFilter), { kinds: [30617, 10317], limit: 0 })
 *
 * @category combinators
 * @since 0.1.0
 */
export const liveFilter = (filter: NostrFilter): NostrFilter => orElse(() => build.live(filter), () => build.live({}))

/**
 * The history variant of a filter: `since` (left out when not above 0: the whole history),
 * optionally `until` and `limit` (a page size; see `startPaging`). Data-last, for `pipe`. Total:
 * `since`, `until` or `limit` that is not a finite number is left out; a filter that is not an
 * object reads as `{}`.
 *
 * @example
 * import { discoveryFilter, historyFilter } from 'nip34-sync'
 *
 * assert.deepStrictEqual(historyFilter(1700000000, undefined, 500)(discoveryFilter), {
 *   kinds: [30617, 10317], since: 1700000000, limit: 500
 * })
 *
 * @category combinators
 * @since 0.1.0
 */
export const historyFilter =
  (since: number | undefined, until?: number, limit?: number) =>
  (filter: NostrFilter): NostrFilter =>
    orElse(() => build.history(filter, since, until, limit), () => build.history({}, since, until, limit))

/**
 * The complete live filter list for a {@link FilterTarget}, cut within the limits: the filters
 * of its subscription plan over all its connections, in plan order (discovery first), the
 * `overflow` past the last connection included. Values that cannot be asked for
 * (an invalid address or id, a value too long for one message) are left out; {@link planTarget}
 * reports them. A target that is not an object gives `[]`; a field of the target that is not a
 * list (or, for `rootEvents`, an object) has no values.
 *
 * The plan is laid out as the engine lays it out: over `options.maxConnections` connections
 * (default 8), with the `auto` strategy ({@link CapacityOptions}). A target that fits one
 * connection gets the exact filters below; a larger one may get coarse state filters, whose
 * over-fetch `wants` drops.
 *
 * @example
 * import { targetFilters } from 'nip34-sync'
 *
 * const ref = `30617:${'a'.repeat(64)}:x`
 * const filters = targetFilters({ relay: 'wss://r.example', repos: [ref], rootEvents: {} })
 * assert.deepStrictEqual(filters, [
 *   { kinds: [30617, 10317], limit: 0 },
 *   { kinds: [30618], authors: ['a'.repeat(64)], '#d': ['x'], limit: 0 },
 *   { '#a': [ref], limit: 0 },
 *   { '#A': [ref], limit: 0 },
 *   { '#q': [ref], limit: 0 }
 * ])
 *
 * @category destructors
 * @since 0.1.0
 */
export const targetFilters = (target: FilterTarget, limits?: Partial<RelayLimits>, options?: CapacityOptions): ReadonlyArray<NostrFilter> =>
  orElse(() => {
    if (asRecord(target) === undefined) return []
    const l = capacityLayout(target, relayLimits(limits).limits, options)
    return [...l.subscriptions, ...l.overflow].flatMap((s) => s.filters)
  }, () => [])

/**
 * The complete live filter list for one relay of a {@link RelayIndex}, cut within the limits
 * (default {@link defaultRelayLimits}), over all the connections of its plan
 * ({@link CapacityOptions}); empty when the relay is not in the index (a `desired` that
 * is not a relay index reads as the empty one; a `relay` that is not a string is in no index). See
 * {@link targetFilters}. Every event `wants(desired, relay, limits)` accepts matches one of them.
 *
 * @example
 * import { fromRelayTargets, relayFilters } from 'nip34-sync'
 *
 * const index = fromRelayTargets([{ relay: 'wss://bootstrap.example', repos: [], rootEvents: {} }])
 * assert.deepStrictEqual(relayFilters(index, 'wss://bootstrap.example'), [{ kinds: [30617, 10317], limit: 0 }])
 * assert.deepStrictEqual(relayFilters(index, 'wss://other.example'), [])
 *
 * @category destructors
 * @since 0.1.0
 */
export const relayFilters = (desired: RelayIndex, relay: string, limits?: Partial<RelayLimits>, options?: CapacityOptions): ReadonlyArray<NostrFilter> =>
  orElse(() => {
    const canonical = canonicalRelay(relay)
    if (canonical === undefined) return []
    const target = relayTarget(canonical)(desired)
    return O.isNone(target) ? [] : targetFilters(target.value, limits, options)
  }, () => [])
