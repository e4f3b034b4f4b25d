/**
 * `--state FILE`: the engine's state between runs of `nip34-sync sync`. The file is JSON:
 *
 *     { "format": "nip34-sync/cli-state", "version": 1, "savedAt": <unix s>,
 *       "engine": <encodeEngine snapshot>, "index": <encodeRepoIndex snapshot> }
 *
 * written atomically (a temporary file renamed over it). The engine snapshot keeps each relay's
 * last `EOSE`, limits and learned caps; the repository index beside it lets the restored engine
 * plan every relay at once and resume its history from `since`. The engine codec is looked up
 * by name on the core, so that the CLI runs (without `--state`) on a core that lacks it.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import * as core from '../index.js'
import { decodeRepoIndex, encodeRepoIndex, engineRepoIndex, type RepoIndex, type SyncConfig, type SyncEngine } from '../index.js'

export const STATE_FORMAT = 'nip34-sync/cli-state'
export const STATE_VERSION = 1

type Decoded = { readonly ok: true; readonly engine: SyncEngine } | { readonly ok: false; readonly error: string }

export interface Codec {
  readonly encode: (engine: SyncEngine) => unknown
  readonly decode: (input: unknown, config: SyncConfig, index: RepoIndex) => Decoded
}

const describe = (u: unknown): string => {
  if (typeof u === 'string') return u
  if (typeof u === 'object' && u !== null) {
    const m = (u as { message?: unknown }).message
    if (typeof m === 'string') return m
    try {
      return JSON.stringify(u).slice(0, 300)
    } catch {
      return 'unreadable'
    }
  }
  return String(u)
}

const either = <A>(r: unknown, what: string): { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: string } => {
  if (typeof r === 'object' && r !== null && '_tag' in r) {
    const e = r as { _tag: string; right?: unknown; left?: unknown }
    if (e._tag === 'Right') return { ok: true, value: e.right as A }
    if (e._tag === 'Left') return { ok: false, error: `${what}: ${describe(e.left)}` }
  }
  return { ok: false, error: `${what}: the codec gave nothing` }
}

/** The core's engine snapshot codec (`encodeEngine` / `decodeEngine`), or undefined when this build has none. */
export const engineCodec = (): Codec | undefined => {
  const c = core as unknown as Record<string, unknown>
  const encode = c['encodeEngine']
  const decode = c['decodeEngine']
  if (typeof encode !== 'function' || typeof decode !== 'function') return undefined
  return {
    encode: (engine) => (encode as (e: SyncEngine) => unknown)(engine),
    decode: (input, config, index) => {
      const r = either<SyncEngine>((decode as (u: unknown, restore: object) => unknown)(input, { config, index }), 'engine')
      return r.ok ? { ok: true, engine: r.value } : r
    }
  }
}

/** Reads a state file: `undefined` when it does not exist (a first run); throws with a reason when unusable. */
export const loadState = (file: string, config: SyncConfig, codec: Codec): SyncEngine | undefined => {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`cannot read ${file}: ${describe(e)}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new Error(`${file} is not JSON (${describe(e)}); move it away to start afresh`)
  }
  const v = value as { format?: unknown; version?: unknown; engine?: unknown; index?: unknown } | null
  if (typeof v !== 'object' || v === null || v.format !== STATE_FORMAT) throw new Error(`${file} is not a nip34-sync state file; move it away to start afresh`)
  if (v.version !== STATE_VERSION) throw new Error(`${file} has state version ${String(v.version)}; this nip34-sync reads version ${STATE_VERSION}`)
  const index = either<RepoIndex>(decodeRepoIndex(v.index), 'index')
  if (!index.ok) throw new Error(`${file}: ${index.error}`)
  const r = codec.decode(v.engine, config, index.value)
  if (!r.ok) throw new Error(`${file}: ${r.error}`)
  return r.engine
}

/** Writes a state file atomically (a temporary file beside it, renamed over it). */
export const saveState = (file: string, engine: SyncEngine, codec: Codec, nowSec: number): void => {
  const text = JSON.stringify({
    format: STATE_FORMAT,
    version: STATE_VERSION,
    savedAt: nowSec,
    engine: codec.encode(engine),
    index: encodeRepoIndex(engineRepoIndex(engine))
  })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, file)
}
