/**
 * NIP-77 negentropy for history, end to end: the executor (`nip34-sync/host`) against real
 * relays on loopback (@nostr-relay/core + SQLite + ws, test/relay/).
 *
 * Two remotes hold the same 60 repositories (announcements listing them and the own relay), an
 * issue per repository and comments on some issues:
 *
 * - A speaks NIP-77 (test/relay/negentropyServer.ts, on nostr-tools' negentropy) and lists 77 in
 *   its NIP-11 document;
 * - B lists 77 in its NIP-11 document but does not speak it (@nostr-relay/core answers `NEG-OPEN`
 *   with `NOTICE "invalid: unknown message type"`), as several public relays do.
 *
 * Each is synced into an own relay of its own, which already holds the announcements and half of
 * the issues (the "have" set). A's history comes through negentropy sessions and `REQ`s by id,
 * with no paged history `REQ` at all; B's sessions fail and fall back to paged `REQ`s. Both own
 * relays end with the same events: every published one. Then two relays that fail otherwise
 * (`NEG-ERR`, and no answer at all: the engine's request timeout). First, the protocol alone:
 * nostr-tools' initiator against the test relay's responder finds exactly the ids one side lacks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { initNostrWasm } from 'nostr-wasm'
import { nip77 } from 'nostr-tools'
import { option as O } from 'fp-ts'
import { startLoopbackRelay, type LoopbackRelay } from '../relay/loopbackRelay.js'
import { NegentropyResponder } from '../relay/negentropyServer.js'
import { holds, publish } from '../relay/client.js'
import { secretKey } from '../support/signing.js'
import { createExecutor, type ExecutorEvent } from '../../src/host/index.js'
import { engineRelay } from '../../src/index.js'

type Signed = { id: string; pubkey: string; created_at: number; kind: number; tags: Array<Array<string>>; content: string; sig: string }
let nw: Awaited<ReturnType<typeof initNostrWasm>>
const pubkeyOf = (sk: Uint8Array): string => Buffer.from(nw.getPublicKey(sk)).toString('hex')
const sign = (sk: Uint8Array, kind: number, created_at: number, tags: Array<Array<string>>, content = ''): Signed => {
  const e = { kind, created_at, tags, content } as unknown as Signed
  nw.finalizeEvent(e as never, sk)
  return JSON.parse(JSON.stringify(e)) as Signed
}

const OWN = 'wss://grasp.example.com'
const N = 60
const NIP11 = { name: 'loopback', supported_nips: [1, 11, 77] }

let storeA: LoopbackRelay
let storeB: LoopbackRelay
let a: LoopbackRelay
let b: LoopbackRelay

beforeAll(async () => {
  nw = await initNostrWasm()
  ;[storeA, storeB, a, b] = await Promise.all([
    startLoopbackRelay(),
    startLoopbackRelay(),
    startLoopbackRelay({ negentropy: true, nip11: NIP11 }),
    startLoopbackRelay({ nip11: NIP11 })
  ])
})

afterAll(async () => {
  await Promise.all([storeA?.stop(), storeB?.stop(), a?.stop(), b?.stop()])
})

describe('the NIP-77 protocol: nostr-tools initiator, test relay responder', () => {
  const hex = (i: number) => i.toString(16).padStart(64, '0')
  test.prop([fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { maxLength: 400 }), fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { maxLength: 400 }), fc.integer({ min: 1, max: 50 })], { numRuns: 60 })(
    'the initiator ends knowing exactly the ids the responder has and it lacks',
    (mine, theirs, spread) => {
      const item = (i: number) => ({ id: hex(i), created_at: 1000 + (i % spread) })
      const storage = new nip77.NegentropyStorageVector()
      for (const i of mine) storage.insert(item(i).created_at, item(i).id)
      storage.seal()
      const client = new nip77.Negentropy(storage, 4096)
      const server = new NegentropyResponder(theirs.map(item), 4096)
      const need = new Set<string>()
      let msg: string | null = client.initiate()
      let rounds = 0
      while (msg !== null && rounds++ < 100) msg = client.reconcile(server.respond(msg), undefined, (id: string) => need.add(id))
      const expected = new Set(theirs.filter((i) => !mine.includes(i)).map(hex))
      expect(msg).toBe(null)
      expect([...need].sort()).toEqual([...expected].sort())
    }
  )
})

describe('the executor: history through negentropy where a relay speaks it, paged REQs where not', () => {
  it(`syncs ${N} repositories from a relay that speaks NIP-77 and from one that advertises it and fails: same events in both own relays`, async () => {
    const t = Math.floor(Date.now() / 1000) - 3600
    const keys = Array.from({ length: N }, (_, i) => secretKey(`neg-e2e owner ${i}`))
    const author = secretKey('neg-e2e author')
    const build = (remote: string) => {
      const anns = keys.map((k, i) => sign(k, 30617, t + i, [['d', `repo${i}`], ['relays', OWN, remote], ['clone', `https://grasp.example.com/x/repo${i}.git`]]))
      const refs = keys.map((k, i) => `30617:${pubkeyOf(k)}:repo${i}`)
      const issues = refs.map((r, i) => sign(author, 1621, t + N + (i % 7), [['a', r], ['subject', `issue ${i}`]], `issue ${i} on ${remote}`))
      const comments = issues.slice(0, 20).map((x, i) => sign(author, 1111, t + 2 * N + i, [['E', x.id], ['K', '1621'], ['e', x.id], ['k', '1621']], `comment ${i}`))
      return { anns, issues, comments, all: [...anns, ...issues, ...comments] }
    }
    const dataA = build(a.url)
    const dataB = build(b.url)
    expect(await publish(a.url, dataA.all)).toBe(dataA.all.length)
    expect(await publish(b.url, dataB.all)).toBe(dataB.all.length)
    // each own relay already holds the announcements and every other issue
    const stored = (d: typeof dataA) => [...d.anns, ...d.issues.filter((_, i) => i % 2 === 0)]
    expect(await publish(storeA.url, stored(dataA))).toBe(stored(dataA).length)
    expect(await publish(storeB.url, stored(dataB))).toBe(stored(dataB).length)

    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const run = async (store: LoopbackRelay, remote: LoopbackRelay, negentropy: 'auto' | 'always') => {
      const events: Array<ExecutorEvent> = []
      const timersBefore = timers()
      const host = createExecutor({
        ownRelay: OWN,
        storeRelay: store.url,
        bootstrapRelays: [remote.url],
        allowRelays: [remote.url],
        engine: { retryDelay: 1, negentropy },
        onProgress: (e) => events.push(e)
      })
      await host.start()
      const caughtUp = await host.whenCaughtUp(60_000)
      const status = O.toUndefined(engineRelay(remote.url)(host.engine()))
      const counters = host.state().counters
      await host.stop()
      // the sessions, the store's "have" connection and their timers are gone with it
      await new Promise((r) => setTimeout(r, 50))
      expect(timers()).toBeLessThanOrEqual(timersBefore)
      return { caughtUp, events, status, counters }
    }

    // A: `always` (the first history goes out as sessions at once; the NIP-11 hint arrives later)
    const runA = await run(storeA, a, 'always')
    expect(runA.caughtUp).toBe(true)
    expect(runA.events.filter((e) => e.type === 'problem' || e.type === 'refused' || e.type === 'timeout')).toEqual([])
    expect((await holds(storeA.url, dataA.all.map((e) => e.id))).size).toBe(dataA.all.length)
    const fa = a.frames().in
    expect(fa['NEG-OPEN']?.count ?? 0).toBeGreaterThan(0)
    expect(fa['REQ:history']?.count ?? 0).toBe(0)
    expect(fa['REQ:ids']?.count ?? 0).toBeGreaterThan(0)
    expect(runA.status?.negentropy).toMatchObject({ support: 'yes', used: true, running: 0, fetching: 0 })
    expect(runA.status?.negentropy?.hinted).toBe(true) // the executor fed NIP-11's supported_nips
    expect(runA.counters.negentropySessions).toBe(fa['NEG-OPEN']?.count)
    // what the sessions found missing: at least the odd issues and the comments (the announcements
    // and even issues were in hand); more when two sessions' filters meet on one event
    expect(runA.counters.negentropyNeed).toBeGreaterThanOrEqual(N / 2 + dataA.comments.length)

    // B: advertises 77, answers NEG-OPEN with a NOTICE: the sessions fall back to paged REQs
    const runB = await run(storeB, b, 'always')
    expect(runB.caughtUp).toBe(true)
    expect((await holds(storeB.url, dataB.all.map((e) => e.id))).size).toBe(dataB.all.length)
    const fb = b.frames().in
    expect(fb['NEG-OPEN']?.count ?? 0).toBeGreaterThan(0)
    expect(fb['REQ:history']?.count ?? 0).toBeGreaterThan(0)
    expect(runB.status?.negentropy).toMatchObject({ support: 'no', used: false, running: 0 })

    // the same events in both own relays: per remote, every published one
    const kinds = (d: typeof dataA) => d.all.map((e) => `${e.kind}`).sort()
    expect(kinds(dataA)).toEqual(kinds(dataB))

    // figures for docs/negentropy.md: what each remote received and sent
    const bytes = (f: Record<string, { count: number; bytes: number }>) => Object.entries(f).filter(([k]) => !k.includes(':')).reduce((n, [, v]) => n + v.bytes, 0)
    console.log(JSON.stringify({ a: { in: a.frames().in, outBytes: bytes(a.frames().out), inBytes: bytes(a.frames().in) }, b: { in: b.frames().in, outBytes: bytes(b.frames().out), inBytes: bytes(b.frames().in) } }))
  }, 120_000)

  for (const mode of ['err', 'silent'] as const)
    it(`a relay that answers NEG-OPEN with ${mode === 'err' ? 'NEG-ERR' : 'nothing'}: its history is paged after the ${mode === 'err' ? 'error' : 'timeout'}, every event arrives`, async () => {
      const remote = await startLoopbackRelay({ negentropy: mode, nip11: NIP11 })
      const store = await startLoopbackRelay()
      try {
        const t = Math.floor(Date.now() / 1000) - 3600
        const keys = Array.from({ length: 10 }, (_, i) => secretKey(`neg-e2e ${mode} owner ${i}`))
        const anns = keys.map((k, i) => sign(k, 30617, t + i, [['d', `r${i}`], ['relays', OWN, remote.url], ['clone', `https://grasp.example.com/x/r${i}.git`]]))
        const issues = keys.map((k, i) => sign(k, 1621, t + 20 + i, [['a', `30617:${pubkeyOf(k)}:r${i}`], ['subject', `i${i}`]], `issue ${i}`))
        const all = [...anns, ...issues]
        expect(await publish(remote.url, all)).toBe(all.length)
        const host = createExecutor({
          ownRelay: OWN,
          storeRelay: store.url,
          bootstrapRelays: [remote.url],
          allowRelays: [remote.url],
          // no answer: the engine's own request timeout (1 s) fails the session on a Tick
          engine: { retryDelay: 1, negentropy: 'always', requestTimeout: 1 },
          tickMs: 200
        })
        await host.start()
        const caughtUp = await host.whenCaughtUp(60_000)
        const status = O.toUndefined(engineRelay(remote.url)(host.engine()))
        await host.stop()
        expect(caughtUp).toBe(true)
        expect((await holds(store.url, all.map((e) => e.id))).size).toBe(all.length)
        const f = remote.frames().in
        expect(f['NEG-OPEN']?.count ?? 0).toBeGreaterThan(0)
        expect(f['REQ:history']?.count ?? 0).toBeGreaterThan(0)
        expect(status?.negentropy).toMatchObject({ support: 'no', used: false, running: 0 })
      } finally {
        await Promise.all([remote.stop(), store.stop()])
      }
    }, 90_000)
})
