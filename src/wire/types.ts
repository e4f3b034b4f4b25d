/**
 * The data types of the wire layer's filters (`NostrFilter`, `FilterTarget`, `CapacityOptions`),
 * kept apart from the functions of `Filters.ts` so that the machinery (`filterBuilders`, `layout`,
 * `match`) imports them without an import cycle. `Filters.ts` re-exports them.
 *
 * @since 0.3.0
 */

/**
 * A NIP-01 filter, as plain JSON data. Tag filters use `#` keys (`"#a"`, `"#d"`). Its lists are
 * array types (not `ReadonlyArray`), so a filter is assignable to nostr-tools' `Filter` as it is;
 * the library never mutates one, and the filters of a plan are frozen.
 *
 * @example
 * import type { NostrFilter } from 'nip34-sync'
 *
 * const statuses: NostrFilter = { kinds: [1630, 1631, 1632, 1633], '#e': ['1'.repeat(64)], limit: 0 }
 * assert.strictEqual(statuses['#e']?.length, 1)
 *
 * @category model
 * @since 0.1.0
 */
export interface NostrFilter {
  readonly ids?: string[]
  readonly kinds?: number[]
  readonly authors?: string[]
  readonly since?: number
  readonly until?: number
  readonly limit?: number
  readonly [tag: `#${string}`]: string[] | undefined
}

/**
 * What one relay is asked for: a {@link RelayTarget} (repositories synced in full and the root
 * events per repository), plus, optionally, repositories synced in state-only mode (GRASP-01
 * purgatory: only their state events are asked for).
 *
 * @example
 * import { targetFilters, type FilterTarget } from 'nip34-sync'
 *
 * const purgatory: FilterTarget = { relay: 'wss://r.example', repos: [], rootEvents: {}, stateOnly: [`30617:${'a'.repeat(64)}:x`] }
 * assert.strictEqual(targetFilters(purgatory).length, 2)
 *
 * @category model
 * @since 0.1.0
 */
export interface FilterTarget {
  readonly relay: string
  readonly repos: ReadonlyArray<string>
  readonly rootEvents: { readonly [repoRef: string]: ReadonlyArray<string> }
  readonly stateOnly?: ReadonlyArray<string>
}

/**
 * How a relay's plan may grow past one connection (see `docs/capacity.md`).
 *
 * - `maxConnections`: connections the plan may spread over, each with the live subscription
 *   budget of the limits (default 8, the engine's `maxConnectionsPerRelay`; an unusable value
 *   counts as the default, below 1 as 1).
 * - `strategy`: the state layer. `exact`: one filter per owner, no over-fetch. `owners`: one
 *   `{kinds:[30618], authors:[...]}` per chunk of owners: it also matches the state events of the
 *   owners' untracked repositories, which `wants` drops. `auto` (the default): `exact` when it
 *   needs no more connections than `owners`, otherwise `owners`.
 *
 * @example
 * import type { CapacityOptions } from 'nip34-sync'
 *
 * const options: CapacityOptions = { maxConnections: 16, strategy: 'auto' }
 * assert.strictEqual(options.strategy, 'auto')
 *
 * @category model
 * @since 0.3.0
 */
export interface CapacityOptions {
  readonly maxConnections?: number
  readonly strategy?: 'auto' | 'exact' | 'owners'
}
