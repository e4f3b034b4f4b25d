/**
 * Reading the executor's options once, field by field, and the shape check of an incoming event.
 *
 * @internal
 */
import { defaultResolver, type Resolver, type WebSocketClass } from './net.js'
import type { EventSink, EventSource, NostrEventLike } from './ownRelayTypes.js'
import type { Acceptance, EngineOptions, SyncEngine } from '../index.js'
import type { ExecutorEvent } from './types.js'
import { readSecretKey } from './auth.js'
import { readPlain } from '../util/plain.js'

// -------------------------------------------------------------------------------------------------
// options
// -------------------------------------------------------------------------------------------------

export const str = (u: unknown): string | undefined => (typeof u === 'string' ? u : undefined)
export const strs = (u: unknown): Array<string> => (Array.isArray(u) ? u.filter((x): x is string => typeof x === 'string') : typeof u === 'string' ? [u] : [])
export const int = (u: unknown, fallback: number, min: number, max: number): number =>
  typeof u === 'number' && Number.isFinite(u) && u >= min && u <= max ? Math.floor(u) : fallback

export interface Resolved {
  readonly ownRelays: Array<string>
  readonly storeRelay: string | undefined
  readonly bootstrapRelays: Array<string>
  readonly allowRelays: Array<string>
  readonly acceptance: Acceptance | undefined
  readonly config: Record<string, unknown>
  readonly engine: EngineOptions | undefined
  readonly initialEngine: SyncEngine | undefined
  readonly source: EventSource | undefined
  readonly sink: EventSink | undefined
  readonly WebSocket: WebSocketClass | undefined
  readonly fetch: typeof fetch | undefined
  /** `fetch` is the caller's (not the global one, which is replaced by a checked one on Node). */
  readonly fetchGiven: boolean
  readonly resolve: Resolver | undefined
  readonly batchWindowMs: number
  readonly batchMax: number
  readonly requestTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly infoTimeoutMs: number
  readonly tickMs: number
  readonly jitterMs: number
  readonly pingMs: number
  readonly giveUpAfter: number
  readonly storeWindow: number
  readonly dedupCapacity: number
  readonly wasm: boolean
  readonly clock: () => number
  readonly onProgress: ((e: ExecutorEvent) => void) | undefined
  /** The operator's key for NIP-42 auth (32 bytes), if given. */
  readonly secretKey: Uint8Array | undefined
  /** The engine's jitter seed (`undefined`: a random one per executor). */
  readonly jitterSeed: string | undefined
}

/** Reads the options once, field by field (a throwing getter gives the default). */
export const readOptions = (u: unknown): Resolved => {
  const r: Record<string, unknown> = {}
  if (typeof u === 'object' && u !== null)
    for (const k of [
      'ownRelay', 'storeRelay', 'bootstrapRelays', 'allowRelays', 'acceptance', 'config', 'engine', 'initialEngine', 'source', 'sink', 'WebSocket',
      'fetch', 'resolve', 'batchWindowMs', 'batchMax', 'requestTimeoutMs', 'connectTimeoutMs', 'infoTimeoutMs', 'tickMs', 'jitterMs', 'pingMs',
      'giveUpAfter', 'storeWindow', 'dedupCapacity', 'wasm', 'clock', 'onProgress', 'secretKey', 'jitterSeed'
    ])
      try {
        r[k] = (u as Record<string, unknown>)[k]
      } catch {
        // a throwing getter: the default
      }
  const fn = <T>(x: unknown): T | undefined => (typeof x === 'function' ? (x as T) : undefined)
  const obj = <T>(x: unknown): T | undefined => (typeof x === 'object' && x !== null ? (x as T) : undefined)
  const globalFetch = (globalThis as { fetch?: typeof fetch }).fetch
  const acceptance = r['acceptance']
  return {
    ownRelays: strs(r['ownRelay']),
    storeRelay: str(r['storeRelay']),
    bootstrapRelays: strs(r['bootstrapRelays']),
    allowRelays: strs(r['allowRelays']),
    acceptance: acceptance === 'listed' || acceptance === 'all' ? acceptance : undefined,
    config: readConfigOnce(r['config']),
    engine: readEngineOptions(r['engine']),
    initialEngine: obj<SyncEngine>(r['initialEngine']),
    source: obj<EventSource>(r['source']),
    sink: obj<EventSink>(r['sink']),
    WebSocket: fn<WebSocketClass>(r['WebSocket']),
    fetch: r['fetch'] === false ? undefined : (fn<typeof fetch>(r['fetch']) ?? globalFetch),
    fetchGiven: fn<typeof fetch>(r['fetch']) !== undefined,
    resolve: r['resolve'] === false ? undefined : (fn<Resolver>(r['resolve']) ?? defaultResolver()),
    batchWindowMs: int(r['batchWindowMs'], 50, 0, 60_000),
    batchMax: int(r['batchMax'], 2000, 1, 1_000_000),
    requestTimeoutMs: int(r['requestTimeoutMs'], 30_000, 100, 3_600_000),
    connectTimeoutMs: int(r['connectTimeoutMs'], 10_000, 100, 600_000),
    infoTimeoutMs: int(r['infoTimeoutMs'], 5000, 100, 600_000),
    tickMs: int(r['tickMs'], 1000, 10, 600_000),
    // deprecated and unused: reopening is the engine's (its seeded backoff jitter)
    jitterMs: int(r['jitterMs'], 1000, 0, 600_000),
    pingMs: int(r['pingMs'], 30_000, 0, 3_600_000),
    giveUpAfter: int(r['giveUpAfter'], 3, 1, 1_000_000),
    storeWindow: int(r['storeWindow'], 500, 1, 100_000),
    dedupCapacity: int(r['dedupCapacity'], 200_000, 1000, 100_000_000),
    wasm: r['wasm'] !== false,
    clock: fn<() => number>(r['clock']) ?? Date.now,
    onProgress: fn<(e: ExecutorEvent) => void>(r['onProgress']),
    secretKey: readSecretKey(r['secretKey']),
    jitterSeed: typeof r['jitterSeed'] === 'string' ? r['jitterSeed'].slice(0, 200) : typeof r['jitterSeed'] === 'number' && Number.isFinite(r['jitterSeed']) ? String(r['jitterSeed']) : undefined
  }
}

/**
 * Reads the `config` option once into a plain copy: its own keys (at most 1 000; none when they
 * cannot be listed), each value read once (a throwing getter drops that key: the default) and
 * copied as plain data; the core decodes the copy.
 */
const readConfigOnce = (u: unknown): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  if (typeof u !== 'object' || u === null) return out
  let keys: Array<string>
  try {
    keys = Object.keys(u).slice(0, 1000)
  } catch {
    return out
  }
  for (const k of keys) {
    if (k === '__proto__') continue
    let v: unknown
    try {
      v = (u as Record<string, unknown>)[k]
    } catch {
      continue
    }
    const p = readPlain(v, 8)
    if (p.ok) out[k] = p.value
  }
  return out
}

/** The engine options the executor passes on (the keys `syncEngine` reads). */
const ENGINE_KEYS = ['maxConnectionsPerRelay', 'reconnectWindow', 'limits', 'retryDelay', 'maxRetryDelay', 'requestTimeout', 'strategy', 'health', 'negentropy', 'fetchTagged', 'discovery']

/**
 * Reads the `engine` option once into a plain copy: each known key read once (a throwing getter
 * or Proxy trap drops that key, so the engine uses its default), its value copied as plain data a
 * few levels deep (a `limits` function is kept as it is). Everything the executor reads from the
 * engine options (discovery, the reconnect window, the jitter seed) and the engine itself then
 * see the same values. `undefined` when it is not an object.
 */
export const readEngineOptions = (u: unknown): EngineOptions | undefined => {
  if (typeof u !== 'object' || u === null) return undefined
  const out: Record<string, unknown> = {}
  for (const k of ENGINE_KEYS) {
    let v: unknown
    try {
      v = (u as Record<string, unknown>)[k]
    } catch {
      continue
    }
    if (v === undefined) continue
    const p = readPlain(v, 3, 10_000)
    if (p.ok) out[k] = p.value
  }
  return out as EngineOptions
}

const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/

/** The shape of a nostr event (not its signature: the engine and the store relay verify). */
export const isEvent = (u: unknown): u is NostrEventLike => {
  if (typeof u !== 'object' || u === null) return false
  const e = u as Record<string, unknown>
  return (
    typeof e['id'] === 'string' &&
    HEX64.test(e['id']) &&
    typeof e['pubkey'] === 'string' &&
    HEX64.test(e['pubkey']) &&
    typeof e['sig'] === 'string' &&
    HEX128.test(e['sig']) &&
    Number.isSafeInteger(e['kind']) &&
    Number.isSafeInteger(e['created_at']) &&
    typeof e['content'] === 'string' &&
    Array.isArray(e['tags']) &&
    (e['tags'] as Array<unknown>).every((t) => Array.isArray(t) && t.every((v) => typeof v === 'string'))
  )
}
