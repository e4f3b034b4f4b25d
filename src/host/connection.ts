/**
 * One WebSocket connection of the executor (internal), on nostr-tools' `AbstractRelay`.
 *
 * `AbstractRelay` opens the socket (with its connect timeout) and reports the close; everything
 * above the socket is the executor's own, because nostr-tools' `Subscription` machinery does not
 * fit an engine that owns the subscriptions:
 *
 * - no `Subscription` is ever made, so there is no EOSE timer: nostr-tools calls `oneose` after
 *   4.4 s without an `EOSE` (it would confirm unfinished work), a `REQ` that replaces a
 *   subscription by id leaves the old `Subscription`'s timer running, and those timers keep the
 *   process alive. The executor sends the engine's wire messages as they are (`send`) and reads
 *   every frame itself (`_onmessage` is overridden); its own request timer feeds `Timeout`;
 * - no ping, reconnect or idle timer of `AbstractRelay` is enabled (the engine decides when to
 *   reconnect; `ws` sockets get an unref'd keep-alive in net.ts);
 * - frames sent before the socket is open wait in this connection's own queue, in order, and are
 *   written when it opens: `send` is synchronous while connecting is not, so a `CLOSE` is never
 *   overtaken by a later `REQ`;
 * - every connection is a new object: a close reported by an old socket (after the engine already
 *   reopened that connection) reaches only the old object, which is detached, so it can never fail
 *   the batch just reopened.
 */
import { AbstractRelay } from 'nostr-tools/abstract-relay'
import type { Net, RawSocket, Refused } from './net.js'

class WireRelay extends AbstractRelay {
  onframe: ((data: string) => void) | undefined = undefined

  override _onmessage(ev: MessageEvent): void {
    const data: unknown = (ev as { data?: unknown }).data
    if (typeof data === 'string') this.onframe?.(data)
  }
}

export interface ConnectionHandlers {
  readonly onOpen: () => void
  readonly onFrame: (data: string) => void
  /**
   * The connection is gone (never called after {@link Connection.close}). `error` is the reason it
   * failed; `cause` the socket's own first error, when it had one (a DNS, TLS or protocol error
   * that nostr-tools reports only as "connection failed").
   */
  readonly onDrop: (error: unknown, cause?: unknown) => void
}

export class Connection {
  private relay: WireRelay | undefined
  private raw: RawSocket | undefined
  private outbox: Array<string> = []
  private state: 'waiting' | 'connecting' | 'open' | 'closed' = 'waiting'
  private delay: ReturnType<typeof setTimeout> | undefined
  /** The address check refused the socket's lookup: the reason the connection fails. */
  private refused: Refused | undefined
  /** The socket's first `error` event (Node's `ws`), for classifying the failure. */
  private cause: unknown
  /** Frames that arrived before the open was reported (a NIP-42 `AUTH` challenge sent on connect): handed on right after `onOpen`. */
  private early: Array<string> = []

  constructor(
    readonly url: string,
    private readonly net: Net,
    private readonly connectTimeoutMs: number,
    private readonly h: ConnectionHandlers
  ) {}

  get open(): boolean {
    return this.state === 'open'
  }

  get closed(): boolean {
    return this.state === 'closed'
  }

  /** Connects after `delayMs` (jitter), checking the relay's addresses first. */
  start(delayMs = 0): void {
    if (this.state !== 'waiting') return
    if (delayMs > 0) {
      this.delay = setTimeout(() => {
        this.delay = undefined
        this.connect()
      }, delayMs)
      return
    }
    this.connect()
  }

  private connect(): void {
    if (this.state !== 'waiting') return
    this.state = 'connecting'
    this.net.socketFor(this.url, { onRaw: (raw) => this.watch(raw), onRefused: (r) => (this.refused = r) }).then(
      (WebSocketImpl) => {
        if (this.state !== 'connecting') return
        const relay = new WireRelay(this.url, { verifyEvent: () => true, websocketImplementation: WebSocketImpl, enablePing: false, enableReconnect: false })
        relay.onnotice = () => undefined
        relay.onframe = (data) => {
          if (this.state === 'open') this.h.onFrame(data)
          else if (this.state === 'connecting' && this.early.length < 16) this.early.push(data)
        }
        relay.onclose = () => this.drop(new Error('connection closed'))
        this.relay = relay
        relay.connect({ timeout: this.connectTimeoutMs }).then(
          () => {
            if (this.state !== 'connecting') return
            this.state = 'open'
            const queued = this.outbox
            this.outbox = []
            for (const frame of queued) this.write(frame)
            this.h.onOpen()
            const early = this.early
            this.early = []
            for (const data of early) if (this.state === 'open') this.h.onFrame(data)
          },
          (e: unknown) => this.drop(e)
        )
      },
      (e: unknown) => this.drop(e)
    )
  }

  private watch(raw: RawSocket): void {
    this.raw = raw
    const on = (raw as { on?: unknown }).on
    if (typeof on === 'function')
      try {
        on.call(raw, 'error', (e: unknown) => {
          this.cause ??= e
        })
      } catch {
        // not an event emitter: no cause
      }
  }

  private write(frame: string): void {
    // AbstractRelay.send writes in order once connected; after a drop it rejects: nothing to do then
    this.relay?.send(frame).catch(() => undefined)
  }

  /** Sends a frame now, or when the socket opens (in order). Dropped once the connection is closed. */
  send(frame: string): void {
    if (this.state === 'open') this.write(frame)
    else if (this.state !== 'closed') this.outbox.push(frame)
  }

  private drop(error: unknown): void {
    if (this.state === 'closed') return
    this.teardown(true)
    this.h.onDrop(this.refused ?? error, this.cause)
  }

  private teardown(terminate: boolean): void {
    this.state = 'closed'
    this.outbox = []
    if (this.delay !== undefined) clearTimeout(this.delay)
    this.delay = undefined
    const relay = this.relay
    if (relay !== undefined) {
      relay.onclose = null
      relay.onframe = undefined
      relay.close()
    }
    if (terminate) this.raw?.terminate?.()
  }

  /**
   * Closes the connection on purpose: frames already sent go out first (they are queued in
   * AbstractRelay's promise chain), then the socket closes; nothing is reported.
   */
  close(): void {
    if (this.state === 'closed') return
    if (this.state !== 'open') {
      this.teardown(true)
      return
    }
    this.state = 'closed'
    // after the writes queued on AbstractRelay's resolved connection promise
    void Promise.resolve().then(() => setTimeout(() => this.teardown(false), 0))
  }

  /** Closes at once, every timer with it (stop). */
  terminate(): void {
    if (this.state === 'closed' && this.relay === undefined) return
    this.teardown(true)
  }
}

/** A frame read as JSON: the array it holds, or `undefined` when it is not JSON or not an array. */
export const parseFrame = (data: string): Array<unknown> | undefined => {
  let m: unknown
  try {
    m = JSON.parse(data)
  } catch {
    return undefined
  }
  return Array.isArray(m) ? m : undefined
}

/** The delay before a connection the executor reopens itself (the store relay's): 1 s doubling to 30 s, times 0.5..1 (jitter). */
const backoffMs = (failures: number): number => Math.min(30_000, 1000 * 2 ** Math.min(10, failures)) * (0.5 + Math.random() / 2)

/**
 * Reopening a connection the executor keeps itself (the store relay's reader and writer) after a
 * drop, with a growing, jittered delay: failures in a row count until an open resets them.
 */
export class Reconnect {
  private failures = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly connect: () => void) {}

  /** A reconnect is due (its timer runs). */
  get waiting(): boolean {
    return this.timer !== undefined
  }

  /** The connection opened: the next drop waits the shortest delay. */
  opened(): void {
    this.failures = 0
  }

  /** The connection dropped: connects again after the backoff. */
  later(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.connect()
    }, backoffMs(this.failures++))
  }

  /** Stopped: no reconnect. */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }
}
