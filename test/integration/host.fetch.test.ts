/**
 * GRASP-01 "tagged by" and kind 10317 discovery end to end, on real relays on loopback
 * (@nostr-relay/core + SQLite + ws): the own (store) relay, two relays a repository lists, and a
 * relay only a maintainer's GRASP list names. The own relay refuses some events (as a GRASP relay
 * refuses what it does not accept). Every frame the executor sends is recorded (a `ws` subclass
 * given as the `WebSocket` option) to count what it asks for.
 */
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createExecutor } from '../../src/host/index.js'
import { engineFetchStatus, engineRepoIndex, repoRefs } from '../../src/index.js'
import { secretKey, sign } from '../support/signing.js'
import { startLoopbackRelay } from '../relay/loopbackRelay.js'
import { holds, publish, until } from '../relay/client.js'

const OWN = 'wss://grasp.example.com'

/** Frames the executor sent, in order. */
const frames: Array<string> = []
class Spy extends WebSocket {
  constructor(url: string) {
    super(url)
    this.on('error', () => undefined)
  }
  override send(data: unknown, ...rest: Array<unknown>): void {
    frames.push(String(data))
    ;(super.send as (...a: Array<unknown>) => void)(data, ...rest)
  }
}
/** `REQ`s sent that ask for `id` by id. */
const asksFor = (id: string): number =>
  frames.filter((f) => {
    if (!f.startsWith('["REQ"')) return false
    const m = JSON.parse(f) as Array<unknown>
    return m.slice(2).some((x) => Array.isArray((x as { ids?: unknown }).ids) && ((x as { ids: Array<string> }).ids.includes(id)))
  }).length

describe('executor: GRASP-01 fetch by id, refused ids, kind 10317 discovery', () => {
  it('fetches what an accepted issue tags from another listed relay, never asks again for what the own relay refused, and finds a maintainer announcement on the relay of their GRASP list', async () => {
    const own = await startLoopbackRelay({ refuse: (e) => (e.tags.some((t) => t[0] === 't' && t[1] === 'refuse-me') ? 'blocked: not accepted here' : undefined) })
    const [a, b, c] = await Promise.all([startLoopbackRelay(), startLoopbackRelay(), startLoopbackRelay()])
    const now = Math.floor(Date.now() / 1000)
    const owner = secretKey('fetch e2e owner')
    const author = secretKey('fetch e2e author')
    const x = sign(owner, 30617, now - 100, [['d', 'x'], ['relays', OWN, a.url, b.url], ['clone', 'https://grasp.example.com/npub1x/x.git']])
    const ref = `30617:${x.pubkey}:x`
    // the maintainer's GRASP list names c; their other repository lives only there
    const list = sign(owner, 10317, now - 100, [['g', c.url]])
    const y = sign(owner, 30617, now - 90, [['d', 'y'], ['relays', OWN, c.url], ['clone', 'https://grasp.example.com/npub1x/y.git']])
    // an event only b holds, tagged by an issue only a holds
    const tagged = sign(author, 1, now - 80, [], 'tagged by the issue, on b only')
    const refusedEvent = sign(author, 1, now - 80, [['t', 'refuse-me']], 'the own relay refuses this one')
    const issue = sign(author, 1621, now - 70, [['a', ref], ['e', tagged.id], ['e', refusedEvent.id]], 'an issue on a')
    try {
      expect(await publish(own.url, [x, list])).toBe(2)
      expect(await publish(b.url, [tagged, refusedEvent])).toBe(2)
      expect(await publish(a.url, [issue])).toBe(1)
      expect(await publish(c.url, [y])).toBe(1)
      const host = createExecutor({
        ownRelay: OWN,
        storeRelay: own.url,
        allowRelays: [a.url, b.url, c.url],
        fetch: false,
        WebSocket: Spy as never,
        tickMs: 100,
        engine: { fetchTagged: { delay: 0, retryAfter: 2 }, discovery: true }
      })
      await host.start()
      try {
        // the tagged event: fetched by id from b (a is asked too) and stored in the own relay
        expect(await until(async () => (await holds(own.url, [tagged.id])).size === 1, 20_000)).toBe(true)
        expect(asksFor(tagged.id)).toBeGreaterThanOrEqual(1)
        // the refused one: offered to the own relay, refused, remembered
        expect(await until(() => engineFetchStatus(host.engine()).refused === 1, 20_000)).toBe(true)
        expect((await holds(own.url, [refusedEvent.id])).size).toBe(0)
        const refusedAsks = asksFor(refusedEvent.id)
        const taggedAsks = asksFor(tagged.id)
        expect(refusedAsks).toBeGreaterThanOrEqual(1)

        // discovery: y, only on the relay of the maintainer's list, is found and stored
        expect(await until(async () => (await holds(own.url, [y.id])).size === 1, 20_000)).toBe(true)
        expect(await until(() => repoRefs(engineRepoIndex(host.engine())).includes(`30617:${x.pubkey}:y` as never), 10_000)).toBe(true)
        expect(engineFetchStatus(host.engine()).discoveryRelays).toEqual([c.url])

        // later (past retryAfter) a new issue tags both again: the refused id is not asked, the other is
        await new Promise((r) => setTimeout(r, 2500))
        const again = sign(author, 1621, now - 10, [['a', ref], ['e', tagged.id], ['e', refusedEvent.id]], 'a second issue on a')
        expect(await publish(a.url, [again])).toBe(1)
        expect(await until(() => asksFor(tagged.id) > taggedAsks, 20_000)).toBe(true)
        expect(asksFor(refusedEvent.id)).toBe(refusedAsks)
        expect(host.state().counters.rejected).toBe(0)
      } finally {
        await host.stop()
      }
    } finally {
      await Promise.all([own.stop(), a.stop(), b.stop(), c.stop()])
    }
  }, 120_000)
})
