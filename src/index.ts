/**
 * nip34-sync: decide which nostr relays a NIP-34 git relay (GRASP server) must ask for which
 * events. Pure functions over immutable values:
 *
 * `unknown[] —applyBatch→ RepoIndex —deriveTargets→ RelayIndex (desired) —diff(applied)→ RelayAction[]`
 *
 * @since 0.1.0
 */
export * from './RelayUrl.js'
export * from './RepoRef.js'
export * from './Rejection.js'
export * from './Config.js'
export * from './Nip34Event.js'
export * from './RepoIndex.js'
export {
  deriveTargets,
  emptyRelayIndex,
  eqRelayIndex,
  fromRelayTargets,
  isAccepted,
  isRelayIndex,
  relayRepos,
  relayRootEvents,
  relayTarget,
  relayTargets,
  relays,
  type RelayIndex,
  type RelayTarget
} from './RelayIndex.js'
export * from './RelayAction.js'
export * from './Snapshot.js'
export * from './Explain.js'
export * from './RelayPolicy.js'
export * from './Limits.js'
export * from './Filters.js'
export * from './Wire.js'
export * from './Lifecycle.js'
export * from './Verify.js'
export * from './Engine.js'
