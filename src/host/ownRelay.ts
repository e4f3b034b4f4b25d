/**
 * The server's own relay as the executor's default event source and sink (internal): reading
 * announcements, deletions and root events (history paged newest first, then live; storeSource.ts),
 * and publishing what the executor fetched, with acknowledgements, a bounded window in flight,
 * retries and reconnects (storeSink.ts). Both run on {@link Connection}, so they share its rules
 * (no nostr-tools timers, ordered sends, a fresh object per connection). The types they implement
 * are in ownRelayTypes.ts.
 */
export type { EventSink, EventSource, NostrEventLike, SourceHandlers, StoreResult } from './ownRelayTypes.js'
export { relaySource, type RelaySourceOptions } from './storeSource.js'
export { relaySink, type RelaySinkOptions } from './storeSink.js'
