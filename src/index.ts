/**
 * nip34-sync: decide which nostr relays a NIP-34 git relay (GRASP server) must ask for which
 * events. Pure functions over immutable values:
 *
 * `unknown[] —applyBatch→ RepoIndex —deriveTargets→ RelayIndex (desired) —diff(applied)→ RelayAction[]`
 *
 * @since 0.1.0
 */
export * from './model/RelayUrl.js'
export * from './model/RepoRef.js'
export * from './model/Rejection.js'
export * from './config/Config.js'
export * from './decode/Nip34Event.js'
export * from './decode/graspList.js'
export * from './repo/RepoIndex.js'
export {
  emptyRelayIndex,
  eqRelayIndex,
  fromRelayTargets,
  isRelayIndex,
  relayRepos,
  relayRootEvents,
  relayTarget,
  relayTargets,
  relays,
  type RelayIndex,
  type RelayTarget
} from './relays/RelayIndex.js'
export * from './derive/Targets.js'
export * from './relays/RelayAction.js'
export * from './snapshot/Snapshot.js'
export * from './derive/Explain.js'
export * from './config/RelayPolicy.js'
export * from './config/Limits.js'
export * from './wire/Filters.js'
export * from './wire/Wire.js'
export * from './wire/Wants.js'
export * from './wire/Capacity.js'
export * from './engine/Lifecycle.js'
export * from './decode/Verify.js'
export * from './engine/Engine.js'

// Names that do not clash with nostr-tools' (a host imports both side by side; issue 10). The old
// names (`NostrEvent`, `Subscription`) stay exported, deprecated.
import { NostrEvent as NostrEventCodec } from './decode/Nip34Event.js'
import type { Subscription as PlannedSubscription_ } from './wire/Wire.js'

/**
 * io-ts codec of a NIP-01 event ({@link NostrEvent} under a name that does not clash with
 * nostr-tools' `NostrEvent` type). Extra fields are allowed and dropped; total on any value.
 *
 * @example
 * import { Nip01Event } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.strictEqual(E.isLeft(Nip01Event.decode({ kind: 1 })), true)
 *
 * @category codecs
 * @since 0.3.0
 */
export const Nip01Event: typeof NostrEventCodec = NostrEventCodec

/**
 * A NIP-01 event as decoded by {@link Nip01Event}. A nostr-tools `NostrEvent` (or `Event`) is
 * assignable to it.
 *
 * @category model
 * @since 0.3.0
 */
export type Nip01Event = NostrEventCodec

/**
 * One planned subscription: its id, the slot it serves and its filters ({@link Subscription}
 * under a name that does not clash with nostr-tools' `Subscription` class).
 *
 * @category model
 * @since 0.3.0
 */
export type PlannedSubscription = PlannedSubscription_
