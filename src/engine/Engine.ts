/**
 * The sync engine: ONE value that owns all sync state, and ONE step function.
 *
 * A {@link SyncEngine} holds the {@link RepoIndex}, the desired {@link RelayIndex}, and per relay
 * its limits, its live plan (cut over as many connections as it needs, up to
 * `maxConnectionsPerRelay`), what each connection has open or in flight (every `REQ` an attempt
 * with its own subscription id), the history being fetched (paged newest first), and the time of
 * its last `EOSE`. {@link step} takes one input (a batch of events, or one piece of host
 * feedback) and returns the next engine and what to send, per relay and connection:
 *
 * ```text
 *            Events ─applyBatch→ RepoIndex ─deriveTargets→ desired ─diff→ actions ─┐
 * engine ──▶ Eose · Closed · Notice · Timeout · Connected · Disconnected · Limits · Tick ──▶ engine'
 *                                                                                    └─▶ RelayBatch[] (CLOSE…, REQ… per connection)
 * ```
 *
 * The engine is pure: no clock (time comes in as `now`, unix seconds), no randomness, no I/O.
 * A value that is not an engine made by this module reads as {@link emptySyncEngine}.
 *
 * @since 0.2.0
 */
import { either as E, option as O } from 'fp-ts'
import type { SyncConfig } from '../config/Config.js'
import { fromRelayTargets, relayTarget, type RelayIndex, type RelayTarget } from '../relays/RelayIndex.js'
import { canonicalRelay } from '../model/RelayUrl.js'
import type { RepoIndex } from '../repo/RepoIndex.js'
import { compareStrings } from '../util/sorted.js'
import { onEvents, onHeld, onTick } from './events.js'
import { onClosed, onConnected, onDisconnected, onEose, onLimits, onNotice, onTimeout } from './feedback.js'
import { closedForAuth, onAuthenticated, onAuthFailed, onFailed } from './healthSteps.js'
import { invalid, readInput } from './input.js'
import { onRefused } from './grasp01.js'
import { fetchDue } from './fetch.js'
import { negStatus, negTick, onNegClosed, onNegError, onNegNotice, onNegResult, onNegTimeout, onNips } from './negentropy.js'
import { data, emptyEngine, make, wrap } from './state.js'
import { isSettledRelay, nextDue, relayStatus } from './status.js'
import type { EngineOptions, EngineRestore, EngineSnapshot, EngineSnapshotError, RelayStatus, StepResult, SyncEngine } from './types.js'
import { decode, encode } from './codec.js'
import type { EngineInput } from './types.js'

export { DEFAULT_MAX_CONNECTIONS_PER_RELAY, DEFAULT_REQUEST_TIMEOUT } from './types.js'
export type { EngineInput, EngineOptions, EngineProblem, EngineRestore, EngineSnapshot, EngineSnapshotError, RelayStatus, StepResult, SyncEngine } from './types.js'
export type { EngineHealthOptions, RelayFailureKind, RelayHealth, RelayHealthState } from './types.js'
export type { NegentropyOpen, RelayNegentropy } from './types.js'
export type { DiscoveryOptions, FetchTaggedOptions } from './types.js'
export { engineFetchStatus, type FetchStatus } from './grasp01.js'

/**
 * The engine of a host that knows nothing and has asked nothing, under a configuration with no
 * own relay (so it accepts no announcement in `'listed'` mode). What every value that is not an
 * engine reads as.
 *
 * @example
 * import { emptySyncEngine, engineRelay } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * assert.deepStrictEqual(engineRelay('wss://r.example')(emptySyncEngine), O.none)
 *
 * @category constructors
 * @since 0.2.0
 */
export const emptySyncEngine: SyncEngine = emptyEngine

/**
 * A fresh engine for a configuration (checked once, and the same checked value is used at every
 * step, so the incremental derivation is reused). Total: unusable configuration values are
 * reported by the first `Events` step's `rejected`, unusable options take their defaults.
 *
 * @example
 * import { step, syncEngine } from 'nip34-sync'
 *
 * const engine = syncEngine({ ownRelays: ['wss://grasp.example.com'], bootstrapRelays: ['wss://bootstrap.example'] })
 * const { batches } = step({ _tag: 'Events', events: [], now: 1700000000 })(engine)
 * assert.deepStrictEqual(batches.map((b) => [b.relay, b.socket, b.connection]), [['wss://bootstrap.example', 0, 'open']])
 * // the discovery subscription live, and its history from the beginning
 * assert.deepStrictEqual(batches[0]?.messages.map((m) => m.slice(2)), [[{ kinds: [30617, 10317], limit: 0 }], [{ kinds: [30617, 10317], limit: 500 }]])
 *
 * @category constructors
 * @since 0.2.0
 */
export const syncEngine = (config: SyncConfig, options?: EngineOptions): SyncEngine => wrap(make(config, options))

// -------------------------------------------------------------------------------------------------
// readers
// -------------------------------------------------------------------------------------------------

/**
 * The repository index the engine holds.
 *
 * @example
 * import { emptySyncEngine, engineRepoIndex, repoRefs } from 'nip34-sync'
 *
 * assert.deepStrictEqual(repoRefs(engineRepoIndex(emptySyncEngine)), [])
 *
 * @category destructors
 * @since 0.2.0
 */
export const engineRepoIndex = (engine: SyncEngine): RepoIndex => data(engine).index

/**
 * The desired targets: `deriveTargets` of the repository index.
 *
 * @example
 * import { emptySyncEngine, engineDesired, relays } from 'nip34-sync'
 *
 * assert.deepStrictEqual(relays(engineDesired(emptySyncEngine)), [])
 *
 * @category destructors
 * @since 0.2.0
 */
export const engineDesired = (engine: SyncEngine): RelayIndex => data(engine).desired


/**
 * The applied targets: the desired target of every relay whose live plan is open and confirmed
 * (every subscription's `EOSE` received, with the planned filters, no other subscription open) and
 * whose history is fetched. Equal to {@link engineDesired} when the engine {@link isSettled}.
 *
 * @example
 * import { emptySyncEngine, engineApplied, relays } from 'nip34-sync'
 *
 * assert.deepStrictEqual(relays(engineApplied(emptySyncEngine)), [])
 *
 * @category destructors
 * @since 0.2.0
 */
export const engineApplied = (engine: SyncEngine): RelayIndex => {
  const targets: Array<RelayTarget> = []
  const d = data(engine)
  for (const rs of d.relays.values())
    if (rs.target !== undefined && isSettledRelay(rs)) {
      const t = O.toUndefined(relayTarget(rs.relay)(d.desired))
      if (t !== undefined) targets.push(t)
    }
  return fromRelayTargets(targets)
}

/**
 * Nothing left to do: every desired relay has its live plan open and confirmed, no history is
 * being fetched, nothing is pending or waiting for a retry, no tagged value waits to be fetched.
 *
 * @example
 * import { isSettled, step, syncEngine } from 'nip34-sync'
 *
 * const { engine } = step({ _tag: 'Events', events: [] })(syncEngine({ ownRelays: ['wss://g.example'], bootstrapRelays: ['wss://b.example'] }))
 * assert.strictEqual(isSettled(engine), false)
 *
 * @category destructors
 * @since 0.2.0
 */
export const isSettled = (engine: SyncEngine): boolean => {
  // a value tagged by an accepted event, waiting for its delay, is work left (grasp01.ts)
  if (fetchDue(data(engine)) !== undefined) return false
  for (const rs of data(engine).relays.values()) if (!isSettledRelay(rs)) return false
  return true
}

/**

/**
 * One relay's state (`None` when the engine does not track it). Total: a relay that is not a
 * string is not tracked.
 *
 * @example
 * import { emptySyncEngine, engineRelay } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * assert.deepStrictEqual(engineRelay(42 as never)(emptySyncEngine), O.none)
 *
 * @category destructors
 * @since 0.2.0
 */
export const engineRelay =
  (relay: string) =>
  (engine: SyncEngine): O.Option<RelayStatus> => {
    const canonical = canonicalRelay(relay)
    if (canonical === undefined) return O.none
    const d = data(engine)
    const rs = d.relays.get(canonical)
    if (rs === undefined) return O.none
    return O.some({ ...relayStatus(rs, d.learned.get(canonical), d.now, d.options.health), negentropy: negStatus(d, rs) })
  }

/**
 * Every relay the engine tracks, sorted.
 *
 * @example
 * import { emptySyncEngine, engineRelays } from 'nip34-sync'
 *
 * assert.deepStrictEqual(engineRelays(emptySyncEngine), [])
 *
 * @category destructors
 * @since 0.2.0
 */
export const engineRelays = (engine: SyncEngine): ReadonlyArray<string> => [...data(engine).relays.keys()].sort(compareStrings)

/**
 * The earliest time (unix seconds) something of the engine is due: a retry after its backoff, a
 * connection to open again, a value tagged by an accepted event to fetch by id (after its delay). `undefined` when nothing waits (then only new events or feedback
 * make work). A host sends a `Tick` at that time (it may tick more often; a `Tick` also retries a
 * `REQ` unanswered for `requestTimeout` seconds).
 *
 * @example
 * import { emptySyncEngine, engineNextDue } from 'nip34-sync'
 *
 * assert.strictEqual(engineNextDue(emptySyncEngine), undefined)
 *
 * @category destructors
 * @since 0.3.0
 */
export const engineNextDue = (engine: SyncEngine): number | undefined => {
  let due: number | undefined
  for (const rs of data(engine).relays.values()) {
    const t = nextDue(rs)
    if (t !== undefined && (due === undefined || t < due)) due = t
  }
  // a value tagged by an accepted event waits for its delay (grasp01.ts)
  const f = fetchDue(data(engine))
  if (f !== undefined && (due === undefined || f < due)) due = f
  return due
}

/**
 * The engine as plain JSON, to restore with {@link decodeEngine} after a restart: per relay the
 * time of its last `EOSE`, its announced limits and the caps its refusals taught, and the
 * repositories in purgatory. What is in flight is not kept (sockets do not survive a restart);
 * the repository index is kept by `encodeRepoIndex` and handed back to {@link decodeEngine}.
 *
 * @example
 * import { decodeEngine, encodeEngine, syncEngine } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * const config = { ownRelays: ['wss://g.example'] }
 * const snapshot = encodeEngine(syncEngine(config))
 * assert.strictEqual(snapshot.format, 'nip34-sync/Engine')
 * assert.strictEqual(E.isRight(decodeEngine(JSON.parse(JSON.stringify(snapshot)), { config })), true)
 *
 * @category destructors
 * @since 0.3.0
 */
export const encodeEngine = (engine: SyncEngine): EngineSnapshot => encode(data(engine))

/**
 * An engine from an {@link EngineSnapshot} (the value or its JSON text), under a configuration
 * and options, with a repository index (`decodeRepoIndex` of the index saved beside it; default
 * empty). Relays come back as the first `Events` step plans them (step one, even with no events,
 * to reconnect): each fetches its history from its last `EOSE` minus the reconnect window, under
 * the limits it had announced and the caps its refusals taught. Total: any value that is not a
 * snapshot of this version is a `Left` (read once, into a plain copy; nothing throws).
 *
 * @example
 * import { decodeEngine } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * const config = { ownRelays: ['wss://g.example'] }
 * const bad = decodeEngine({ format: 'something else' }, { config })
 * assert.strictEqual(E.isLeft(bad) && bad.left.code, 'format')
 * assert.strictEqual(E.isLeft(decodeEngine('{"trunc', { config })) , true)
 *
 * @category constructors
 * @since 0.3.0
 */
export const decodeEngine = (input: unknown, restore: EngineRestore): E.Either<EngineSnapshotError, SyncEngine> => {
  try {
    // each field read once; the configuration and options are checked as `syncEngine` checks them
    const o: Record<string, unknown> = {}
    if (typeof restore === 'object' && restore !== null) for (const k of ['config', 'options', 'index']) o[k] = (restore as unknown as Record<string, unknown>)[k]
    return E.map(wrap)(decode(input, o['config'], o['options'], o['index']))
  } catch (e) {
    return E.left({ code: 'invalid', message: `internal error: ${e instanceof Error ? e.message : 'unknown'}` })
  }
}

/**
 * The one step: applies one input to the engine and says what to send. Events go through
 * `applyBatch → deriveTargets → diff`; every relay whose target changed is re-planned, and history
 * is fetched for what was added (from the beginning) and after a reconnect (from the last `EOSE`
 * minus the reconnect window). Every `REQ` is an attempt with its own subscription id, so an
 * answer (`EOSE`, `CLOSED`) belongs to exactly one attempt: late answers of an attempt that timed
 * out or failed change nothing. The host sends each batch's `messages` in order on connection
 * `socket` of `relay` (connecting first when `connection` is `'open'`, disconnecting after when
 * `'close'`), and feeds back what happens. Total: an input that is not one is reported
 * (`invalid-input`) and changes nothing; a value that is not an engine reads as
 * {@link emptySyncEngine}. Nothing throws.
 *
 * @example
 * import { isSettled, step, syncEngine, type SyncEngine } from 'nip34-sync'
 *
 * let engine: SyncEngine = syncEngine({ ownRelays: ['wss://g.example'], bootstrapRelays: ['wss://b.example'] })
 * const first = step({ _tag: 'Events', events: [], now: 1700000000 })(engine)
 * engine = first.engine
 * const [live, history] = first.batches[0]!.messages
 * engine = step({ _tag: 'Eose', relay: 'wss://b.example', id: live![1], now: 1700000001 })(engine).engine
 * // an empty page ends the history: its CLOSE is sent
 * const end = step({ _tag: 'Eose', relay: 'wss://b.example', id: history![1], events: [], now: 1700000002 })(engine)
 * assert.deepStrictEqual(end.batches[0]?.messages, [['CLOSE', history![1]]])
 * assert.strictEqual(isSettled(end.engine), true)
 *
 * @category combinators
 * @since 0.2.0
 */
export const step =
  (input: EngineInput) =>
  (engine: SyncEngine): StepResult => {
    try {
      const d = data(engine)
      const r = readInput(input)
      if (r === undefined) return invalid(engine, 'not an engine input (an object with a known `_tag`)')
      const now = Math.max(d.now, r.now ?? d.now)
      switch (r.tag) {
        case 'Events':
          return onEvents(d, r, now)
        case 'Eose':
          return onEose(engine, d, r, now)
        case 'Closed':
          return closedForAuth(engine, d, r, now) ?? onNegClosed(engine, d, r, now) ?? onClosed(engine, d, r, now)
        case 'Notice':
          return onNegNotice(engine, d, r, now) ?? onNotice(engine, d, r, now)
        case 'Timeout':
          return onNegTimeout(engine, d, r, now) ?? onTimeout(engine, d, r, now)
        case 'Connected':
          return onConnected(engine, d, r, now)
        case 'Disconnected':
          return onDisconnected(engine, d, r, now)
        case 'Limits':
          return onLimits(engine, d, r, now)
        case 'Held':
          return onHeld(engine, d, r, now)
        case 'Failed':
          return onFailed(engine, d, r, now)
        case 'Authenticated':
          return onAuthenticated(engine, d, r, now)
        case 'AuthFailed':
          return onAuthFailed(engine, d, r, now)
        case 'NegentropyResult':
          return onNegResult(engine, d, r, now)
        case 'NegentropyError':
          return onNegError(engine, d, r, now)
        case 'Nips':
          return onNips(engine, d, r, now)
        case 'Refused':
          return onRefused(engine, d, r, now)
        default:
          return r.now === undefined ? invalid(engine, 'Tick: `now` is not a time in seconds') : onTick(negTick(d, now), now)
      }
    } catch (e) {
      return invalid(engine, `internal error: ${e instanceof Error ? e.message : 'unknown'}`)
    }
  }
