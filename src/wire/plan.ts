/**
 * The values of the wire plan (re-exported by `Wire.ts`, the public face): a subscription, a
 * relay's live plan and its problems, a NIP-01 client message, and the one batch type.
 *
 * @internal
 */
import type { NostrFilter } from './Filters.js'
import type { RelayAction } from '../relays/RelayAction.js'

/**
 * One subscription: its id, the slot it serves (for logs and tests) and its filters.
 *
 * @example
 * import { planTarget } from 'nip34-sync'
 *
 * const [discovery] = planTarget()({ relay: 'wss://r.example', repos: [], rootEvents: {} }).subscriptions
 * assert.strictEqual(discovery?.slot, 'discovery')
 * assert.match(discovery?.id ?? '', /^n34l[0-9a-f]{24}$/)
 *
 * @category model
 * @since 0.1.0
 * @deprecated since 0.3.0: use {@link PlannedSubscription} (the same type; nostr-tools exports a `Subscription` class).
 */
export interface Subscription {
  readonly id: string
  readonly slot: string
  readonly filters: ReadonlyArray<NostrFilter>
}

/**
 * Something in a target the plan could not ask for, or could not fit:
 *
 * | code | meaning |
 * | --- | --- |
 * | `invalid-repo` | a value of `repos` or `stateOnly` is not a repository address (left out) |
 * | `invalid-root-id` | a root event id is not 64 lower-case hex characters (left out) |
 * | `oversized-value` | a value is too long for one message under `maxMessageBytes` (left out) |
 * | `over-budget` | the plan needs more subscriptions than the budget, even folded (the excess is in `overflow`) |
 * | `no-history-room` | (a `SyncBatch` only) the relay allows a single subscription: the batch's history is not awaited |
 *
 * @example
 * import { planTarget } from 'nip34-sync'
 *
 * const plan = planTarget()({ relay: 'wss://r.example', repos: ['not-a-ref'], rootEvents: {} })
 * assert.strictEqual(plan.problems[0]?.code, 'invalid-repo')
 *
 * @category model
 * @since 0.1.0
 */
export interface PlanProblem {
  readonly code: 'invalid-repo' | 'invalid-root-id' | 'oversized-value' | 'over-budget' | 'no-history-room'
  readonly message: string
  readonly value?: string
}

/**
 * The live subscriptions of one relay.
 *
 * @example
 * import { planTarget } from 'nip34-sync'
 *
 * const plan = planTarget({ maxSubscriptions: 10 })({ relay: 'wss://r.example', repos: [], rootEvents: {} })
 * assert.deepStrictEqual([plan.budget, plan.folded, plan.overBudget], [8, 0, 0])
 *
 * @category model
 * @since 0.1.0
 */
export interface RelayPlan {
  readonly relay: string
  /**
   * Discovery first, then the slots in key order; never more than `budget`. Empty when the relay
   * is not a target.
   */
  readonly subscriptions: ReadonlyArray<Subscription>
  /**
   * The subscriptions that do not fit the budget even folded (the last ones in key order), empty
   * when the plan fits. They are never among the messages: open them on a second connection to
   * the relay (moving them with {@link changeMessages} from the previous plan's overflow), or
   * raise the limits.
   */
  readonly overflow: ReadonlyArray<Subscription>
  /** The live subscription budget of the limits used. */
  readonly budget: number
  /** How many slot merges folding made (0 when the plan fits without folding). */
  readonly folded: number
  /** The number of `overflow` subscriptions (0 when the plan fits). */
  readonly overBudget: number
  readonly problems: ReadonlyArray<PlanProblem>
}

/**
 * A NIP-01 client message: open or replace a subscription, or close one.
 *
 * @example
 * import type { WireMessage } from 'nip34-sync'
 *
 * const close: WireMessage = ['CLOSE', 'n34l0123456789abcdef012345']
 * assert.strictEqual(JSON.stringify(close), '["CLOSE","n34l0123456789abcdef012345"]')
 *
 * @category model
 * @since 0.1.0
 */
export type WireMessage = readonly ['REQ', string, ...Array<NostrFilter>] | readonly ['CLOSE', string]

/**
 * What a host does on one relay for a list of actions.
 *
 * @example
 * import { emptyRelayIndex, planActions } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const [batch] = F.pipe(emptyRelayIndex, planActions([{ _tag: 'SpawnRelay', relay: 'wss://r.example', repos: [], rootEvents: {} }]))
 * assert.strictEqual(batch?.connection, 'open')
 * assert.deepStrictEqual(batch?.awaiting, batch?.messages.map((m) => m[1]))
 *
 * @category model
 * @since 0.1.0
 */
export interface RelayBatch {
  readonly relay: string
  /** `open`: connect first; `close`: send the `CLOSE`s and disconnect; `keep`: the connection stays. */
  readonly connection: 'open' | 'keep' | 'close'
  /** The actions of this relay, in order. */
  readonly actions: ReadonlyArray<RelayAction>
  /** `CLOSE`s first, then `REQ`s. */
  readonly messages: ReadonlyArray<WireMessage>
  /** The ids of the `REQ`s, whose `EOSE` confirms the batch. */
  readonly awaiting: ReadonlyArray<string>
  /**
   * The plan after the batch (no subscriptions when the connection closes). From the engine: the
   * live subscriptions of this connection; its `overflow` is what no connection could hold.
   */
  readonly plan: RelayPlan
  /**
   * Which connection to the relay the batch is for: 0 is the first. {@link planActions} and
   * `nextBatches` use one connection (0); the engine opens more when one cannot hold the plan.
   *
   * @since 0.2.0
   */
  readonly socket: number
  /**
   * One-shot history subscriptions. From `nextBatches`: to run and page by the host (not among
   * `messages`). From the engine: the history subscriptions this batch starts or pages, whose
   * `REQ`s ARE among `messages` (hand the events of each to the engine with its `EOSE`).
   * {@link planActions}: none.
   *
   * @since 0.2.0
   */
  readonly history: ReadonlyArray<Subscription>
  /** What could not be planned or awaited (the plan's problems, each once). @since 0.2.0 */
  readonly problems: ReadonlyArray<PlanProblem>
  /**
   * NIP-77 negentropy sessions to open on this connection after `messages` (engine only;
   * absent: none). Report each one's end: `NegentropyResult` (the ids the relay has that the
   * host lacks), `NegentropyError` (`NEG-ERR`) or `Timeout` (no answer). A later `CLOSE` of a
   * session's id is sent as `NEG-CLOSE`.
   *
   * @since 0.3.0
   */
  readonly negentropy?: ReadonlyArray<NegentropyOpen>
}

/**
 * A NIP-77 negentropy session the host opens (a batch's `negentropy`): `["NEG-OPEN", id, filter,
 * initial message]`, the initial message built from the host's own events matching `filter` (its
 * "have" set). One filter per session, as NIP-77 requires.
 *
 * @example
 * import type { NegentropyOpen } from 'nip34-sync'
 *
 * const open: NegentropyOpen = { id: 'n34h0a1b2', filter: { kinds: [30617] } }
 * assert.strictEqual(open.filter.kinds?.[0], 30617)
 *
 * @category model
 * @since 0.3.0
 */
export interface NegentropyOpen {
  readonly id: string
  readonly filter: NostrFilter
}

