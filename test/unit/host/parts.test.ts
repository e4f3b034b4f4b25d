/**
 * The small shared parts of the executor (src/host/): a frame read once (connection.ts
 * `parseFrame`), the store relay's NIP-42 on one connection (storeAuth.ts, shared by its reader
 * and its writer), the reconnect backoff (connection.ts `Reconnect`), and the cap of a history
 * page (remotes.ts `pageCap`).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { verifyEvent } from 'nostr-tools/pure'
import { parseFrame, Reconnect } from '../../../src/host/connection.js'
import { StoreAuth } from '../../../src/host/storeAuth.js'
import { pageCap } from '../../../src/host/remotes.js'
import { secretKey } from '../../support/signing.js'

describe('parseFrame', () => {
  it('gives the array a frame holds, and undefined for anything else', () => {
    expect(parseFrame('["EOSE","x"]')).toEqual(['EOSE', 'x'])
    expect(parseFrame('[]')).toEqual([])
    for (const bad of ['', 'nope', '{"a":1}', '42', 'null', '"EOSE"', '["unterminated"']) expect(parseFrame(bad)).toBeUndefined()
  })
})

describe('StoreAuth', () => {
  const frames = (): { sent: Array<string>; send: (f: string) => void } => {
    const sent: Array<string> = []
    return { sent, send: (f) => void sent.push(f) }
  }

  it('answers the kept challenge once, with a valid auth event, and knows its OK', () => {
    const statuses: Array<string> = []
    const auth = new StoreAuth({ url: 'ws://127.0.0.1:7777', secretKey: secretKey('store auth unit'), onAuth: (s) => void statuses.push(s) })
    const c = frames()
    auth.answer(c) // no challenge yet: nothing
    expect(c.sent).toEqual([])
    expect(auth.keep(['AUTH', ''])).toBe(false)
    expect(auth.keep(['AUTH', 'ch-1'])).toBe(true)
    auth.answer(c)
    auth.answer(c) // one waits for its OK: not again
    expect(c.sent).toHaveLength(1)
    const [tag, event] = JSON.parse(c.sent[0] as string) as [string, { id: string; tags: Array<Array<string>> }]
    expect(tag).toBe('AUTH')
    expect(verifyEvent(event as never)).toBe(true)
    expect(event.tags).toContainEqual(['challenge', 'ch-1'])
    expect(auth.id).toBe(event.id)
    expect(statuses).toEqual(['sent'])
    expect(auth.answered(['OK', 'other', true])).toBe(false)
    expect(auth.answered(['NOTICE', event.id])).toBe(false)
    expect(auth.answered(['OK', event.id, true])).toBe(true)
    expect(auth.id).toBeUndefined()
    // a new connection: the old challenge is gone
    auth.reset()
    auth.answer(c)
    expect(c.sent).toHaveLength(1)
  })

  it('signs nothing without a key', () => {
    const auth = new StoreAuth({ url: 'ws://127.0.0.1:7777' })
    const c = frames()
    auth.keep(['AUTH', 'ch'])
    auth.answer(c)
    expect([c.sent, auth.id]).toEqual([[], undefined])
  })
})

describe('Reconnect', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('connects again after 0.5..1 s, then longer after each failure, shortest again once opened; cancel stops it', () => {
    vi.useFakeTimers()
    let connects = 0
    const r = new Reconnect(() => void connects++)
    r.later()
    expect(r.waiting).toBe(true)
    vi.advanceTimersByTime(1000)
    expect([connects, r.waiting]).toEqual([1, false])
    r.later() // second failure in a row: 1..2 s
    vi.advanceTimersByTime(999)
    expect(connects).toBe(1)
    vi.advanceTimersByTime(1001)
    expect(connects).toBe(2)
    r.opened()
    r.later()
    vi.advanceTimersByTime(1000)
    expect(connects).toBe(3)
    r.later()
    r.cancel()
    vi.advanceTimersByTime(60_000)
    expect([connects, r.waiting]).toEqual([3, false])
  })
})

describe('pageCap', () => {
  it('is the sum of the limits plus a little slack, 10 000 at most, 0 for no subscription', () => {
    expect(pageCap(undefined)).toBe(0)
    expect(pageCap([{ limit: 100 }])).toBe(116)
    expect(pageCap([{ limit: 100 }, { limit: 50 }])).toBe(166)
    expect(pageCap([{ kinds: [1] }])).toBe(10_000)
    expect(pageCap([{ limit: 9_999 }, { limit: 9_999 }])).toBe(10_000)
  })
})
