/**
 * GRASP-01 "tagged by" (engine/fetch.ts), the refused-id memory, and kind 10317 discovery
 * (engine/discovery.ts, decode/graspList.ts): named cases through `step`, and properties of the
 * pure parts with generators that reach every branch (fc.statistics).
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { either as E, option as O } from 'fp-ts'
import { Map as IMap } from 'immutable'
import {
  decodeEngine,
  decodeGraspList,
  encodeEngine,
  engineFetchStatus,
  engineNextDue,
  engineRelay,
  step,
  syncEngine,
  type EngineOptions,
  type GraspList,
  type RelayBatch,
  type SyncEngine
} from '../../../src/index.js'
import { addRefused, expireRefused, taggedKeys } from '../../../src/engine/fetch.js'
import { readFetchOptions, emptyFetch, type FetchState } from '../../../src/engine/fetchState.js'
import { authorsPerRelay, readLists } from '../../../src/engine/discovery.js'
import { readDiscoveryOptions } from '../../../src/engine/fetchState.js'
import { resolveConfig } from '../../../src/config/Config.js'
import { BOOTSTRAP, OWN, finish } from '../../support/arbitraries.js'
import { announce, ref } from '../../support/helpers.js'

const R = 'wss://r1.example'
const R2 = 'wss://r2.example'
const T0 = 1_700_000_000
const config = { ownRelays: [OWN], bootstrapRelays: [BOOTSTRAP], verify: false }
const hex = (n: number) => n.toString(16).padStart(64, '0')
const issue = (repo: string, tags: ReadonlyArray<ReadonlyArray<string>>, created_at = 200) =>
  finish({ kind: 1621, pubkey: 'b2'.repeat(32), created_at, content: 'an issue', tags: [['a', repo], ...tags] })

const reqs = (batches: ReadonlyArray<RelayBatch>, relay: string) =>
  batches.filter((b) => b.relay === relay).flatMap((b) => b.messages.filter((m) => m[0] === 'REQ'))
const idReqs = (batches: ReadonlyArray<RelayBatch>, relay: string) => reqs(batches, relay).filter((m) => m.slice(2).some((f) => 'ids' in (f as object)))

/** Every REQ of the batches answered by an empty EOSE, until nothing more is sent: the relays are caught up. */
const settle = (engine: SyncEngine, batches: ReadonlyArray<RelayBatch>, now = T0): SyncEngine => {
  let e = engine
  let todo = [...batches]
  for (let round = 0; round < 50 && todo.length > 0; round++) {
    const next: Array<RelayBatch> = []
    for (const b of todo) {
      if (b.connection !== 'close') e = step({ _tag: 'Connected', relay: b.relay, socket: b.socket, now })(e).engine
      for (const m of b.messages)
        if (m[0] === 'REQ') {
          const r = step({ _tag: 'Eose', relay: b.relay, socket: b.socket, id: m[1], events: [], now })(e)
          e = r.engine
          next.push(...r.batches)
        }
    }
    todo = next
  }
  return e
}

/** An engine with one accepted repository on R, its relays caught up. */
const withRepo = (options: EngineOptions = {}): SyncEngine => {
  const r = step({ _tag: 'Events', events: [announce('repo', [R])], now: T0 })(syncEngine(config, options))
  return settle(r.engine, r.batches)
}

describe('fetch by id what accepted root events tag', () => {
  it('an accepted issue that e-tags an event: after the delay, {ids} is asked on the repository relay; its EOSE ends it; never asked again', () => {
    const target = hex(7)
    const e0 = withRepo({ fetchTagged: { delay: 5 } })
    const first = step({ _tag: 'Events', events: [issue(ref('repo'), [['e', target], ['q', target]])], now: T0 + 1 })(e0)
    expect(idReqs(first.batches, R)).toEqual([])
    expect(engineFetchStatus(first.engine).pending).toBe(1)
    expect(engineNextDue(first.engine)).toBeLessThanOrEqual(T0 + 6)
    const due = step({ _tag: 'Tick', now: T0 + 6 })(first.engine)
    const asked = idReqs(due.batches, R)
    expect(asked.length).toBe(1)
    expect(asked[0]?.slice(2)).toEqual([{ ids: [target], limit: 1 }])
    expect(engineFetchStatus(due.engine)).toMatchObject({ pending: 0, asked: 1 })
    const id = asked[0]?.[1] as string
    const end = step({ _tag: 'Eose', relay: R, id, events: [{ id: target, kind: 1, created_at: 5, pubkey: hex(1), tags: [] }], now: T0 + 7 })(due.engine)
    expect(end.batches.flatMap((b) => b.messages)).toContainEqual(['CLOSE', id])
    const history = O.toUndefined(engineRelay(R)(end.engine))?.connections.flatMap((c) => c.history) ?? []
    expect(history.filter((h) => h.slot.startsWith('f:'))).toEqual([])
    // the same issue again (the own relay read again): not asked again
    const again = step({ _tag: 'Events', events: [issue(ref('repo'), [['e', target]])], now: T0 + 100 })(end.engine)
    expect(engineFetchStatus(again.engine).pending).toBe(0)
  })

  it('with no delay the REQ goes out in the Events step itself', () => {
    const r = step({ _tag: 'Events', events: [issue(ref('repo'), [['e', hex(9)]])], now: T0 + 1 })(withRepo({ fetchTagged: { delay: 0 } }))
    expect(idReqs(r.batches, R).map((m) => m.slice(2))).toEqual([[{ ids: [hex(9)], limit: 1 }]])
  })

  it('an id that arrives before it is due is not asked; an id the index holds is never collected', () => {
    const e0 = withRepo({ fetchTagged: { delay: 5 } })
    const held = issue(ref('repo'), [], 150)
    const e1 = step({ _tag: 'Events', events: [held, issue(ref('repo'), [['e', hex(3)], ['e', held.id]])], now: T0 + 1 })(e0).engine
    expect(engineFetchStatus(e1).pending).toBe(1) // hex(3) only: the other is a root in the index
    const e2 = step({ _tag: 'Events', events: [{ id: hex(3), kind: 1111, pubkey: hex(1), created_at: 1, tags: [], content: '', sig: '' }], now: T0 + 2 })(e1).engine
    expect(engineFetchStatus(e2).pending).toBe(0)
    expect(idReqs(step({ _tag: 'Tick', now: T0 + 60 })(e2).batches, R)).toEqual([])
  })

  it('a root event of a repository that is not accepted tags nothing to fetch', () => {
    const e0 = step({ _tag: 'Events', events: [announce('other', [R], { listUs: false })], now: T0 })(syncEngine(config, { fetchTagged: { delay: 0 } })).engine
    const r = step({ _tag: 'Events', events: [issue(ref('other'), [['e', hex(4)]])], now: T0 + 1 })(e0)
    expect(engineFetchStatus(r.engine).pending + engineFetchStatus(r.engine).asked).toBe(0)
  })

  it('a q address (NIP-18) is asked as {kinds, authors, #d}; a q repository address the index holds is not', () => {
    const addr = `30023:${hex(5)}:note:1`
    const r = step({ _tag: 'Events', events: [issue(ref('repo'), [['q', addr], ['q', ref('repo')]])], now: T0 + 1 })(withRepo({ fetchTagged: { delay: 0 } }))
    const filters = reqs(r.batches, R).flatMap((m) => m.slice(2)).filter((f) => (f as { kinds?: Array<number> }).kinds?.[0] === 30023)
    expect(filters).toEqual([{ kinds: [30023], authors: [hex(5)], '#d': ['note:1'], limit: 1 }])
  })

  it('the per-event cap and the total cap leave values out and report them (fetch-cap)', () => {
    const tags = Array.from({ length: 8 }, (_, i) => ['e', hex(100 + i)])
    const r = step({ _tag: 'Events', events: [issue(ref('repo'), tags)], now: T0 + 1 })(withRepo({ fetchTagged: { perEvent: 5, total: 3, delay: 5 } }))
    expect(engineFetchStatus(r.engine)).toMatchObject({ pending: 3, dropped: 5 })
    expect(r.problems.find((p) => p.code === 'fetch-cap')?.message).toMatch(/3 over the per-event cap \(5\), 2 over the total cap \(3/)
  })

  it('fetchTagged: false turns it off', () => {
    const r = step({ _tag: 'Events', events: [issue(ref('repo'), [['e', hex(9)]])], now: T0 + 1 })(withRepo({ fetchTagged: false }))
    expect(engineFetchStatus(r.engine).pending).toBe(0)
  })
})

describe('each event read once (review #6)', () => {
  /** An accepted issue as a Proxy whose `tags` getter answers differently on every read. */
  const shifty = (extra: string) => {
    const real = issue(ref('repo'), [])
    const reads = { tags: 0 }
    const proxy = new Proxy(real, {
      get: (t, k) => {
        if (k !== 'tags') return Reflect.get(t, k)
        reads.tags++
        return reads.tags === 1 ? real.tags : [...real.tags, ['e', extra]]
      }
    })
    return { proxy, reads }
  }

  it('the index, fetching and discovery see the same copy: tags a second read would show are not fetched', () => {
    const x = hex(77)
    const { proxy, reads } = shifty(x)
    const e = step({ _tag: 'Events', events: [proxy], now: T0 + 1 })(withRepo({ fetchTagged: { delay: 0 } }))
    expect(e.rejected).toEqual([])
    expect(reads.tags).toBe(1)
    expect(engineFetchStatus(e.engine).pending + engineFetchStatus(e.engine).asked).toBe(0)
  })

  it('with discovery on too, one read per field; over-cap events are rejected as before (same rule), their tags never copied', () => {
    const { proxy, reads } = shifty(hex(78))
    const big = new Proxy([] as Array<unknown>, { get: (t, k) => (k === 'length' ? 2 ** 40 : Reflect.get(t, k)) })
    const capped = { ...issue(ref('repo'), []), tags: big }
    const e = step({ _tag: 'Events', events: [proxy, capped, 42, ['x']], now: T0 + 1 })(withRepo({ discovery: true }))
    expect(reads.tags).toBe(1)
    expect(e.rejected.map((r) => [r.code, r.rule])).toEqual([
      ['cap-exceeded', 'tagsPerEvent'],
      ['not-an-object', undefined],
      ['not-an-object', undefined]
    ])
  })
})

describe('refused-id memory', () => {
  it('an id the own relay refused is not asked for 7 days, then it may be again', () => {
    const target = hex(11)
    const e0 = step({ _tag: 'Refused', ids: [target, 'not an id'], now: T0 })(withRepo({ fetchTagged: { delay: 0 } })).engine
    expect(engineFetchStatus(e0).refused).toBe(1)
    const r1 = step({ _tag: 'Events', events: [issue(ref('repo'), [['e', target]])], now: T0 + 10 })(e0)
    expect(idReqs(r1.batches, R)).toEqual([])
    const later = T0 + 7 * 86_400 + 1
    const r2 = step({ _tag: 'Events', events: [issue(ref('repo'), [['e', target]], 201)], now: later })(settle(r1.engine, r1.batches, T0 + 10))
    expect(idReqs(r2.batches, R).map((m) => m.slice(2))).toEqual([[{ ids: [target], limit: 1 }]])
    expect(engineFetchStatus(r2.engine).refused).toBe(0)
  })

  it('a refusal cancels what waits; Refused without ids is an invalid input', () => {
    const e1 = step({ _tag: 'Events', events: [issue(ref('repo'), [['e', hex(12)]])], now: T0 + 1 })(withRepo({ fetchTagged: { delay: 5 } })).engine
    const e2 = step({ _tag: 'Refused', ids: [hex(12)], now: T0 + 2 })(e1).engine
    expect(engineFetchStatus(e2).pending).toBe(0)
    expect(step({ _tag: 'Refused', ids: 42 } as never)(e2).problems[0]?.code).toBe('invalid-input')
  })

  it('refused ids and asked values survive encodeEngine / decodeEngine (JSON)', () => {
    const e1 = step({ _tag: 'Events', events: [issue(ref('repo'), [['e', hex(13)]])], now: T0 + 1 })(withRepo({ fetchTagged: { delay: 0 } })).engine
    const e2 = step({ _tag: 'Refused', ids: [hex(14)], now: T0 + 2 })(e1).engine
    const snap = JSON.parse(JSON.stringify(encodeEngine(e2)))
    expect(snap.fetch).toEqual({ refused: [[hex(14), T0 + 2 + 7 * 86_400]], asked: [[hex(13), T0 + 1]] })
    const back = decodeEngine(snap, { config })
    expect(E.isRight(back) && engineFetchStatus(back.right)).toMatchObject({ refused: 1, asked: 1 })
    expect(E.isLeft(decodeEngine({ ...snap, fetch: { refused: [['x', 1]], asked: [] } }, { config }))).toBe(true)
  })
})

// -------------------------------------------------------------------------------------------------
// properties
// -------------------------------------------------------------------------------------------------

const tagArb = fc.oneof(
  fc.integer({ min: 0, max: 30 }).map((i) => ['e', hex(i)] as const),
  fc.integer({ min: 0, max: 30 }).map((i) => ['q', hex(i)] as const),
  fc.integer({ min: 0, max: 5 }).map((i) => ['q', `30023:${hex(i)}:d${i}`] as const),
  fc.constantFrom(['q', 'not an address'] as const, ['e', 'XYZ'] as const, ['q', `1:${hex(1)}:x`] as const, ['e', hex(0).toUpperCase()] as const)
)

describe('properties', () => {
  it('taggedKeys: at most perEvent values, each once, in tag order, never the event itself, the rest counted', () => {
    const stats = { capped: 0, duplicate: 0, self: 0, address: 0, invalid: 0 }
    fc.assert(
      fc.property(fc.array(tagArb, { maxLength: 40, size: 'max' }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 30 }), (tags, perEvent, selfN) => {
        const self = hex(selfN)
        const { keys, over } = taggedKeys(tags, self, perEvent)
        // the oracle: valid values in tag order, once, without self
        const valid = tags.filter(([n, v]) => /^[0-9a-f]{64}$/.test(v) || (n === 'q' && /^3\d{4}:[0-9a-f]{64}:/.test(v))).map(([, v]) => v)
        const unique = [...new Set(valid)].filter((v) => v !== self)
        expect(keys).toEqual(unique.slice(0, perEvent))
        expect(over).toBe(Math.max(0, unique.length - perEvent))
        if (over > 0) stats.capped++
        if (valid.length > new Set(valid).size) stats.duplicate++
        if (valid.includes(self)) stats.self++
        if (unique.some((k) => k.includes(':'))) stats.address++
        if (valid.length < tags.length) stats.invalid++
      }),
      { numRuns: 300 }
    )
    for (const [k, v] of Object.entries(stats)) expect(v, k).toBeGreaterThan(0)
  })

  it('collect through step: no value the index holds, none twice, pending within the total cap, dropped counts every value left out', () => {
    const stats = { heldSkipped: 0, capped: 0, plain: 0 }
    fc.assert(
      fc.property(
        // a tag names a random id, or (`{ root: j }`) the id of an earlier root event of the batch
        fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 7 }).map((root) => ({ root }))), { maxLength: 12, size: 'max' }), {
          minLength: 1,
          maxLength: 8,
          size: 'max'
        }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 30 }),
        (specs, perEvent, total) => {
          const options: EngineOptions = { fetchTagged: { perEvent, total, delay: 60 } }
          // every root event is in the index (and may be tagged by the others)
          const roots: Array<ReturnType<typeof issue>> = []
          const eventsTags: Array<Array<string>> = []
          for (const [i, spec] of specs.entries()) {
            const ids = spec.map((x) => (typeof x === 'number' ? hex(x) : x.root < i ? (roots[x.root]?.id as string) : hex(x.root)))
            eventsTags.push(ids)
            roots.push(issue(ref('repo'), ids.map((id) => ['e', id]), 300 + i))
          }
          const rootIds = new Set(roots.map((r) => r.id))
          const r = step({ _tag: 'Events', events: roots, now: T0 + 1 })(withRepo(options))
          const st = engineFetchStatus(r.engine)
          // the oracle: per event its first perEvent distinct ids (not itself), minus roots, in order, once, up to total
          const wanted: Array<string> = []
          let dropped = 0
          for (const [i, ids] of eventsTags.entries()) {
            const keys = [...new Set(ids)].filter((k) => k !== roots[i]?.id)
            dropped += Math.max(0, keys.length - perEvent)
            for (const k of keys.slice(0, perEvent)) {
              if (rootIds.has(k) || wanted.includes(k)) continue
              if (wanted.length >= total) dropped++
              else wanted.push(k)
            }
          }
          expect(st.pending).toBe(wanted.length)
          expect(st.dropped).toBe(dropped)
          expect(st.pending).toBeLessThanOrEqual(total)
          const due = step({ _tag: 'Tick', now: T0 + 61 })(r.engine)
          const asked = idReqs(due.batches, R).flatMap((m) => m.slice(2).flatMap((f) => (f as { ids: Array<string> }).ids))
          expect([...asked].sort()).toEqual([...wanted].sort())
          expect(new Set(asked).size).toBe(asked.length)
          if (eventsTags.some((ids) => ids.some((id) => rootIds.has(id)))) stats.heldSkipped++
          if (dropped > 0) stats.capped++
          else stats.plain++
        }
      ),
      { numRuns: 60 }
    )
    // and the smallest named case: an id tagging a root of the same batch is not fetched
    const a = issue(ref('repo'), [], 1)
    const b = issue(ref('repo'), [['e', a.id]], 2)
    expect(engineFetchStatus(step({ _tag: 'Events', events: [a, b], now: T0 + 1 })(withRepo({ fetchTagged: { delay: 60 } })).engine).pending).toBe(0)
    for (const [k, v] of Object.entries(stats)) expect(v, k).toBeGreaterThan(0)
  })

  it('refused memory: equals a model (until = now + refusedFor, oldest dropped past the cap, expired dropped), whatever the sequence', () => {
    const stats = { expired: 0, evicted: 0, refreshed: 0 }
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 50 }), ids: fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 5, size: 'max' }) }), { maxLength: 30, size: 'max' }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 100 }),
        (steps, maxRefused, refusedFor) => {
          const o = readFetchOptions({ maxRefused, refusedFor })
          let f: FetchState = emptyFetch
          let model: Array<[string, number]> = []
          let now = 0
          for (const s of steps) {
            now += s.dt
            f = addRefused(f, s.ids.map(hex), now, o)
            for (const id of s.ids.map(hex)) {
              if (model.some(([k]) => k === id)) stats.refreshed++
              model = model.filter(([k]) => k !== id)
              model.push([id, now + refusedFor])
            }
            if (model.length > maxRefused) stats.evicted++
            model = model.slice(-maxRefused)
            const before = model.length
            model = model.filter(([, until]) => until > now)
            if (model.length < before) stats.expired++
            expect([...f.refused.entries()]).toEqual(model)
          }
          expect([...expireRefused(f, now + refusedFor).refused.keys()]).toEqual([])
        }
      ),
      { numRuns: 200 }
    )
    for (const [k, v] of Object.entries(stats)) expect(v, k).toBeGreaterThan(0)
  })
})

// -------------------------------------------------------------------------------------------------
// discovery
// -------------------------------------------------------------------------------------------------

const MAINT = 'a1'.repeat(32)
const listEvent = (pubkey: string, created_at: number, relays: ReadonlyArray<string>, salt = '') =>
  finish({ kind: 10317, pubkey, created_at, content: salt, tags: relays.map((r) => ['g', r]) })

describe('kind 10317 discovery', () => {
  it('decodeGraspList: g values in order, canonical, once, capped; anything else is not a list', () => {
    const l = decodeGraspList(listEvent(MAINT, 5, ['wss://G.example/', 'wss://g.example', 'https://x.example', 'wss://h.example']))
    expect(l?.relays).toEqual(['wss://g.example', 'wss://h.example'])
    expect(decodeGraspList(new Proxy({}, { get: () => { throw new Error('no') } }))).toBeUndefined()
    expect(decodeGraspList({ ...listEvent(MAINT, 5, []), kind: 3 })).toBeUndefined()
  })

  it('off by default; on, a maintainer of an accepted repository is asked for on the relays of their list', () => {
    const events = [announce('repo', [R]), listEvent(MAINT, 10, [R2, OWN, 'wss://127.0.0.1:1'])]
    const off = step({ _tag: 'Events', events, now: T0 })(syncEngine(config))
    expect(reqs(off.batches, R2)).toEqual([])
    const on = step({ _tag: 'Events', events, now: T0 })(syncEngine(config, { discovery: true }))
    expect(reqs(on.batches, R2).map((m) => m.slice(2))).toEqual([[{ kinds: [30617], authors: [MAINT], limit: 0 }], [{ kinds: [30617], authors: [MAINT], limit: 500 }]])
    expect(engineFetchStatus(on.engine).discoveryRelays).toEqual([R2])
    // a newer list without R2: its connection closes
    const moved = step({ _tag: 'Events', events: [listEvent(MAINT, 11, ['wss://r3.example'])], now: T0 + 1 })(on.engine)
    expect(moved.batches.find((b) => b.relay === R2)?.connection).toBe('close')
    expect(engineFetchStatus(moved.engine).discoveryRelays).toEqual(['wss://r3.example'])
    // an older list changes nothing
    const old = step({ _tag: 'Events', events: [listEvent(MAINT, 9, [R2])], now: T0 + 2 })(moved.engine)
    expect(old.batches).toEqual([])
  })

  it('the latest list per author wins, whatever the order and the batches (replaceable order; equal times: lower id)', () => {
    const o = readDiscoveryOptions(true)
    const stats = { tie: 0, several: 0 }
    fc.assert(
      fc.property(
        fc.array(fc.record({ who: fc.integer({ min: 0, max: 3 }), at: fc.integer({ min: 1, max: 4 }), relay: fc.integer({ min: 0, max: 5 }) }), { minLength: 1, maxLength: 16, size: 'max' }),
        fc.integer({ min: 1, max: 4 }),
        (specs, cuts) => {
          const lists = specs.map((s, i) => listEvent(hex(s.who + 1), s.at, [`wss://r${s.relay}.example`], String(i)))
          const shuffled = [...lists].reverse()
          const size = Math.ceil(shuffled.length / cuts)
          let split = IMap<string, GraspList>()
          for (let i = 0; i < shuffled.length; i += size) split = readLists(split, shuffled.slice(i, i + size), false, o).lists
          const whole = readLists(IMap(), lists, false, o).lists
          expect(split.toJS()).toEqual(whole.toJS())
          for (const [pk, l] of whole) {
            const mine = lists.filter((e) => e.pubkey === pk)
            const best = mine.reduce((a, b) => (b.created_at > a.created_at || (b.created_at === a.created_at && b.id < a.id) ? b : a))
            expect(l.id).toBe(best.id)
            if (mine.length > 1) stats.several++
            if (mine.filter((e) => e.created_at === best.created_at).length > 1) stats.tie++
          }
        }
      ),
      { numRuns: 200 }
    )
    for (const [k, v] of Object.entries(stats)) expect(v, k).toBeGreaterThan(0)
  })

  it('authorsPerRelay: at most relaysPerList usable relays per list, in its order; own hosts and refused relays skipped', () => {
    const c = resolveConfig(config)
    const lists = IMap<string, GraspList>([[MAINT, { id: hex(1), pubkey: MAINT, createdAt: 1, relays: [OWN, 'ws://10.0.0.1', R, R2, 'wss://r3.example'] as never }]])
    const per = authorsPerRelay(c, lists, new Set([MAINT, hex(2)]), readDiscoveryOptions({ relaysPerList: 2 }))
    expect([...per.entries()]).toEqual([[R, [MAINT]], [R2, [MAINT]]])
  })
})

describe('fetch by id under any limits', () => {
  it('every REQ fits the relay limits, every tagged value is asked exactly once, and the relay settles', async () => {
    const { checkMessage } = await import('../../../src/index.js')
    const stats = { chunked: 0, addresses: 0, oneReq: 0 }
    fc.assert(
      fc.property(
        fc.record({
          maxValuesPerList: fc.integer({ min: 1, max: 8 }),
          maxFiltersPerReq: fc.integer({ min: 1, max: 4 }),
          maxMessageBytes: fc.integer({ min: 2048, max: 6000 }),
          maxLimit: fc.integer({ min: 1, max: 50 })
        }),
        fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 60 }).map((n) => ['e', hex(n)]), fc.integer({ min: 0, max: 6 }).map((n) => ['q', `30023:${hex(n + 1)}:n${n}`])), { maxLength: 10, size: 'max' }), { minLength: 1, maxLength: 6, size: 'max' }),
        (limits, tagLists) => {
          const options: EngineOptions = { fetchTagged: { delay: 0 }, limits }
          const roots = tagLists.map((tags, i) => issue(ref('repo'), tags, 400 + i))
          const r = step({ _tag: 'Events', events: roots, now: T0 + 1 })(withRepo(options))
          const all: Array<RelayBatch> = [...r.batches]
          // answer everything (empty pages) until quiet, collecting every batch
          let e = r.engine
          let todo = [...r.batches]
          for (let round = 0; round < 200 && todo.length > 0; round++) {
            const next: Array<RelayBatch> = []
            for (const b of todo)
              for (const m of b.messages)
                if (m[0] === 'REQ') {
                  const s = step({ _tag: 'Eose', relay: b.relay, socket: b.socket, id: m[1], events: [], now: T0 + 2 })(e)
                  e = s.engine
                  next.push(...s.batches)
                }
            all.push(...next)
            todo = next
          }
          const lim = O.toUndefined(engineRelay(R)(e))?.limits
          for (const b of all) for (const m of b.messages) expect(checkMessage(b.relay === R ? lim : undefined)(m), JSON.stringify(m)).toEqual([])
          const filters = all.filter((b) => b.relay === R).flatMap((b) => b.messages.filter((m) => m[0] === 'REQ').flatMap((m) => m.slice(2))) as Array<Record<string, unknown>>
          const askedIds = filters.flatMap((f) => (Array.isArray(f['ids']) ? (f['ids'] as Array<string>) : []))
          const askedAddrs = filters.filter((f) => (f['kinds'] as Array<number> | undefined)?.[0] === 30023).map((f) => `30023:${(f['authors'] as Array<string>)[0]}:${(f['#d'] as Array<string>)[0]}`)
          const rootIds = new Set(roots.map((x) => x.id))
          const expected = new Set(tagLists.flatMap((tags) => [...new Set(tags.map((t) => t[1] as string))].slice(0, 20)).filter((v) => !rootIds.has(v)))
          expect(new Set([...askedIds, ...askedAddrs])).toEqual(expected)
          expect(askedIds.length).toBe(new Set(askedIds).size)
          expect(O.toUndefined(engineRelay(R)(e))?.historyLeft).toBe(0)
          if (filters.filter((f) => Array.isArray(f['ids'])).length > 1) stats.chunked++
          if (askedAddrs.length > 0) stats.addresses++
          if (askedIds.length > 0 && filters.filter((f) => Array.isArray(f['ids'])).length === 1) stats.oneReq++
        }
      ),
      { numRuns: 40 }
    )
    for (const [k, v] of Object.entries(stats)) expect(v, k).toBeGreaterThan(0)
  })
})

describe('kind 10317 discovery: reconnect', () => {
  it('a relay only a GRASP list names resumes its maintainers history from its last EOSE after a drop', () => {
    const events = [announce('repo', [R]), listEvent(MAINT, 10, [R2])]
    const first = step({ _tag: 'Events', events, now: T0 })(syncEngine(config, { discovery: true, retryDelay: 1 }))
    const e1 = settle(first.engine, first.batches, T0 + 10)
    const dropped = step({ _tag: 'Disconnected', relay: R2, socket: 0, now: T0 + 20 })(e1)
    const back = step({ _tag: 'Tick', now: T0 + 100 })(dropped.engine)
    const filters = reqs(back.batches, R2).map((m) => m.slice(2))
    expect(filters).toContainEqual([{ kinds: [30617], authors: [MAINT], limit: 0 }])
    expect(filters).toContainEqual([{ kinds: [30617], authors: [MAINT], since: T0 + 10 - 900, limit: 500 }])
  })
})

describe('settled', () => {
  it('an engine is not settled while a tagged value waits for its delay, and is once it is fetched', async () => {
    const { isSettled } = await import('../../../src/index.js')
    const r = step({ _tag: 'Events', events: [issue(ref('repo'), [['e', hex(21)]])], now: T0 + 1 })(withRepo({ fetchTagged: { delay: 30 } }))
    const e1 = settle(r.engine, r.batches, T0 + 2)
    expect(engineFetchStatus(e1).pending).toBe(1)
    expect(isSettled(e1)).toBe(false)
    const due = step({ _tag: 'Tick', now: T0 + 31 })(e1)
    expect(isSettled(settle(due.engine, due.batches, T0 + 32))).toBe(true)
  })
})

describe('kind 10317 discovery through step', () => {
  it('the relays asked and their authors do not depend on the order or the batches of the lists and announcements', () => {
    const M2 = 'b2'.repeat(32)
    const relaysArb = fc.subarray(['wss://d1.example', 'wss://d2.example', 'wss://d3.example', 'wss://d4.example'], { minLength: 1 })
    const stats = { moved: 0, twoAuthors: 0 }
    fc.assert(
      fc.property(
        fc.array(fc.record({ who: fc.constantFrom(MAINT, M2), at: fc.integer({ min: 1, max: 4 }), relays: relaysArb }), { minLength: 1, maxLength: 6, size: 'max' }),
        fc.integer({ min: 1, max: 3 }),
        (specs, cuts) => {
          const lists = specs.map((s, i) => listEvent(s.who, s.at, s.relays, String(i)))
          const events: Array<unknown> = [announce('repo', [R]), announce('other', [R], { pubkey: M2 }), ...lists]
          const run = (evs: ReadonlyArray<unknown>, k: number) => {
            let e: SyncEngine = syncEngine(config, { discovery: { relaysPerList: 2 } })
            const size = Math.ceil(evs.length / k)
            for (let i = 0; i < evs.length; i += size) e = step({ _tag: 'Events', events: evs.slice(i, i + size), now: T0 + i })(e).engine
            const out: Record<string, unknown> = {}
            for (const relay of engineFetchStatus(e).discoveryRelays)
              out[relay] = O.toUndefined(engineRelay(relay)(e))?.plan.flat().filter((s) => s.slot.startsWith('g:')).map((s) => s.filters)
            return out
          }
          const a = run(events, 1)
          const b = run([...events].reverse(), cuts)
          expect(b).toEqual(a)
          if (new Set(specs.filter((s) => s.who === MAINT).map((s) => s.relays.join())).size > 1) stats.moved++
          if (Object.values(a).some((subs) => JSON.stringify(subs).includes(M2) && JSON.stringify(subs).includes(MAINT))) stats.twoAuthors++
        }
      ),
      { numRuns: 60 }
    )
    for (const [k, v] of Object.entries(stats)) expect(v, k).toBeGreaterThan(0)
  })
})
