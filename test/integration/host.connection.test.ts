/**
 * The executor's connection (src/host/connection.ts) against a bare `ws` server on loopback: the
 * nostr-tools traps it exists for. Frames sent while connecting go out in order once the socket
 * opens (a `CLOSE` is never overtaken by a later `REQ`); a drop is reported once, a close on
 * purpose never; nothing is left running after `terminate`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import { Connection } from '../../src/host/connection.js'
import { defaultResolver, makeNet } from '../../src/host/net.js'

let server: WebSocketServer | undefined
afterEach(async () => {
  for (const c of server?.clients ?? []) c.terminate()
  await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())))
  server = undefined
})

const listen = async (): Promise<{ url: string; frames: Array<string>; sockets: Array<WebSocket> }> => {
  const s = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  server = s
  const frames: Array<string> = []
  const sockets: Array<WebSocket> = []
  s.on('connection', (ws) => {
    sockets.push(ws)
    ws.on('message', (d) => frames.push(d.toString()))
  })
  await new Promise((r) => s.once('listening', r))
  const address = s.address()
  return { url: `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`, frames, sockets }
}

const net = (url: string) =>
  makeNet({ policy: { allowRelays: [url] }, WebSocket: undefined, resolve: defaultResolver(), connectTimeoutMs: 5000, pingMs: 0, maxPayload: 1 << 20 })

const wait = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
}

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

describe('a connection of the executor', () => {
  it('sends what was queued while connecting in order, then later frames after them', async () => {
    const { url, frames } = await listen()
    let opened = 0
    const drops: Array<unknown> = []
    const c = new Connection(url, net(url), 5000, { onOpen: () => opened++, onFrame: () => undefined, onDrop: (e) => drops.push(e) })
    const queued = [JSON.stringify(['CLOSE', 'a']), JSON.stringify(['REQ', 'a', { kinds: [1] }]), JSON.stringify(['CLOSE', 'b']), JSON.stringify(['REQ', 'c', { kinds: [2] }])]
    for (const f of queued) c.send(f)
    c.start()
    for (let i = 0; i < 50; i++) c.send(JSON.stringify(['REQ', `x${i}`, { kinds: [i] }]))
    await wait(() => frames.length === queued.length + 50)
    expect(opened).toBe(1)
    expect(frames.slice(0, queued.length)).toEqual(queued)
    expect(frames.slice(queued.length).map((f) => (JSON.parse(f) as Array<string>)[1])).toEqual(Array.from({ length: 50 }, (_, i) => `x${i}`))
    c.close()
    await new Promise((r) => setTimeout(r, 50))
    expect(drops).toEqual([]) // a close on purpose reports nothing
  })

  it('reports a drop once, and passes frames only while open', async () => {
    const { url, sockets } = await listen()
    const got: Array<string> = []
    const drops: Array<unknown> = []
    const c = new Connection(url, net(url), 5000, { onOpen: () => undefined, onFrame: (d) => got.push(d), onDrop: (e) => drops.push(e) })
    c.start()
    await wait(() => sockets.length === 1 && c.open)
    sockets[0]?.send(JSON.stringify(['EOSE', 'a']))
    await wait(() => got.length === 1)
    sockets[0]?.terminate()
    await wait(() => drops.length > 0)
    await new Promise((r) => setTimeout(r, 50))
    expect(got).toEqual([JSON.stringify(['EOSE', 'a'])])
    expect(drops.length).toBe(1)
    expect(c.closed).toBe(true)
    c.send('ignored') // a closed connection drops frames, never throws
  })

  it('fails a connection to nothing once, and terminate leaves no timer', async () => {
    const before = timers()
    const url = 'ws://127.0.0.1:1'
    const drops: Array<unknown> = []
    const c = new Connection(url, net(url), 5000, { onOpen: () => undefined, onFrame: () => undefined, onDrop: (e) => drops.push(e) })
    c.send(JSON.stringify(['REQ', 'a', {}]))
    c.start()
    await wait(() => drops.length > 0)
    expect(drops.length).toBe(1)
    const d = new Connection(url, net(url), 5000, { onOpen: () => undefined, onFrame: () => undefined, onDrop: (e) => drops.push(e) })
    d.start(60_000) // a jittered reconnect, then stopped before it runs
    d.terminate()
    await new Promise((r) => setTimeout(r, 50))
    expect(drops.length).toBe(1)
    expect(timers()).toBeLessThanOrEqual(before)
  })
})
