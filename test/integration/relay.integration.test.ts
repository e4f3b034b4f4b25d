/**
 * End to end against a real relay on loopback: @nostr-relay/core with its SQLite repository,
 * served over `ws`, spoken to by nostr-tools. The host ingests announcements and root events,
 * derives targets, plans the relay's filters, and fetches from the real relay: it must receive
 * exactly the events GRASP-02 wants from that relay, history and live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { function as F } from 'fp-ts'
import { WebSocket } from 'ws'
import { startLoopbackRelay, type LoopbackRelay } from '../relay/loopbackRelay.js'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import type { Event as NostrEvent } from 'nostr-tools/core'
import type { Filter } from 'nostr-tools/filter'
import { applyBatch, deriveTargets, emptyRepoIndex, historyFilter, relayFilters, relayRepos, relayRootEvents } from '../../src/index.js'
import { pubkeyOf, secretKey, sign } from '../support/signing.js'

useWebSocketImplementation(WebSocket)

const OWN = 'wss://grasp.example.com'
const alice = secretKey('relay-test alice')
const bob = secretKey('relay-test bob')
const carol = secretKey('relay-test carol')
const ALICE = pubkeyOf(alice)
const BOB = pubkeyOf(bob)

let loopback: LoopbackRelay | undefined
let url = ''

beforeAll(async () => {
  loopback = await startLoopbackRelay()
  url = loopback.url
})

afterAll(async () => {
  await loopback?.stop()
})

const fetchAll = (relay: Relay, filters: Array<Filter>): Promise<Array<NostrEvent>> =>
  new Promise((resolve) => {
    const got: Array<NostrEvent> = []
    const sub = relay.subscribe(filters, {
      onevent: (e) => got.push(e),
      oneose: () => {
        sub.close()
        resolve(got)
      }
    })
  })

describe('against a real relay on loopback', () => {
  it('the planned filters fetch exactly what GRASP-02 wants from the relay, history then live', async () => {
    const refA = `30617:${ALICE}:alpha`
    const refB = `30617:${BOB}:beta`
    const annA = sign(alice, 30617, 1000, [['d', 'alpha'], ['relays', OWN, url], ['clone', 'https://grasp.example.com/npub1alice/alpha.git']])
    const annB = sign(bob, 30617, 1000, [['d', 'beta'], ['relays', url], ['clone', 'https://github.com/bob/beta.git']]) // does not list us
    const stateA = sign(alice, 30618, 1001, [['d', 'alpha'], ['HEAD', 'ref: refs/heads/main']])
    const stateOther = sign(alice, 30618, 1001, [['d', 'other'], ['HEAD', 'ref: refs/heads/main']])
    const patchA = sign(carol, 1617, 1100, [['a', refA], ['t', 'root']], 'patch for alpha')
    const issueA = sign(carol, 1621, 1101, [['a', refA], ['subject', 'bug']], 'issue for alpha')
    const patchB = sign(carol, 1617, 1102, [['a', refB], ['t', 'root']], 'patch for beta')
    const comment = sign(bob, 1111, 1200, [['E', patchA.id, '', pubkeyOf(carol)], ['K', '1617'], ['e', patchA.id], ['k', '1617']], 'looks good')
    const status = sign(alice, 1631, 1201, [['e', patchA.id, '', 'root'], ['a', refA]], 'applied')
    const commentB = sign(alice, 1111, 1202, [['E', patchB.id], ['K', '1617']], 'other repo')
    const quote = sign(bob, 1, 1203, [['q', refA]], 'see this repo')
    const unrelated = sign(bob, 1, 1204, [['t', 'nostr']], 'hello')
    const all = [annA, annB, stateA, stateOther, patchA, issueA, patchB, comment, status, commentB, quote, unrelated]

    const client = await Relay.connect(url)
    for (const e of all) await client.publish(e)

    // the host's core: it already holds the announcements and root events
    const config = { ownRelays: [OWN], relayPolicy: { allowRelays: [url] } }
    const { index, rejected } = applyBatch(config, [annA, annB, patchA, issueA, patchB])(emptyRepoIndex)
    expect(rejected).toEqual([])
    const desired = F.pipe(index, deriveTargets(config))
    expect(relayRepos(url)(desired)).toEqual([refA])
    expect(relayRootEvents(url)(desired)).toEqual({ [refA]: [patchA.id, issueA.id].sort() })

    // history: the relay's live filters, turned into history filters over all time
    const live = relayFilters(desired, url)
    const history = live.map(historyFilter(undefined, undefined, 500)) as Array<Filter>
    const got = await fetchAll(client, history)
    const ids = new Set(got.map((e) => e.id))
    const wanted = [annA, annB, stateA, patchA, issueA, comment, status, quote]
    const unwanted = [stateOther, patchB, commentB, unrelated]
    expect([...ids].sort()).toEqual(wanted.map((e) => e.id).sort())
    for (const e of unwanted) expect(ids.has(e.id)).toBe(false)

    // live: the same filters with limit 0 deliver a new comment on the tracked issue, and nothing else
    const arrived: Array<string> = []
    const sub = client.subscribe(live as Array<Filter>, { onevent: (e) => arrived.push(e.id) })
    await new Promise((r) => setTimeout(r, 100))
    const reply = sign(bob, 1111, 1300, [['E', issueA.id], ['K', '1621']], 'me too')
    const noise = sign(bob, 1111, 1301, [['E', patchB.id], ['K', '1617']], 'not for us')
    // the noise goes first: were it matched, it would arrive before the reply
    await client.publish(noise)
    await client.publish(reply)
    for (let i = 0; i < 50 && !arrived.includes(reply.id); i++) await new Promise((r) => setTimeout(r, 20))
    sub.close()
    client.close()
    expect(arrived).toEqual([reply.id])
  })
})
