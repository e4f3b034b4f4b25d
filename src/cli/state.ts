/**
 * `--state FILE`: the engine's state between runs of `nip34-sync sync`. The file is JSON:
 *
 *     { "format": "nip34-sync/cli-state", "version": 1, "savedAt": <unix s>,
 *       "engine": <encodeEngine snapshot>, "index": <encodeRepoIndex snapshot> }
 *
 * written atomically (a temporary file renamed over it). The engine snapshot keeps each relay's
 * last `EOSE`, limits and learned caps; the repository index beside it lets the restored engine
 * plan every relay at once and resume its history from `since`.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { either as E } from 'fp-ts'
import { decodeEngine, decodeRepoIndex, encodeEngine, encodeRepoIndex, engineRepoIndex, type SyncConfig, type SyncEngine } from '../index.js'

export const STATE_FORMAT = 'nip34-sync/cli-state'
export const STATE_VERSION = 1

/** Reads a state file: `undefined` when it does not exist (a first run); throws with a reason when unusable. */
export const loadState = (file: string, config: SyncConfig): SyncEngine | undefined => {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new Error(`${file} is not JSON (${e instanceof Error ? e.message : String(e)}); move it away to start afresh`)
  }
  const v = value as { format?: unknown; version?: unknown; engine?: unknown; index?: unknown } | null
  if (typeof v !== 'object' || v === null || v.format !== STATE_FORMAT) throw new Error(`${file} is not a nip34-sync state file; move it away to start afresh`)
  if (v.version !== STATE_VERSION) throw new Error(`${file} has state version ${String(v.version)}; this nip34-sync reads version ${STATE_VERSION}`)
  const index = decodeRepoIndex(v.index)
  if (E.isLeft(index)) throw new Error(`${file}: index: ${index.left.message}`)
  // restored under the configuration of this command line (the executor builds the same one)
  const engine = decodeEngine(v.engine, { config, index: index.right })
  if (E.isLeft(engine)) throw new Error(`${file}: engine: ${engine.left.message}`)
  return engine.right
}

/** Writes a state file atomically (a temporary file beside it, renamed over it). */
export const saveState = (file: string, engine: SyncEngine, nowSec: number): void => {
  const text = JSON.stringify({
    format: STATE_FORMAT,
    version: STATE_VERSION,
    savedAt: nowSec,
    engine: encodeEngine(engine),
    index: encodeRepoIndex(engineRepoIndex(engine))
  })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, file)
}
