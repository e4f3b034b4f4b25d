/**
 * The public types of the engine (re-exported by `Engine.ts`, the public face): the engine value,
 * its inputs and what a step gives. Its options (optionTypes.ts), the status of a relay
 * (statusTypes.ts) and its snapshot (snapshotTypes.ts) are re-exported from here.
 *
 * @internal
 */
import type { RelayLimits } from '../config/Limits.js'
import type { Rejection } from '../model/Rejection.js'
import type { PlanProblem, RelayBatch } from '../wire/Wire.js'
export type { NegentropyOpen } from '../wire/plan.js'
export { DEFAULT_MAX_CONNECTIONS_PER_RELAY, DEFAULT_REQUEST_TIMEOUT } from './optionTypes.js'
export type { DiscoveryOptions, EngineHealthOptions, EngineOptions, FetchTaggedOptions } from './optionTypes.js'
export type { RelayHealth, RelayHealthState, RelayNegentropy, RelayStatus } from './statusTypes.js'
export type { EngineRestore, EngineSnapshot, EngineSnapshotError } from './snapshotTypes.js'

/**
 * All sync state of a host, as one opaque, immutable value. Make one with {@link syncEngine};
 * advance it with {@link step}; read it with {@link engineRepoIndex}, {@link engineDesired},
 * {@link engineApplied}, {@link engineRelay}, {@link isSettled}.
 *
 * @example
 * import { emptySyncEngine, isSettled } from 'nip34-sync'
 *
 * assert.strictEqual(isSettled(emptySyncEngine), true)
 *
 * @category model
 * @since 0.2.0
 */
export interface SyncEngine {
  readonly _tag: 'SyncEngine'
}

/**
 * A connection failure the host classified (`Failed` input): the host name does not resolve
 * (`dns`), the TLS handshake or certificate failed (`tls`), the server did not speak the
 * WebSocket or nostr protocol (`protocol`), or the relay policy refused the resolved address
 * (`refused-address`): each puts the relay on the naughty list. `rate-limited` (an HTTP 429 answer
 * to the upgrade, since 0.3.0) starts the relay's cooldown instead, as a `rate-limited:` `CLOSED` does.
 *
 * @example
 * import type { RelayFailureKind } from 'nip34-sync'
 *
 * const kind: RelayFailureKind = 'dns'
 * assert.strictEqual(kind, 'dns')
 *
 * @category model
 * @since 0.3.0
 */
export type RelayFailureKind = 'dns' | 'tls' | 'protocol' | 'refused-address' | 'rate-limited'

/**
 * One input of {@link step}: a batch of events, or host feedback about one relay connection
 * (`socket`, default 0). `now` is the host's time in unix seconds; when it is left out the latest
 * time the engine has seen is used.
 *
 * | input | when | effect |
 * | --- | --- | --- |
 * | `Events` | events arrived (from any relay, any subscription) | indexed; relays whose targets changed are re-planned, history is fetched for what was added |
 * | `Eose` | `EOSE` for `id` | a live attempt is confirmed; a history attempt pages on with `events` (the events it received since its `REQ`), or ends |
 * | `Closed` | `CLOSED` for `id` | that attempt failed: retried after a backoff under a new id |
 * | `Notice` | a `NOTICE` | reported; the pending attempts run into their `Timeout` |
 * | `Timeout` | no answer in time (for `id`, or every pending attempt of the connection) | retried at once under new ids; the old ids are closed |
 * | `Connected` | the socket opened | its retry delay is reset |
 * | `Disconnected` | the socket dropped (or never opened) | its subscriptions are gone; it reopens after a backoff; history resumes from the last `EOSE` minus the reconnect window |
 * | `Limits` | the relay's NIP-11 limits (a partial {@link RelayLimits}) | the relay is re-planned under them, even if its target did not change |
 * | `Tick` | now and then | retries that are due are sent |
 * | `Held` | the repositories in GRASP-01 purgatory (waiting for their git data) changed: `repos` lists them all | they are synced state-only (their state events); one that leaves purgatory gets its full live plan and its history from the beginning |
 * | `Failed` | a connection attempt failed for a `kind` of reason that will not mend soon (DNS, TLS, protocol, refused address), or was rate-limited (`rate-limited`, HTTP 429) | as `Disconnected`, and the relay is parked for `naughtyDelay` (naughty list); `rate-limited`: as `Disconnected`, and the relay cools down |
 * | `Authenticated` | NIP-42 auth succeeded on the connection | the `REQ`s it refused with `auth-required:` are sent again |
 * | `AuthFailed` | NIP-42 auth failed or is impossible (no key) | the relay is parked for `naughtyDelay` |
 * | `Refused` | the own relay refused events (`ids`; `OK false`, not `duplicate:` or `rate-limited:`) | those ids are not fetched by id for `refusedFor` seconds (fetchTagged) |
 *
 * @example
 * import { type EngineInput } from 'nip34-sync'
 *
 * const input: EngineInput = { _tag: 'Eose', relay: 'wss://r.example', socket: 0, id: 'n34l0', now: 1700000000 }
 * assert.strictEqual(input._tag, 'Eose')
 *
 * @category model
 * @since 0.2.0
 */
export type EngineInput =
  | { readonly _tag: 'Events'; readonly events: ReadonlyArray<unknown>; readonly now?: number }
  | { readonly _tag: 'Eose'; readonly relay: string; readonly socket?: number; readonly id: string; readonly events?: ReadonlyArray<unknown>; readonly now?: number }
  | { readonly _tag: 'Closed'; readonly relay: string; readonly socket?: number; readonly id: string; readonly reason?: string; readonly now?: number }
  | { readonly _tag: 'Notice'; readonly relay: string; readonly socket?: number; readonly message: string; readonly now?: number }
  | { readonly _tag: 'Timeout'; readonly relay: string; readonly socket?: number; readonly id?: string; readonly now?: number }
  | { readonly _tag: 'Connected'; readonly relay: string; readonly socket?: number; readonly now?: number }
  | { readonly _tag: 'Disconnected'; readonly relay: string; readonly socket?: number; readonly now?: number }
  | { readonly _tag: 'Limits'; readonly relay: string; readonly limits: Partial<RelayLimits>; readonly now?: number }
  | { readonly _tag: 'Tick'; readonly now: number }
  | { readonly _tag: 'Held'; readonly repos: Iterable<string>; readonly now?: number }
  /** A connection attempt failed for a reason that will not mend soon: as `Disconnected`, and the relay is parked (naughty list). @since 0.3.0 */
  | { readonly _tag: 'Failed'; readonly relay: string; readonly socket?: number; readonly kind: RelayFailureKind; readonly reason?: string; readonly now?: number }
  /** NIP-42: the connection authenticated; the `REQ`s refused with `auth-required:` on it are sent again (once). @since 0.3.0 */
  | { readonly _tag: 'Authenticated'; readonly relay: string; readonly socket?: number; readonly now?: number }
  /** NIP-42: auth failed (refused, or no key to sign with): the relay is parked like a naughty one. @since 0.3.0 */
  | { readonly _tag: 'AuthFailed'; readonly relay: string; readonly socket?: number; readonly reason?: string; readonly now?: number }
  /** NIP-77: the negentropy session `id` (a batch's `negentropy`) completed; `need`: the ids the relay has and the host lacks (fetched by id). @since 0.3.0 */
  | { readonly _tag: 'NegentropyResult'; readonly relay: string; readonly socket?: number; readonly id: string; readonly need: ReadonlyArray<string>; readonly now?: number }
  /** NIP-77: the relay answered the session `id` with `NEG-ERR` (its `reason`): the session's filter is paged with `REQ`s. @since 0.3.0 */
  | { readonly _tag: 'NegentropyError'; readonly relay: string; readonly socket?: number; readonly id: string; readonly reason?: string; readonly now?: number }
  /** The relay's NIP-11 `supported_nips`: listing 77 is a hint (negentropy is tried, never trusted alone). @since 0.3.0 */
  | { readonly _tag: 'Nips'; readonly relay: string; readonly nips: ReadonlyArray<number>; readonly now?: number }
  /** The own relay refused these events (`OK false`, not `duplicate:` nor `rate-limited:`): they are not fetched by id again for `refusedFor` seconds. @since 0.3.0 */
  | { readonly _tag: 'Refused'; readonly ids: ReadonlyArray<string>; readonly now?: number }

/**
 * Something the host should know (log it): a plan's problem, a refusal by a relay, a `NOTICE`,
 * unusable limits, or an input that is not one.
 *
 * @example
 * import { step, syncEngine } from 'nip34-sync'
 *
 * const { problems } = step({ _tag: 'Nope' } as never)(syncEngine({ ownRelays: ['wss://grasp.example.com'] }))
 * assert.strictEqual(problems[0]?.code, 'invalid-input')
 *
 * @category model
 * @since 0.2.0
 */
export interface EngineProblem {
  readonly code: PlanProblem['code'] | 'invalid-input' | 'closed' | 'notice' | 'invalid-limits' | 'learned-limits' | 'health' | 'fetch-cap'
  /** The relay concerned (`''` for none). */
  readonly relay: string
  readonly socket?: number
  readonly message: string
  readonly value?: string
}

/**
 * What one {@link step} gives: the next engine, the batches to send (per relay and connection,
 * sorted by relay then connection; in each, `CLOSE`s first, then `REQ`s, live and history
 * together), the events the batch rejected, and the problems to log.
 *
 * @example
 * import { emptySyncEngine, step } from 'nip34-sync'
 *
 * const { batches, rejected } = step({ _tag: 'Tick', now: 1700000000 })(emptySyncEngine)
 * assert.deepStrictEqual([batches, rejected], [[], []])
 *
 * @category model
 * @since 0.2.0
 */
export interface StepResult {
  readonly engine: SyncEngine
  readonly batches: ReadonlyArray<RelayBatch>
  readonly rejected: ReadonlyArray<Rejection>
  readonly problems: ReadonlyArray<EngineProblem>
}
