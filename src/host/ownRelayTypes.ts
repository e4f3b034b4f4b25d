/**
 * Where the executor reads and writes events (internal; the types are public through
 * `nip34-sync/host`): the {@link EventSource} it reads what to sync from, the {@link EventSink} it
 * stores what it fetched in, and the events it passes on. The own relay's implementations are
 * storeSource.ts and storeSink.ts.
 */
import type { SignedEvent } from '../decode/verifyBackend.js'

/**
 * Where the executor reads the events that say what to sync (announcements, deletions, root
 * events): by default the server's own relay.
 *
 * @example
 * import type { EventSource } from 'nip34-sync/host'
 *
 * // a source that delivers a fixed list, then says it delivered everything it holds
 * const fixed = (events: ReadonlyArray<unknown>): EventSource => ({
 *   start: ({ onEvents, onCaughtUp }) => {
 *     onEvents(events)
 *     onCaughtUp()
 *   },
 *   stop: () => undefined
 * })
 * assert.strictEqual(typeof fixed([]).start, 'function')
 *
 * @category model
 * @since 0.3.0
 */
export interface EventSource {
  /** Starts delivering. `onEvents` may be called any number of times; `onCaughtUp` when every stored event was delivered. */
  readonly start: (handlers: SourceHandlers) => void
  /** Stops delivering, closing everything (no timer left). */
  readonly stop: () => void
}

/**
 * What an {@link EventSource} calls.
 *
 * @example
 * import type { SourceHandlers } from 'nip34-sync/host'
 *
 * const seen: Array<unknown> = []
 * const handlers: SourceHandlers = { onEvents: (e) => seen.push(...e), onCaughtUp: () => undefined }
 * handlers.onEvents([1, 2])
 * assert.strictEqual(seen.length, 2)
 *
 * @category model
 * @since 0.3.0
 */
export interface SourceHandlers {
  readonly onEvents: (events: ReadonlyArray<unknown>) => void
  readonly onCaughtUp: () => void
  /** The source's connection opened or dropped (for progress reports). */
  readonly onStatus?: (status: 'connected' | 'disconnected', detail?: string) => void
}

/**
 * Where the executor stores the events it fetched: by default the server's own (or store) relay.
 * `store` resolves when the events are stored (optionally with counts); a rejection counts them
 * as failed.
 *
 * @example
 * import type { EventSink } from 'nip34-sync/host'
 *
 * const kept: Array<unknown> = []
 * const sink: EventSink = { store: async (events) => void kept.push(...events) }
 * await sink.store([{ id: 'x' }])
 * assert.strictEqual(kept.length, 1)
 *
 * @category model
 * @since 0.3.0
 */
export interface EventSink {
  readonly store: (events: ReadonlyArray<NostrEventLike>) => Promise<void | StoreResult>
  /** Called once when the executor stops: close everything (no timer left). */
  readonly stop?: () => void
}

/**
 * What a sink's `store` may resolve with: how many events were stored and how many refused.
 *
 * @example
 * import type { StoreResult } from 'nip34-sync/host'
 *
 * const r: StoreResult = { stored: 2, failed: 0 }
 * assert.strictEqual(r.stored, 2)
 *
 * @category model
 * @since 0.3.0
 */
export interface StoreResult {
  readonly stored: number
  readonly failed: number
  /**
   * Ids of events the relay refused (`OK false` with a reason other than `duplicate:`,
   * `rate-limited:`, `error:` or `auth-required:`): the executor reports them to the engine (`Refused`), which does
   * not fetch them by id again for a while. @since 0.3.0
   */
  readonly refused?: ReadonlyArray<string>
}

/**
 * A nostr event as the executor passes it on: checked for its shape, for matching the
 * subscription it came on and, unless the configuration says `verify: false`, for its id and
 * signature (the core's verifier). The same fields the core's verifier reads.
 *
 * @example
 * import type { NostrEventLike } from 'nip34-sync/host'
 *
 * const e: NostrEventLike = { id: '0'.repeat(64), pubkey: '1'.repeat(64), created_at: 1, kind: 1621, tags: [], content: '', sig: '2'.repeat(128) }
 * assert.strictEqual(e.kind, 1621)
 *
 * @category model
 * @since 0.3.0
 */
export type NostrEventLike = SignedEvent
