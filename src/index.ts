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
export * from './engine/Lifecycle.js'
export * from './decode/Verify.js'
export * from './engine/Engine.js'
