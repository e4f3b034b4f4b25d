/**
 * Cost of the fetch memories (engine/fetch.ts, engine/fifo.ts): doubling series that count work
 * (queue entries touched, not time). A full refused-id memory, or an asked memory whose entries
 * age out one by one, must cost each input what it adds and removes, not what is stored.
 */
import { describe, expect, it } from 'vitest'
import { engineFetchStatus, step, syncEngine, type SyncEngine } from '../../src/index.js'
import { afterEvents } from '../../src/engine/grasp01.js'
import { data, type EngineData } from '../../src/engine/state.js'
import { emptyFetch } from '../../src/engine/fetchState.js'
import { fifoWork } from '../../src/engine/fifo.js'
import { OWN } from '../support/arbitraries.js'

const T0 = 1_700_000_000
const hex = (n: number) => n.toString(16).padStart(64, '0')
const SIZES = [1000, 2000, 4000, 8000]
const INPUTS = 200

/** Work per input at each size; it must not grow with the size (a linear cost would double). */
const flat = (perInput: ReadonlyArray<number>) => {
  for (const w of perInput) expect(w).toBeLessThan(8)
  expect(perInput[perInput.length - 1]! / Math.max(1, perInput[0]!)).toBeLessThan(1.5)
}

describe('refused-id memory at its cap', () => {
  it('each single-id Refused costs O(1) queue work whatever maxRefused is (doubling series)', () => {
    const perInput: Array<number> = []
    for (const n of SIZES) {
      let e: SyncEngine = syncEngine({ ownRelays: [OWN] }, { fetchTagged: { maxRefused: n } })
      e = step({ _tag: 'Refused', ids: Array.from({ length: n }, (_, i) => hex(i)), now: T0 })(e).engine
      expect(engineFetchStatus(e).refused).toBe(n)
      const before = fifoWork.steps
      for (let i = 0; i < INPUTS; i++) e = step({ _tag: 'Refused', ids: [hex(n + i)], now: T0 + 1 + i })(e).engine
      perInput.push((fifoWork.steps - before) / INPUTS)
      expect(engineFetchStatus(e).refused).toBe(n)
    }
    flat(perInput)
  })

  it('refused entries expiring one by one cost O(1) per input (doubling series)', () => {
    const perInput: Array<number> = []
    for (const n of SIZES) {
      let e: SyncEngine = syncEngine({ ownRelays: [OWN] }, { fetchTagged: { maxRefused: 10 * n, refusedFor: n } })
      for (let i = 0; i < n; i += 100) e = step({ _tag: 'Refused', ids: Array.from({ length: 100 }, (_, j) => hex(i + j)), now: T0 + i })(e).engine
      const before = fifoWork.steps
      // each input adds one id and lets about one hundred expire
      for (let i = 0; i < INPUTS; i++) e = step({ _tag: 'Refused', ids: [hex(n + i)], now: T0 + n + i * 1 })(e).engine
      perInput.push((fifoWork.steps - before) / INPUTS)
    }
    // one shift per expired entry: ~100 per 100 seconds, the same at every size
    for (const w of perInput) expect(w).toBeLessThan(4)
    expect(perInput[perInput.length - 1]! / Math.max(1, perInput[0]!)).toBeLessThan(1.5)
  })
})

describe('asked memory ageing out', () => {
  it('an Events batch while asked entries expire one by one costs O(expired), not O(asked) (doubling series)', () => {
    const perInput: Array<number> = []
    for (const n of SIZES) {
      const e = syncEngine({ ownRelays: [OWN] }, { fetchTagged: { maxAsked: 10 * n, retryAfter: n } })
      // n asked values, one per second
      const asked = emptyFetch.asked.edit((m) => {
        for (let i = 0; i < n; i++) m.set(hex(i), T0 + i)
      })
      let d: EngineData = { ...data(e), fetch: { ...emptyFetch, asked } }
      const before = fifoWork.steps
      for (let i = 0; i < INPUTS; i++) d = afterEvents(d, [], T0 + n + i, []).d
      perInput.push((fifoWork.steps - before) / INPUTS)
      expect(d.fetch?.asked.size).toBe(n - INPUTS)
    }
    flat(perInput)
  })
})
