/**
 * Fuzzing: every exported function with fc.anything() and fc.jsonValue(), and real signed events
 * mutated field by field. `npm test` runs 1000 cases per property; `npm run fuzz` runs 10 000
 * (FUZZ_RUNS).
 */
import { readFileSync } from 'node:fs'
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as api from '../src/index.js'
import { applyBatch, emptyRepoIndex, eqRepoIndex } from '../src/index.js'
import { config as unverified, eventsArb, OWN } from './arbitraries.js'

const RUNS = { numRuns: Number(process.env['FUZZ_RUNS'] ?? 1000) }
const verified = { ownRelays: [OWN] }

const real: ReadonlyArray<Record<string, unknown>> = [
  ...readFileSync(new URL('../examples/sample/real-nip34-events.jsonl', import.meta.url), 'utf8').split('\n'),
  ...readFileSync(new URL('../examples/sample/synthetic-events.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.stringify((JSON.parse(l) as { event: unknown }).event))
]
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Record<string, unknown>)

const base = applyBatch(verified, real)(emptyRepoIndex).index

const FIELDS = ['id', 'pubkey', 'created_at', 'kind', 'tags', 'content', 'sig'] as const

const flipHex = (s: string, i: number): string => {
  const at = i % s.length
  const c = s[at] === '0' ? '1' : '0'
  return s.slice(0, at) + c + s.slice(at + 1)
}

/** A real event with one field changed: plausibly (one character, ±1, one tag) or to anything. */
const mutatedArb = fc
  .record({
    event: fc.constantFrom(...real),
    field: fc.constantFrom(...FIELDS),
    how: fc.oneof(
      fc.record({ kind: fc.constant('anything' as const), value: fc.anything() }),
      fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue() }),
      fc.record({ kind: fc.constant('nudge' as const), n: fc.nat(), extra: fc.string({ maxLength: 40 }) }),
      fc.constant({ kind: 'drop' as const })
    )
  })
  .map(({ event, field, how }) => {
    const copy: Record<string, unknown> = JSON.parse(JSON.stringify(event))
    if (how.kind === 'drop') delete copy[field]
    else if (how.kind === 'anything' || how.kind === 'json') copy[field] = how.value
    else {
      const v = copy[field]
      if (typeof v === 'string') copy[field] = field === 'content' ? v + how.extra + 'x' : flipHex(v, how.n)
      else if (typeof v === 'number') copy[field] = v + 1 + (how.n % 5)
      else if (Array.isArray(v)) {
        const tags = v as Array<Array<string>>
        const i = how.n % Math.max(1, tags.length)
        copy[field] = how.n % 2 === 0 ? [...tags.slice(0, i), ...tags.slice(i + 1)] : [...tags, ['relays', how.extra || 'wss://x.example']]
      }
    }
    return { original: event, mutated: copy, changed: JSON.stringify(copy) !== JSON.stringify(event) }
  })

describe('fuzz: applyBatch', () => {
  test.prop([fc.anything()], RUNS)('any value as a batch: no throw', (u) => {
    expect(() => applyBatch(verified, u as ReadonlyArray<unknown>)(emptyRepoIndex)).not.toThrow()
  })

  test.prop([fc.array(fc.anything(), { maxLength: 8 })], RUNS)('arrays of anything: every element rejected, index unchanged', (batch) => {
    const { index, rejected } = applyBatch(verified, batch)(emptyRepoIndex)
    expect(eqRepoIndex.equals(index, emptyRepoIndex)).toBe(true)
    expect(new Set(rejected.filter((r) => !r.partial).map((r) => r.position)).size).toBe(batch.length)
  })

  test.prop([fc.array(fc.jsonValue(), { maxLength: 8 })], RUNS)('arrays of JSON values: rejected, index unchanged', (batch) => {
    const { index } = applyBatch(verified, batch)(emptyRepoIndex)
    expect(eqRepoIndex.equals(index, emptyRepoIndex)).toBe(true)
  })

  test.prop([fc.array(mutatedArb, { minLength: 1, maxLength: 4 })], RUNS)(
    'real events mutated field by field are rejected whole; the index equals the one without them',
    (cases) => {
      const { index, rejected } = applyBatch(verified, cases.map((c) => c.mutated))(base)
      cases.forEach((c, position) => {
        const whole = rejected.some((r) => r.position === position && !r.partial)
        if (c.changed) expect(whole).toBe(true)
      })
      expect(eqRepoIndex.equals(index, base)).toBe(true)
    }
  )

  test.prop([fc.array(fc.oneof(eventsArb.map((e) => e[0] ?? null), mutatedArb.map((m) => m.mutated as unknown)), { maxLength: 12 })], RUNS)(
    'a rejected event changes nothing: the batch equals the batch without its rejected events',
    (batch) => {
      const { index, rejected } = applyBatch(unverified, batch)(emptyRepoIndex)
      const wholeRejected = new Set(rejected.filter((r) => !r.partial).map((r) => r.position))
      const kept = batch.filter((_, i) => !wholeRejected.has(i))
      expect(eqRepoIndex.equals(index, applyBatch(unverified, kept)(emptyRepoIndex).index)).toBe(true)
    }
  )

  test.prop([fc.array(mutatedArb, { maxLength: 3 })], RUNS)('never mutates the caller\u2019s events', (cases) => {
    const inputs = cases.map((c) => c.mutated)
    const before = JSON.stringify(inputs)
    applyBatch(verified, inputs)(emptyRepoIndex)
    expect(JSON.stringify(inputs)).toBe(before)
    for (const e of inputs) if (typeof e === 'object' && e !== null) expect(Object.getOwnPropertySymbols(e)).toEqual([])
  })
})

describe('fuzz: every exported function', () => {
  const functions = Object.entries(api).filter(([, v]) => typeof v === 'function') as Array<[string, (...args: Array<unknown>) => unknown]>
  const codecs = Object.entries(api).filter(([, v]) => typeof v === 'object' && v !== null && typeof (v as { decode?: unknown }).decode === 'function') as Array<
    [string, { decode: (u: unknown) => unknown }]
  >

  test.prop([fc.array(fc.anything(), { minLength: 3, maxLength: 3 }), fc.array(fc.anything(), { minLength: 3, maxLength: 3 })], RUNS)(
    'no export throws on anything, curried or not',
    (args1, args2) => {
      for (const [name, f] of functions) {
        let r: unknown
        try {
          r = f(...args1)
          if (typeof r === 'function') (r as (...a: Array<unknown>) => unknown)(...args2)
        } catch (e) {
          throw new Error(`${name} threw: ${String(e)}`)
        }
      }
      for (const [name, codec] of codecs) expect(() => codec.decode(args1[0]), name).not.toThrow()
    }
  )

  test.prop([fc.array(fc.jsonValue(), { minLength: 3, maxLength: 3 }), fc.array(fc.jsonValue(), { minLength: 3, maxLength: 3 })], RUNS)(
    'no export throws on JSON values',
    (args1, args2) => {
      for (const [name, f] of functions) {
        try {
          const r = f(...args1)
          if (typeof r === 'function') (r as (...a: Array<unknown>) => unknown)(...args2)
        } catch (e) {
          throw new Error(`${name} threw: ${String(e)}`)
        }
      }
    }
  )
})
