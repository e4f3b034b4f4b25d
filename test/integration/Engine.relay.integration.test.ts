/**
 * The engine end to end against a real relay on loopback (@nostr-relay/core with its SQLite
 * store, served over `ws`; like the relay, a real relay keeps at most 20 subscriptions per
 * connection and evicts the oldest silently). A host with 1 000 repositories of distinct owners
 * listing that relay: the engine's initial sync fetches the announcements and the issues already
 * there (history), then every one of 1 000 issues published after the initial sync arrives live.
 * On the old main path (one connection, the plan's overflow untracked), 178 of them did.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startLoopbackRelay, type LoopbackRelay } from '../relay/loopbackRelay.js'
import { option as O } from 'fp-ts'
import { engineRelay, isSettled, relayRepos, engineDesired, step, syncEngine, type EngineInput, type RelayBatch, type StepResult, type SyncEngine } from '../../src/index.js'
import { initNostrWasm } from 'nostr-wasm'
import { secretKey } from '../support/signing.js'

/** Real signatures, made with libsecp256k1 in WASM (the JS path costs about 25 ms per event on this machine's test runner). */
type Signed = { id: string; pubkey: string; created_at: number; kind: number; tags: Array<Array<string>>; content: string; sig: string }
let nw: Awaited<ReturnType<typeof initNostrWasm>>
const pubkeyOf = (sk: Uint8Array): string => Buffer.from(nw.getPublicKey(sk)).toString('hex')
const sign = (sk: Uint8Array, kind: number, created_at: number, tags: Array<Array<string>>, content = ''): Signed => {
  const e = { kind, created_at, tags, content } as unknown as Signed
  nw.finalizeEvent(e as never, sk)
  return JSON.parse(JSON.stringify(e)) as Signed
}

const OWN = 'wss://grasp.example.com'
const N = 1000

let loopback: LoopbackRelay | undefined
let url = ''

beforeAll(async () => {
  nw = await initNostrWasm()
  // the relay verifies every signature too (same check, id and signature, with libsecp256k1 in WASM: test/relay/loopbackRelay.ts)
  loopback = await startLoopbackRelay()
  url = loopback.url
})

afterAll(async () => {
  await loopback?.stop()
})

/** Publishes events on one connection and waits for every OK. */
const publish = async (events: ReadonlyArray<{ id: string }>): Promise<void> => {
  const ws = new WebSocket(url)
  await new Promise((r) => ws.once('open', r))
  const waiting = new Set(events.map((e) => e.id))
  const done = new Promise<void>((resolve) =>
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Array<unknown>
      if (m[0] === 'OK') waiting.delete(m[1] as string)
      if (waiting.size === 0) resolve()
    })
  )
  for (const e of events) ws.send(JSON.stringify(['EVENT', e]))
  await done
  ws.close()
}

/**
 * A minimal host: one WebSocket per (relay, connection) the engine asks for, every EVENT batched
 * into one `Events` step, events of each subscription buffered until its EOSE (the page the
 * engine pages history with), EOSE / CLOSED / NOTICE fed back.
 */
class LoopbackHost {
  engine: SyncEngine
  readonly sockets = new Map<string, WebSocket>()
  readonly pages = new Map<string, Array<unknown>>()
  readonly received = new Map<string, Set<string>>() // event id → subscription ids it came on
  readonly problems: Array<string> = []
  private inbox: Array<unknown> = []
  private flushing: ReturnType<typeof setTimeout> | undefined

  constructor(engine: SyncEngine) {
    this.engine = engine
  }

  now = (): number => Math.floor(Date.now() / 1000)

  feed(input: EngineInput): void {
    const r: StepResult = step(input)(this.engine)
    this.engine = r.engine
    for (const p of r.problems) this.problems.push(`${p.code} ${p.relay} ${p.message}`)
    this.send(r.batches)
  }

  private send(batches: ReadonlyArray<RelayBatch>): void {
    for (const b of batches) {
      const key = `${b.socket} ${b.relay}`
      let ws = this.sockets.get(key)
      if (b.connection === 'open' || ws === undefined) {
        ws = new WebSocket(b.relay)
        this.sockets.set(key, ws)
        const socket = b.socket
        const relay = b.relay
        ws.on('message', (data) => this.onMessage(relay, socket, JSON.parse(data.toString()) as Array<unknown>))
      }
      const out = ws
      const payload = b.messages.map((m) => JSON.stringify(m))
      const write = () => {
        for (const p of payload) out.send(p)
        if (b.connection === 'close') out.close()
      }
      if (out.readyState === WebSocket.OPEN) write()
      else out.once('open', write)
    }
  }

  private flush(): void {
    this.flushing = undefined
    if (this.inbox.length === 0) return
    const events = this.inbox
    this.inbox = []
    this.feed({ _tag: 'Events', events, now: this.now() })
  }

  private onMessage(relay: string, socket: number, m: Array<unknown>): void {
    const id = m[1] as string
    switch (m[0]) {
      case 'EVENT': {
        const e = m[2] as { id: string }
        const on = this.received.get(e.id) ?? new Set<string>()
        on.add(id)
        this.received.set(e.id, on)
        this.pages.get(`${socket} ${relay} ${id}`)?.push(e) ?? this.pages.set(`${socket} ${relay} ${id}`, [e])
        this.inbox.push(e)
        this.flushing ??= setTimeout(() => this.flush(), 20)
        break
      }
      case 'EOSE': {
        this.flush()
        const events = this.pages.get(`${socket} ${relay} ${id}`) ?? []
        this.pages.delete(`${socket} ${relay} ${id}`)
        this.feed({ _tag: 'Eose', relay, socket, id, events, now: this.now() })
        break
      }
      case 'CLOSED':
        this.feed({ _tag: 'Closed', relay, socket, id, reason: String(m[2]), now: this.now() })
        break
      case 'NOTICE':
        this.feed({ _tag: 'Notice', relay, socket, message: String(m[1]), now: this.now() })
        break
    }
  }

  close(): void {
    for (const ws of this.sockets.values()) ws.terminate()
  }
}

const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 25))
  }
  return true
}

describe('the engine against a real relay on loopback', () => {
  it(`${N} repositories of distinct owners: history first, then all ${N} issues published later arrive live`, async () => {
    const keys = Array.from({ length: N }, (_, i) => secretKey(`engine-e2e owner ${i}`))
    const refs = keys.map((k, i) => `30617:${pubkeyOf(k)}:repo${i}`)
    const t = Math.floor(Date.now() / 1000) - 3600
    const announcements = keys.map((k, i) => sign(k, 30617, t + i, [['d', `repo${i}`], ['relays', OWN, url], ['clone', `https://grasp.example.com/x/repo${i}.git`]]))
    const author = secretKey('engine-e2e author')
    const old = refs.slice(0, 100).map((ref, i) => sign(author, 1621, t + N + i, [['a', ref], ['subject', `old ${i}`]], `old issue ${i}`))
    const t0 = Date.now()
    await publish([...announcements, ...old])
    console.log(`signed and published in ${Date.now() - t0} ms`)

    const host = new LoopbackHost(syncEngine({ ownRelays: [OWN], bootstrapRelays: [url], relayPolicy: { allowRelays: [url] }, verify: false }, { strategy: 'exact' }))
    host.feed({ _tag: 'Events', events: [], now: host.now() })
    const synced = await until(() => isSettled(host.engine) && relayRepos(url)(engineDesired(host.engine)).length === N, 120_000)
    console.log(`synced ${synced} after ${Date.now() - t0} ms`)
    if (!synced) {
      const st = O.toUndefined(engineRelay(url)(host.engine))
      console.log(JSON.stringify({ repos: relayRepos(url)(engineDesired(host.engine)).length, queued: st?.queuedHistory, conns: st?.connections.map((c) => ({ up: c.up, live: c.live.map((l) => l.status).join(','), history: c.history.map((h) => h.status).join(',') })) }))
    }
    expect(host.problems).toEqual([])
    expect(synced).toBe(true)
    // history: the issues published before the sync were fetched
    for (const e of old) expect(host.received.has(e.id)).toBe(true)
    const status = O.toUndefined(engineRelay(url)(host.engine))!
    expect(status.overflow).toEqual([])
    const connections = status.plan.length
    expect(connections).toBeGreaterThan(1)

    // live: 1 000 issues, one per repository, published after the initial sync
    const fresh = refs.map((ref, i) => sign(author, 1621, t + 2 * N + i, [['a', ref], ['subject', `new ${i}`]], `new issue ${i}`))
    await publish(fresh)
    const live = (e: { id: string }) => [...(host.received.get(e.id) ?? [])].some((id) => id.startsWith('n34l'))
    await until(() => fresh.every(live), 60_000)
    const arrived = fresh.filter(live).length
    console.log(`engine e2e: ${N} repositories on ${connections} connections (${status.plan.flat().length} live subscriptions); ${arrived} of ${N} issues arrived live`)
    host.close()
    expect(arrived).toBe(N)
  }, 240_000) // about 30 s on an idle 2-core machine; the bounds are for a loaded one
})
