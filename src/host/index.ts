/**
 * `nip34-sync/host`: the executor, a GRASP-02 host on nostr-tools that runs the sync engine
 * against real relays (sockets, clock, DNS, NIP-11). The core (`nip34-sync`) stays pure; this
 * subpath is the edge. See docs/host.md.
 *
 * @since 0.3.0
 */
export { createExecutor } from './Executor.js'
export type { ConnectionState, Executor, ExecutorCounters, ExecutorEvent, ExecutorOptions, ExecutorRelayState, ExecutorState } from './types.js'
export type { EventSink, EventSource, NostrEventLike, SourceHandlers, StoreResult } from './ownRelay.js'
export type { Resolver, WebSocketClass } from './net.js'
