/**
 * The executor's `wants` cache (review F8): a relay's predicate is rebuilt when that relay's own
 * target changes, not after a change for another relay; and a rebuilt predicate accepts what the
 * changed target wants. Two real loopback relays; `wants` is wrapped (a pass-through counter) to
 * count builds per relay.
 */
import { describe, expect, it, vi } from 'vitest'
import { createExecutor, type EventSource, type SourceHandlers } from '../../src/host/index.js'
import { secretKey, sign } from '../support/signing.js'
import { startLoopbackRelay } from '../relay/loopbackRelay.js'
import { publish } from '../relay/client.js'

const builds = new Map<string, number>()
vi.mock('../../src/wire/Wants.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/wire/Wants.js')>()
  return {
    ...real,
    wants: (desired: Parameters<typeof real.wants>[0], relay: string, limits?: Parameters<typeof real.wants>[2]) => {
      builds.set(relay, (builds.get(relay) ?? 0) + 1)
      return real.wants(desired, relay, limits)
    }
  }
})

const OWN = 'wss://grasp.example.com'

const waitFor = async (p: () => boolean, ms: number): Promise<boolean> => {
  const until = Date.now() + ms
  while (!p() && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
  return p()
}

describe("the executor's wants cache", () => {
  it("rebuilds a relay's predicate only when its own target changes", async () => {
    const [r, s] = await Promise.all([startLoopbackRelay(), startLoopbackRelay()])
    try {
      const now = Math.floor(Date.now() / 1000)
      const owner = secretKey('wants cache owner')
      const author = secretKey('wants cache author')
      const announce = (d: string, relay: string, at: number) => sign(owner, 30617, at, [['d', d], ['relays', OWN, relay], ['clone', `https://grasp.example.com/${d}.git`]])
      const x = announce('x', r.url, now - 100)
      const repo = (d: string): string => `30617:${x.pubkey}:${d}`
      let handlers: SourceHandlers | undefined
      const source: EventSource = { start: (h) => (handlers = h), stop: () => undefined }
      const stored: Array<string> = []
      const host = createExecutor({
        ownRelay: OWN,
        allowRelays: [r.url, s.url],
        fetch: false,
        source,
        sink: {
          store: async (evs) => {
            for (const e of evs) stored.push((e as { content: string }).content)
          }
        }
      })
      await host.start()
      handlers?.onEvents([x])
      handlers?.onCaughtUp()
      expect(await host.whenCaughtUp(15_000)).toBe(true)
      expect(await publish(r.url, [sign(owner, 30618, now - 50, [['d', 'x']], 'state x 1')])).toBe(1)
      expect(await waitFor(() => stored.includes('state x 1'), 10_000)).toBe(true)
      const first = builds.get(r.url) ?? 0
      expect(first).toBeGreaterThan(0)

      // (probes are repository states, not root events: a root event changes its relay's target)
      // a change for the other relay only: r's predicate stays
      handlers?.onEvents([announce('y', s.url, now - 90)])
      expect(await waitFor(() => host.state().relays.some((e) => e.relay === s.url && e.settled), 15_000)).toBe(true)
      expect(await publish(r.url, [sign(owner, 30618, now - 40, [['d', 'x']], 'state x 2')])).toBe(1)
      expect(await waitFor(() => stored.includes('state x 2'), 10_000)).toBe(true)
      expect(builds.get(r.url)).toBe(first)

      // r's own target grows: its predicate is rebuilt and wants the new repository's issues
      handlers?.onEvents([announce('z', r.url, now - 80)])
      expect(await host.whenCaughtUp(15_000)).toBe(true)
      expect(await publish(r.url, [sign(author, 1621, now - 30, [['a', repo('z')]], 'issue z')])).toBe(1)
      expect(await waitFor(() => stored.includes('issue z'), 10_000)).toBe(true)
      expect(builds.get(r.url)).toBeGreaterThan(first)
      expect(host.state().counters.rejected).toBe(0)
      await host.stop()
    } finally {
      await Promise.all([r.stop(), s.stop()])
    }
  }, 60_000)
})
