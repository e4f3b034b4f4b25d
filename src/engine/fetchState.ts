/**
 * The state and options of GRASP-01 fetching (`fetch.ts`) and of kind 10317 discovery
 * (`discovery.ts`): kept apart so that `state.ts` can hold them without importing the steps.
 *
 * @internal
 */
import { Map as IMap, Set as ISet } from 'immutable'
import type { GraspList } from '../decode/graspList.js'
import { Fifo } from './fifo.js'

/** Options of fetching what accepted events tag (`EngineOptions.fetchTagged`). */
export interface FetchConfig {
  readonly enabled: boolean
  /** Values taken from one event's `e` and `q` tags (tag order). */
  readonly perEvent: number
  /** Values waiting to be fetched, at most. */
  readonly total: number
  /** Seconds a value waits before it is asked for (an `Events` batch that brings it cancels it). */
  readonly delay: number
  /** Seconds a refused id is kept. */
  readonly refusedFor: number
  readonly maxRefused: number
  /** Values remembered as asked (not asked again), at most. */
  readonly maxAsked: number
  /** Seconds after which a value asked for (and not refused) may be asked again. */
  readonly retryAfter: number
}

export const DEFAULT_FETCH: FetchConfig = {
  enabled: true,
  perEvent: 20,
  total: 10_000,
  delay: 10,
  refusedFor: 7 * 86_400,
  maxRefused: 100_000,
  maxAsked: 100_000,
  retryAfter: 86_400
}

/** Options of kind 10317 discovery (`EngineOptions.discovery`). */
export interface DiscoveryConfig {
  readonly enabled: boolean
  /** Relays taken from one list (preference order). */
  readonly relaysPerList: number
  /** Lists kept (one per pubkey). */
  readonly maxLists: number
  /** Authors in one `{kinds:[30617], authors}` filter. */
  readonly authorsPerFilter: number
}

export const DEFAULT_DISCOVERY: DiscoveryConfig = { enabled: false, relaysPerList: 4, maxLists: 10_000, authorsPerFilter: 100 }

const int = (u: unknown, fallback: number, min: number, max: number): number =>
  typeof u === 'number' && Number.isFinite(u) && u >= min && u <= max ? Math.floor(u) : fallback

/** The fields of an options object, read once (a throwing getter: `undefined`). */
const fields = (u: object, keys: ReadonlyArray<string>): Record<string, unknown> | undefined => {
  const o: Record<string, unknown> = {}
  try {
    for (const k of keys) o[k] = (u as Record<string, unknown>)[k]
  } catch {
    return undefined
  }
  return o
}

/** `EngineOptions.fetchTagged`: `false` turns it off; `true`, nothing or an object turn it on. */
export const readFetchOptions = (u: unknown): FetchConfig => {
  if (u === false) return { ...DEFAULT_FETCH, enabled: false }
  if (typeof u !== 'object' || u === null) return DEFAULT_FETCH
  const o = fields(u, ['enabled', 'perEvent', 'total', 'delay', 'refusedFor', 'maxRefused', 'maxAsked', 'retryAfter'])
  if (o === undefined) return DEFAULT_FETCH
  return {
    enabled: o['enabled'] !== false,
    perEvent: int(o['perEvent'], DEFAULT_FETCH.perEvent, 0, 2000),
    total: int(o['total'], DEFAULT_FETCH.total, 0, 1_000_000),
    delay: int(o['delay'], DEFAULT_FETCH.delay, 0, 86_400),
    refusedFor: int(o['refusedFor'], DEFAULT_FETCH.refusedFor, 0, 365 * 86_400),
    maxRefused: int(o['maxRefused'], DEFAULT_FETCH.maxRefused, 0, 10_000_000),
    maxAsked: int(o['maxAsked'], DEFAULT_FETCH.maxAsked, 0, 10_000_000),
    retryAfter: int(o['retryAfter'], DEFAULT_FETCH.retryAfter, 0, 365 * 86_400)
  }
}

/** `EngineOptions.discovery`: `true` or an object turn it on; anything else leaves it off. */
export const readDiscoveryOptions = (u: unknown): DiscoveryConfig => {
  if (u === true) return { ...DEFAULT_DISCOVERY, enabled: true }
  if (typeof u !== 'object' || u === null) return DEFAULT_DISCOVERY
  const o = fields(u, ['enabled', 'relaysPerList', 'maxLists', 'authorsPerFilter'])
  if (o === undefined) return DEFAULT_DISCOVERY
  return {
    enabled: o['enabled'] !== false,
    relaysPerList: int(o['relaysPerList'], DEFAULT_DISCOVERY.relaysPerList, 0, 100),
    maxLists: int(o['maxLists'], DEFAULT_DISCOVERY.maxLists, 0, 1_000_000),
    authorsPerFilter: int(o['authorsPerFilter'], DEFAULT_DISCOVERY.authorsPerFilter, 1, 1000)
  }
}

/** An id or an address waiting to be fetched: the relays to ask and when it is due. */
export interface Pending {
  readonly relays: ReadonlyArray<string>
  readonly due: number
}

/** What the engine remembers of fetching by id. */
export interface FetchState {
  /** Key (an id, or an address `<kind>:<pubkey>:<d>`) → relays and due time, oldest first. */
  readonly pending: Fifo<Pending>
  /** Keys asked for, → when; oldest first. */
  readonly asked: Fifo<number>
  /** Ids the own relay refused → until when they are kept; oldest first. */
  readonly refused: Fifo<number>
  /** Values left out by the caps since the engine was made. */
  readonly dropped: number
}

/** Whether an id is in the refused memory and still kept at `now`. */
export const isRefused = (refused: Fifo<number>, id: string, now: number): boolean => {
  const until = refused.get(id)
  return until !== undefined && until > now
}

export const emptyFetch: FetchState = { pending: Fifo.empty(), asked: Fifo.empty(), refused: Fifo.empty(), dropped: 0 }

/** What the engine remembers of kind 10317 discovery. */
export interface DiscoveryState {
  /** The latest list per pubkey (replaceable-event order). */
  readonly lists: IMap<string, GraspList>
  /** Per relay: the maintainers whose announcements it is asked for (sorted). */
  readonly authors: IMap<string, ReadonlyArray<string>>
  /** The derivation's `groupOf` the maintainers were computed from (unchanged: no group changed, nothing to recompute). */
  readonly groups?: unknown
  /** The maintainers of accepted repositories at `groups`. */
  readonly maintainers?: ISet<string>
}

export const emptyDiscovery: DiscoveryState = { lists: IMap(), authors: IMap() }
