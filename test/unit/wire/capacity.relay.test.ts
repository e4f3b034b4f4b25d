/**
 * Coarse filters against a real relay on loopback (@nostr-relay/core with SQLite, over `ws`,
 * spoken to by nostr-tools): a relay listed by 300 repositories of distinct owners gets the
 * `owners` strategy (one connection instead of two); the relay accepts every planned REQ; history
 * and live deliver every wanted event plus the state events of the owners' other repositories,
 * and `wants` keeps exactly the wanted ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import type { Event as NostrEvent } from 'nostr-tools/core'
import type { Filter } from 'nostr-tools/filter'
import { startLoopbackRelay, type LoopbackRelay } from '../../relay/loopbackRelay.js'
import { pubkeyOf, secretKey, sign } from '../../support/signing.js'
import { fromRelayTargets } from '../../../src/relays/RelayIndex.js'
import { historyFilter, relayFilters } from '../../../src/wire/Filters.js'
import { relayCapacity } from '../../../src/wire/Capacity.js'
import { wants } from '../../../src/wire/Wants.js'
import { capacityLayout } from '../../../src/wire/layout.js'
import { checkMessage } from '../../../src/wire/Wire.js'
import { defaultRelayLimits } from '../../../src/config/Limits.js'

useWebSocketImplementation(WebSocket)

let loopback: LoopbackRelay | undefined
beforeAll(async () => {
  loopback = await startLoopbackRelay()
})
afterAll(async () => {
  await loopback?.stop()
})

const N = 300
const keys = Array.from({ length: N }, (_, i) => secretKey(`capacity owner ${i}`))
const owners = keys.map(pubkeyOf)
const refs = owners.map((p, i) => `30617:${p}:repo-${i}`)
const stranger = secretKey('capacity stranger')

const fetchAll = (relay: Relay, filters: Array<Filter>): Promise<Array<NostrEvent>> =>
  new Promise((resolve, reject) => {
    const got: Array<NostrEvent> = []
    const sub = relay.subscribe(filters, {
      onevent: (e) => got.push(e),
      oneose: () => {
        resolve(got)
        sub.close()
      },
      onclose: (reason) => reject(new Error(`closed: ${reason}`))
    })
  })

describe('coarse filters against a real relay', () => {
  it('300 repositories of distinct owners: one connection; every wanted event arrives, history and live; wants drops exactly the over-fetch', async () => {
    const url = (loopback as LoopbackRelay).url
    const K = 20
    const issues = Array.from({ length: K }, (_, k) => sign(stranger, 1621, 1000 + k, [['a', refs[k] as string], ['subject', `bug ${k}`]], 'issue'))
    const desired = fromRelayTargets([{ relay: url, repos: refs, rootEvents: { [refs[0] as string]: issues.map((e) => e.id) } }] as never)

    // the plan: coarse, one connection, every REQ within the limits
    const c = relayCapacity(desired, url)
    expect(c.strategy).toBe('owners')
    expect(c.connections).toBe(1)
    expect(relayCapacity(desired, url, undefined, { strategy: 'exact' }).connections).toBe(2)
    const plan = capacityLayout({ relay: url, repos: refs, rootEvents: { [refs[0] as string]: issues.map((e) => e.id) } }, defaultRelayLimits)
    expect(plan.subscriptions.length).toBeLessThanOrEqual(18)
    for (const s of plan.subscriptions) expect(checkMessage()(['REQ', s.id, ...s.filters])).toEqual([])

    // the relay's store: wanted events, the owners' other state events (over-fetch) and strangers
    const wanted: Array<NostrEvent> = [...issues]
    const overFetch: Array<NostrEvent> = []
    const noise: Array<NostrEvent> = []
    for (let k = 0; k < K; k++) {
      wanted.push(sign(keys[k] as Uint8Array, 30618, 1100 + k, [['d', `repo-${k}`], ['HEAD', 'ref: refs/heads/main']]))
      wanted.push(sign(stranger, 1630, 1200 + k, [['e', (issues[k] as NostrEvent).id, '', 'root']]))
      wanted.push(sign(stranger, 1111, 1300 + k, [['A', refs[N - 1 - k] as string], ['K', '30617']], 'comment'))
      overFetch.push(sign(keys[k] as Uint8Array, 30618, 1400 + k, [['d', `untracked-${k}`], ['HEAD', 'ref: refs/heads/main']]))
      noise.push(sign(stranger, 30618, 1500 + k, [['d', `repo-${k}`]])) // a state event of a tracked d by someone else
      noise.push(sign(stranger, 1621, 1600 + k, [['a', `30617:${pubkeyOf(stranger)}:repo-${k}`]]))
    }
    const client = await Relay.connect(url)
    for (const e of [...wanted, ...overFetch, ...noise]) await client.publish(e)

    // history: every subscription of the plan as history filters
    const filters = relayFilters(desired, url)
    expect(filters).toEqual(plan.subscriptions.flatMap((s) => s.filters))
    const got: Array<NostrEvent> = []
    for (const s of plan.subscriptions) got.push(...(await fetchAll(client, s.filters.map(historyFilter(undefined, undefined, 500)) as Array<Filter>)))
    const ids = new Set(got.map((e) => e.id))
    const want = wants(desired, url)
    expect([...ids].sort()).toEqual([...wanted, ...overFetch].map((e) => e.id).sort())
    expect(new Set(got.filter(want).map((e) => e.id))).toEqual(new Set(wanted.map((e) => e.id)))
    for (const e of overFetch) expect(want(e)).toBe(false)

    // live: a new wanted comment and a new over-fetched state event both arrive; wants keeps the comment
    const arrived: Array<NostrEvent> = []
    const subs = plan.subscriptions.map((s) => client.subscribe(s.filters as Array<Filter>, { onevent: (e) => arrived.push(e) }))
    await new Promise((r) => setTimeout(r, 100))
    const later = sign(keys[5] as Uint8Array, 30618, 2000, [['d', 'untracked-new']])
    const comment = sign(stranger, 1111, 2001, [['E', (issues[3] as NostrEvent).id], ['K', '1621']], 'me too')
    const stray = sign(stranger, 1111, 2002, [['E', (noise[1] as NostrEvent).id], ['K', '1621']], 'not ours')
    for (const e of [stray, later, comment]) await client.publish(e)
    for (let i = 0; i < 100 && !arrived.some((e) => e.id === comment.id); i++) await new Promise((r) => setTimeout(r, 20))
    for (const s of subs) s.close()
    client.close()
    expect(arrived.map((e) => e.id).sort()).toEqual([later.id, comment.id].sort())
    expect(arrived.filter(want).map((e) => e.id)).toEqual([comment.id])
  })
})
