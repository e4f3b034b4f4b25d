/**
 * The executor's edges, one at a time, with a caller's source and sink (no relay needed):
 * the connect-time address check (a name that resolves to loopback is refused after DNS, and
 * does not hold back "caught up"), the NIP-11 fetch feeding the engine's limits, and `stop`
 * leaving no timer.
 */
import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { option as O } from 'fp-ts'
import { engineRelay } from '../../src/index.js'
import { createExecutor, type EventSink, type EventSource, type ExecutorEvent } from '../../src/host/index.js'
import { pubkeyOf, secretKey, sign } from '../support/signing.js'
import { startLoopbackRelay } from '../relay/loopbackRelay.js'
import { holds, publish } from '../relay/client.js'

const OWN = 'wss://grasp.example.com'

/** A source that delivers a fixed list, then says it delivered everything. */
const fixed = (events: ReadonlyArray<unknown>): EventSource => ({
  start: ({ onEvents, onCaughtUp }) => {
    onEvents(events)
    onCaughtUp()
  },
  stop: () => undefined
})
const sink: EventSink = { store: async () => undefined }

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())))
  server = undefined
})

describe('the executor at its edges', () => {
  it('refuses a relay whose name resolves to loopback (checked after DNS), and is caught up without it', async () => {
    const owner = secretKey('host edge owner')
    const relay = 'ws://rebind.example.com:7447'
    const announcement = sign(owner, 30617, Math.floor(Date.now() / 1000) - 60, [
      ['d', 'repo'],
      ['relays', OWN, relay],
      ['clone', 'https://grasp.example.com/x/repo.git']
    ])
    const events: Array<ExecutorEvent> = []
    const resolved: Array<string> = []
    const host = createExecutor({
      ownRelay: OWN,
      source: fixed([announcement]),
      sink,
      fetch: false,
      config: { relayPolicy: { allowWs: true } },
      resolve: async (name) => {
        resolved.push(name)
        return ['127.0.0.1']
      },
      onProgress: (e) => events.push(e)
    })
    await host.start()
    expect(await host.whenCaughtUp(10_000)).toBe(true)
    expect(resolved).toContain('rebind.example.com')
    const refused = events.find((e) => e.type === 'refused')
    expect(refused).toMatchObject({ type: 'refused', relay, rule: 'loopback' })
    expect(events.some((e) => e.type === 'connected')).toBe(false)
    expect(host.state().relays).toMatchObject([{ relay, unreachable: true, settled: false }])
    // the engine knows the repository and wants the relay: it is the connection that was refused
    expect(O.isSome(engineRelay(relay)(host.engine()))).toBe(true)
    expect(pubkeyOf(owner)).toBe(announcement.pubkey)
    await host.stop()
  })

  it('connects to the address it checked, never resolving the name again (a name only its resolver knows)', async () => {
    const loopback = await startLoopbackRelay()
    try {
      const port = new URL(loopback.url).port
      const relay = `ws://only-our-resolver.example.com:${port}`
      const events: Array<ExecutorEvent> = []
      const host = createExecutor({
        ownRelay: OWN,
        bootstrapRelays: [relay],
        allowRelays: [relay], // trusted exactly: it may resolve anywhere, loopback included
        source: fixed([]),
        sink,
        fetch: false,
        resolve: async () => ['127.0.0.1'],
        onProgress: (e) => events.push(e)
      })
      await host.start()
      expect(await host.whenCaughtUp(10_000)).toBe(true)
      expect(events.some((e) => e.type === 'connected' && e.relay === relay)).toBe(true)
      expect(host.state().relays).toMatchObject([{ relay, settled: true, unreachable: false, connections: [{ socket: 0, connected: true, subscriptions: 1 }] }])
      await host.stop()
    } finally {
      await loopback.stop()
    }
  })

  it('learns the repositories from what the own relay already holds (paged), and fetches their issues from the relays they list', async () => {
    const [own, remote] = await Promise.all([startLoopbackRelay(), startLoopbackRelay()])
    try {
      const n = 600 // more than one page (500) of the own relay's history
      const t = Math.floor(Date.now() / 1000) - 3600
      const author = secretKey('host edge author')
      const announcements = Array.from({ length: n }, (_, i) =>
        sign(secretKey(`host edge stored owner ${i}`), 30617, t + i, [['d', `r${i}`], ['relays', OWN, remote.url], ['clone', `https://grasp.example.com/x/r${i}.git`]])
      )
      const issues = announcements.map((a, i) => sign(author, 1621, t + n + i, [['a', `30617:${a.pubkey}:r${i}`]], `issue ${i}`))
      expect(await publish(own.url, announcements)).toBe(n)
      expect(await publish(remote.url, issues)).toBe(n)
      await new Promise((r) => setTimeout(r, 100))
      const before = { timers: timers(), sockets: sockets() }
      const host = createExecutor({ ownRelay: OWN, storeRelay: own.url, allowRelays: [remote.url], fetch: false })
      await host.start()
      expect(await host.whenCaughtUp(60_000)).toBe(true)
      expect((await holds(own.url, issues.map((e) => e.id))).size).toBe(n)
      expect(host.state().counters).toMatchObject({ received: n, stored: n, storeFailed: 0, rejected: 0 })
      expect(sockets()).toBeGreaterThan(before.sockets)
      await host.stop()
      // every socket closed (both ends: the relays run in this process), every timer cleared
      await new Promise((r) => setTimeout(r, 100))
      expect({ timers: timers(), sockets: sockets() }).toEqual(before)
    } finally {
      await Promise.all([own.stop(), remote.stop()])
    }
  }, 90_000)

  it("feeds a relay's NIP-11 limits to the engine (asked with Accept: application/nostr+json)", async () => {
    const accepts: Array<string> = []
    server = createServer((req, res) => {
      accepts.push(String(req.headers['accept']))
      if (req.headers['accept'] !== 'application/nostr+json') {
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/nostr+json' }).end(JSON.stringify({ name: 'test', limitation: { max_subscriptions: 7, max_filters: 9 } }))
    })
    await new Promise<void>((r) => (server as Server).listen(0, '127.0.0.1', r))
    const address = server.address()
    const relay = `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
    const events: Array<ExecutorEvent> = []
    const timersBefore = timers()
    const host = createExecutor({ ownRelay: OWN, bootstrapRelays: [relay], source: fixed([]), sink, onProgress: (e) => events.push(e) })
    await host.start()
    const until = Date.now() + 10_000
    while (O.toUndefined(engineRelay(relay)(host.engine()))?.limits.maxSubscriptions !== 7 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    const limits = O.toUndefined(engineRelay(relay)(host.engine()))?.limits
    expect([limits?.maxSubscriptions, limits?.maxFiltersPerReq]).toEqual([7, 9])
    expect(accepts).toContain('application/nostr+json')
    expect(events.find((e) => e.type === 'limits')).toMatchObject({ relay, problems: [] })
    // the relay answers HTTP but no WebSocket: its connection fails and is retried by the engine
    const end = Date.now() + 10_000
    while (!events.some((e) => e.type === 'disconnected') && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
    expect(events.some((e) => e.type === 'disconnected' && e.relay === relay)).toBe(true)
    await host.stop()
    await new Promise((r) => setTimeout(r, 50))
    expect(timers()).toBeLessThanOrEqual(timersBefore)
    expect(host.state().running).toBe(false)
    expect(await host.whenCaughtUp(10)).toBe(false)
  })

  it('never throws on options that are not usable, and start rejects when there is nothing to read from', async () => {
    const host = createExecutor({ ownRelay: 42 } as never)
    expect(host.state().running).toBe(false)
    await expect(host.start()).rejects.toThrow(/nothing to read from/)
    const hostile = new Proxy({}, { get: () => { throw new Error('no') } })
    expect(() => createExecutor(hostile as never)).not.toThrow()
  })
})
