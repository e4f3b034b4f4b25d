/**
 * What the parts of the executor share (internal): its resolved options and clock, the engine
 * value, the connections to remote relays with what each asked for, the queues between the
 * sockets and the engine, the counters and the progress events. One per executor, made by
 * `createExecutor` (Executor.ts); the parts (flow.ts, remotes.ts, frames.ts, remoteAuth.ts,
 * relayInfo.ts) read and write it.
 */
import type { EngineInput, NostrFilter, SyncEngine } from '../index.js'
import type { Connection } from './connection.js'
import type { Net } from './net.js'
import type { Resolved } from './options.js'
import type { EventSink, NostrEventLike } from './ownRelayTypes.js'
import type { ExecutorCounters, ExecutorEvent } from './types.js'

/** One connection to a remote relay, and what it asked for. */
export interface Remote {
  readonly relay: string
  readonly socket: number
  readonly key: string
  conn: Connection
  connected: boolean
  /** Subscriptions requested and not closed: id → filters (an event must match the filters of the id it came on). */
  readonly subs: Map<string, ReadonlyArray<NostrFilter>>
  /** `REQ`s not answered yet: id → time sent (ms). */
  readonly inFlight: Map<string, number>
  /**
   * Filters an id had until a `CLOSE` or a replacing `REQ`, kept for a grace period (remotes.ts):
   * the relay may have sent events on them before it read the change, and such an event is wanted
   * (a slot that split or moved is asked for under new ids, live, from the moment the relay reads them).
   */
  readonly recent: Map<string, Array<{ readonly filters: ReadonlyArray<NostrFilter>; readonly until: number }>>
  /** NIP-42: the last challenge, the id of the auth event sent for it, whether the relay accepted it. */
  challenge?: string | undefined
  authId?: string | undefined
  authed?: boolean
  /** A `REQ` was refused with `auth-required:` before any challenge came (ms): auth fails if none comes in time. */
  authAwaited?: number | undefined
}

/** The counters as the executor keeps them (`ExecutorCounters`, every one given). */
export type Counters = { -readonly [K in keyof ExecutorCounters]-?: number }

export const newCounters = (): Counters => ({
  received: 0, unmatched: 0, overFetched: 0, invalid: 0, pageOverflow: 0, stored: 0, storeFailed: 0, storePending: 0, steps: 0, rejected: 0, reqs: 0, closes: 0,
  negentropySessions: 0, negentropyFailed: 0, negentropyNeed: 0
})

export interface Shared {
  readonly o: Resolved
  /** The clock (ms). */
  readonly clock: () => number
  /** The clock in unix seconds: the engine's `now`. */
  readonly nowSec: () => number
  readonly net: Net
  /** The kinds the engine reads (announcements, deletions, root events; GRASP lists with discovery). */
  readonly engineKinds: ReadonlySet<number>
  engine: SyncEngine
  running: boolean
  /** Stopped for good (an executor does not start again). */
  stopped: boolean
  sink: EventSink | undefined
  /** The source delivered every event it holds. */
  sourceCaughtUp: boolean
  /** Events for the next `Events` step. */
  inbox: Array<unknown>
  /** Inputs for the next flush, in the order they came. */
  feedback: Array<EngineInput>
  /** Fetched events for the sink. */
  toStore: Array<NostrEventLike>
  /** The connections to remote relays, by `socket relay`. */
  readonly remotes: Map<string, Remote>
  /** Events of each history subscription since its `REQ` (the page the engine pages with), by {@link pageKey}. */
  readonly pages: Map<string, Array<unknown>>
  readonly counters: Counters
  /** Over-fetched events per relay (see `counters.overFetched`). */
  readonly overFetchedBy: Map<string, number>
  /** Reports a progress event to the listeners. */
  readonly emit: (e: ExecutorEvent) => void
}

/** The key of a subscription's page: the connection's key and the subscription id. */
export const pageKey = (key: string, id: string): string => `${key} ${id}`
