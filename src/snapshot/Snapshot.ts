/**
 * Snapshots: a {@link RepoIndex} or a {@link RelayIndex} as versioned JSON, and back.
 *
 * A host persists its state between runs by writing `encodeRepoIndex(index)` (plain JSON) and
 * reads it back with `decodeRepoIndex(json)`. A snapshot carries its format name, a version and
 * a SHA-256 checksum of its canonical body, so decoding tells apart a file that is not JSON
 * (truncated), a snapshot of another format or version, a body that does not have the right
 * shape (with the io-ts path of the first problem), a body that contradicts itself, and a body
 * that was edited or damaged without its checksum being recomputed. It never returns a partial
 * index, and the index never shares memory with the value it was decoded from. Unknown fields
 * are ignored (and never reach the index).
 *
 * Only the canonical body decodes: the body must be exactly what encoding the decoded index
 * writes (sorted, one entry per address, id or relay, no superseded version, no tombstone beside
 * a live version, lists sorted and unique, derived facts consistent with what they derive from),
 * else it is `invalid`, checksum or not. Every derived table is rebuilt from the canonical parts.
 * So `decode(encode(x))` equals `x`, and no edited body decodes into an index that compares
 * equal to another yet reacts differently to an event.
 *
 * The checksum protects integrity, not authenticity: whoever can write the file can recompute
 * it. Keep snapshots where only the host writes. A tampered snapshot still cannot widen what the
 * server connects to: the relay policy, own hosts and caps are applied when targets are derived,
 * under the configuration of the moment, not stored in the snapshot.
 *
 * Law (fast-check): `decode(encode(x))` equals `x`.
 *
 * @since 0.1.0
 */
import * as t from 'io-ts'
import { either as E } from 'fp-ts'
import { sha256Hex } from '../util/hash.js'
import { RelayUrlCodec, RepoRefCodec } from '../relays/RelayAction.js'
import { fromRelayTargets, relayTargets, type RelayIndex, type RelayTarget } from '../relays/RelayIndex.js'
import type { RepoIndex } from '../repo/RepoIndex.js'
import { makeRepoRef, type RepoRef } from '../model/RepoRef.js'
import { formatDecodeErrors, rejectionCodes, type RejectionCode } from '../model/Rejection.js'
import { dataOf, deletersOf, fromParts, rootFactsOf, SAME_ID_MAX, type AddrState, type AnnouncementFacts, type RepoIndexData, type RootFacts } from '../repo/store.js'
import { compareStrings } from '../util/sorted.js'

/**
 * The current snapshot version.
 *
 * @example
 * import { encodeRepoIndex, emptyRepoIndex, SNAPSHOT_VERSION } from 'nip34-sync'
 *
 * assert.strictEqual(encodeRepoIndex(emptyRepoIndex).version, SNAPSHOT_VERSION)
 *
 * @category constants
 * @since 0.1.0
 */
export const SNAPSHOT_VERSION = 1

/**
 * Why a snapshot could not be decoded.
 *
 * | code | meaning |
 * | --- | --- |
 * | `not-json` | a string that does not parse as JSON (for example a truncated file) |
 * | `wrong-format` | not a snapshot of this kind (`format` field) |
 * | `wrong-version` | a snapshot version this release does not read |
 * | `invalid` | the body does not have the right shape (the message gives the path), contradicts itself, or is not in canonical form |
 * | `checksum-mismatch` | the body was edited (its checksum is not the SHA-256 of the body as given) |
 *
 * @category model
 * @since 0.1.0
 */
export interface SnapshotError {
  readonly _tag: 'SnapshotError'
  readonly code: 'not-json' | 'wrong-format' | 'wrong-version' | 'invalid' | 'checksum-mismatch'
  readonly message: string
}

const fail = (code: SnapshotError['code'], message: string): E.Either<SnapshotError, never> => E.left({ _tag: 'SnapshotError', code, message })

const Hex64 = new t.Type<string, string, unknown>(
  'Hex64',
  (u): u is string => typeof u === 'string' && /^[0-9a-f]{64}$/.test(u),
  (u, c) => (typeof u === 'string' && /^[0-9a-f]{64}$/.test(u) ? t.success(u) : t.failure(u, c, 'expected 64 lower-case hex characters')),
  t.identity
)
const Nat = new t.Type<number, number, unknown>(
  'Nat',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c, 'expected a non-negative integer')),
  t.identity
)
const TombstoneId = t.union([Hex64, t.literal('')])

const RejectionCodeCodec = t.keyof(Object.fromEntries(rejectionCodes.map((c) => [c, null])) as Record<RejectionCode, null>)
const AnnouncementJson = t.type({
  id: Hex64,
  pubkey: Hex64,
  createdAt: Nat,
  identifier: t.string,
  relays: t.readonlyArray(RelayUrlCodec),
  cloneHosts: t.readonlyArray(t.string),
  maintainers: t.readonlyArray(Hex64),
  relaySources: t.readonlyArray(t.type({ relay: RelayUrlCodec, tag: Nat, value: t.string })),
  excluded: t.readonlyArray(
    t.intersection([t.type({ tag: Nat, value: t.string, code: RejectionCodeCodec, reason: t.string }), t.partial({ rule: t.string })])
  )
})
const TombstoneJson = t.type({ ref: RepoRefCodec, createdAt: Nat, id: TombstoneId })
const RootJson = t.type({ id: Hex64, pubkey: Hex64, kind: Nat, createdAt: Nat, repos: t.readonlyArray(RepoRefCodec) })
const DeletionJson = t.tuple([Hex64, t.readonlyArray(Hex64)])

const RepoBody = t.type({
  announcements: t.readonlyArray(AnnouncementJson),
  tombstones: t.readonlyArray(TombstoneJson),
  rootEvents: t.readonlyArray(RootJson),
  deletions: t.readonlyArray(DeletionJson)
})
type RepoBody = t.TypeOf<typeof RepoBody>

const RelayBody = t.type({
  relays: t.readonlyArray(t.type({ relay: RelayUrlCodec, repos: t.readonlyArray(RepoRefCodec), rootEvents: t.record(RepoRefCodec, t.readonlyArray(Hex64)) }))
})
type RelayBody = t.TypeOf<typeof RelayBody>

/**
 * A snapshot as plain JSON.
 *
 * @category model
 * @since 0.1.0
 */
export interface Snapshot<F extends string, B> {
  readonly format: F
  readonly version: number
  /** SHA-256 (hex) of `JSON.stringify(body)`. */
  readonly checksum: string
  readonly body: B
}

/**
 * A {@link RepoIndex} snapshot.
 *
 * @category model
 * @since 0.1.0
 */
export type RepoIndexSnapshot = Snapshot<'nip34-sync/RepoIndex', RepoBody>

/**
 * A {@link RelayIndex} snapshot.
 *
 * @category model
 * @since 0.1.0
 */
export type RelayIndexSnapshot = Snapshot<'nip34-sync/RelayIndex', RelayBody>

const checksum = (body: unknown): string => sha256Hex(JSON.stringify(body))

const seal = <F extends string, B>(format: F, body: B): Snapshot<F, B> => ({ format, version: SNAPSHOT_VERSION, checksum: checksum(body), body })

type AnnouncementBody = RepoBody['announcements'][number]
type RootBody = RepoBody['rootEvents'][number]

/**
 * One announcement as the body writes it: known fields only, in a fixed key order (the order
 * the checksum was always computed in). Used for writing and for the canonical-form check.
 */
const announcementJson = (a: Omit<AnnouncementBody, never>): AnnouncementBody => ({
  id: a.id,
  pubkey: a.pubkey,
  createdAt: a.createdAt,
  identifier: a.identifier,
  relays: [...a.relays],
  cloneHosts: [...a.cloneHosts],
  maintainers: [...a.maintainers],
  relaySources: a.relaySources.map((x) => ({ relay: x.relay, tag: x.tag, value: x.value })),
  excluded: a.excluded.map((x) => ({ tag: x.tag, value: x.value, code: x.code, ...(x.rule === undefined ? {} : { rule: x.rule }), reason: x.reason }))
})

const rootJson = (r: RootBody): RootBody => ({ id: r.id, pubkey: r.pubkey, kind: r.kind, createdAt: r.createdAt, repos: [...r.repos] })

const repoBody = (d: RepoIndexData): RepoBody => {
  const announcements: Array<AnnouncementBody> = []
  const tombstones: Array<RepoBody['tombstones'][number]> = []
  for (const ref of [...d.addrs.keys()].sort(compareStrings)) {
    const s = d.addrs.get(ref) as AddrState
    if (s._tag === 'Live') announcements.push(announcementJson(s.ann))
    else tombstones.push({ ref, createdAt: s.upTo.createdAt, id: s.upTo.id })
  }
  const rootEvents = [...d.rootEvents.keys()]
    .sort(compareStrings)
    .flatMap((id) => rootFactsOf(d.rootEvents, id).map(rootJson))
  const deletions = [...d.deletions.keys()].sort(compareStrings).map((id): [string, ReadonlyArray<string>] => [
    id,
    deletersOf(d.deletions.get(id)).sort(compareStrings)
  ])
  return { announcements, tombstones, rootEvents, deletions }
}

/**
 * Encodes a repository index as a versioned, checksummed JSON snapshot.
 *
 * @example
 * import { decodeRepoIndex, emptyRepoIndex, encodeRepoIndex, eqRepoIndex } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * const json = JSON.stringify(encodeRepoIndex(emptyRepoIndex))
 * const back = decodeRepoIndex(json)
 * assert.strictEqual(E.isRight(back) && eqRepoIndex.equals(back.right, emptyRepoIndex), true)
 *
 * @category encoders
 * @since 0.1.0
 */
export const encodeRepoIndex = (index: RepoIndex): RepoIndexSnapshot => seal('nip34-sync/RepoIndex', repoBody(dataOf(index)))

/** The body's known fields only, in the key order encoding writes (unknown fields dropped). */
const knownRepoBody = (body: RepoBody): RepoBody => ({
  announcements: body.announcements.map(announcementJson),
  tombstones: body.tombstones.map((x) => ({ ref: x.ref, createdAt: x.createdAt, id: x.id })),
  rootEvents: body.rootEvents.map(rootJson),
  deletions: body.deletions.map(([id, by]): [string, ReadonlyArray<string>] => [id, [...by]])
})

/** Strictly increasing (sorted, no duplicates): the form of every list the library keeps. */
const isSortedUnique = (xs: ReadonlyArray<string>): boolean => {
  for (let i = 1; i < xs.length; i++) if (compareStrings(xs[i - 1] as string, xs[i] as string) >= 0) return false
  return true
}

const SECTIONS = {
  announcements: 'one live announcement per address, sorted by address, no superseded or deleted version, no address that also has a tombstone',
  tombstones: 'one tombstone per address, sorted by address, none for an address with a live announcement',
  rootEvents: 'sorted by id, then by author, one entry per (id, author)',
  deletions: 'sorted by id, one entry per id, each with its pubkeys sorted and unique'
} as const

const buildRepoIndex = (body: RepoBody): E.Either<SnapshotError, RepoIndex> => {
  const addrs = new Map<RepoRef, AddrState>()
  const deletedBy = new Map(body.deletions.map(([id, by]) => [id, new Set(by)]))
  for (const given of body.announcements) {
    // Known fields only, copied: nothing unknown in the body reaches the index.
    const a = announcementJson(given)
    const ref = makeRepoRef(a.pubkey, a.identifier)
    if (E.isLeft(ref)) return fail('invalid', `announcement ${a.id}: ${ref.left.reason}`)
    const sources = [...new Set(a.relaySources.map((x) => x.relay))].sort(compareStrings)
    if (sources.length !== a.relaySources.length || sources.join('\n') !== [...a.relays].join('\n'))
      return fail('invalid', `announcement ${a.id}: relays and relaySources disagree`)
    if (!isSortedUnique(a.cloneHosts) || !isSortedUnique(a.maintainers))
      return fail('invalid', `announcement ${a.id}: cloneHosts and maintainers must be sorted and unique`)
    if (deletedBy.get(a.id)?.has(a.pubkey) === true) return fail('invalid', `announcement ${a.id} is live but deleted by its author`)
    const facts: AnnouncementFacts = { ...a, ref: ref.right }
    addrs.set(ref.right, { _tag: 'Live', ann: facts })
  }
  for (const tomb of body.tombstones) addrs.set(tomb.ref, { _tag: 'Deleted', upTo: { createdAt: tomb.createdAt, id: tomb.id } })
  const rootEvents = new Map<string, Array<RootFacts>>()
  for (const given of body.rootEvents) {
    const r = rootJson(given)
    if (r.repos.length === 0 || !isSortedUnique(r.repos)) return fail('invalid', `root event ${r.id}: repos must be non-empty, sorted and unique`)
    if (deletedBy.get(r.id)?.has(r.pubkey) === true) return fail('invalid', `root event ${r.id} is kept but deleted by its author`)
    const list = rootEvents.get(r.id)
    if (list === undefined) rootEvents.set(r.id, [r])
    else {
      // canonical order (by id, then by author, one entry per pair), checked as it is read: no
      // re-sorting per entry, and never more authors of one id than an index keeps
      if (compareStrings((list[list.length - 1] as RootFacts).pubkey, r.pubkey) >= 0)
        return fail('invalid', `root event ${r.id}: entries must be sorted by id, then by author, one per (id, author)`)
      if (list.length >= SAME_ID_MAX) return fail('invalid', `root event ${r.id}: more than ${SAME_ID_MAX} authors of one id (an index keeps at most that many)`)
      list.push(r)
    }
  }
  const data = fromParts(addrs, rootEvents, body.deletions)
  // Canonical form: the body must be exactly what encoding the index it builds writes. A body
  // with a superseded version in front of the live one, a duplicate, an unsorted list or a
  // tombstone beside a live version builds an index that encodes differently, and is refused:
  // decode(encode(x)) = x, and nothing else decodes.
  const canonical = repoBody(data)
  const given = knownRepoBody(body)
  for (const key of Object.keys(SECTIONS) as Array<keyof typeof SECTIONS>)
    if (JSON.stringify(given[key]) !== JSON.stringify(canonical[key]))
      return fail('invalid', `body.${key} is not in canonical form (${SECTIONS[key]})`)
  return E.right(data as unknown as RepoIndex)
}

const open = <B>(
  input: unknown,
  format: string,
  codec: t.Decoder<unknown, B>
): E.Either<SnapshotError, { readonly body: B; readonly checksum: string }> => {
  // Always decode a private copy: an index must not share arrays with the caller's object.
  let json: unknown
  try {
    json = JSON.parse(typeof input === 'string' ? input : (JSON.stringify(input) ?? 'null'))
  } catch (e) {
    return typeof input === 'string'
      ? fail('not-json', `the snapshot is not JSON (truncated?): ${e instanceof Error ? e.message : 'parse error'}`)
      : fail('invalid', 'the snapshot value cannot be serialised as JSON')
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('wrong-format', `expected a ${format} snapshot object`)
  const o = json as Record<string, unknown>
  if (o['format'] !== format) return fail('wrong-format', `expected format "${format}", got ${JSON.stringify(o['format']) ?? 'nothing'}`)
  if (o['version'] !== SNAPSHOT_VERSION)
    return fail('wrong-version', `this release reads ${format} version ${SNAPSHOT_VERSION}, got ${JSON.stringify(o['version']) ?? 'nothing'}`)
  if (typeof o['checksum'] !== 'string') return fail('invalid', 'checksum: expected a string')
  const body = codec.decode(o['body'])
  if (E.isLeft(body)) return fail('invalid', `body.${formatDecodeErrors(body.left)}`)
  return E.right({ body: body.right, checksum: o['checksum'] })
}

const verified = <A>(given: string, body: unknown, value: A): E.Either<SnapshotError, A> =>
  checksum(body) === given ? E.right(value) : fail('checksum-mismatch', 'the checksum does not match the body: the snapshot was edited')

/**
 * Decodes a repository index snapshot (a JSON string or the parsed value). `Left` names the
 * problem; there is never a partial index.
 *
 * @example
 * import { decodeRepoIndex } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * const r = decodeRepoIndex('{"format":"nip34-sync/RepoIndex","vers')
 * assert.strictEqual(E.isLeft(r) && r.left.code, 'not-json')
 *
 * @category decoders
 * @since 0.1.0
 */
export const decodeRepoIndex = (input: unknown): E.Either<SnapshotError, RepoIndex> =>
  E.chain(({ body, checksum: given }: { readonly body: RepoBody; readonly checksum: string }) =>
    // the checksum of the body as given (known fields) first: an edit is named as one; then the
    // body must build, be consistent, and be in canonical form
    E.chain(() => buildRepoIndex(body))(verified(given, knownRepoBody(body), null))
  )(open(input, 'nip34-sync/RepoIndex', RepoBody))

/** A relay body's known fields only, in the key order encoding writes. */
const knownRelayBody = (b: RelayBody): RelayBody => ({ relays: b.relays.map((r) => ({ relay: r.relay, repos: r.repos, rootEvents: r.rootEvents })) })

const relayBody = (index: RelayIndex): RelayBody => knownRelayBody({ relays: relayTargets(index) as RelayBody['relays'] })

/**
 * Encodes a relay index as a versioned, checksummed JSON snapshot.
 *
 * @example
 * import { decodeRelayIndex, emptyRelayIndex, encodeRelayIndex, eqRelayIndex } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * const back = decodeRelayIndex(encodeRelayIndex(emptyRelayIndex))
 * assert.strictEqual(E.isRight(back) && eqRelayIndex.equals(back.right, emptyRelayIndex), true)
 *
 * @category encoders
 * @since 0.1.0
 */
export const encodeRelayIndex = (index: RelayIndex): RelayIndexSnapshot => seal('nip34-sync/RelayIndex', relayBody(index))

/**
 * Decodes a relay index snapshot (a JSON string or the parsed value). `Left` names the problem.
 *
 * @example
 * import { decodeRelayIndex } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * const r = decodeRelayIndex({ format: 'nip34-sync/RelayIndex', version: 99, checksum: '', body: {} })
 * assert.strictEqual(E.isLeft(r) && r.left.code, 'wrong-version')
 *
 * @category decoders
 * @since 0.1.0
 */
export const decodeRelayIndex = (input: unknown): E.Either<SnapshotError, RelayIndex> =>
  E.chain(({ body, checksum: given }: { readonly body: RelayBody; readonly checksum: string }) => {
    const asGiven = knownRelayBody(body)
    if (checksum(asGiven) !== given) return fail('checksum-mismatch', 'the checksum does not match the body: the snapshot was edited')
    const index = fromRelayTargets(body.relays as ReadonlyArray<RelayTarget>)
    if (JSON.stringify(asGiven) !== JSON.stringify(relayBody(index)))
      return fail('invalid', 'body.relays is not in canonical form (sorted by relay, one entry per relay, sorted unique lists, no empty entries)')
    return E.right(index)
  })(open(input, 'nip34-sync/RelayIndex', RelayBody))
