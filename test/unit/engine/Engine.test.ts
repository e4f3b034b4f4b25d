/**
 * The engine: one test per kind of input, the defects of issue 9 (points 3 and 4) as named
 * tests, overflow over several connections, and totality.
 */
import { describe, expect, it } from 'vitest'
import { option as O } from 'fp-ts'
import {
  DEFAULT_RECONNECT_WINDOW,
  emptySyncEngine,
  engineApplied,
  engineDesired,
  engineRelay,
  engineRelays,
  emptySyncState,
  eqRelayIndex,
  isSettled,
  nextBatches,
  syncTargets,
  limitsFromRelayInfo,
  relayRepos,
  step,
  syncEngine,
  type RelayStatus,
  type SyncEngine
} from '../../../src/index.js'
import { BOOTSTRAP, OWN, finish } from '../../support/arbitraries.js'
import { announce, rootEvent } from '../../support/helpers.js'
import { Host } from '../../support/engineSim.js'

const R = 'wss://r1.example'
const T0 = 1_700_000_000
const config = { ownRelays: [OWN], bootstrapRelays: [BOOTSTRAP], verify: false }
const pkOf = (i: number) => i.toString(16).padStart(64, '0')
const repos = (n: number, relay = R, offset = 0) => Array.from({ length: n }, (_, i) => announce(`r${i + offset}`, [relay], { pubkey: pkOf(i + offset + 1) }))
const status = (e: SyncEngine, relay = R): RelayStatus => O.toUndefined(engineRelay(relay)(e)) as RelayStatus
const liveOf = (e: SyncEngine, relay = R, socket = 0) => status(e, relay).connections[socket]?.live ?? []
const historyOf = (e: SyncEngine, relay = R, socket = 0) => status(e, relay).connections[socket]?.history ?? []

describe('engine: one test per input', () => {
  it('Events: a new relay is opened with its live plan and the history of what was added, from the beginning', () => {
    const h = new Host(syncEngine(config))
    const r = h.step({ _tag: 'Events', events: repos(2), now: T0 })
    const batch = r.batches.find((b) => b.relay === R)!
    expect(batch.connection).toBe('open')
    expect(batch.socket).toBe(0)
    expect(batch.actions.map((a) => a._tag)).toEqual(['SpawnRelay'])
    const reqs = batch.messages.filter((m) => m[0] === 'REQ')
    const live = reqs.filter((m) => m[1].startsWith('n34l'))
    const hist = reqs.filter((m) => m[1].startsWith('n34h'))
    expect(live.length).toBe(batch.plan.subscriptions.length)
    expect(hist.length).toBeGreaterThan(0)
    // no REQ of the main path has limit 0 only: history is asked for (limit = maxLimit, no since)
    for (const m of hist) for (const f of m.slice(2) as Array<{ limit?: number; since?: number }>) expect([f.limit, f.since]).toEqual([500, undefined])
    expect(batch.history.map((s) => s.id)).toEqual(hist.map((m) => m[1]))
    expect(relayRepos(R)(engineDesired(h.engine))).toHaveLength(2)
    expect(h.net.violations).toEqual([])
  })

  it('Events: new root events add their history and change one live slot; the rest is not re-sent', () => {
    const h = new Host(syncEngine(config))
    const anns = repos(3)
    h.step({ _tag: 'Events', events: anns, now: T0 })
    h.settle()
    expect(isSettled(h.engine)).toBe(true)
    const ref = `30617:${pkOf(1)}:r0`
    const r = h.step({ _tag: 'Events', events: [rootEvent(1617, [ref])], now: T0 + 10 })
    const b = r.batches.find((x) => x.relay === R)!
    expect(b.connection).toBe('keep')
    expect(b.actions.map((a) => a._tag)).toEqual(['AddFilters'])
    const live = b.messages.filter((m) => m[0] === 'REQ' && m[1].startsWith('n34l'))
    expect(live).toHaveLength(1)
    expect(b.history.length).toBeGreaterThan(0)
    h.settle()
    expect(isSettled(h.engine)).toBe(true)
    expect(eqRelayIndex.equals(engineApplied(h.engine), engineDesired(h.engine))).toBe(true)
  })

  it('Eose: confirms a live attempt; an id the engine does not know changes nothing', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(1), now: T0 })
    const [first] = liveOf(h.engine)
    expect(first?.status).toBe('pending')
    const before = h.engine
    expect(step({ _tag: 'Eose', relay: R, id: 'n34lnever', now: T0 })(before).engine).toBe(before)
    h.step({ _tag: 'Eose', relay: R, id: first!.id, now: T0 + 1 })
    expect(liveOf(h.engine).find((l) => l.id === first!.id)?.status).toBe('open')
    expect(status(h.engine).lastEose).toBe(T0 + 1)
  })

  it('Eose of a history page: pages on with until, and ends (CLOSE) on an empty page', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(1), now: T0 })
    const run = historyOf(h.engine)[0]!
    const page = Array.from({ length: 500 }, (_, i) => ({ id: pkOf(1000 + i), pubkey: pkOf(1), kind: 30617, created_at: 1000 + i, tags: [['d', 'x']], content: '', sig: '' }))
    const r = h.step({ _tag: 'Eose', relay: R, id: run.id, events: page, now: T0 + 1 })
    const req = r.batches[0]!.messages.find((m) => m[0] === 'REQ' && m[1] === run.id)!
    expect((req[2] as { until?: number }).until).toBe(1000)
    const end = h.step({ _tag: 'Eose', relay: R, id: run.id, events: [], now: T0 + 2 })
    expect(end.batches[0]!.messages[0]).toEqual(['CLOSE', run.id])
  })

  it('Closed: the attempt is retried after a backoff, under a new id; the reason is reported', () => {
    const h = new Host(syncEngine(config, { retryDelay: 10 }))
    h.step({ _tag: 'Events', events: repos(1), now: T0 })
    const [l] = liveOf(h.engine)
    h.net.refuse(R, 0, l!.id)
    const r = h.step({ _tag: 'Closed', relay: R, id: l!.id, reason: 'error: shutting down', now: T0 + 1 })
    expect(r.problems).toEqual([{ code: 'closed', relay: R, socket: 0, message: 'error: shutting down', value: l!.id }])
    expect(r.batches.flatMap((b) => b.messages).filter((m) => m[1] === l!.id || m[0] === 'REQ')).toEqual([])
    expect(h.step({ _tag: 'Tick', now: T0 + 5 }).batches).toEqual([])
    const retry = h.step({ _tag: 'Tick', now: T0 + 11 })
    const reqs = retry.batches.flatMap((b) => b.messages)
    expect(reqs.map((m) => m[0])).toEqual(['REQ'])
    expect(reqs[0]![1]).not.toBe(l!.id)
    expect(h.net.violations).toEqual([])
  })

  it('Notice: one that says nothing about a limit is reported, nothing changes (refusals: feedback.test.ts)', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(1), now: T0 })
    const before = h.engine
    const r = step({ _tag: 'Notice', relay: R, message: 'ERROR: bad message', now: T0 })(before)
    expect(r.engine).toBe(before)
    expect(r.problems).toEqual([{ code: 'notice', relay: R, socket: 0, message: 'ERROR: bad message' }])
  })

  it('Timeout: every pending attempt of the connection is closed and sent again under a new id', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(1), now: T0 })
    const old = liveOf(h.engine).map((l) => l.id)
    const r = h.step({ _tag: 'Timeout', relay: R, now: T0 + 30 })
    const msgs = r.batches.flatMap((b) => b.messages)
    for (const id of old) expect(msgs).toContainEqual(['CLOSE', id])
    const fresh = liveOf(h.engine).map((l) => l.id)
    for (const id of fresh) expect(old).not.toContain(id)
    expect(msgs.findIndex((m) => m[0] === 'REQ')).toBeGreaterThan(msgs.map((m) => m[0]).lastIndexOf('CLOSE'))
    expect(h.net.violations).toEqual([])
  })

  it('Disconnected / Connected: reopens after a backoff with the live plan, and history from the last EOSE minus the window', () => {
    const h = new Host(syncEngine(config, { retryDelay: 5 }))
    h.step({ _tag: 'Events', events: repos(2), now: T0 })
    h.settle()
    const lastEose = status(h.engine).lastEose!
    const t = h.now
    h.net.drop(R, 0)
    const r = h.step({ _tag: 'Disconnected', relay: R, now: t + 100 })
    expect(r.batches).toEqual([])
    expect(status(h.engine).connections[0]?.up).toBe(false)
    expect(h.step({ _tag: 'Tick', now: t + 101 }).batches).toEqual([])
    const back = h.step({ _tag: 'Tick', now: t + 106 })
    const b = back.batches.find((x) => x.relay === R)!
    expect(b.connection).toBe('open')
    expect(b.messages.filter((m) => m[1].startsWith('n34l')).length).toBe(b.plan.subscriptions.length)
    const since = lastEose - DEFAULT_RECONNECT_WINDOW
    for (const s of b.history) for (const f of s.filters) expect(f.since).toBe(since)
    // a second drop right away backs off longer; Connected resets it
    h.net.drop(R, 0)
    h.step({ _tag: 'Disconnected', relay: R, now: t + 107 })
    expect(h.step({ _tag: 'Tick', now: t + 113 }).batches).toEqual([])
    const again = h.step({ _tag: 'Tick', now: t + 118 })
    expect(again.batches[0]?.connection).toBe('open')
    h.step({ _tag: 'Connected', relay: R, now: t + 118 })
    h.settle()
    expect(isSettled(h.engine)).toBe(true)
    expect(h.net.violations).toEqual([])
  })

  it('Tick: without a time it is reported; with nothing due it sends nothing', () => {
    const e = syncEngine(config)
    expect(step({ _tag: 'Tick' } as never)(e).problems[0]?.code).toBe('invalid-input')
    expect(step({ _tag: 'Tick', now: T0 })(e).batches).toEqual([])
  })
})

describe('engine: purgatory (GRASP-01)', () => {
  it('Held: a repository waiting for its git data is synced state-only; once released, in full, with its history from the beginning', () => {
    const h = new Host(syncEngine(config))
    const ref = `30617:${pkOf(1)}:r0`
    h.step({ _tag: 'Held', repos: [ref], now: T0 })
    h.step({ _tag: 'Events', events: [...repos(2), rootEvent(1617, [ref])], now: T0 })
    h.settle()
    expect(isSettled(h.engine)).toBe(true)
    const filters = () => status(h.engine).plan.flat().flatMap((s) => s.filters) as Array<Record<string, unknown>>
    expect(filters().some((f) => (f['#a'] as Array<string> | undefined)?.includes(ref))).toBe(false)
    expect(filters().some((f) => (f['authors'] as Array<string> | undefined)?.includes(pkOf(1)))).toBe(true)
    const r = h.step({ _tag: 'Held', repos: [], now: T0 + 10 })
    expect(filters().some((f) => (f['#a'] as Array<string> | undefined)?.includes(ref))).toBe(true)
    const b = r.batches.find((x) => x.relay === R)!
    const history = b.history.flatMap((s) => s.filters) as Array<Record<string, unknown>>
    expect(history.some((f) => (f['#a'] as Array<string> | undefined)?.includes(ref) && f['since'] === undefined)).toBe(true)
    h.settle()
    expect(isSettled(h.engine)).toBe(true)
    expect(step({ _tag: 'Held', repos: [] })(h.engine).engine).toBe(h.engine)
    expect(step({ _tag: 'Held', repos: 42 } as never)(h.engine).problems[0]?.code).toBe('invalid-input')
  })
})

describe('issue 9.3: new limits re-plan a relay whose target did not change', () => {
  it('after max_subscriptions 5 and max_filters 10 arrive, every REQ has at most 10 filters and no connection holds more than 5 subscriptions', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(60), now: T0 })
    h.settle()
    expect(isSettled(h.engine)).toBe(true)
    const before = engineDesired(h.engine)
    const { limits } = limitsFromRelayInfo({ limitation: { max_subscriptions: 5, max_filters: 10 } })
    // the old plan: more than 5 subscriptions, REQs of more than 10 filters
    const open = [...h.net.conns.entries()].filter(([k]) => k.startsWith(R)).map(([, c]) => [...c.open.values()])
    expect(open.flat().some((f) => f.length > 10) || open.some((c) => c.length > 5)).toBe(true)
    h.net.limits.set(R, limits)
    const r = h.step({ _tag: 'Limits', relay: R, limits, now: T0 + 50 })
    expect(r.batches.length).toBeGreaterThan(0)
    expect(engineDesired(h.engine)).toBe(before)
    h.settle()
    expect(isSettled(h.engine)).toBe(true)
    for (const [key, c] of h.net.conns) {
      if (!key.startsWith(R)) continue
      expect(c.open.size).toBeLessThanOrEqual(5)
      for (const filters of c.open.values()) expect(filters.length).toBeLessThanOrEqual(10)
    }
    expect(h.net.violations).toEqual([])
  })
})

describe('issue 9.4: every answer belongs to exactly one attempt', () => {
  it('a late EOSE of a timed-out attempt does not confirm the retry', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(1), now: T0 })
    const old = liveOf(h.engine)[1]!
    h.step({ _tag: 'Timeout', relay: R, id: old.id, now: T0 + 30 })
    const retry = liveOf(h.engine).find((l) => l.slot === old.slot)!
    expect(retry.id).not.toBe(old.id)
    h.step({ _tag: 'Eose', relay: R, id: old.id, now: T0 + 31 })
    expect(liveOf(h.engine).find((l) => l.slot === old.slot)?.status).toBe('pending')
    h.step({ _tag: 'Eose', relay: R, id: retry.id, now: T0 + 32 })
    expect(liveOf(h.engine).find((l) => l.slot === old.slot)?.status).toBe('open')
  })

  it('a late CLOSED of a timed-out attempt does not fail the retry', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(1), now: T0 })
    const old = liveOf(h.engine)[1]!
    h.step({ _tag: 'Timeout', relay: R, id: old.id, now: T0 + 30 })
    const before = h.engine
    const r = h.step({ _tag: 'Closed', relay: R, id: old.id, reason: 'error: too slow', now: T0 + 31 })
    expect(r.engine).toBe(before)
    expect(liveOf(h.engine).find((l) => l.slot === old.slot)?.status).toBe('pending')
  })

  it('a late EOSE of a timed-out history REQ cannot end that history', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(1), now: T0 })
    const old = historyOf(h.engine)[0]!
    h.step({ _tag: 'Timeout', relay: R, id: old.id, now: T0 + 30 })
    const retry = historyOf(h.engine).find((x) => x.slot === old.slot)!
    expect(retry.id).not.toBe(old.id)
    // the old attempt's EOSE with an empty page would end paging, were it taken for the retry's
    const r = h.step({ _tag: 'Eose', relay: R, id: old.id, events: [], now: T0 + 31 })
    expect(r.batches).toEqual([])
    expect(historyOf(h.engine).find((x) => x.slot === old.slot)).toEqual(retry)
  })

  it('a CLOSED of a live subscription after its EOSE (the relay dropped it) re-sends it under a new id', () => {
    const h = new Host(syncEngine(config, { retryDelay: 1 }))
    h.step({ _tag: 'Events', events: repos(1), now: T0 })
    h.settle()
    const l = liveOf(h.engine)[1]!
    h.net.refuse(R, 0, l.id)
    h.step({ _tag: 'Closed', relay: R, id: l.id, reason: 'error: restarted', now: h.now })
    h.settle()
    expect(isSettled(h.engine)).toBe(true)
    expect(liveOf(h.engine).find((x) => x.slot === l.slot)?.id).not.toBe(l.id)
  })
})

describe('overflow is planned and tracked: further connections', () => {
  it('1 000 repositories of distinct owners on one relay fit the default connections (8) under the default limits with exact filters, each within its budget', () => {
    const h = new Host(syncEngine(config, { strategy: 'exact' }))
    const r = h.step({ _tag: 'Events', events: repos(1000), now: T0 })
    expect(r.problems.filter((p) => p.code === 'over-budget')).toEqual([])
    const st = status(h.engine)
    expect(st.overflow).toEqual([])
    expect(st.plan.length).toBeGreaterThan(1)
    expect(st.plan.length).toBeLessThanOrEqual(8)
    console.log(`1 000 repositories of distinct owners: ${st.plan.length} connections, ${st.plan.flat().length} live subscriptions`)
    expect(r.batches.filter((b) => b.relay === R).map((b) => b.socket)).toEqual(st.plan.map((_, i) => i))
    h.settle(400)
    expect(isSettled(h.engine)).toBe(true)
    expect(h.net.violations).toEqual([])
    expect(h.net.peak).toBeLessThanOrEqual(20)
  })

  it('the 0.1 path (nextBatches) sends one connection’s budget and leaves the rest untracked: the defect the engine fixes', () => {
    const h = new Host(syncEngine(config))
    h.step({ _tag: 'Events', events: repos(1000), now: T0 })
    const [old] = nextBatches(syncTargets(engineDesired(h.engine)))(emptySyncState).filter((b) => b.relay === R)
    expect(old!.messages.filter((m) => m[0] === 'REQ')).toHaveLength(18)
    expect(old!.plan.overflow.length).toBeGreaterThan(0)
    const covered = (subs: ReadonlyArray<{ filters: ReadonlyArray<unknown> }>) =>
      new Set(subs.flatMap((s) => s.filters as Array<{ '#a'?: Array<string> }>).flatMap((f) => f['#a'] ?? []))
    const onePlan = covered(old!.plan.subscriptions).size
    const engineCovers = covered(status(h.engine).plan.flat()).size
    expect(onePlan).toBeLessThan(400)
    expect(engineCovers).toBe(1000)
  })

  it('past maxConnectionsPerRelay the rest is reported, never sent over the budget', () => {
    const h = new Host(syncEngine(config, { maxConnectionsPerRelay: 1, strategy: 'exact' }))
    const r = h.step({ _tag: 'Events', events: repos(400), now: T0 })
    expect(r.problems.map((p) => p.code)).toContain('over-budget')
    expect(status(h.engine).plan).toHaveLength(1)
    expect(status(h.engine).overflow.length).toBeGreaterThan(0)
    h.settle(400)
    expect(h.net.violations).toEqual([])
  })

  it('when the plan shrinks, the connections it no longer needs are closed', () => {
    const h = new Host(syncEngine(config, { strategy: 'exact' }))
    h.step({ _tag: 'Events', events: repos(400), now: T0 })
    h.settle(400)
    const n = status(h.engine).plan.length
    expect(n).toBeGreaterThan(1)
    // every repository but one is deleted by its author (NIP-09 by address)
    const deletions = Array.from({ length: 399 }, (_, i) =>
      finish({ kind: 5, pubkey: pkOf(i + 2), created_at: 300, content: '', tags: [['a', `30617:${pkOf(i + 2)}:r${i + 1}`]] })
    )
    const r = h.step({ _tag: 'Events', events: deletions, now: T0 + 10 })
    expect(r.batches.filter((b) => b.connection === 'close').length).toBe(n - 1)
    h.settle()
    expect(status(h.engine).plan).toHaveLength(1)
    expect(isSettled(h.engine)).toBe(true)
  })
})

describe('totality', () => {
  const trap = () =>
    new Proxy({}, { get: () => { throw new Error('trap') }, ownKeys: () => { throw new Error('trap') } })

  it('a value that is not an engine reads as the empty engine', () => {
    for (const bad of [null, 42, 'x', {}, { _tag: 'SyncEngine' }, trap()]) {
      expect(engineRelays(bad as never)).toEqual([])
      expect(isSettled(bad as never)).toBe(true)
      const next = step({ _tag: 'Tick', now: T0 })(bad as never)
      expect(isSettled(next.engine)).toBe(true)
      expect(engineRelays(next.engine)).toEqual([])
      expect(step({ _tag: 'Notice', relay: R, message: 'x' })(bad as never).engine).toBe(emptySyncEngine)
    }
  })

  it('inputs that are not inputs are reported and change nothing; nothing throws', () => {
    const e = syncEngine(config)
    for (const bad of [null, 42, {}, { _tag: 'Eose' }, { _tag: 'Events', events: trap() }, trap(), { _tag: 'Eose', relay: R, socket: -1, id: 'x' }])
      expect(step(bad as never)(e).engine).toBe(e)
    expect(step({ _tag: 'Events', events: 'x' } as never)(e).problems[0]?.code).toBe('invalid-input')
    expect(step({ _tag: 'Events', events: [trap(), null, 42] })(e).rejected.length).toBe(3)
    expect(step({ _tag: 'Limits', relay: R, limits: trap() } as never)(e).engine).not.toBe(undefined)
  })
})

describe('README: the main path', () => {
  it('type-checks against the library (the sockets, log and timer are declared)', async () => {
    const { readFileSync, mkdtempSync, writeFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { fileURLToPath } = await import('node:url')
    const ts = (await import('typescript')).default
    const root = fileURLToPath(new URL('../../..', import.meta.url))
    const md = readFileSync(join(root, 'README.md'), 'utf8')
    const code = /```ts\n(import \{ limitsFromRelayInfo, step, syncEngine[\s\S]*?)```/.exec(md)?.[1] ?? ''
    expect(code).toContain('step(input)(engine)')
    const file = join(mkdtempSync(join(tmpdir(), 'nip34-readme-')), 'main.mts')
    const declarations = `
declare const log: { warn: (...a: Array<unknown>) => void }
declare const inbox: Array<unknown>
declare const every: (ms: number, f: () => void) => void
declare const sockets: {
  send(relay: string, socket: number, frame: string): void
  close(relay: string, socket: number): void
  on(kind: 'EVENT', f: (relay: string, socket: number, id: string, event: unknown) => void): void
  on(kind: 'EOSE' | 'timeout', f: (relay: string, socket: number, id: string) => void): void
  on(kind: 'CLOSED', f: (relay: string, socket: number, id: string, reason: string) => void): void
  on(kind: 'NOTICE', f: (relay: string, socket: number, message: string) => void): void
  on(kind: 'open' | 'drop', f: (relay: string, socket: number) => void): void
  on(kind: 'nip11', f: (relay: string, doc: unknown) => void): void
}
export {}
`
    writeFileSync(file, code.replace("from 'nip34-sync'", `from '${join(root, 'src/index.ts')}'`) + declarations)
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      verbatimModuleSyntax: true,
      allowImportingTsExtensions: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node']
    })
    const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    expect(errors).toEqual([])
  }, 240_000)
})
