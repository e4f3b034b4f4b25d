/**
 * util/text.ts: the one copy of each message helper. Each is total (any value, a revoked Proxy
 * included) and bounded (no description grows with its input).
 */
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { cut, describe as describeValue, isRecord, show } from '../../../src/util/text.js'

const revoked = (): unknown => {
  const { proxy, revoke } = Proxy.revocable([], {})
  revoke()
  return proxy
}

describe('util/text', () => {
  it('cut keeps short strings and cuts long ones to 200 characters and an ellipsis', () => {
    expect(cut('abc')).toBe('abc')
    expect(cut('x'.repeat(200))).toBe('x'.repeat(200))
    expect(cut('x'.repeat(201))).toBe(`${'x'.repeat(200)}…`)
  })

  it('describe quotes strings, shows primitives, names the rest', () => {
    expect(describeValue('a"b')).toBe('"a\\"b"')
    expect(describeValue(3)).toBe('3')
    expect(describeValue(null)).toBe('null')
    expect(describeValue(undefined)).toBe('undefined')
    expect(describeValue([1])).toBe('an array')
    expect(describeValue({})).toBe('an object')
    expect(describeValue(Symbol('s'))).toBe('symbol')
    expect(describeValue(revoked())).toBe('an unreadable object')
  })

  it('show leaves strings unquoted and never looks inside a revoked Proxy', () => {
    expect(show('a"b')).toBe('a"b')
    expect(show(revoked())).toBe('an object')
    expect(show(() => 1)).toBe('function')
  })

  it('isRecord: objects only, not null, not arrays', () => {
    expect(isRecord({})).toBe(true)
    expect(isRecord(null)).toBe(false)
    expect(isRecord([])).toBe(false)
    expect(isRecord('x')).toBe(false)
  })

  // fast-check cannot hold a revoked Proxy (it clones values), so the case is drawn as a marker
  const REVOKED = Symbol('revoked')
  test.prop([fc.oneof(fc.anything(), fc.string({ size: 'max', maxLength: 1000 }), fc.constant(REVOKED))])(
    'never throws, and the description stays short',
    (drawn) => {
      const u = drawn === REVOKED ? revoked() : drawn
      for (const f of [describeValue, show]) {
        const s = f(u)
        expect(typeof s).toBe('string')
        // at most 201 characters (200 and the ellipsis), each escaped to at most 6 by JSON, and two quotes
        expect(s.length).toBeLessThanOrEqual(201 * 6 + 2)
      }
    }
  )
})
