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
 * - {@link Deletion} (kind 5, NIP-09) keeps the repository addresses and event ids a deletion
 *   names; an address of another author is refused (only an author may delete).
 *
 * Before classifying, the decoder applies the configured caps (tags per event, bytes per tag
 * value), verifies the id and signature (unless `verify: false`), and, when the batch gives `now`,
 * refuses announcements and deletions dated more than `maxFutureSkew` ahead. It never mutates
 * its input: verification runs on a fresh copy (nostr-tools caches its verdict on the object).
 *
 * @since 0.1.0
 */
import * as t from 'io-ts'
import { either as E } from 'fp-ts'
import { verifies } from './internal/verify.js'
import { resolveConfig, type ResolvedConfig, type SyncConfig } from './Config.js'
import { hostOf, relayUrl, type RelayUrl } from './RelayUrl.js'
import { ANNOUNCEMENT_KIND, makeRepoRef, repoRef, repoRefParts, type RepoRef } from './RepoRef.js'
import { formatDecodeErrors, rejection, type Rejection, type RejectionCode } from './Rejection.js'
import { effectiveRelays } from './internal/effective.js'
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
  /** Host names of every `http(s)` `clone` URL (all values of all `clone` tags), sorted, unique. */
  readonly cloneHosts: ReadonlyArray<string>
  /** Valid pubkeys of every `maintainers` value, sorted, unique. */
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
  /** The current time in unix seconds, for the future-date check. Without it no such check is made. */
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
}


/** The first value of every tag with this name (for `a` and `e`, whose later values are a relay hint and a marker). */
const firstValues = (tags: ReadonlyArray<ReadonlyArray<string>>, name: string): Array<string> => {
  const out: Array<string> = []
  for (const tag of tags) if (tag[0] === name && tag.length > 1) out.push(tag[1] as string)
  return out
}

/** Every value of every tag with this name (for multi-valued tags: `relays`, `clone`, `maintainers`). */
const tagValues = (tags: ReadonlyArray<ReadonlyArray<string>>, name: string): Array<string> => {
  const out: Array<string> = []
  for (const tag of tags) if (tag[0] === name) for (let i = 1; i < tag.length; i++) out.push(tag[i] as string)
  return out
}

const decodeAnnouncement = (config: ResolvedConfig, ev: NostrEvent, position: number | undefined): Decoded => {
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
  const sources: Array<RelaySource> = []
  const excluded: Array<ExcludedRelay> = []
  const seen = new Map<RelayUrl, Array<{ readonly at: number; readonly value: string }>>() // relay → every spelling
  const reports: Array<{ readonly at: number; readonly rejection: Rejection }> = []
  // Every usable relay URL goes into the index; our own hosts, the relay policy and the cap are
  // applied when targets are derived (internal/effective.ts). They are reported here too, under
  // the batch's configuration, in tag order.
  let at = 0
  ev.tags.forEach((tag, index) => {
    if (tag[0] !== 'relays') return
    for (let i = 1; i < tag.length; i++, at++) {
      const value = tag[i] as string
      const r = relayUrl(value)
      if (E.isLeft(r)) {
        const reason = `relays value refused: ${r.left.reason}`
        excluded.push({ tag: index, value, code: 'invalid-relay-url', reason })
        reports.push({ at, rejection: rejection('invalid-relay-url', reason, { ...ctx, partial: true, repo: ref.right, value }) })
      } else {
        const spellings = seen.get(r.right)
        if (spellings === undefined) {
          seen.set(r.right, [{ at, value }])
          sources.push({ relay: r.right, tag: index, value })
        } else spellings.push({ at, value })
      }
    }
  })
  for (const x of effectiveRelays(config, { relaySources: sources }).excluded)
    for (const spelling of seen.get(x.relay) ?? [])
      reports.push({
        at: spelling.at,
        rejection: rejection(x.code, x.reason, { ...ctx, partial: true, repo: ref.right, value: spelling.value, rule: x.rule })
      })
  const rejected = reports.sort((a, b) => a.at - b.at).map((r) => r.rejection)
  const cloneHosts: Array<string> = []
  for (const value of tagValues(ev.tags, 'clone')) {
    // GRASP-01 clone URLs are http(s)://<host>/<npub>/<d>.git; other schemes (ssh, git, ws) say
    // nothing about which GRASP server hosts the repository
    if (!/^\s*https?:\/\//i.test(value)) continue
    const h = hostOf(value)
    if (h !== undefined) cloneHosts.push(h)
  }
  const maintainers: Array<string> = []
  for (const m of tagValues(ev.tags, 'maintainers')) {
    if (/^[0-9a-f]{64}$/.test(m)) maintainers.push(m)
    else
      rejected.push(
        rejection('invalid-maintainer', 'maintainers value is not a 64-character lower-case hex pubkey; it is not used', {
          ...ctx,
          partial: true,
          repo: ref.right,
          value: m
        })
      )
  }
  return {
    event: {
      _tag: 'Announcement',
      id: ev.id,
      pubkey: ev.pubkey,
      createdAt: ev.created_at,
      identifier: d,
      ref: ref.right,
      relays: sortedUnique(seen.keys()),
      cloneHosts: sortedUnique(cloneHosts),
      maintainers: sortedUnique(maintainers),
      relaySources: sources,
      excluded
    },
    rejected
  }
}

const decodeRoot = (config: ResolvedConfig, ev: NostrEvent, position: number | undefined): Decoded => {
  const ctx = { position, eventId: ev.id }
  const rejected: Array<Rejection> = []
  const repos = new Set<RepoRef>()
  const cap = config.caps.reposPerRootEvent
  for (const value of firstValues(ev.tags, 'a')) {
    if (!value.startsWith(`${ANNOUNCEMENT_KIND}:`)) continue // an address of another kind: not a repository
    const r = repoRef(value)
    if (E.isLeft(r)) rejected.push(rejection('invalid-repo-ref', `a tag refused: ${r.left.reason}`, { ...ctx, partial: true, value }))
    else if (repos.has(r.right)) continue
    else if (repos.size >= cap)
      rejected.push(
        rejection('cap-exceeded', `more than ${cap} repositories in one root event; this one is not used`, {
          ...ctx,
          partial: true,
          value,
          rule: 'reposPerRootEvent'
        })
      )
    else repos.add(r.right)
  }
  if (repos.size === 0)
    return {
      event: undefined,
      rejected: [...rejected, rejection('no-repo-ref', `kind ${ev.kind} root event names no repository in its a tags`, ctx)]
    }
  return {
    event: { _tag: 'RootEvent', id: ev.id, pubkey: ev.pubkey, kind: ev.kind, createdAt: ev.created_at, repos: sortedUnique(repos) },
    rejected
  }
}

const decodeDeletion = (ev: NostrEvent, position: number | undefined): Decoded => {
  const ctx = { position, eventId: ev.id }
  const rejected: Array<Rejection> = []
  const addresses: Array<RepoRef> = []
  const eventIds: Array<string> = []
  for (const value of firstValues(ev.tags, 'a')) {
    if (!value.startsWith(`${ANNOUNCEMENT_KIND}:`)) continue
    const r = repoRef(value)
    if (E.isLeft(r)) rejected.push(rejection('invalid-repo-ref', `a tag refused: ${r.left.reason}`, { ...ctx, partial: true, value }))
    else if (repoRefParts(r.right).pubkey !== ev.pubkey)
      rejected.push(
        rejection('not-authorised', 'a deletion can only delete its own author\u2019s announcements; this a tag has no effect', {
          ...ctx,
          partial: true,
          repo: r.right,
          value
        })
      )
    else addresses.push(r.right)
  }
  for (const value of firstValues(ev.tags, 'e')) {
    if (/^[0-9a-f]{64}$/.test(value)) eventIds.push(value)
    else rejected.push(rejection('invalid-event-ref', 'e tag value is not a 64-character lower-case hex event id', { ...ctx, partial: true, value }))
  }
  if (addresses.length === 0 && eventIds.length === 0)
    return { event: undefined, rejected: [...rejected, rejection('no-target', 'deletion names no repository and no event id', ctx)] }
  return {
    event: { _tag: 'Deletion', id: ev.id, pubkey: ev.pubkey, createdAt: ev.created_at, addresses: sortedUnique(addresses), eventIds: sortedUnique(eventIds) },
    rejected
  }
}

const encoder = new TextEncoder()

/** The first cap an event breaks before any other work is done on it, if any. */
const wholeEventCap = (config: ResolvedConfig, ev: NostrEvent): string | undefined => {
  if (ev.tags.length > config.caps.tagsPerEvent) return `${ev.tags.length} tags, more than the cap of ${config.caps.tagsPerEvent}`
  const max = config.caps.bytesPerTagValue
  for (let i = 0; i < ev.tags.length; i++) {
    const tag = ev.tags[i] as ReadonlyArray<string>
    for (let j = 0; j < tag.length; j++) {
      const v = tag[j] as string
      if (v.length > max || (v.length * 3 > max && encoder.encode(v).length > max))
        return `tags.${i}.${j} is longer than ${max} bytes`
    }
  }
  return undefined
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
export const decodeNip34Event = (configInput: SyncConfig | ResolvedConfig, options: DecodeOptions = {}) => {
  const config = resolveConfig(configInput)
  const now = typeof options === 'object' && options !== null && typeof options.now === 'number' ? options.now : undefined
  return (input: unknown, position?: number): Decoded => {
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
    const ctx = { position, eventId: ev.id }
    const known = ev.kind === ANNOUNCEMENT_KIND || ev.kind === DELETION_KIND || config.rootKinds.has(ev.kind)
    if (!known)
      return {
        event: undefined,
        rejected: [rejection('unsupported-kind', `kind ${ev.kind} is neither an announcement, a deletion nor a root kind`, ctx)]
      }
    const capped = wholeEventCap(config, ev)
    if (capped !== undefined)
      return { event: undefined, rejected: [rejection('cap-exceeded', capped, { ...ctx, rule: capped.includes('tags,') ? 'tagsPerEvent' : 'bytesPerTagValue' })] }
    if (config.verify) {
      const bad = verifies(ev)
      if (bad !== undefined) return { event: undefined, rejected: [rejection('invalid-signature', bad, ctx)] }
    }
    if (now !== undefined && (ev.kind === ANNOUNCEMENT_KIND || ev.kind === DELETION_KIND) && ev.created_at > now + config.maxFutureSkew)
      return {
        event: undefined,
        rejected: [
          rejection('future-dated', `created_at ${ev.created_at} is more than ${config.maxFutureSkew} s after now (${now})`, ctx)
        ]
      }
    if (ev.kind === ANNOUNCEMENT_KIND) return decodeAnnouncement(config, ev, position)
    if (ev.kind === DELETION_KIND) return decodeDeletion(ev, position)
    if (config.rootKinds.has(ev.kind)) return decodeRoot(config, ev, position)
    return {
      event: undefined,
      rejected: [rejection('unsupported-kind', `kind ${ev.kind} is neither an announcement nor a root kind`, { position, eventId: ev.id })]
    }
  }
}
