/**
 * Relay health end to end, on real loopback relays (@nostr-relay/core + SQLite + ws): a relay
 * that requires NIP-42 auth is synced once the executor authenticates with the operator's key
 * (and parked when there is no key); a relay that keeps dropping goes to backoff, then dead; a
 * relay that answers "rate-limited:" cools down; a host name that does not resolve, a web server
 * that does not upgrade, and `wss://` to a server without TLS land on the naughty list.
 */
import { describe, expect, it } from 'vitest'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createExecutor, type EventSource, type ExecutorEvent, type ExecutorOptions, type ExecutorRelayState, type SourceHandlers } from '../../src/host/index.js'
import { secretKey, sign } from '../support/signing.js'
import { startLoopbackRelay } from '../relay/loopbackRelay.js'
import { publish, until } from '../relay/client.js'

const OWN = 'wss://grasp.example.com'
const owner = secretKey('health owner')
const operator = secretKey('health operator')
const now = () => Math.floor(Date.now() / 1000)
const announce = (d: string, relay: string) => sign(owner, 30617, now() - 100, [['d', d], ['relays', OWN, relay], ['clone', `https://grasp.example.com/${d}.git`]])

/** An executor whose source is fed by the test and whose sink collects contents. */
const run = async (relay: string, options: Partial<ExecutorOptions> = {}) => {
  let handlers: SourceHandlers | undefined
  const source: EventSource = { start: (h) => (handlers = h), stop: () => undefined }
  const stored: Array<string> = []
  const events: Array<ExecutorEvent> = []
  const host = createExecutor({
    ownRelay: OWN,
    allowRelays: [relay],
    fetch: false,
    source,
    sink: {
      store: async (evs) => {
        for (const e of evs) stored.push((e as { content: string }).content)
      }
    },
    tickMs: 100,
    jitterMs: 0,
    onProgress: (e) => events.push(e),
    ...options
  })
  await host.start()
  handlers?.onEvents([announce('x', relay)])
  handlers?.onCaughtUp()
  const of = (): ExecutorRelayState | undefined => host.state().relays.find((r) => r.relay === relay)
  return { host, stored, events, of }
}

describe('NIP-42 auth', () => {
  it('a relay that refuses every REQ with auth-required: is synced after the executor authenticates', async () => {
    const r = await startLoopbackRelay({ requireAuth: true })
    try {
      expect(await publish(r.url, [sign(owner, 30618, now() - 50, [['d', 'x']], 'state behind auth')])).toBe(1)
      const { host, stored, events, of } = await run(r.url, { secretKey: operator })
      try {
        expect(await host.whenCaughtUp(20_000)).toBe(true)
        expect(await until(() => stored.includes('state behind auth'), 10_000, 50)).toBe(true)
        expect(events.filter((e) => e.type === 'auth').map((e) => (e as { status: string }).status)).toEqual(['sent', 'ok'])
        expect(events.some((e) => e.type === 'closed' && e.reason.startsWith('auth-required:'))).toBe(true)
        expect(of()?.health).toMatchObject({ state: 'ok', auth: 'ok' })
        expect(of()?.unreachable).toBe(false)
        // the key never shows in what the executor reports
        const hex = Buffer.from(operator).toString('hex')
        expect(JSON.stringify(events)).not.toContain(hex)
        expect(JSON.stringify(host.state())).not.toContain(hex)
      } finally {
        await host.stop()
      }
    } finally {
      await r.stop()
    }
  }, 60_000)

  it('without a key the relay is parked (auth-failed) and does not hold back "caught up"', async () => {
    const r = await startLoopbackRelay({ requireAuth: true })
    try {
      const { host, stored, of } = await run(r.url)
      try {
        expect(await host.whenCaughtUp(20_000)).toBe(true)
        expect(of()?.health).toMatchObject({ state: 'auth-failed', auth: 'failed', reason: 'auth: no key to sign with' })
        expect(of()?.unreachable).toBe(true)
        expect(of()?.connections.length).toBe(0)
        expect(stored).toEqual([])
      } finally {
        await host.stop()
      }
    } finally {
      await r.stop()
    }
  }, 60_000)
})

describe('backoff, dead, naughty', () => {
  it('a relay that keeps dropping goes to backoff, then dead (no connection while dead)', async () => {
    const r = await startLoopbackRelay({ dropClients: true })
    try {
      const { host, events, of } = await run(r.url, { engine: { retryDelay: 1, maxRetryDelay: 1, health: { deadAfter: 3 } } })
      try {
        const states = new Set<string>()
        const dead = await until(
          () => {
            const s = of()?.health?.state
            if (s !== undefined) states.add(s)
            return s === 'dead'
          },
          20_000,
          20
        )
        expect(dead).toBe(true)
        expect(states.has('backoff')).toBe(true)
        expect(of()?.health?.failures).toBe(3)
        expect(of()?.health?.until).toBeGreaterThan(now() + 80_000)
        expect(of()?.unreachable).toBe(true)
        expect(await host.whenCaughtUp(10_000)).toBe(true)
        const opened = events.filter((e) => e.type === 'sent' && e.relay === r.url && e.connection === 'open').length
        await new Promise((res) => setTimeout(res, 1500))
        expect(events.filter((e) => e.type === 'sent' && e.relay === r.url && e.connection === 'open').length).toBe(opened)
        expect(of()?.connections.length).toBe(0)
      } finally {
        await host.stop()
      }
    } finally {
      await r.stop()
    }
  }, 60_000)

  it('a relay that answers "rate-limited:" cools down (no REQ until the cooldown ends), then is synced', async () => {
    const r = await startLoopbackRelay({ rateLimitReqs: 2 })
    try {
      expect(await publish(r.url, [sign(owner, 30618, now() - 50, [['d', 'x']], 'state after cooldown')])).toBe(1)
      const { host, stored, events, of } = await run(r.url, { engine: { health: { cooldown: 2 } } })
      try {
        const sends: Array<number> = []
        host.on((e) => {
          if (e.type === 'sent' && e.relay === r.url && e.reqs > 0) sends.push(Date.now())
        })
        expect(await until(() => of()?.health?.state === 'cooling', 10_000, 10)).toBe(true)
        const cooledUntil = of()?.health?.until as number
        const seenAt = Date.now()
        expect(cooledUntil).toBeGreaterThanOrEqual(Math.floor(seenAt / 1000) + 1)
        expect(await host.whenCaughtUp(20_000)).toBe(true)
        expect(await until(() => stored.includes('state after cooldown'), 10_000, 50)).toBe(true)
        // no REQ went out while it cooled (unix seconds: the pause ends at the start of second `until`)
        const during = sends.filter((t) => t >= seenAt && t < cooledUntil * 1000)
        expect(during).toEqual([])
        expect(sends.some((t) => t >= cooledUntil * 1000)).toBe(true)
        expect(events.filter((e) => e.type === 'closed' && e.reason.startsWith('rate-limited:')).length).toBe(2)
        expect(of()?.health?.state).toBe('ok')
      } finally {
        await host.stop()
      }
    } finally {
      await r.stop()
    }
  }, 60_000)

  it('a server that answers HTTP 200 instead of a WebSocket upgrade lands on the naughty list (protocol)', async () => {
    // not a relay: a web page where a relay was listed (a misconfigured host)
    const web = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<h1>hello</h1>')
    })
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', () => resolve()))
    const port = (web.address() as AddressInfo).port
    const relay = `ws://127.0.0.1:${port}`
    const { host, events, of } = await run(relay)
    try {
      expect(await until(() => of()?.health?.state === 'naughty', 20_000, 50)).toBe(true)
      expect(events.find((e) => e.type === 'failed')).toMatchObject({ relay, kind: 'protocol' })
      expect(of()?.health?.reason).toMatch(/^protocol: .*Unexpected server response: 200/)
    } finally {
      await host.stop()
      await new Promise((resolve) => web.close(resolve))
    }
  }, 60_000)

  it('a TLS failure (wss:// to a server that does not speak TLS) lands on the naughty list', async () => {
    const r = await startLoopbackRelay()
    const relay = r.url.replace('ws://', 'wss://')
    const { host, events, of } = await run(relay)
    try {
      expect(await until(() => of()?.health?.state === 'naughty', 20_000, 50)).toBe(true)
      expect(events.find((e) => e.type === 'failed')).toMatchObject({ relay, kind: 'tls' })
    } finally {
      await host.stop()
      await r.stop()
    }
  }, 60_000)

  it('a host name that does not resolve lands on the naughty list', async () => {
    const relay = 'ws://nothing-here.invalid:7777'
    const { host, events, of } = await run(relay)
    try {
      expect(await until(() => of()?.health?.state === 'naughty', 20_000, 50)).toBe(true)
      const failed = events.find((e) => e.type === 'failed')
      expect(failed).toMatchObject({ type: 'failed', relay, kind: 'dns' })
      expect(of()?.health?.reason).toMatch(/^dns: /)
      expect(of()?.health?.until).toBeGreaterThanOrEqual(now() + 43_000)
      expect(of()?.unreachable).toBe(true)
      expect(await host.whenCaughtUp(10_000)).toBe(true)
    } finally {
      await host.stop()
    }
  }, 60_000)
})
