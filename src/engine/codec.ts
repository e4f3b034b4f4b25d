/**
 * The engine as versioned JSON, and back: what is worth keeping across a restart. Sockets do not
 * survive a restart, so what is in flight is not kept; what is kept is what saves work and keeps
 * the engine within what relays accept: per relay the time of its last `EOSE` (history resumes
 * from it, minus the reconnect window, instead of from the beginning), the limits it announced
 * and the caps its refusals taught, and the repositories in purgatory. The repository index is
 * kept by its own codec (`encodeRepoIndex`) and handed back to `decodeEngine`.
 *
 * @internal
 */
import { either as E } from 'fp-ts'
import { Map as IMap } from 'immutable'
import { relayLimits, type RelayLimits } from '../config/Limits.js'
import { isRepoIndex, type RepoIndex } from '../repo/RepoIndex.js'
import { readPlain } from '../util/plain.js'
import { compareStrings } from '../util/sorted.js'
import { MAX_TIMESTAMP } from './Lifecycle.js'
import { make, type EngineData, type LearnedLimits } from './state.js'
import type { EngineSnapshot, EngineSnapshotError } from './types.js'
import { decodeFetch, encodeFetch } from './fetch.js'
import { DEFAULT_FETCH, type FetchState } from './fetchState.js'
import { encodeHealth, readHealth, type Health } from './healthCodec.js'
import { decodeKnown, type NegKnown } from './negentropyPlan.js'

export const ENGINE_FORMAT = 'nip34-sync/Engine'
export const ENGINE_VERSION = 1

/** At most this many relays and held repositories are read from a snapshot. */
const MAX_ENTRIES = 1_000_000

const LEARNED_FIELDS = ['maxSubscriptions', 'maxFiltersPerReq', 'maxMessageBytes'] as const

export const encode = (d: EngineData): EngineSnapshot => {
  // fetch by id: refused ids and asked values (fetch.ts)
  const fetch = encodeFetch(d)
  const relays = new Set<string>([...d.relays.keys(), ...d.limits.keys(), ...d.learned.keys(), ...d.memory.keys(), ...(d.health?.keys() ?? []), ...(d.negentropy?.keys() ?? [])])
  return {
    format: ENGINE_FORMAT,
    version: ENGINE_VERSION,
    now: d.now,
    held: [...d.held].sort(compareStrings),
    relays: [...relays].sort(compareStrings).map((relay) => {
      const lastEose = d.relays.get(relay)?.lastEose ?? d.memory.get(relay)
      const limits = d.limits.get(relay)
      const learned = d.learned.get(relay)
      const health = encodeHealth(d.relays.get(relay)?.health ?? d.health?.get(relay))
      const known = d.negentropy?.get(relay)
      const negentropy = known === undefined ? undefined : { ...known }
      return {
        relay,
        ...(lastEose === undefined ? {} : { lastEose }),
        ...(limits === undefined ? {} : { limits: { ...limits } }),
        ...(learned === undefined ? {} : { learned: { ...learned } }),
        ...(health === undefined ? {} : { health }),
        ...(negentropy === undefined ? {} : { negentropy })
      }
    }),
    ...(fetch === undefined ? {} : { fetch })
  }
}

const fail = (code: EngineSnapshotError['code'], message: string): E.Either<EngineSnapshotError, never> => E.left({ code, message })

const isTime = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u) && u >= 0 && u <= MAX_TIMESTAMP

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)

export const decode = (input: unknown, config: unknown, options: unknown, index: unknown): E.Either<EngineSnapshotError, EngineData> => {
  let u = input
  if (typeof u === 'string') {
    try {
      u = JSON.parse(u)
    } catch {
      return fail('not-json', 'not JSON text (a truncated file?)')
    }
  }
  const read = readPlain(u, 6)
  if (!read.ok) return fail('invalid', 'the value could not be read (a getter or a proxy threw)')
  const s = read.value
  if (!isRecord(s) || s['format'] !== ENGINE_FORMAT) return fail('format', `not an engine snapshot (format ${ENGINE_FORMAT})`)
  if (s['version'] !== ENGINE_VERSION) return fail('format', `engine snapshot version ${String(s['version']).slice(0, 40)}, this library reads ${ENGINE_VERSION}`)
  if (index !== undefined && !isRepoIndex(index)) return fail('invalid', '`index` is not a RepoIndex')
  if (!isTime(s['now'])) return fail('invalid', '`now` is not a time in unix seconds')
  const heldIn = s['held']
  if (!Array.isArray(heldIn) || heldIn.length > MAX_ENTRIES || !heldIn.every((x) => typeof x === 'string')) return fail('invalid', '`held` is not a list of repository addresses')
  const relaysIn = s['relays']
  if (!Array.isArray(relaysIn) || relaysIn.length > MAX_ENTRIES) return fail('invalid', '`relays` is not a list')
  let limits = IMap<string, RelayLimits>()
  let learned = IMap<string, LearnedLimits>()
  let memory = IMap<string, number>()
  let health = IMap<string, Health>()
  let negentropy = IMap<string, NegKnown>()
  const seen = new Set<string>()
  for (const [i, x] of relaysIn.entries()) {
    if (!isRecord(x) || typeof x['relay'] !== 'string') return fail('invalid', `relays[${i}]: not an object with a string \`relay\``)
    const relay = x['relay']
    if (seen.has(relay)) return fail('invalid', `relays[${i}]: relay listed twice`)
    seen.add(relay)
    if (x['lastEose'] !== undefined) {
      if (!isTime(x['lastEose'])) return fail('invalid', `relays[${i}].lastEose: not a time in unix seconds`)
      memory = memory.set(relay, x['lastEose'])
    }
    if (x['limits'] !== undefined) {
      const checked = relayLimits(x['limits'])
      if (!isRecord(x['limits']) || checked.problems.length > 0) return fail('invalid', `relays[${i}].limits: not usable limits`)
      limits = limits.set(relay, checked.limits)
    }
    if (x['learned'] !== undefined) {
      const l = x['learned']
      if (!isRecord(l)) return fail('invalid', `relays[${i}].learned: not an object`)
      const caps: Record<string, number> = {}
      for (const k of LEARNED_FIELDS) {
        const v = l[k]
        if (v === undefined) continue
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) return fail('invalid', `relays[${i}].learned.${k}: not a positive integer`)
        caps[k] = v
      }
      learned = learned.set(relay, caps)
    }
    if (x['health'] !== undefined) {
      const h = readHealth(x['health'])
      if (typeof h === 'string') return fail('invalid', `relays[${i}].health${h}`)
      health = health.set(relay, h)
    }
    if (x['negentropy'] !== undefined) {
      const k = decodeKnown(x['negentropy'])
      if (k === undefined) return fail('invalid', `relays[${i}].negentropy: not { support, hinted, failures, until, sessions }`)
      negentropy = negentropy.set(relay, k)
    }
  }
  const fresh = make(config, options)
  // fetch by id (fetch.ts): optional, absent in snapshots of engines that refused and asked nothing
  let fetch: FetchState | undefined
  if (s['fetch'] !== undefined) {
    const f = decodeFetch(s['fetch'], fresh.options.fetch ?? DEFAULT_FETCH)
    if (typeof f === 'string') return fail('invalid', `fetch${f}`)
    fetch = f
  }
  return E.right({
    ...fresh,
    ...(index === undefined ? {} : { index: index as RepoIndex }),
    limits,
    learned,
    memory,
    health,
    ...(negentropy.size === 0 ? {} : { negentropy }),
    held: new Set(heldIn as Array<string>),
    ...(fetch === undefined ? {} : { fetch }),
    now: s['now']
  })
}
