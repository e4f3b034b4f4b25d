/**
 * The executor against hostile relays (the adversarial review's findings): a relay here is either
 * the real loopback relay or a tiny `ws` server on loopback that sends crafted frames - a real
 * socket peer, not a mock of the relay under test.
 */
import { createServer, type ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import { engineRepoIndex, repoRefs } from '../../src/index.js'
import { createExecutor, type EventSink, type EventSource, type ExecutorEvent } from '../../src/host/index.js'
import { fetchRelayInfo, makeNet, Refused } from '../../src/host/net.js'
import { secretKey, sign, type TestEvent } from '../support/signing.js'
import { startLoopbackRelay } from '../relay/loopbackRelay.js'
import { publish } from '../relay/client.js'

const OWN = 'wss://grasp.example.com'

const fixed = (events: ReadonlyArray<unknown>): EventSource => ({
  start: ({ onEvents, onCaughtUp }) => {
    onEvents(events)
    onCaughtUp()
  },
  stop: () => undefined
})

/** A `ws` server on loopback; `onReq` gets every REQ frame. */
const hostileRelay = async (onReq: (ws: WebSocket, m: Array<unknown>) => void): Promise<{ url: string; close: () => Promise<void> }> => {
  const wss = await new Promise<WebSocketServer>((resolve) => {
    const s: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  wss.on('connection', (ws) =>
    ws.on('message', (d) => {
      let m: unknown
      try {
        m = JSON.parse(String(d))
      } catch {
        return
      }
      if (Array.isArray(m) && m[0] === 'REQ') onReq(ws, m)
    })
  )
  const address = wss.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate()
        wss.close(() => r())
      })
  }
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

const waitFor = async (p: () => boolean, ms: number): Promise<boolean> => {
  const until = Date.now() + ms
  while (!p() && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
  return p()
}

describe('the executor against hostile relays', () => {
  it('verifies id and signature before remembering an id: a forged copy never hides the real event, nor reaches the sink', async () => {
    const owner = secretKey('review poison owner')
    const now = Math.floor(Date.now() / 1000)
    const honest = await startLoopbackRelay()
    cleanups.push(() => honest.stop())
    let issue: TestEvent | undefined
    let forgedSent = 0
    const hostile = await hostileRelay((ws, m) => {
      const id = String(m[1])
      if (issue !== undefined && JSON.stringify(m).includes('"#a"')) {
        // the real id with a garbage signature, and the real id and signature over other content
        ws.send(JSON.stringify(['EVENT', id, { ...issue, sig: 'f'.repeat(128), content: 'forged' }]))
        ws.send(JSON.stringify(['EVENT', id, { ...issue, content: 'forged too' }]))
        forgedSent += 2
      }
      ws.send(JSON.stringify(['EOSE', id]))
    })
    cleanups.push(hostile.close)
    const announcement = sign(owner, 30617, now - 100, [['d', 'x'], ['relays', OWN, hostile.url, honest.url], ['clone', 'https://grasp.example.com/x.git']])
    issue = sign(owner, 1621, now - 50, [['a', `30617:${announcement.pubkey}:x`]], 'real issue')
    const stored: Array<TestEvent> = []
    const sink: EventSink = {
      store: async (evs) => {
        stored.push(...(evs as Array<TestEvent>))
      }
    }
    const events: Array<ExecutorEvent> = []
    const host = createExecutor({ ownRelay: OWN, allowRelays: [hostile.url, honest.url], fetch: false, source: fixed([announcement]), sink, onProgress: (e) => events.push(e) })
    await host.start()
    // the forged copies arrive first; the real event is published to the honest relay afterwards (live)
    expect(await waitFor(() => forgedSent >= 2 && host.state().counters.invalid >= 2, 10_000)).toBe(true)
    expect(await host.whenCaughtUp(10_000)).toBe(true)
    expect(await publish(honest.url, [issue])).toBe(1)
    expect(await waitFor(() => stored.length > 0, 10_000)).toBe(true)
    await new Promise((r) => setTimeout(r, 200))
    expect(stored.map((e) => [e.id, e.sig, e.content])).toEqual([[issue.id, issue.sig, 'real issue']])
    // forged copies (one pair per #a REQ; those on a subscription already replaced are unmatched) counted, none received
    expect(host.state().counters).toMatchObject({ received: 1, rejected: 0 })
    expect(host.state().counters.invalid).toBeGreaterThanOrEqual(2)
    expect(events.some((e) => e.type === 'rejected')).toBe(false)
    await host.stop()
  }, 30_000)

  it('verifies events from the source too: a forged copy there does not hide the real one', async () => {
    const owner = secretKey('review poison source owner')
    const now = Math.floor(Date.now() / 1000)
    const real = sign(owner, 30617, now - 100, [['d', 'y'], ['relays', OWN], ['clone', 'https://grasp.example.com/y.git']])
    const forged = { ...real, sig: 'e'.repeat(128) }
    let handlers: Parameters<EventSource['start']>[0] | undefined
    const source: EventSource = { start: (h) => (handlers = h), stop: () => undefined }
    const host = createExecutor({ ownRelay: OWN, fetch: false, source, sink: { store: async () => undefined } })
    await host.start()
    handlers?.onEvents([forged])
    handlers?.onEvents([real])
    handlers?.onCaughtUp()
    expect(await host.whenCaughtUp(10_000)).toBe(true)
    expect(host.state().counters).toMatchObject({ invalid: 1, rejected: 0 })
    expect(repoRefs(engineRepoIndex(host.engine())).length).toBe(1)
    await host.stop()
  }, 30_000)
})

describe('trust and resolution', () => {
  it('checks where a bootstrap host name resolves (trusted for its URL only): loopback is refused, unless allowRelays names it', async () => {
    const loopback = await startLoopbackRelay()
    cleanups.push(() => loopback.stop())
    const relay = `ws://hijacked.example.com:${new URL(loopback.url).port}`
    const run = async (allowRelays: ReadonlyArray<string>): Promise<Array<ExecutorEvent>> => {
      const events: Array<ExecutorEvent> = []
      const host = createExecutor({
        ownRelay: OWN,
        bootstrapRelays: [relay],
        allowRelays,
        source: fixed([]),
        sink: { store: async () => undefined },
        fetch: false,
        resolve: async () => ['127.0.0.1'],
        onProgress: (e) => events.push(e)
      })
      await host.start()
      expect(await host.whenCaughtUp(10_000)).toBe(true)
      await host.stop()
      return events
    }
    const untrusted = await run([])
    expect(untrusted.find((e) => e.type === 'refused')).toMatchObject({ type: 'refused', relay, rule: 'loopback' })
    expect(untrusted.some((e) => e.type === 'connected')).toBe(false)
    const trusted = await run([relay])
    expect(trusted.some((e) => e.type === 'connected' && e.relay === relay)).toBe(true)
    expect(trusted.some((e) => e.type === 'refused')).toBe(false)
  }, 40_000)

  it('loads ws with resolve: false (no lookup hook), so Node 20 has a WebSocket', async () => {
    const loopback = await startLoopbackRelay()
    cleanups.push(() => loopback.stop())
    const net = makeNet({ policy: { allowRelays: [loopback.url] }, WebSocket: undefined, resolve: undefined, connectTimeoutMs: 1000, pingMs: 0, maxPayload: 1 << 24 })
    const Class = await net.socketFor(loopback.url, { onRaw: () => undefined, onRefused: () => undefined })
    const ws = await import('ws')
    expect(Object.getPrototypeOf(Class)).toBe(ws.WebSocket)
    const events: Array<ExecutorEvent> = []
    const host = createExecutor({ ownRelay: OWN, bootstrapRelays: [loopback.url], source: fixed([]), sink: { store: async () => undefined }, fetch: false, resolve: false, onProgress: (e) => events.push(e) })
    await host.start()
    expect(await host.whenCaughtUp(10_000)).toBe(true)
    expect(events.some((e) => e.type === 'connected')).toBe(true)
    await host.stop()
  }, 30_000)
})

describe('history pages', () => {
  it('keep at most the limit the REQ asked for (a relay that floods a page without EOSE grows nothing), and are cleared on timeout', async () => {
    const now = Math.floor(Date.now() / 1000)
    const owner = secretKey('review flood owner')
    // real, valid events: they are still handled (stored once each), only the page is bounded
    const flood = Array.from({ length: 1500 }, (_, i) => sign(owner, 30617, now - 10_000 + i, [['d', `f${i}`], ['clone', `https://x.example/f${i}.git`]]))
    let limit: number | undefined
    const hostile = await hostileRelay((ws, m) => {
      const filters = m.slice(2) as Array<{ kinds?: Array<number>; limit?: number }>
      const history = filters.some((f) => typeof f.limit === 'number' && f.limit > 0 && f.kinds?.includes(30617) === true)
      if (!history) {
        ws.send(JSON.stringify(['EOSE', m[1]]))
        return
      }
      limit = filters.reduce((n, f) => n + (f.limit ?? 0), 0)
      for (const e of flood) ws.send(JSON.stringify(['EVENT', m[1], e])) // and never EOSE
    })
    cleanups.push(hostile.close)
    const events: Array<ExecutorEvent> = []
    const host = createExecutor({
      ownRelay: OWN,
      bootstrapRelays: [hostile.url],
      fetch: false,
      source: fixed([]),
      sink: { store: async () => undefined },
      tickMs: 100,
      // long enough that the page is not cleared by its timeout while a loaded machine still reads the flood
      requestTimeoutMs: 4_000,
      onProgress: (e) => events.push(e)
    })
    await host.start()
    expect(await waitFor(() => host.state().counters.received >= flood.length, 15_000)).toBe(true)
    expect(limit).toBeDefined()
    expect(limit as number).toBeLessThan(flood.length)
    // everything past limit + slack was not kept for paging
    expect(host.state().counters.pageOverflow).toBeGreaterThanOrEqual(flood.length - (limit as number) - 16)
    expect(await waitFor(() => events.some((e) => e.type === 'timeout'), 15_000)).toBe(true)
    await host.stop()
  }, 40_000)
})

describe('the NIP-11 fetch', () => {
  /** An HTTP server on loopback that answers with `body` (a function writing to the response). */
  const httpRelay = async (body: (res: ServerResponse) => void): Promise<{ relay: string; closed: Promise<number> }> => {
    let closedResolve: (n: number) => void = () => undefined
    const closed = new Promise<number>((r) => (closedResolve = r))
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/nostr+json' }) // no content-length: chunked
      req.socket.on('close', () => closedResolve(req.socket.bytesWritten))
      body(res)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections()
          server.close(() => r())
        })
    )
    const address = server.address()
    return { relay: `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`, closed }
  }
  // with a resolver the fetch goes through node:http and the checked lookup; without, through `fetch`
  const nets = (relay: string): Array<ReturnType<typeof makeNet>> =>
    [async () => ['127.0.0.1'], undefined].map((resolve) =>
      makeNet({ policy: { allowRelays: [relay] }, WebSocket: undefined, resolve, connectTimeoutMs: 1000, pingMs: 0, maxPayload: 1 << 24 })
    )

  it('connects through the checked lookup (no second, unchecked resolution): a rebinding name cannot reach a private address', async () => {
    let requests = 0
    const server = createServer((_req, res) => {
      requests++
      res.writeHead(200, { 'content-type': 'application/nostr+json' }).end('{"name":"local"}')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())))
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    // a name only this resolver knows, trusted exactly: the document is fetched at the address it gave
    const known = `ws://only-our-resolver.example.com:${port}`
    const trustedNet = makeNet({ policy: { allowRelays: [known] }, WebSocket: undefined, resolve: async () => ['127.0.0.1'], connectTimeoutMs: 1000, pingMs: 0, maxPayload: 1 << 24 })
    expect(await fetchRelayInfo(known, fetch, trustedNet, 5_000, new AbortController().signal)).toEqual({ name: 'local' })
    expect(requests).toBe(1)
    // untrusted and rebinding: a public address for the check, loopback for the connection
    const rebinding = `ws://rebind.example.com:${port}`
    let lookups = 0
    const resolve = async (): Promise<Array<string>> => (lookups++ === 0 ? ['93.184.216.34'] : ['127.0.0.1'])
    const net = makeNet({ policy: { allowWs: true }, WebSocket: undefined, resolve, connectTimeoutMs: 1000, pingMs: 0, maxPayload: 1 << 24 })
    const r = await fetchRelayInfo(rebinding, fetch, net, 5_000, new AbortController().signal).then(
      (x) => x,
      (e: unknown) => (e instanceof Refused ? e.refusal.rule : 'error')
    )
    expect(r).toBe('loopback')
    expect(lookups).toBe(2)
    expect(requests).toBe(1)
  }, 30_000)

  it('stops reading a chunked body past 64 KiB (cancels it: the server sees the connection close)', async () => {
    const chunk = Buffer.alloc(16_384, 0x20)
    const { relay, closed } = await httpRelay((res) => {
      let stop = false
      res.write('{"name":"')
      const pump = (): void => {
        while (!stop && res.write(chunk));
        if (!stop) res.once('drain', pump)
      }
      res.on('close', () => (stop = true))
      pump()
    })
    for (const net of nets(relay)) expect(await fetchRelayInfo(relay, fetch, net, 10_000, new AbortController().signal)).toBeUndefined()
    const written = await closed
    // far below the hundreds of MB an unbounded read took; socket buffers hold a few MB at most
    expect(written).toBeLessThan(32 * 1024 * 1024)
  }, 30_000)

  it('reads a chunked document under the cap (UTF-8 across chunks), and times out a body that trickles', async () => {
    const doc = JSON.stringify({ name: 'caf\u00e9 \u{1F600}', limitation: { max_subscriptions: 3 } })
    const bytes = Buffer.from(doc)
    const ok = await httpRelay((res) => {
      for (let i = 0; i < bytes.length; i += 5) res.write(bytes.subarray(i, i + 5))
      res.end()
    })
    for (const net of nets(ok.relay)) expect(await fetchRelayInfo(ok.relay, fetch, net, 5_000, new AbortController().signal)).toEqual(JSON.parse(doc))
    const slow = await httpRelay((res) => {
      res.write('{')
      const t = setInterval(() => res.write(' '), 50)
      res.on('close', () => clearInterval(t))
    })
    for (const net of nets(slow.relay)) {
      const t0 = Date.now()
      const r = await fetchRelayInfo(slow.relay, fetch, net, 500, new AbortController().signal).then(
        () => 'resolved',
        () => 'rejected'
      )
      expect(r).toBe('rejected')
      expect(Date.now() - t0).toBeLessThan(5_000)
    }
  }, 30_000)
})
