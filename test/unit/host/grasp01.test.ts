/**
 * The executor's side of GRASP-01 fetching (host/grasp01.ts): which subscriptions are direct
 * (their events are kept whatever `wants` says), which `OK false` reasons are refusals.
 */
import { describe, expect, it } from 'vitest'
import { discoveryOn, isDirect, isDirectFilter, isRefusal } from '../../../src/host/grasp01.js'

const pk = 'a'.repeat(64)

describe('host/grasp01', () => {
  it('direct filters: by ids, announcements by author, one address; the layout filters are not', () => {
    expect(isDirectFilter({ ids: ['1'.repeat(64)], limit: 1 })).toBe(true)
    expect(isDirectFilter({ kinds: [30617], authors: [pk], limit: 0 })).toBe(true)
    expect(isDirectFilter({ kinds: [30023], authors: [pk], '#d': ['x'], limit: 1 })).toBe(true)
    // the layout's own filters
    expect(isDirectFilter({ kinds: [30617, 10317], limit: 0 })).toBe(false)
    expect(isDirectFilter({ '#e': ['1'.repeat(64)], limit: 0 })).toBe(false)
    expect(isDirectFilter({ kinds: [30618], authors: [pk, 'b'.repeat(64)], '#d': ['x'] })).toBe(false)
    expect(isDirectFilter({ kinds: [30618], authors: [pk] })).toBe(false)
    expect(isDirectFilter({ ids: ['1'.repeat(64)], kinds: [1] })).toBe(false)
    expect(isDirect([{ ids: ['1'.repeat(64)] }, { kinds: [30617], authors: [pk] }])).toBe(true)
    expect(isDirect([{ ids: ['1'.repeat(64)] }, { '#a': ['x'] }])).toBe(false)
    expect(isDirect([])).toBe(false)
    expect(isDirect(undefined)).toBe(false)
  })

  it('refusals: blocked, invalid, restricted, pow, mute, or no reason; not duplicate, rate-limited, error', () => {
    for (const r of ['blocked: no', 'invalid: bad', 'restricted: x', 'pow: 20', 'mute: x', '', 'whatever']) expect(isRefusal(r), r).toBe(true)
    for (const r of ['duplicate: have it', 'rate-limited: slow down', 'error: db down', ' Error: x']) expect(isRefusal(r), r).toBe(false)
    // NIP-42: "authenticate and try again", not a refusal of the event (review #8)
    for (const r of ['auth-required: we only accept events from authenticated users', 'Auth-Required: x']) expect(isRefusal(r), r).toBe(false)
  })

  it('discoveryOn: true or an object not disabled; anything else (a throwing getter included) is off', () => {
    expect(discoveryOn({ discovery: true })).toBe(true)
    expect(discoveryOn({ discovery: {} })).toBe(true)
    expect(discoveryOn({ discovery: { enabled: false } })).toBe(false)
    expect(discoveryOn({})).toBe(false)
    expect(discoveryOn(undefined)).toBe(false)
    expect(discoveryOn(new Proxy({}, { get: () => { throw new Error('no') } }))).toBe(false)
  })
})
