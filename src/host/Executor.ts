/**
 * The executor: a GRASP-02 host on nostr-tools that runs the sync engine for real.
 *
 * It reads announcements, deletions and root events from the server's own relay (or an
 * {@link EventSource}), feeds them to the engine in batches (one `Events` step per batch, never
 * one per event), opens, replaces and closes subscriptions on remote relays exactly as the
 * engine's batches say, stores every event it fetches in the own relay (or an
 * {@link EventSink}), and reports `EOSE`, `CLOSED`, `NOTICE`, request timeouts, opened and
 * dropped connections, and each relay's NIP-11 limits back to the engine. It owns the clock, the
 * jitter and the sockets; the engine stays pure. See docs/host.md.
 *
 * @since 0.3.0
 */
import { option as O } from 'fp-ts'
import { enableWasmVerification, engineRelay, engineRelays, syncEngine, type SyncEngine } from '../index.js'
import { relaySink, relaySource, type EventSink, type EventSource } from './ownRelay.js'
import { isEvent, readOptions } from './options.js'
import { engineWithSeed } from './healthHooks.js'
import { negentropyHost, storeHave } from './negentropy.js'
import { setup } from './setup.js'
import { newCounters, type Shared } from './shared.js'
import { makeFlow } from './flow.js'
import { makeRemotes } from './remotes.js'
import { makeRemoteAuth } from './remoteAuth.js'
import { makeFrames } from './frames.js'
import { makeRelayInfo } from './relayInfo.js'
import type { ConnectionState, Executor, ExecutorEvent, ExecutorOptions, ExecutorRelayState, ExecutorState } from './types.js'

export type { ConnectionState, Executor, ExecutorCounters, ExecutorEvent, ExecutorOptions, ExecutorRelayState, ExecutorState } from './types.js'

// The parts, one idea a file: setup.ts (what the options make), shared.ts (the state they share),
// flow.ts (admitting events, the engine's steps, the batch window, the store, caught up),
// remotes.ts (connections and the subscriptions they hold), frames.ts (what remote relays say),
// remoteAuth.ts (NIP-42), negentropy.ts (NIP-77), relayInfo.ts (NIP-11), storeSource.ts and
// storeSink.ts (the own relay). This file wires them and runs the life cycle.

/**
 * Makes an executor: the engine, the own relay as source and sink, and connections to the
 * remote relays the engine asks for. Nothing happens before {@link Executor.start}. Total: an
 * option that is not usable takes its default (an unusable `ownRelay` is reported by the engine
 * as an `invalid-config` rejection, and `start` rejects when there is nothing to read from).
 *
 * @example
 * import { createExecutor } from 'nip34-sync/host'
 *
 * const host = createExecutor({
 *   ownRelay: 'wss://grasp.example.com', // what announcements list
 *   storeRelay: 'ws://127.0.0.1:7777', // where this server's relay listens
 *   bootstrapRelays: ['wss://relay.example.org']
 * })
 * host.on((e) => {
 *   if (e.type === 'caught-up') console.log('caught up', host.state().counters)
 * })
 * // await host.start(); await host.whenCaughtUp(); ...; await host.stop()
 * assert.strictEqual(host.state().running, false)
 *
 * @category constructors
 * @since 0.3.0
 */
export const createExecutor = (options: ExecutorOptions): Executor => {
  const o = readOptions(options)
  const clock = o.clock
  const nowSec = (): number => Math.floor(clock() / 1000)
  const { storeUrl, config, engineKinds, reconnectWindow, net } = setup(o)

  const listeners = new Set<(e: ExecutorEvent) => void>()
  const emit = (e: ExecutorEvent): void => {
    for (const l of [o.onProgress, ...listeners])
      if (l !== undefined)
        try {
          l(e)
        } catch {
          // a listener's error is its own
        }
  }

  const initial: SyncEngine = o.initialEngine ?? syncEngine(config, engineWithSeed(o.engine, o.jitterSeed))
  // whether a relay is reachable, and when a connection reopens, is the engine's relay health
  // alone (its failure count, parks and seeded jitter): the executor keeps no count of its own
  const s: Shared = {
    o,
    clock,
    nowSec,
    net,
    engineKinds,
    engine: initial,
    running: false,
    stopped: false,
    sink: undefined,
    sourceCaughtUp: false,
    inbox: [],
    feedback: [],
    toStore: [],
    remotes: new Map(),
    pages: new Map(),
    counters: newCounters(),
    overFetchedBy: new Map(),
    emit
  }
  const counters = s.counters
  let tickTimer: ReturnType<typeof setInterval> | undefined
  let abort = new AbortController()
  let source: EventSource | undefined
  let sourceConnected = false

  const flow = makeFlow(s, (b) => remotes.apply(b))
  const { queue } = flow
  // NIP-77: sessions the engine plans, run with the store relay's events as the "have" set (negentropy.ts)
  const haves = storeUrl === undefined ? undefined : storeHave({ url: storeUrl, net, connectTimeoutMs: o.connectTimeoutMs, requestTimeoutMs: o.requestTimeoutMs, pageSize: 500 })
  const neg = negentropyHost(haves === undefined ? async () => [] : haves.have, {
    report: (input) => queue(input),
    touch: (peer, id) => {
      const rem = s.remotes.get(peer.key)
      if (rem !== undefined && rem.inFlight.has(id)) rem.inFlight.set(id, clock())
    },
    event: (e) => {
      if (e.phase === 'done') {
        counters.negentropySessions++
        counters.negentropyNeed += e.need ?? 0
      } else if (e.phase === 'error') counters.negentropyFailed++
      emit({ type: 'negentropy', ...e })
    },
    now: nowSec
  })
  const auth = makeRemoteAuth(s, queue)
  const frames = makeFrames(s, { queue, schedule: flow.schedule, admit: flow.admit, matchesRecent: (rem, id, e) => remotes.matchesRecent(rem, id, e), neg, auth })
  const remotes = makeRemotes(s, { queue, onFrame: frames.onFrame, askInfo: makeRelayInfo(s, queue, () => abort.signal), neg })

  const tick = (): void => {
    const now = clock()
    remotes.sweep(now)
    auth.sweep(now - o.requestTimeoutMs)
    s.feedback.push({ _tag: 'Tick', now: nowSec() })
    flow.flush()
  }

  // ---- life cycle ------------------------------------------------------------------------------

  const start = async (): Promise<void> => {
    if (s.running) return
    if (s.stopped) throw new Error('this executor was stopped: make a new one')
    const onAuth = (status: 'sent' | 'ok' | 'failed', reason?: string): void => emit({ type: 'auth', relay: storeUrl ?? '', socket: -1, status, ...(reason === undefined ? {} : { reason }) })
    const src =
      o.source ??
      (storeUrl === undefined
        ? undefined
        : relaySource({
            url: storeUrl,
            kinds: [...engineKinds],
            net,
            connectTimeoutMs: o.connectTimeoutMs,
            requestTimeoutMs: o.requestTimeoutMs,
            pageSize: 500,
            reconnectWindow,
            now: nowSec,
            // NIP-42 on the store relay's reads (CLOSED auth-required:), as on its writes
            secretKey: o.secretKey,
            onAuth
          }))
    if (src === undefined) throw new Error('nothing to read from: give `ownRelay`, `storeRelay` or `source`')
    s.sink =
      o.sink ??
      (storeUrl === undefined
        ? undefined
        : relaySink({
            url: storeUrl,
            net,
            connectTimeoutMs: o.connectTimeoutMs,
            requestTimeoutMs: o.requestTimeoutMs,
            window: o.storeWindow,
            // NIP-42 on the store relay: `OK false "auth-required:"` is answered with the operator's key, and the write sent again
            secretKey: o.secretKey,
            onAuth
          }))
    if (o.wasm) await enableWasmVerification()
    if (s.running || s.stopped) return
    source = src
    s.running = true
    abort = new AbortController()
    emit({ type: 'started' })
    tickTimer = setInterval(tick, o.tickMs)
    // the bootstrap relays (and, from a snapshot, every relay) open at once
    flow.feed({ _tag: 'Events', events: [], now: nowSec() })
    src.start({
      onEvents: (events) => {
        if (!s.running) return
        for (const e of events) {
          if (!isEvent(e) || !engineKinds.has(e.kind) || !flow.admit(e)) continue
          s.inbox.push(e)
        }
        flow.schedule()
      },
      onCaughtUp: () => {
        if (!s.running) return
        s.sourceCaughtUp = true
        emit({ type: 'source', status: 'caught-up' })
        flow.schedule()
      },
      onStatus: (status, detail) => {
        sourceConnected = status === 'connected'
        emit({ type: 'source', status, ...(detail === undefined ? {} : { detail }) })
      }
    })
  }

  const stop = async (): Promise<void> => {
    if (!s.running) {
      s.stopped = true
      return
    }
    s.running = false
    s.stopped = true
    if (tickTimer !== undefined) clearInterval(tickTimer)
    tickTimer = undefined
    abort.abort()
    for (const rem of s.remotes.values()) rem.conn.terminate()
    s.remotes.clear()
    neg.stop()
    haves?.stop()
    frames.clear()
    s.pages.clear()
    try {
      source?.stop()
    } catch {
      // the caller's source
    }
    try {
      s.sink?.stop?.()
    } catch {
      // the caller's sink
    }
    s.inbox = []
    s.feedback = []
    s.toStore = []
    // no flush is due, nothing is caught up, and every waiter hears `false`
    flow.stop()
    emit({ type: 'stopped' })
  }

  const state = (): ExecutorState => {
    const relays: Array<ExecutorRelayState> = []
    for (const relay of engineRelays(s.engine)) {
      const st = O.toUndefined(engineRelay(relay)(s.engine))
      const connections: Array<ConnectionState> = []
      for (const rem of s.remotes.values())
        if (rem.relay === relay) connections.push({ socket: rem.socket, connected: rem.connected, subscriptions: rem.subs.size, inFlight: rem.inFlight.size })
      connections.sort((a, b) => a.socket - b.socket)
      relays.push({
        relay,
        connections,
        lastEose: st?.lastEose,
        settled: st?.settled === true,
        unreachable: flow.unreachable(relay),
        ...(st === undefined ? {} : { health: st.health, planned: st.subscriptions }),
        overFetched: s.overFetchedBy.get(relay) ?? 0
      })
    }
    return { running: s.running, caughtUp: flow.caughtUp(), source: { connected: sourceConnected, caughtUp: s.sourceCaughtUp }, relays, counters: { ...counters } }
  }

  return {
    start,
    stop,
    whenCaughtUp: flow.whenCaughtUp,
    state,
    engine: () => s.engine,
    on: (listener) => {
      if (typeof listener !== 'function') return () => undefined
      listeners.add(listener)
      return () => void listeners.delete(listener)
    }
  }
}
