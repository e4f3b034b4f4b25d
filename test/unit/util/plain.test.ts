/**
 * readPlain checks a claimed length against its item budget BEFORE allocating or looping (review
 * F4): a Proxy claiming 2^32 - 1 elements is refused at once; real arrays and objects copy as before.
 */
import { describe, expect, it } from 'vitest'
import { MAX_PLAIN_ITEMS, readPlain } from '../../../src/util/plain.js'

const claiming = (length: number): unknown => {
  let reads = 0
  return new Proxy([], {
    get: (t, k) => {
      if (k === 'length') return length
      reads++
      if (reads > 1000) throw new Error('read past the claimed cap')
      return Reflect.get(t, k)
    }
  })
}

describe('readPlain: cost follows the size given, not the size claimed', () => {
  it('a Proxy claiming 2^32 - 1 (or more than the budget) elements is refused at once', () => {
    expect(readPlain(claiming(2 ** 32 - 1), 2)).toEqual({ ok: false })
    expect(readPlain(claiming(MAX_PLAIN_ITEMS + 1), 2)).toEqual({ ok: false })
    expect(readPlain({ tags: claiming(2 ** 32 - 1) }, 3)).toEqual({ ok: false })
    expect(readPlain([[1, 2], [3]], 2, 4)).toEqual({ ok: false }) // 2 + 2 + 1 items
  })

  it('the budget counts every level; values within it copy as before', () => {
    expect(readPlain([[1, 2], [3]], 2, 5)).toEqual({ ok: true, value: [[1, 2], [3]] })
    expect(readPlain({ a: [1], b: { c: 2 } }, 3)).toEqual({ ok: true, value: { a: [1], b: { c: 2 } } })
    const big = Array.from({ length: 100_000 }, (_, i) => [String(i)])
    const r = readPlain(big, 2)
    expect(r.ok && (r.value as Array<unknown>).length).toBe(100_000)
  })
})
