/**
 * Issue 9.4: every answer belongs to exactly one attempt, case by case and as a law.
 */
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { function as F } from 'fp-ts'
import type { RelayIndex } from '../../../../src/relays/RelayIndex.js'
import {
  appliedTargets,
  closed,
  confirm,
  disconnected,
  emptySyncState,
  eqSyncTargets,
  fail,
  inFlight,
  markSent,
  nextBatches,
  openSubscriptions,
  syncTargets,
  withPurgatory,
  type SyncTargets
} from '../../../../src/engine/Lifecycle.js'
import { indexArb, rootId } from '../../../support/wire.arbitraries.js'
import { R, ref, index, T0, sync, reqIds, only } from './helpers.js'

describe('issue 9.4 (deprecated lifecycle): every answer belongs to exactly one attempt', () => {
  const desired = syncTargets(index([R, [ref(1), ref(2)], { [ref(1)]: [rootId(1)] }]))
  /** A batch sent, timed out (`fail`), and its retry sent. */
  const retried = () => {
    const first = only(nextBatches(desired)(emptySyncState))
    const failed = F.pipe(emptySyncState, markSent(first), fail(R))
    const retry = only(nextBatches(desired)(failed))
    return { first, retry, state: markSent(retry)(failed) }
  }

  it('issue 9.4 (deprecated lifecycle): a late EOSE of a failed attempt does not complete the retry', () => {
    const { first, retry, state } = retried()
    expect(retry.awaiting.filter((id) => first.awaiting.includes(id))).toEqual([])
    // every EOSE of the first attempt arrives late, after the retry was sent
    const late = first.awaiting.reduce((s, id) => confirm(R, id, T0)(s), state)
    expect(late).toBe(state)
    expect(inFlight(late).map((f) => f.awaiting)).toEqual([retry.awaiting])
    expect(eqSyncTargets.equals(appliedTargets(late), desired)).toBe(false)
    // the retry's own EOSEs complete it
    const done = retry.awaiting.reduce((s, id) => confirm(R, id, T0)(s), late)
    expect(inFlight(done)).toEqual([])
    expect(eqSyncTargets.equals(appliedTargets(done), desired)).toBe(true)
  })

  it('issue 9.4 (deprecated lifecycle): a late CLOSED of a failed attempt does not fail the retry', () => {
    const { first, retry, state } = retried()
    for (const id of first.awaiting) {
      expect(closed(R, id)(state)).toBe(state)
      expect(fail(R, id)(state)).toBe(state)
    }
    // a CLOSED that arrives between the timeout and the retry is ignored too
    const failed = F.pipe(emptySyncState, markSent(first), fail(R))
    for (const id of first.awaiting) expect(closed(R, id)(failed)).toBe(failed)
    // the retry's own CLOSED fails it
    expect(inFlight(closed(R, retry.awaiting[0] as string)(state))).toEqual([])
  })

  it('issue 9.4 (deprecated lifecycle): a late EOSE of a timed-out history REQ does not end the retried history', () => {
    const first = only(nextBatches(desired)(emptySyncState))
    expect(first.history.length).toBeGreaterThan(0)
    // the live REQs are answered; the history REQs time out
    const live = reqIds(first.messages)
    const answered = live.reduce((s, id) => confirm(R, id, T0)(s), markSent(first)(emptySyncState))
    const failed = fail(R)(answered)
    const retry = only(nextBatches(desired)(failed))
    expect(retry.history.map((h) => h.filters)).toEqual(first.history.map((h) => h.filters))
    const oldHistory = first.history.map((h) => h.id)
    for (const h of retry.history) expect(oldHistory).not.toContain(h.id)
    // the retry's live REQs are answered; then the late EOSEs of the timed-out history REQs come
    let s = reqIds(retry.messages).reduce((t, id) => confirm(R, id, T0)(t), markSent(retry)(failed))
    s = oldHistory.reduce((t, id) => confirm(R, id, T0)(t), s)
    expect(inFlight(s).map((f) => f.awaiting)).toEqual([retry.history.map((h) => h.id).sort()])
    expect(eqSyncTargets.equals(appliedTargets(s), desired)).toBe(false)
    s = retry.history.reduce((t, h) => confirm(R, h.id, T0)(t), s)
    expect(eqSyncTargets.equals(appliedTargets(s), desired)).toBe(true)
  })

  it('issue 9.4 (deprecated lifecycle): a reconnect retries under new ids; answered slots keep theirs', () => {
    const synced = sync(desired, emptySyncState)
    const ids = openSubscriptions(R)(synced)
    const again = only(nextBatches(desired)(disconnected(R)(synced)))
    for (const id of again.awaiting) expect(ids).not.toContain(id)
    // a CLOSED of one answered subscription: only that slot is sent again
    const [one, ...rest] = ids as [string, ...Array<string>]
    const repair = only(nextBatches(desired)(closed(R, one)(synced)))
    expect(repair.messages.map((m) => m[0])).toEqual(['REQ'])
    const repaired = repair.awaiting.reduce((t, id) => confirm(R, id, T0)(t), markSent(repair)(closed(R, one)(synced)))
    expect(openSubscriptions(R)(repaired)).toEqual([...rest, repair.messages[0]?.[1] as string].sort())
    expect(nextBatches(desired)(repaired)).toEqual([])
  })
})

describe('issue 9.4 (deprecated lifecycle): the law', () => {
  type Outcome = 'confirm' | 'timeout' | 'closed' | 'closedAfterEose' | 'drop'
  const outcomeArb = fc.constantFrom<Outcome>('confirm', 'confirm', 'timeout', 'closed', 'closedAfterEose', 'drop')
  const scenarioArb = fc.tuple(fc.array(indexArb, { minLength: 1, maxLength: 4 }), fc.array(outcomeArb, { minLength: 1, maxLength: 30 }))

  /**
   * Runs rounds with random relay behaviour. Every id of an attempt that failed (timed out, was
   * closed, lost with its connection) is dead: checks that no later batch awaits a dead id, and
   * that a late EOSE, CLOSED or fail naming one leaves the state as it is. Returns what happened.
   */
  const run = ([steps, outcomes]: [ReadonlyArray<{ index: RelayIndex; held: ReadonlyArray<string> }>, ReadonlyArray<Outcome>]): Set<string> => {
    const seen = new Set<string>()
    const dead = new Map<string, Set<string>>()
    const deadOf = (relay: string): Set<string> => {
      let d = dead.get(relay)
      if (d === undefined) dead.set(relay, (d = new Set()))
      return d
    }
    let state = emptySyncState
    let k = 0
    const round = (desired: SyncTargets, pick: () => Outcome) => {
      for (const b of nextBatches(desired)(state)) {
        if (b.connection === 'close') {
          state = markSent(b)(state)
          dead.delete(b.relay) // the connection is closed and the relay forgotten
          continue
        }
        const d = deadOf(b.relay)
        const reused = b.awaiting.filter((id) => d.has(id))
        expect(reused).toEqual([])
        if (d.size > 0 && b.awaiting.length > 0) seen.add(b.history.length > 0 ? 'history retried' : 'retried')
        state = markSent(b)(state)
        const o = b.awaiting.length === 0 ? 'confirm' : pick()
        seen.add(o)
        const attempt = [...b.awaiting, ...reqIds(b.messages)]
        if (o === 'confirm') for (const id of b.awaiting) state = confirm(b.relay, id, T0)(state)
        else if (o === 'timeout') {
          state = fail(b.relay)(state)
          for (const id of attempt) d.add(id)
        } else if (o === 'closed') {
          state = closed(b.relay, b.awaiting.at(-1) as string)(state)
          for (const id of attempt) d.add(id)
        } else if (o === 'closedAfterEose') {
          for (const id of b.awaiting) state = confirm(b.relay, id, T0)(state)
          const live = openSubscriptions(b.relay)(state)[0]
          if (live !== undefined) {
            state = closed(b.relay, live)(state)
            d.add(live)
          }
        } else {
          for (const id of [...attempt, ...openSubscriptions(b.relay)(state)]) d.add(id)
          state = disconnected(b.relay)(state)
        }
      }
      // late answers of every dead attempt change nothing
      for (const [relay, d] of dead)
        for (const id of d) {
          expect(confirm(relay, id, T0)(state)).toBe(state)
          expect(closed(relay, id)(state)).toBe(state)
          expect(fail(relay, id)(state)).toBe(state)
        }
    }
    let desired = syncTargets(index())
    for (const { index: idx, held } of steps) {
      desired = F.pipe(idx, withPurgatory(held))
      round(desired, () => outcomes[k++ % outcomes.length] as Outcome)
    }
    for (let i = 0; i < 5; i++) round(desired, () => 'confirm')
    expect(nextBatches(desired)(state)).toEqual([])
    expect(eqSyncTargets.equals(appliedTargets(state), desired)).toBe(true)
    return seen
  }

  test.prop([scenarioArb], { numRuns: 200 })(
    'no batch awaits an id of a failed attempt, late answers of one change nothing, and the host still converges',
    (scenario) => {
      run(scenario)
    }
  )

  it('the generator reaches every outcome and retries of live and history (fc.statistics)', () => {
    const count = new Map<string, number>()
    fc.statistics(
      scenarioArb,
      (scenario) => {
        const seen = run(scenario)
        for (const x of seen) count.set(x, (count.get(x) ?? 0) + 1)
        return seen.has('retried') || seen.has('history retried') ? 'a retry' : 'no retry'
      },
      { numRuns: 100, logger: () => undefined }
    )
    for (const x of ['confirm', 'timeout', 'closed', 'closedAfterEose', 'drop', 'retried', 'history retried']) expect(count.get(x) ?? 0).toBeGreaterThan(5)
  })
})
