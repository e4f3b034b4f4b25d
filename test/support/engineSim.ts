/**
 * A simulated network of relays for the engine's tests: every batch the engine gives is
 * "sent", each message checked against the relay's limits (bytes, filters per REQ, values per
 * list, id length) and each connection's open subscriptions counted against `maxSubscriptions`.
 * The simulation records what is open on every connection and which REQs still wait for an
 * answer, so a test can answer them (EOSE, CLOSED, a timeout, a drop) in any order.
 */
import { checkMessage, relayLimits, step, type EngineInput, type RelayBatch, type RelayLimits, type StepResult, type SyncEngine } from '../../src/index.js'

export interface SimConn {
  up: boolean
  /** Subscription id → filters, as the relay holds them. */
  open: Map<string, ReadonlyArray<unknown>>
  /** REQ ids the relay has not answered yet, in order. */
  pending: Array<string>
}

export class Net {
  readonly conns = new Map<string, SimConn>()
  readonly violations: Array<string> = []
  readonly limits = new Map<string, RelayLimits>()
  /** Every id ever sent per connection, to send late answers for old attempts. */
  readonly sentIds = new Map<string, Array<string>>()
  peak = 0

  limitsOf(relay: string): RelayLimits {
    return this.limits.get(relay) ?? relayLimits({}).limits
  }

  conn(relay: string, socket: number): SimConn {
    const key = `${relay}#${socket}`
    let c = this.conns.get(key)
    if (c === undefined) this.conns.set(key, (c = { up: false, open: new Map(), pending: [] }))
    return c
  }

  deliver(batches: ReadonlyArray<RelayBatch>): void {
    for (const b of batches) {
      const c = this.conn(b.relay, b.socket)
      const limits = this.limitsOf(b.relay)
      if (b.connection === 'open') {
        if (c.up) this.violations.push(`${b.relay}#${b.socket}: opened twice`)
        c.up = true
        c.open.clear()
        c.pending = []
      } else if (!c.up) this.violations.push(`${b.relay}#${b.socket}: messages on a closed connection`)
      for (const m of b.messages) {
        for (const p of checkMessage(limits)(m)) this.violations.push(`${b.relay}#${b.socket}: ${p}`)
        if (m[0] === 'CLOSE') {
          c.open.delete(m[1])
          c.pending = c.pending.filter((id) => id !== m[1])
        } else {
          c.open.set(m[1], m.slice(2))
          c.pending = [...c.pending.filter((id) => id !== m[1]), m[1]]
          const ids = this.sentIds.get(`${b.relay}#${b.socket}`) ?? []
          ids.push(m[1])
          this.sentIds.set(`${b.relay}#${b.socket}`, ids)
        }
        // a relay refuses the REQ that goes over its limit (CLOSEs after new, smaller limits only bring the count down)
        if (m[0] === 'REQ' && c.open.size > limits.maxSubscriptions) this.violations.push(`${b.relay}#${b.socket}: ${c.open.size} subscriptions open, above ${limits.maxSubscriptions}`)
        this.peak = Math.max(this.peak, c.open.size)
      }
      if (b.connection === 'close') {
        c.up = false
        c.open.clear()
        c.pending = []
      }
    }
  }

  /** The relay dropped the connection. */
  drop(relay: string, socket: number): void {
    const c = this.conn(relay, socket)
    c.up = false
    c.open.clear()
    c.pending = []
  }

  /** The relay refused a subscription: it is no longer open. */
  refuse(relay: string, socket: number, id: string): void {
    const c = this.conn(relay, socket)
    c.open.delete(id)
    c.pending = c.pending.filter((x) => x !== id)
  }

  answered(relay: string, socket: number, id: string): void {
    const c = this.conn(relay, socket)
    c.pending = c.pending.filter((x) => x !== id)
  }

  /** Every (relay, socket, id) still waiting for an answer. */
  outstanding(): Array<{ relay: string; socket: number; id: string }> {
    const out: Array<{ relay: string; socket: number; id: string }> = []
    for (const [key, c] of this.conns) {
      const i = key.lastIndexOf('#')
      for (const id of c.pending) out.push({ relay: key.slice(0, i), socket: Number(key.slice(i + 1)), id })
    }
    return out
  }
}

/** A host around one engine and one simulated network. */
export class Host {
  engine: SyncEngine
  readonly net = new Net()
  readonly log: Array<StepResult> = []
  now: number

  constructor(engine: SyncEngine, now = 1_700_000_000) {
    this.engine = engine
    this.now = now
  }

  step(input: EngineInput): StepResult {
    const r = step(input)(this.engine)
    this.engine = r.engine
    this.net.deliver(r.batches)
    this.log.push(r)
    return r
  }

  /** Answers every outstanding REQ with EOSE (history pages empty), ticking past any backoff, until nothing is left. */
  settle(max = 200): void {
    for (let i = 0; i < max; i++) {
      const out = this.net.outstanding()
      if (out.length === 0) {
        this.now += 1000
        const r = this.step({ _tag: 'Tick', now: this.now })
        if (r.batches.length === 0) return
        continue
      }
      for (const o of out) {
        this.net.answered(o.relay, o.socket, o.id)
        this.step({ _tag: 'Eose', relay: o.relay, socket: o.socket, id: o.id, events: [], now: this.now })
      }
    }
  }
}
