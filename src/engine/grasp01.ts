/**
 * The steps of GRASP-01 fetching and kind 10317 discovery, as the engine's step functions call
 * them: after an `Events` step (collect what accepted events tag, keep the lists, plan what is
 * due), on a `Tick` (plan what became due), and the `Refused` input. Also the public reader of
 * what fetching remembers ({@link engineFetchStatus}).
 *
 * @since 0.3.0
 */
import type { RelayBatch } from '../wire/Wire.js'
import { discover, discoveryOf } from './discovery.js'
import { addRefused, collect, fetchOf, planDue } from './fetch.js'
import { DEFAULT_DISCOVERY, DEFAULT_FETCH } from './fetchState.js'
import { invalid, result, type Read } from './input.js'
import { byRelay } from './reconcile.js'
import { data, type EngineData } from './state.js'
import type { EngineProblem, StepResult, SyncEngine } from './types.js'

/** Whether fetching or discovery read an `Events` batch (then it is copied once for all: `plainEvents`). */
export const readsEvents = (d: EngineData): boolean => (d.options.fetch ?? DEFAULT_FETCH).enabled || (d.options.discovery ?? DEFAULT_DISCOVERY).enabled

/** After an `Events` step: the batch's tagged values and GRASP lists, then what is due. */
export const afterEvents = (
  d: EngineData,
  events: ReadonlyArray<unknown>,
  now: number,
  problems: Array<EngineProblem>
): { readonly d: EngineData; readonly batches: Array<RelayBatch> } => {
  const fo = d.options.fetch ?? DEFAULT_FETCH
  const disc = discover(d, events, now, d.options.discovery ?? DEFAULT_DISCOVERY, problems)
  const f = collect(disc.d, events, now, fo, problems)
  const planned = planDue(disc.d, f, now, fo, problems)
  return { d: planned.d, batches: [...disc.batches, ...planned.batches] }
}

/** On a `Tick`: what became due is planned. */
export const afterTick = (d: EngineData, now: number, problems: Array<EngineProblem>): { readonly d: EngineData; readonly batches: Array<RelayBatch> } => {
  const f = d.fetch
  if (f === undefined || f.pending.size === 0) return { d, batches: [] }
  return planDue(d, f, now, d.options.fetch ?? DEFAULT_FETCH, problems)
}

/** Merges the batches of a step and of its GRASP-01 part (one batch per relay and connection). */
export const merged = (a: ReadonlyArray<RelayBatch>, b: ReadonlyArray<RelayBatch>): Array<RelayBatch> => (b.length === 0 ? [...a] : byRelay([...a, ...b]))

/** `Refused { ids, now }`: the own relay refused these events; they are not fetched by id while kept. */
export const onRefused = (engine: SyncEngine, d: EngineData, r: Read, now: number): StepResult => {
  if (r.ids === undefined) return invalid(engine, 'Refused: `ids` is not a list of event ids')
  const f = addRefused(fetchOf(d), r.ids, now, d.options.fetch ?? DEFAULT_FETCH)
  return result({ ...d, fetch: f, now }, [], [])
}

/**
 * What an engine remembers of GRASP-01 fetching and kind 10317 discovery: values waiting to be
 * fetched (`pending`) and asked for (`asked`), ids the own relay refused and still kept
 * (`refused`), values the caps left out since the engine was made (`dropped`), the GRASP lists
 * kept (`lists`) and the relays asked for maintainers' announcements (`discoveryRelays`).
 *
 * @example
 * import { emptySyncEngine, engineFetchStatus } from 'nip34-sync'
 *
 * assert.deepStrictEqual(engineFetchStatus(emptySyncEngine), { pending: 0, asked: 0, refused: 0, dropped: 0, lists: 0, discoveryRelays: [] })
 *
 * @category destructors
 * @since 0.3.0
 */
export interface FetchStatus {
  readonly pending: number
  readonly asked: number
  readonly refused: number
  readonly dropped: number
  readonly lists: number
  readonly discoveryRelays: ReadonlyArray<string>
}

/**
 * The {@link FetchStatus} of an engine. Refused ids count while kept at the engine's time.
 *
 * @example
 * import { engineFetchStatus, step, syncEngine } from 'nip34-sync'
 *
 * const engine = syncEngine({ ownRelays: ['wss://g.example'] })
 * const { engine: next } = step({ _tag: 'Refused', ids: ['1'.repeat(64)], now: 1700000000 })(engine)
 * assert.strictEqual(engineFetchStatus(next).refused, 1)
 *
 * @category destructors
 * @since 0.3.0
 */
export const engineFetchStatus = (engine: SyncEngine): FetchStatus => {
  const d = data(engine)
  const f = fetchOf(d)
  // expired entries are the first ones (the engine's time never goes back): count them, not the rest
  let expired = 0
  for (const [, until] of f.refused) {
    if (until > d.now) break
    expired++
  }
  const refused = f.refused.size - expired
  const disc = discoveryOf(d)
  return {
    pending: f.pending.size,
    asked: f.asked.size,
    refused,
    dropped: f.dropped,
    lists: disc.lists.size,
    discoveryRelays: [...disc.authors.keys()].sort()
  }
}
