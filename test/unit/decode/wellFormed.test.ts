/**
 * The direct shape check (`isWellFormed`, src/decode/nostrEvent.ts) that lets a well-formed event
 * skip the io-ts codec must accept exactly what the codec accepts unchanged: on random plain
 * copies (valid events with one field mutated, as `read.ts` makes them), the two agree, and an
 * accepted value is the codec's own result.
 */
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E } from 'fp-ts'
import { isHex, isWellFormed, nostrEventShape } from '../../../src/decode/nostrEvent.js'

const hexArb = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`))
const validArb = fc.record({
  id: hexArb(64),
  pubkey: hexArb(64),
  created_at: fc.nat(),
  kind: fc.nat({ max: 65535 }),
  tags: fc.array(fc.array(fc.string(), { maxLength: 4 }), { maxLength: 4 }),
  content: fc.string(),
  sig: hexArb(128)
})
const oddValue = fc.oneof(
  fc.constantFrom(undefined, null, true, -1, 1.5, 65536, Number.MAX_SAFE_INTEGER + 1, NaN, Infinity, '', 'A'.repeat(64), 'g'.repeat(64)),
  hexArb(63),
  hexArb(65),
  hexArb(128),
  hexArb(64).map((h) => h.toUpperCase()),
  fc.string(),
  fc.integer(),
  fc.constant([]),
  fc.constant({}),
  fc.constant([['a', 1]]),
  fc.constant([['a'], 'x']),
  fc.constant([[undefined]])
)
const fields = ['id', 'pubkey', 'created_at', 'kind', 'tags', 'content', 'sig'] as const
const mutatedArb = fc.tuple(validArb, fc.constantFrom(...fields, 'none' as const), oddValue).map(([ev, field, value]) =>
  field === 'none' ? ({ ...ev } as Record<string, unknown>) : ({ ...ev, [field]: value } as Record<string, unknown>)
)

const seen = { accepted: 0, refused: 0 }

describe('isWellFormed', () => {
  const codec = nostrEventShape()
  test.prop([mutatedArb], { numRuns: 2000 })('agrees with the io-ts codec, and an accepted value is the codec result', (ev) => {
    const decoded = codec.decode(ev)
    const ok = isWellFormed(ev)
    seen[ok ? 'accepted' : 'refused']++
    expect(ok).toBe(E.isRight(decoded))
    if (ok && E.isRight(decoded)) expect(decoded.right).toBe(ev)
  })

  test.prop([fc.string(), fc.nat({ max: 130 })])('isHex is the regular expression', (s, n) => {
    expect(isHex(s, n)).toBe(s.length === n && /^[0-9a-f]*$/.test(s))
    const h = s.replace(/[^0-9a-f]/g, '')
    expect(isHex(h, h.length)).toBe(true)
  })

  test('both sides are reached', () => {
    expect(seen.accepted).toBeGreaterThan(100)
    expect(seen.refused).toBeGreaterThan(1000)
  })
})
