/**
 * The two time helpers: the `since` of a quick reconnect, and history paging that cannot loop.
 */

import { describe, expect, it } from 'vitest'
import { function as F, option as O } from 'fp-ts'
import { nextPage, nextUntil, pageFilter, reconnectSince, startPaging } from '../../../../src/engine/Lifecycle.js'
import { T0 } from './helpers.js'

describe('reconnectSince', () => {
  it('is the last confirmed time minus the window', () => {
    expect(reconnectSince(T0, 900)).toBe(T0 - 900)
    expect(reconnectSince(T0, 0)).toBe(T0)
    expect(reconnectSince(T0 + 0.7, 10.2)).toBe(T0 - 11)
  })

  it('is never below 0, and never "1970 plus the elapsed time"', () => {
    expect(reconnectSince(300, 900)).toBe(0)
    // an elapsed duration passed by mistake is just an early timestamp: the result fetches from 0, it does not pretend
    expect(reconnectSince(3600, 60)).toBe(3540)
  })

  it('unknown or unusable input gives 0 (the whole history): never an event lost', () => {
    expect(reconnectSince(undefined, 900)).toBe(0)
    expect(reconnectSince(T0 * 1000, 900)).toBe(0) // milliseconds
    expect(reconnectSince(Number.NaN, 900)).toBe(0)
    expect(reconnectSince(-5, 900)).toBe(0)
    expect(reconnectSince(T0, -1)).toBe(0)
    expect(reconnectSince(T0, Number.POSITIVE_INFINITY)).toBe(0)
  })
})

describe('paging', () => {
  const ev = (created_at: number, i = created_at) => ({ id: i.toString(16).padStart(64, '0'), pubkey: 'p', kind: 1617, created_at, tags: [] })
  const at = (...ts: Array<number>) => ts.map((t, i) => ev(t, i))

  it('nextUntil: only an empty page is the end; a short page goes on (the relay may cap limit silently)', () => {
    expect(nextUntil({ events: [], limit: 1 })).toEqual({ _tag: 'Done' })
    expect(nextUntil({ events: at(5), limit: 0 })).toEqual({ _tag: 'Done' })
    expect(nextUntil({ events: at(5, 4), limit: 3 })).toEqual({ _tag: 'Until', until: 4 })
    // a short page of one second: below it (until strictly decreases)
    expect(nextUntil({ events: at(5, 5), limit: 3 })).toEqual({ _tag: 'Until', until: 4 })
    expect(nextUntil({ events: at(0), limit: 3 })).toEqual({ _tag: 'Until', until: -1 })
  })

  it('a relay that caps limit below maxLimit without saying so: paging still fetches everything', () => {
    const store = Array.from({ length: 250 }, (_, i) => ev(1000 + i, i))
    const relay = (f: { since?: number; until?: number; limit?: number }) =>
      store
        .filter((e) => (f.since === undefined || e.created_at >= f.since) && (f.until === undefined || e.created_at <= f.until))
        .sort((a, b) => b.created_at - a.created_at)
        .slice(0, Math.min(f.limit ?? 500, 100)) // caps at 100, publishes nothing
    let c = startPaging({ kinds: [1617], limit: 500 })
    const seen = new Set<string>()
    let pages = 0
    for (let f = pageFilter(c); O.isSome(f); f = pageFilter(c)) {
      const page = relay(f.value)
      for (const e of page) seen.add(e.id)
      c = nextPage(page)(c)
      expect(++pages).toBeLessThan(10)
    }
    expect(seen.size).toBe(250)
    expect(c.incomplete).toEqual([])
    const zero = F.pipe(startPaging({ kinds: [1617], limit: 5 }), nextPage(at(0)))
    expect(pageFilter(zero)).toEqual(O.none)
  })

  it('nextUntil: a full page moves until to its oldest second (inclusive: none of that second is skipped)', () => {
    expect(nextUntil({ events: at(9, 7, 7), limit: 3 })).toEqual({ _tag: 'Until', until: 7 })
    // only the newest `limit` events count: an older extra event matching the filter does not move until past the page
    expect(nextUntil({ events: at(9, 8, 1), limit: 2 })).toEqual({ _tag: 'Until', until: 8 })
  })

  it('nextUntil: a full page that shares one created_at asks to widen instead of looping', () => {
    expect(nextUntil({ events: at(7, 7, 7), limit: 3 })).toEqual({ _tag: 'Widen', createdAt: 7 })
  })

  it('a cursor widens a one-second page, then continues below that second', () => {
    let c = startPaging({ kinds: [1617], limit: 2 }, { maxLimit: 8 })
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], limit: 2 }))
    c = nextPage(at(7, 7))(c)
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], since: 7, until: 7, limit: 4 }))
    c = nextPage(at(7, 7, 7))(c)
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], until: 6, limit: 2 }))
    c = nextPage(at(3))(c)
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], until: 2, limit: 2 }))
    c = nextPage([])(c)
    expect(pageFilter(c)).toEqual(O.none)
    expect(c.incomplete).toEqual([])
  })

  it('a second that fills a page of the relay\u2019s max_limit is reported as incomplete and passed', () => {
    let c = startPaging({ kinds: [1617], limit: 2 }, { maxLimit: 2 })
    c = nextPage(at(7, 7))(c)
    expect(c.incomplete).toEqual([7])
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], until: 6, limit: 2 }))
  })

  it('paging stops at since, and ignores events that do not match the page', () => {
    let c = startPaging({ kinds: [1617], since: 5, limit: 2 })
    c = nextPage([...at(6, 6), { ...ev(9), kind: 1 }, 'junk', null])(c)
    // a one-second page (the kind 1 event, the junk and the null are not part of it): widen second 6
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], since: 6, until: 6, limit: 4 }))
    c = nextPage(at(6, 6))(c)
    expect(pageFilter(c)).toEqual(O.some({ kinds: [1617], since: 5, until: 5, limit: 2 }))
    c = nextPage([])(c)
    expect(pageFilter(c)).toEqual(O.none)
    expect(F.pipe(startPaging({ kinds: [1617], since: 6, limit: 1 }), nextPage(at(6)), nextPage(at(6)), pageFilter)).toEqual(O.none)
    expect(startPaging({ kinds: [1], since: 10, until: 5 }).done).toBe(true)
  })

  it('a live filter (limit 0) pages with the relay\u2019s max_limit', () => {
    expect(pageFilter(startPaging({ '#a': ['x'], limit: 0 }, { maxLimit: 300 }))).toEqual(O.some({ '#a': ['x'], limit: 300 }))
  })
})
