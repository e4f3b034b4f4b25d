/**
 * The executor's flow of work (internal): events admitted once (id and signature checked), one
 * engine step for every event collected in a batch window (never one per event), then the
 * feedback in the order it came, then the fetched events handed to the sink; and whether the
 * executor is caught up.
 */
import { option as O } from 'fp-ts'
import { engineFetchStatus, engineRelay, engineRelays, isSettled, step, type EngineInput, type RelayBatch } from '../index.js'
import { verifies } from '../decode/verifyBackend.js'
import { isParked } from './healthHooks.js'
import type { EventSink, NostrEventLike, StoreResult } from './ownRelayTypes.js'
import type { Shared } from './shared.js'

/** The flow of one executor; `apply` sends a batch of the engine (remotes.ts). */
export const makeFlow = (s: Shared, apply: (b: RelayBatch) => void) => {
  const { o, clock, nowSec, counters, emit } = s
  let seen = new Set<string>()
  let flushTimer: ReturnType<typeof setTimeout> | undefined
  /** How long the last `Events` step took (ms): the next batch window is at least that long. */
  let lastEventsMs = 0
  let caughtUp = false
  const waiters = new Set<(ok: boolean) => void>()

  // ---- admitting -------------------------------------------------------------------------------

  /** Whether to check ids and signatures here (the engine's `verify`, default on). */
  const verifying = o.config['verify'] !== false
  /**
   * Remembers a new, valid event's id. The id and signature are checked first (the core's
   * verifier, WASM when enabled), so a forged copy (a real id, a bad signature or other content)
   * is never remembered: it cannot hide the genuine event, and it never reaches the store.
   */
  const admit = (e: NostrEventLike): boolean => {
    if (seen.has(e.id)) return false
    if (verifying && verifies(e) !== undefined) {
      counters.invalid++
      return false
    }
    return remember(e.id)
  }

  const remember = (id: string): boolean => {
    if (seen.has(id)) return false
    if (seen.size >= o.dedupCapacity) seen = new Set()
    seen.add(id)
    return true
  }

  // ---- the engine ------------------------------------------------------------------------------

  const feed = (input: EngineInput): void => {
    const t0 = clock()
    const r = step(input)(s.engine)
    s.engine = r.engine
    counters.steps++
    if (r.rejected.length > 0) {
      counters.rejected += r.rejected.filter((x) => x.position !== undefined).length
      emit({ type: 'rejected', rejections: r.rejected.map((x) => ({ code: x.code, message: x.message, ...(x.eventId === undefined ? {} : { eventId: x.eventId }) })) })
    }
    for (const p of r.problems) emit({ type: 'problem', code: p.code, relay: p.relay, message: p.message })
    for (const b of r.batches) apply(b)
    if (input._tag === 'Events' || r.batches.length > 0)
      emit({ type: 'step', input: input._tag, events: input._tag === 'Events' ? input.events.length : 0, batches: r.batches.length, rejected: r.rejected.length, ms: clock() - t0 })
  }

  // ---- batching --------------------------------------------------------------------------------

  const queue = (input: EngineInput): void => {
    s.feedback.push(input)
    schedule()
  }

  const schedule = (): void => {
    if (!s.running) return
    if (s.inbox.length >= o.batchMax || s.toStore.length >= o.batchMax) {
      if (flushTimer !== undefined) clearTimeout(flushTimer)
      flushTimer = setTimeout(flush, 0)
      return
    }
    // the window grows to the last Events step's duration (at most 2 s): under a steady stream the
    // engine works at most about half of the time and the event loop stays responsive
    flushTimer ??= setTimeout(flush, Math.max(o.batchWindowMs, Math.min(lastEventsMs, 2000)))
  }

  /** One engine step for every event collected, then the feedback in the order it came, then the store. */
  const flush = (): void => {
    if (flushTimer !== undefined) clearTimeout(flushTimer)
    flushTimer = undefined
    if (!s.running) return
    if (s.inbox.length > 0) {
      const events = s.inbox
      s.inbox = []
      const t0 = clock()
      feed({ _tag: 'Events', events, now: nowSec() })
      lastEventsMs = clock() - t0
    }
    const inputs = s.feedback
    s.feedback = []
    for (const i of inputs) feed(i)
    if (s.toStore.length > 0 && s.sink !== undefined) {
      const events = s.toStore
      s.toStore = []
      store(s.sink, events)
    }
    check()
  }

  /** Hands fetched events to the sink, and counts what it stored, refused or failed. */
  const store = (sink: EventSink, events: Array<NostrEventLike>): void => {
    counters.storePending += events.length
    let promise: Promise<void | StoreResult>
    try {
      promise = Promise.resolve(sink.store(events))
    } catch (e) {
      promise = Promise.reject(e)
    }
    promise.then(
      (r) => {
        counters.storePending -= events.length
        const stored = r !== undefined && typeof r === 'object' && typeof r.stored === 'number' ? r.stored : events.length
        const failed = events.length - stored
        counters.stored += stored
        counters.storeFailed += failed
        // GRASP-01: ids the own relay refused are not fetched by id again (the engine's Refused input)
        const no = r !== undefined && typeof r === 'object' && Array.isArray(r.refused) ? r.refused.filter((x): x is string => typeof x === 'string') : []
        if (no.length > 0) queue({ _tag: 'Refused', ids: no, now: nowSec() })
        emit({ type: 'stored', stored, failed })
        check()
      },
      () => {
        counters.storePending -= events.length
        counters.storeFailed += events.length
        emit({ type: 'stored', stored: 0, failed: events.length })
        check()
      }
    )
  }

  // ---- caught up -------------------------------------------------------------------------------

  /**
   * The engine's health says so: parked (dead, naughty: a policy refusal of the address included,
   * auth failed), or `giveUpAfter` failures in a row by the engine's count (once per backoff
   * period; an open alone does not reset it, an answer does).
   */
  const unreachable = (relay: string): boolean => {
    const health = O.toUndefined(engineRelay(relay)(s.engine))?.health
    return isParked(health) || (health?.failures ?? 0) >= o.giveUpAfter
  }

  const isCaughtUp = (): boolean => {
    if (!s.running || !s.sourceCaughtUp || s.inbox.length > 0 || s.feedback.length > 0 || s.toStore.length > 0 || counters.storePending > 0) return false
    const engine = s.engine
    if (isSettled(engine)) return true
    // GRASP-01: values tagged by accepted events still waiting for their delay (fetched at a later tick)
    if (engineFetchStatus(engine).pending > 0) return false
    for (const relay of engineRelays(engine)) {
      if (unreachable(relay)) continue
      if (O.toUndefined(engineRelay(relay)(engine))?.settled !== true) return false
    }
    return true
  }

  const check = (): void => {
    const now = isCaughtUp()
    if (now === caughtUp) return
    caughtUp = now
    emit({ type: now ? 'caught-up' : 'behind' })
    if (now) {
      for (const w of waiters) w(true)
      waiters.clear()
    }
  }

  const whenCaughtUp = (timeoutMs?: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (caughtUp) return resolve(true)
      if (!s.running && s.stopped) return resolve(false)
      let timer: ReturnType<typeof setTimeout> | undefined
      const done = (ok: boolean): void => {
        if (timer !== undefined) clearTimeout(timer)
        waiters.delete(done)
        resolve(ok)
      }
      waiters.add(done)
      if (typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs >= 0) timer = setTimeout(() => done(false), timeoutMs)
    })

  /** The executor stopped: no flush is due, nothing is caught up, and every waiter hears `false`. */
  const stop = (): void => {
    if (flushTimer !== undefined) clearTimeout(flushTimer)
    flushTimer = undefined
    caughtUp = false
    for (const w of waiters) w(false)
    waiters.clear()
  }

  return { admit, feed, queue, schedule, flush, check, unreachable, whenCaughtUp, caughtUp: (): boolean => caughtUp, stop }
}

export type Flow = ReturnType<typeof makeFlow>
