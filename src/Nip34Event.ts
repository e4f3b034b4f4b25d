/**
 * Event codecs: from `unknown` JSON to the two shapes of event the sync core reads.
 *
 * - {@link NostrEvent} is an io-ts codec for a NIP-01 event (hex id, pubkey and signature,
 *   integer `created_at` and `kind`, `tags` an array of string arrays).
 * - {@link decodeNip34Event} classifies a decoded event as an {@link Announcement} (kind 30617)
 *   or a {@link RootEvent} (a configured root kind), extracting only what sync needs, in
 *   canonical form. Everything it refuses is returned as {@link Rejection}s: a whole event
 *   (nothing applies) or single values (the rest applies).
 *
 * This module reads values; it does not verify signatures.
 *
 * @since 0.1.0
 */
import * as t from 'io-ts'
import { either as E } from 'fp-ts'
import type { ResolvedConfig } from './Config.js'
import { hostOf, relayUrl, type RelayUrl } from './RelayUrl.js'
import { ANNOUNCEMENT_KIND, makeRepoRef, repoRef, type RepoRef } from './RepoRef.js'
import { formatDecodeErrors, rejection, type Rejection } from './Rejection.js'
import { sortedUnique } from './internal/sorted.js'

const hex = (length: number, name: string) =>
  new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && u.length === length && /^[0-9a-f]*$/.test(u),
    (u, c) =>
      typeof u === 'string' && u.length === length && /^[0-9a-f]*$/.test(u)
        ? t.success(u)
        : t.failure(u, c, `expected ${length} lower-case hex characters, got ${describe(u)}`),
    t.identity
  )

const describe = (u: unknown): string => {
  if (typeof u === 'string') return u.length > 80 ? `a string of ${u.length} characters` : JSON.stringify(u)
  if (Array.isArray(u)) return 'an array'
  return u === null ? 'null' : typeof u
}

const intIn = (min: number, max: number, name: string) =>
  new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max,
    (u, c) =>
      typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max
        ? t.success(u)
        : t.failure(u, c, `expected an integer from ${min} to ${max}, got ${describe(u)}`),
    t.identity
  )

/**
 * io-ts codec of a NIP-01 event. Extra fields are allowed and dropped.
 *
 * @example
 * import { NostrEvent } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.strictEqual(E.isLeft(NostrEvent.decode({ kind: 1 })), true)
 *
 * @category codecs
 * @since 0.1.0
 */
export const NostrEvent = t.type(
  {
    id: hex(64, 'EventId'),
    pubkey: hex(64, 'PubKey'),
    created_at: intIn(0, Number.MAX_SAFE_INTEGER, 'Timestamp'),
    kind: intIn(0, 65535, 'Kind'),
    tags: t.readonlyArray(t.readonlyArray(t.string)),
    content: t.string,
    sig: hex(128, 'Signature')
  },
  'NostrEvent'
)

/**
 * A NIP-01 event as decoded by {@link NostrEvent}.
 *
 * @category model
 * @since 0.1.0
 */
export type NostrEvent = t.TypeOf<typeof NostrEvent>

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
  /** Host names of every `clone` URL (all values of all `clone` tags), sorted, unique. */
  readonly cloneHosts: ReadonlyArray<string>
  /** Valid pubkeys of every `maintainers` value, sorted, unique. */
  readonly maintainers: ReadonlyArray<string>
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
 * An event the sync core uses.
 *
 * @category model
 * @since 0.1.0
 */
export type Nip34Event = Announcement | RootEvent

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
}


const tagValues = (tags: ReadonlyArray<ReadonlyArray<string>>, name: string): Array<string> => {
  const out: Array<string> = []
  for (const tag of tags) if (tag[0] === name) for (let i = 1; i < tag.length; i++) out.push(tag[i] as string)
  return out
}

const decodeAnnouncement = (ev: NostrEvent, position: number | undefined): Decoded => {
  const ctx = { position, eventId: ev.id }
  const dTag = ev.tags.find((tag) => tag[0] === 'd')
  const d = dTag?.[1]
  if (d === undefined || d === '')
    return {
      event: undefined,
      rejected: [rejection('missing-d', dTag === undefined ? 'announcement has no d tag' : 'announcement has an empty d tag', ctx)]
    }
  const ref = makeRepoRef(ev.pubkey, d)
  if (E.isLeft(ref)) return { event: undefined, rejected: [rejection('missing-d', ref.left.reason, ctx)] }
  const rejected: Array<Rejection> = []
  const relays: Array<RelayUrl> = []
  for (const value of tagValues(ev.tags, 'relays')) {
    const r = relayUrl(value)
    if (E.isRight(r)) relays.push(r.right)
    else
      rejected.push(
        rejection('invalid-relay-url', `relays value refused: ${r.left.reason}`, { ...ctx, partial: true, repo: ref.right, value })
      )
  }
  const cloneHosts: Array<string> = []
  for (const value of tagValues(ev.tags, 'clone')) {
    const h = hostOf(value)
    if (h !== undefined) cloneHosts.push(h)
  }
  const maintainers = tagValues(ev.tags, 'maintainers').filter((m) => /^[0-9a-f]{64}$/.test(m))
  return {
    event: {
      _tag: 'Announcement',
      id: ev.id,
      pubkey: ev.pubkey,
      createdAt: ev.created_at,
      identifier: d,
      ref: ref.right,
      relays: sortedUnique(relays),
      cloneHosts: sortedUnique(cloneHosts),
      maintainers: sortedUnique(maintainers)
    },
    rejected
  }
}

const decodeRoot = (ev: NostrEvent, position: number | undefined): Decoded => {
  const ctx = { position, eventId: ev.id }
  const rejected: Array<Rejection> = []
  const repos: Array<RepoRef> = []
  for (const value of tagValues(ev.tags, 'a')) {
    if (!value.startsWith(`${ANNOUNCEMENT_KIND}:`)) continue // an address of another kind: not a repository
    const r = repoRef(value)
    if (E.isRight(r)) repos.push(r.right)
    else rejected.push(rejection('invalid-repo-ref', `a tag refused: ${r.left.reason}`, { ...ctx, partial: true, value }))
  }
  if (repos.length === 0)
    return {
      event: undefined,
      rejected: [...rejected, rejection('no-repo-ref', `kind ${ev.kind} root event names no repository in its a tags`, ctx)]
    }
  return {
    event: { _tag: 'RootEvent', id: ev.id, pubkey: ev.pubkey, kind: ev.kind, createdAt: ev.created_at, repos: sortedUnique(repos) },
    rejected
  }
}

/**
 * Decodes one untrusted value into the event the sync core uses, with every rejection. Total.
 *
 * @example
 * import { decodeNip34Event, resolveConfig } from 'nip34-sync'
 *
 * const config = resolveConfig({ ownRelays: ['wss://grasp.example.com'] })
 * const { event, rejected } = decodeNip34Event(config)({ kind: 1617 })
 * assert.strictEqual(event, undefined)
 * assert.strictEqual(rejected[0]?.code, 'invalid-event')
 *
 * @category decoders
 * @since 0.1.0
 */
export const decodeNip34Event =
  (config: ResolvedConfig) =>
  (input: unknown, position?: number): Decoded => {
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      return { event: undefined, rejected: [rejection('not-an-object', `expected a JSON object, got ${describe(input)}`, { position })] }
    const decoded = NostrEvent.decode(input)
    if (E.isLeft(decoded)) {
      const id = (input as { id?: unknown }).id
      return {
        event: undefined,
        rejected: [
          rejection('invalid-event', formatDecodeErrors(decoded.left), {
            position,
            eventId: typeof id === 'string' && id.length <= 128 ? id : undefined
          })
        ]
      }
    }
    const ev = decoded.right
    if (ev.kind === ANNOUNCEMENT_KIND) return decodeAnnouncement(ev, position)
    if (config.rootKinds.has(ev.kind)) return decodeRoot(ev, position)
    return {
      event: undefined,
      rejected: [rejection('unsupported-kind', `kind ${ev.kind} is neither an announcement nor a root kind`, { position, eventId: ev.id })]
    }
  }
