/**
 * `SyncState` is what a host has asked its relays for, as a value: the targets confirmed on each
 * relay (*applied*), the batches sent and not yet confirmed (*in flight*), the subscription ids
 * that may be open on each connection, and when each relay was last confirmed.
 *
 * The lifecycle of one relay's work is three-way and pure:
 *
 * ```text
 *            nextBatches                markSent               confirm (every EOSE)
 * desired ──────────────▶ SyncBatch ─────────────▶ in flight ─────────────────────▶ applied
 *                                                     │ fail / closed / disconnected
 *                                                     └──────────▶ dropped: the work comes back
 *                                                                  in the next nextBatches
 * ```
 *
 * - {@link pendingDiff} is {@link diff} that takes in-flight work into account: a relay with a
 *   batch in flight gets no new work until that batch is confirmed or failed, so nothing is
 *   requested twice and every `EOSE` belongs to exactly one batch.
 * - Every answer belongs to exactly one attempt (issue 9.4): each relay has an attempt counter,
 *   bumped by {@link fail}, {@link closed} and {@link disconnected}; what is sent again after a
 *   failure (live `REQ`s and history) goes under ids derived from the slot and that counter, so a
 *   late `EOSE` or `CLOSED` of the failed attempt names an id nothing awaits, and changes nothing.
 * - Repositories in GRASP-01 purgatory are synced in *state-only* mode: {@link SyncTargets} keeps
 *   them in a second {@link RelayIndex}, whose plan asks only for their state events. When a
 *   repository leaves purgatory it moves to the full index, which {@link pendingDiff} sees as new
 *   work (an `AddFilters` for it and its root events).
 * - {@link reconnectSince} and {@link startPaging}/{@link nextPage} are the two time helpers:
 *   the `since` of a quick reconnect, and history paging that cannot loop.
 *
 * The state never reads a clock: times (`at`, `lastConfirmed`) come from the host, in seconds.
 *
 * Every function is total. Opaque values read defensively: a value that is not a
 * {@link SyncState} reads as {@link emptySyncState}, one that is not a {@link RelayIndex} as the
 * empty index, one that is not {@link SyncTargets} as empty targets; a relay or id that is not a
 * string is unknown (reducers leave the state as it is); a batch that is not a {@link SyncBatch}
 * leaves the state as it is. Nothing throws, nothing is mutated.
 *
 * @since 0.1.0
 */
export {
  type SyncTargets,
  syncTargets,
  withPurgatory,
  syncFilterTarget,
  eqSyncTargets
} from './lifecycle/targets.js'
export {
  type SyncState,
  emptySyncState,
  appliedTargets,
  type InFlight,
  inFlight,
  lastConfirmed,
  openSubscriptions,
  pendingDiff
} from './lifecycle/state.js'
export {
  type SyncBatch,
  type NextBatchesOptions,
  DEFAULT_RECONNECT_WINDOW,
  nextBatches
} from './lifecycle/batches.js'
export {
  markSent,
  confirm,
  fail,
  closed,
  disconnected
} from './lifecycle/transitions.js'
export {
  MAX_TIMESTAMP,
  reconnectSince,
  type UntilStep,
  nextUntil,
  type PageCursor,
  startPaging,
  pageFilter,
  nextPage
} from './lifecycle/paging.js'
