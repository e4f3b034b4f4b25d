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
 * The decoder reads its input once into a plain copy while applying the cheap caps (tags per
 * event, values per tag, values per event, bytes per tag value), then checks the copy's shape,
 * verifies its id and signature (unless `verify: false`), and, when the batch gives `now`,
 * refuses announcements and deletions dated more than `maxFutureSkew` ahead. Nothing is read
 * from the input after the copy, so a getter cannot show the verifier one event and the index
 * another. It never mutates its input. Kinds the project ignores on purpose
 * ({@link IGNORED_KINDS}) are counted, not rejected.
 *
 * @since 0.1.0
 */
import * as t from 'io-ts'
import { either as E } from 'fp-ts'
import { verifies } from './verifyBackend.js'
import { resolveConfig, type ResolvedConfig, type SyncConfig } from '../config/Config.js'
import { hostOf, relayUrl, type RelayUrl } from '../model/RelayUrl.js'
import { ANNOUNCEMENT_KIND, makeRepoRef, repoRef, repoRefParts, type RepoRef } from '../model/RepoRef.js'
import { formatDecodeErrors, rejection, type Rejection, type RejectionCode } from '../model/Rejection.js'
import { effectiveRelays } from './effective.js'
import { sortedUnique } from '../util/sorted.js'
import { readNow, readPlain } from '../util/plain.js'

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
 * io-ts codec of a NIP-01 event. Extra fields are allowed and dropped. Total: the input is read
 * once into a plain copy (a Proxy or a getter that throws is a decode failure), and the decoded
 * value is that copy, never the caller's object.
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
export const NostrEvent: t.Type<NostrEventShape, NostrEventShape, unknown> = (() => {
  const shape = nostrEventShape()
  // Total on any value: the input is read once into a plain copy (a getter or Proxy trap that
  // throws is a decode failure), and the shape is checked on the copy.
  return new t.Type<NostrEventShape, NostrEventShape, unknown>(
    'NostrEvent',
    (u): u is NostrEventShape => {
      const plain = readPlain(u, 3)
      return plain.ok && shape.is(plain.value)
    },
    (u, c) => {
      const plain = readPlain(u, 3)
      return plain.ok ? shape.validate(plain.value, c) : t.failure(u, c, 'the event cannot be read (a getter or Proxy trap threw)')
    },
    t.identity
  )
})()

type NostrEventShape = t.TypeOf<ReturnType<typeof nostrEventShape>>

function nostrEventShape() {
  return t.type(
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
}

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
  const maintainers = new Set<string>()
  const maxMaintainers = config.caps.maintainersPerAnnouncement
  for (const m of tagValues(ev.tags, 'maintainers')) {
    if (/^[0-9a-f]{64}$/.test(m)) {
      if (maintainers.has(m)) continue
      if (maintainers.size < maxMaintainers) maintainers.add(m)
      else
        rejected.push(
          rejection('cap-exceeded', `more than ${maxMaintainers} maintainers in one announcement; this one is not used`, {
            ...ctx,
            partial: true,
            repo: ref.right,
            value: m,
            rule: 'maintainersPerAnnouncement'
          })
        )
    } else
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

const ignoredKinds: ReadonlySet<number> = new Set(IGNORED_KINDS)

type Read =
  | { readonly _tag: 'copy'; readonly ev: Record<string, unknown> }
  | { readonly _tag: 'ignored'; readonly kind: number; readonly id: unknown }
  | { readonly _tag: 'capped'; readonly rule: string; readonly message: string; readonly id: unknown }
  | { readonly _tag: 'unreadable' }

/** A field value as the shape check sees it: primitives kept, objects replaced by an empty stand-in (never read again). */
const scalar = (v: unknown): unknown => (typeof v !== 'object' || v === null ? v : Array.isArray(v) ? [] : {})

/** A non-negative safe integer length, or a throw (a Proxy may answer anything). */
const lengthOf = (a: ReadonlyArray<unknown>): number => {
  const n: unknown = a.length
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new TypeError('unreadable length')
  return n
}

/**
 * Reads an event ONCE into a plain copy, checking the cheap caps while it reads, so that no cap
 * is passed before the work it bounds: the tag count before any tag is read, each tag's value
 * count before its values are read, the running value count and each value's length as they are
 * read. Ignored kinds stop before the tags are read. Getters and Proxy traps run at most once per
 * field; one that throws makes the event unreadable. Everything after this reads the copy only.
 */
const readEvent = (config: ResolvedConfig, input: object): Read => {
  try {
    const o = input as Record<string, unknown>
    const id = scalar(o['id'])
    const pubkey = scalar(o['pubkey'])
    const created_at = scalar(o['created_at'])
    const kind = scalar(o['kind'])
    if (typeof kind === 'number' && ignoredKinds.has(kind) && !config.rootKinds.has(kind)) return { _tag: 'ignored', kind, id }
    const content = scalar(o['content'])
    const sig = scalar(o['sig'])
    const raw = o['tags']
    let tags: unknown
    if (typeof raw !== 'object' || raw === null || !Array.isArray(raw)) tags = scalar(raw)
    else {
      const { tagsPerEvent, valuesPerTag, valuesPerEvent, bytesPerTagValue: max } = config.caps
      const n = lengthOf(raw)
      if (n > tagsPerEvent) return { _tag: 'capped', rule: 'tagsPerEvent', message: `${n} tags, more than the cap of ${tagsPerEvent}`, id }
      const copy: Array<unknown> = new Array(n)
      let values = 0
      for (let i = 0; i < n; i++) {
        const tag: unknown = raw[i]
        if (typeof tag !== 'object' || tag === null || !Array.isArray(tag)) {
          copy[i] = scalar(tag)
          continue
        }
        const m = lengthOf(tag)
        if (m - 1 > valuesPerTag)
          return { _tag: 'capped', rule: 'valuesPerTag', message: `tags.${i} has ${m - 1} values, more than the cap of ${valuesPerTag}`, id }
        values += Math.max(0, m - 1)
        if (values > valuesPerEvent)
          return { _tag: 'capped', rule: 'valuesPerEvent', message: `more than ${valuesPerEvent} tag values in one event (the cap)`, id }
        const t: Array<unknown> = new Array(m)
        for (let j = 0; j < m; j++) {
          const v = scalar(tag[j])
          if (typeof v === 'string' && (v.length > max || (v.length * 3 > max && encoder.encode(v).length > max)))
            return { _tag: 'capped', rule: 'bytesPerTagValue', message: `tags.${i}.${j} is longer than ${max} bytes`, id }
          t[j] = v
        }
        copy[i] = t
      }
      tags = copy
    }
    return { _tag: 'copy', ev: { id, pubkey, created_at, kind, tags, content, sig } }
  } catch {
    return { _tag: 'unreadable' }
  }
}

const readableId = (id: unknown): string | undefined => (typeof id === 'string' && /^[0-9a-f]{64}$/.test(id) ? id : undefined)

/**
 * Decodes one untrusted value into the event the sync core uses, with every rejection. Total:
 * any JavaScript value gives a result (a Proxy or a throwing getter is an `invalid-event`).
 *
 * The input is read once into a plain copy, checking the cheap caps as it reads (`tagsPerEvent`,
 * `valuesPerTag`, `valuesPerEvent`, `bytesPerTagValue`: an event past one is exactly one
 * `cap-exceeded` rejection, before any value is parsed or the shape checked); then the copy, and
 * only the copy, is shape-checked, verified and classified. Kinds of {@link IGNORED_KINDS} come
 * back with `ignored` set and no rejection. `options.now`: a finite number turns on the
 * future-date check; any other given value is reported on every result (`invalid-batch`,
 * partial) and no check is made, as {@link applyBatch} does for a batch.
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
  const { now, problem } = readNow(options)
  const withNow = (d: Decoded, position: number | undefined): Decoded =>
    problem === undefined ? d : { ...d, rejected: [...d.rejected, rejection('invalid-batch', problem, { position, partial: true })] }
  return (input: unknown, position?: number): Decoded => withNow(decodeOne(config, now, input, position), position)
}

let shapeOnly: ReturnType<typeof nostrEventShape> | undefined
/** The shape check alone, for values that are already our own plain copies. */
const eventShape = (): ReturnType<typeof nostrEventShape> => (shapeOnly ??= nostrEventShape())

const decodeOne = (config: ResolvedConfig, now: number | undefined, input: unknown, position: number | undefined): Decoded => {
  let isArray = false
  try {
    isArray = Array.isArray(input)
  } catch {
    return { event: undefined, rejected: [rejection('not-an-object', 'the value cannot be read (a revoked Proxy)', { position })] }
  }
  if (typeof input !== 'object' || input === null || isArray)
    return { event: undefined, rejected: [rejection('not-an-object', `expected a JSON object, got ${describe(input)}`, { position })] }
  const read = readEvent(config, input)
  if (read._tag === 'unreadable')
    return { event: undefined, rejected: [rejection('invalid-event', 'the event cannot be read (a getter or Proxy trap threw)', { position })] }
  if (read._tag === 'ignored') return { event: undefined, rejected: [], ignored: read.kind }
  if (read._tag === 'capped')
    return { event: undefined, rejected: [rejection('cap-exceeded', read.message, { position, eventId: readableId(read.id), rule: read.rule })] }
  // read.ev is already our plain copy: check its shape without copying it again
  const decoded = eventShape().decode(read.ev)
  if (E.isLeft(decoded)) {
    const id = read.ev['id']
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
  // `ev` is our own plain copy: verified and classified as it is, never read from the input again.
  const ev = decoded.right
  const ctx = { position, eventId: ev.id }
  const known = ev.kind === ANNOUNCEMENT_KIND || ev.kind === DELETION_KIND || config.rootKinds.has(ev.kind)
  if (!known)
    return {
      event: undefined,
      rejected: [rejection('unsupported-kind', `kind ${ev.kind} is neither an announcement, a deletion nor a root kind`, ctx)]
    }
  if (config.verify) {
    const bad = verifies(ev)
    if (bad !== undefined) return { event: undefined, rejected: [rejection('invalid-signature', bad, ctx)] }
  }
  if (now !== undefined && (ev.kind === ANNOUNCEMENT_KIND || ev.kind === DELETION_KIND) && ev.created_at > now + config.maxFutureSkew)
    return {
      event: undefined,
      rejected: [rejection('future-dated', `created_at ${ev.created_at} is more than ${config.maxFutureSkew} s after now (${now})`, ctx)]
    }
  if (ev.kind === ANNOUNCEMENT_KIND) return decodeAnnouncement(config, ev, position)
  if (ev.kind === DELETION_KIND) return decodeDeletion(ev, position)
  return decodeRoot(config, ev, position)
}
