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
import { either as E } from 'fp-ts'
import { verifies } from './verifyBackend.js'
import { resolveConfig, type ResolvedConfig, type SyncConfig } from '../config/Config.js'
import { ANNOUNCEMENT_KIND } from '../model/RepoRef.js'
import { formatDecodeErrors, rejection } from '../model/Rejection.js'
import { DELETION_KIND, type DecodeOptions, type Decoded } from '../model/events.js'
import { describe, isWellFormed, nostrEventShape, type NostrEvent } from './nostrEvent.js'
import { decodeAnnouncement, decodeDeletion, decodeRoot } from './kinds.js'
import { readEvent, readableId } from './read.js'
import { readNow } from '../util/plain.js'

export { NostrEvent } from './nostrEvent.js'
export {
  DELETION_KIND,
  IGNORED_KINDS,
  type Announcement,
  type RelaySource,
  type ExcludedRelay,
  type RootEvent,
  type Deletion,
  type Nip34Event,
  type DecodeOptions,
  type Decoded
} from '../model/events.js'

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
  // read.ev is already our plain copy: check its shape without copying it again (the common,
  // well-formed event by a direct check; anything it does not pass goes through the codec, which
  // accepts exactly the same values and words the errors)
  const decoded = isWellFormed(read.ev) ? E.right(read.ev as unknown as NostrEvent) : eventShape().decode(read.ev)
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
