/**
 * The events the sync core reads, after decoding (internal; public through
 * `decode/Nip34Event.ts`): announcements, root events, deletions, the decoder's result, and the
 * kind constants. Types and constants only, so that the decoders and the derivation
 * (`decode/effective.ts`) share them without importing each other.
 */
import type { RelayUrl } from './RelayUrl.js'
import type { RepoRef } from './RepoRef.js'
import type { Rejection, RejectionCode } from './Rejection.js'

/**
 * What the sync core keeps of a repository announcement (kind 30617).
 *
 * @category model
 * @since 0.1.0
 */
export interface Announcement {
  readonly _tag: 'Announcement'
  readonly id: string
  readonly pubkey: string
  readonly createdAt: number
  /** The `d` identifier (may contain `:`). */
  readonly identifier: string
  readonly ref: RepoRef
  /** Every usable value of every `relays` tag, canonical, sorted, without duplicates. */
  readonly relays: ReadonlyArray<RelayUrl>
  /** Host names of every `http(s)` `clone` URL (all values of all `clone` tags), sorted, unique. */
  readonly cloneHosts: ReadonlyArray<string>
  /** Valid pubkeys of the `maintainers` values, sorted, unique: the first `maintainersPerAnnouncement` in tag order. */
  readonly maintainers: ReadonlyArray<string>
  /**
   * Where each relay of `relays` came from (first spelling, in tag order). Our own hosts, the
   * relay policy and the `relaysPerAnnouncement` cap are applied to these when targets are
   * derived, in this order.
   */
  readonly relaySources: ReadonlyArray<RelaySource>
  /** The `relays` values that are not relay URLs at all, and why. */
  readonly excluded: ReadonlyArray<ExcludedRelay>
}

/**
 * The tag that put a relay in an announcement's relay list.
 *
 * @category model
 * @since 0.1.0
 */
export interface RelaySource {
  readonly relay: RelayUrl
  /** Index of the `relays` tag in the event's `tags`. */
  readonly tag: number
  /** The value as written. */
  readonly value: string
}

/**
 * A `relays` value that was not used, with the rule that excluded it.
 *
 * @category model
 * @since 0.1.0
 */
export interface ExcludedRelay {
  /** Index of the `relays` tag in the event's `tags`. */
  readonly tag: number
  readonly value: string
  readonly code: RejectionCode
  /** The policy rule or cap, when one decided. */
  readonly rule?: string
  readonly reason: string
}

/**
 * What the sync core keeps of a root event (patch, pull request, PR update, issue, or any
 * configured root kind): its id and the repositories its `a` tags name.
 *
 * @category model
 * @since 0.1.0
 */
export interface RootEvent {
  readonly _tag: 'RootEvent'
  readonly id: string
  readonly pubkey: string
  readonly kind: number
  readonly createdAt: number
  /** Every repository named by an `a` tag, sorted, unique. */
  readonly repos: ReadonlyArray<RepoRef>
}

/**
 * What the sync core keeps of a NIP-09 deletion (kind 5): the repository addresses of its author
 * that it deletes up to its `created_at`, and the event ids it names (effective only on events by
 * the same author).
 *
 * @category model
 * @since 0.1.0
 */
export interface Deletion {
  readonly _tag: 'Deletion'
  readonly id: string
  readonly pubkey: string
  readonly createdAt: number
  /** Repository addresses by the deletion's author, sorted, unique. */
  readonly addresses: ReadonlyArray<RepoRef>
  /** Event ids from `e` tags, sorted, unique. */
  readonly eventIds: ReadonlyArray<string>
}

/**
 * The kind of a NIP-09 deletion request.
 *
 * @example
 * import { DELETION_KIND } from 'nip34-sync'
 *
 * assert.strictEqual(DELETION_KIND, 5)
 *
 * @category constants
 * @since 0.1.0
 */
export const DELETION_KIND = 5

/**
 * An event the sync core uses.
 *
 * @category model
 * @since 0.1.0
 */
export type Nip34Event = Announcement | RootEvent | Deletion

/**
 * Options for decoding one batch.
 *
 * @category model
 * @since 0.1.0
 */
export interface DecodeOptions {
  /**
   * The current time in unix seconds, for the future-date check. Without it no such check is
   * made; a value that is not a finite number is reported (`invalid-batch`) and no check is made.
   */
  readonly now?: number | undefined
}

/**
 * The outcome of decoding one input: the event when it is usable (`undefined` when it is not),
 * and every rejection, whole or partial.
 *
 * @category model
 * @since 0.1.0
 */
export interface Decoded {
  readonly event: Nip34Event | undefined
  readonly rejected: ReadonlyArray<Rejection>
  /**
   * The kind, when the event is of a kind the project ignores on purpose ({@link IGNORED_KINDS}):
   * not used, and not a rejection either.
   * @since 0.2.0
   */
  readonly ignored?: number
}

/**
 * Kinds the project does not index, on purpose: repository state (30618), comments (1111),
 * statuses (1630 to 1633) and GRASP server lists (10317). A sync fetches them alongside the
 * events it uses, so they come back counted as ignored ({@link Decoded.ignored},
 * `BatchResult.ignored`), never as rejections. A kind listed in `rootKinds` is a root kind, not
 * ignored. Deletions (kind 5) are used, not ignored.
 *
 * @example
 * import { IGNORED_KINDS } from 'nip34-sync'
 *
 * assert.deepStrictEqual(IGNORED_KINDS, [1111, 1630, 1631, 1632, 1633, 10317, 30618])
 *
 * @category constants
 * @since 0.2.0
 */
export const IGNORED_KINDS: ReadonlyArray<number> = Object.freeze([1111, 1630, 1631, 1632, 1633, 10317, 30618])
