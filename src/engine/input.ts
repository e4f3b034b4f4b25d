/**
 * Reading one input of `step` once into a plain copy, and the shapes of a step's result.
 *
 * @internal
 */
import type { RelayBatch } from '../wire/Wire.js'
import type { Rejection } from '../model/Rejection.js'
import { MAX_TIMESTAMP } from './Lifecycle.js'
import { NEG_MAX_NEED } from './negentropyPlan.js'
import { data, emptyEngine, wrap, type EngineData } from './state.js'
import type { EngineProblem, StepResult, SyncEngine } from './types.js'

export interface Read {
  readonly tag: string
  readonly relay: string | undefined
  readonly socket: number
  readonly id: string | undefined
  readonly now: number | undefined
  readonly events: ReadonlyArray<unknown> | undefined
  readonly text: string
  readonly limits: unknown
  readonly repos: ReadonlyArray<string> | undefined
  /** `Failed`: the kind of failure (checked by the step). */
  readonly kind?: string
  /** `NegentropyResult`: the ids the relay has that the host lacks (strings; checked by the step). */
  readonly ids?: ReadonlyArray<string>
  /** `NegentropyResult`: `need` held more than `NEG_MAX_NEED + 1` items (not read). */
  readonly needOver?: true
  /** `Nips`: the relay's NIP-11 `supported_nips` (integers). */
  readonly nips?: ReadonlyArray<number> | 'invalid'
}

export const validTime = (u: unknown): number | undefined =>
  typeof u === 'number' && Number.isFinite(u) && u >= 0 && u <= MAX_TIMESTAMP ? u : undefined

export const TAGS = new Set(['Events', 'Eose', 'Closed', 'Notice', 'Timeout', 'Connected', 'Disconnected', 'Limits', 'Tick', 'Held', 'Failed', 'Authenticated', 'AuthFailed', 'NegentropyResult', 'NegentropyError', 'Nips', 'Refused'])

/**
 * The strings of an array or another iterable, read once: at most `cap` items are read (strings
 * or not: an infinite iterable ends there), an array's `length` is read once. `over`: items were
 * left unread. `undefined` for anything else.
 */
export const readStringsCapped = (u: unknown, cap: number): { readonly values: ReadonlyArray<string>; readonly over: boolean } | undefined => {
  if (typeof u !== 'object' || u === null) return undefined
  const out: Array<string> = []
  if (Array.isArray(u)) {
    const length = u.length
    const n = Math.min(length, cap)
    for (let i = 0; i < n; i++) {
      const v: unknown = u[i]
      if (typeof v === 'string') out.push(v)
    }
    return { values: out, over: length > cap }
  }
  const it: unknown = (u as { [Symbol.iterator]?: unknown })[Symbol.iterator]
  if (typeof it !== 'function') return undefined
  let seen = 0
  for (const v of u as Iterable<unknown>) {
    if (seen >= cap) return { values: out, over: true }
    seen++
    if (typeof v === 'string') out.push(v)
  }
  return { values: out, over: false }
}

/** The strings of an array or another iterable (read once, at most 1e6 items read); `undefined` for anything else. */
export const readStrings = (u: unknown, cap = 1_000_000): ReadonlyArray<string> | undefined => readStringsCapped(u, cap)?.values

/** `NegentropyResult`: its `need` ids, at most `NEG_MAX_NEED + 1` items read (`needOver`: more were there). */
const needIds = (u: unknown): { readonly ids: ReadonlyArray<string>; readonly needOver?: true } => {
  const r = readStringsCapped(u, NEG_MAX_NEED + 1)
  return r === undefined ? { ids: [] } : r.over ? { ids: r.values, needOver: true } : { ids: r.values }
}

/** The integers of an array (NIP-11 `supported_nips`), at most 1 000 read; `undefined` for anything else. */
const readNips = (u: unknown): ReadonlyArray<number> | undefined => {
  if (!Array.isArray(u)) return undefined
  const out: Array<number> = []
  for (let i = 0; i < Math.min(u.length, 1000); i++) {
    const v: unknown = u[i]
    if (typeof v === 'number' && Number.isSafeInteger(v)) out.push(v)
  }
  return out
}

/** `Refused`: its ids, read once (none when `ids` is not an array or another iterable: the step reports it). */
const refusedIds = (u: unknown): { readonly ids?: ReadonlyArray<string> } => {
  const ids = readStrings(u)
  return ids === undefined ? {} : { ids }
}

/** Reads an input once into a plain copy; `undefined` when it is not one (or reading it throws). */
export const readInput = (u: unknown): Read | undefined => {
  try {
    if (typeof u !== 'object' || u === null) return undefined
    const r = u as Record<string, unknown>
    const tag = r['_tag']
    if (typeof tag !== 'string' || !TAGS.has(tag)) return undefined
    const relay = r['relay']
    const socket = r['socket']
    const id = r['id']
    const events = r['events']
    const reason = tag === 'Closed' || tag === 'Failed' || tag === 'AuthFailed' || tag === 'NegentropyError' ? r['reason'] : tag === 'Notice' ? r['message'] : undefined
    const kind = tag === 'Failed' ? r['kind'] : undefined
    return {
      tag,
      relay: typeof relay === 'string' ? relay : undefined,
      socket: socket === undefined ? 0 : typeof socket === 'number' && Number.isSafeInteger(socket) && socket >= 0 ? socket : -1,
      id: typeof id === 'string' ? id : undefined,
      now: validTime(r['now']),
      events: Array.isArray(events) ? Array.prototype.slice.call(events) : undefined,
      text: typeof reason === 'string' ? reason.slice(0, 500) : '',
      limits: tag === 'Limits' ? r['limits'] : undefined,
      repos: tag === 'Held' ? readStrings(r['repos']) : undefined,
      ...(typeof kind === 'string' ? { kind: kind.slice(0, 40) } : {}),
      ...(tag === 'NegentropyResult' ? needIds(r['need']) : {}),
      ...(tag === 'Nips' ? { nips: readNips(r['nips']) ?? 'invalid' } : {}),
      ...(tag === 'Refused' ? refusedIds(r['ids']) : {})
    }
  } catch {
    return undefined
  }
}

export const result = (d: EngineData, batches: ReadonlyArray<RelayBatch>, problems: ReadonlyArray<EngineProblem>, rejected: ReadonlyArray<Rejection> = []): StepResult => ({
  engine: wrap(d),
  batches,
  rejected,
  problems
})

export const unchanged = (engine: SyncEngine, problems: ReadonlyArray<EngineProblem> = []): StepResult => ({
  engine: data(engine) === (engine as unknown) ? engine : emptyEngine,
  batches: [],
  rejected: [],
  problems
})

export const invalid = (engine: SyncEngine, message: string): StepResult => unchanged(engine, [{ code: 'invalid-input', relay: '', message }])
