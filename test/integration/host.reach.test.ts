/**
 * The engine's relay health is the executor's one source of truth for "unreachable" and for when
 * a connection reopens: the executor keeps no failure count of its own and adds no random delay
 * (Math.random) to the engine's seeded backoff.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { createExecutor, type EventSource, type ExecutorEvent, type SourceHandlers } from '../../src/host/index.js'
import { secretKey, sign } from '../support/signing.js'
import { until } from '../relay/client.js'

const OWN = 'wss://grasp.example.com'
const now = () => Math.floor(Date.now() / 1000)

/** A loopback port nothing listens on (connections are refused: left to the backoff). */
const closedPort = async (): Promise<number> => {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('executor: unreachable and reopening follow the engine health', () => {
  it('a relay refusing connections: unreachable exactly when the engine counts giveUpAfter failures; no random reopen delay', async () => {
    const relay = `ws://127.0.0.1:${await closedPort()}`
    const announcements = Array.from({ length: 3 }, (_, i) =>
      sign(secretKey(`reach owner ${i}`), 30617, now() - 100, [['d', 'x'], ['relays', OWN, relay], ['clone', `https://grasp.example.com/x${i}.git`]])
    )
    let handlers: SourceHandlers | undefined
    const source: EventSource = { start: (h) => (handlers = h), stop: () => undefined }
    const events: Array<ExecutorEvent> = []
    const random = vi.spyOn(Math, 'random')
    const host = createExecutor({
      ownRelay: OWN,
      allowRelays: [relay],
      fetch: false,
      source,
      sink: { store: async () => undefined },
      tickMs: 50,
      giveUpAfter: 3,
      jitterSeed: 'reach',
      engine: { retryDelay: 1, maxRetryDelay: 4 },
      onProgress: (e) => events.push(e)
    })
    await host.start()
    const mismatches: Array<string> = []
    try {
      handlers?.onEvents(announcements)
      handlers?.onCaughtUp()
      const sockets = new Set<number>()
      const ok = await until(
        () => {
          const r = host.state().relays.find((x) => x.relay === relay)
          for (const e of events) if (e.type === 'disconnected' && e.relay === relay) sockets.add(e.socket)
          if (r === undefined) return false
          const parked = r.health?.state === 'dead' || r.health?.state === 'naughty' || r.health?.state === 'auth-failed'
          const byHealth = parked || (r.health?.failures ?? 0) >= 3
          if (r.unreachable !== byHealth) mismatches.push(`unreachable ${r.unreachable} with health ${JSON.stringify(r.health)}`)
          return (r.health?.failures ?? 0) >= 4
        },
        30_000,
        20
      )
      expect(ok).toBe(true)
      expect(sockets.size).toBeGreaterThanOrEqual(1)
      expect(mismatches).toEqual([])
      expect(host.state().relays.find((x) => x.relay === relay)?.unreachable).toBe(true)
      // reopening is the engine's seeded backoff: no random delay on top
      expect(random).not.toHaveBeenCalled()
    } finally {
      await host.stop()
    }
  }, 60_000)
})
