/**
 * Issue 8.4: co-maintainer groups cost what their input costs and are bounded by caps.
 * (Timing lives in `npm run bench`; these tests check what the caps bound.)
 */
import { describe, expect, it } from 'vitest'
import { explainRelay, explainRepo, relayRepos, relayTargets, type SyncConfig } from '../../../src/index.js'
import { config } from '../../support/arbitraries.js'
import { announce, index, targets } from '../../support/helpers.js'

const hex = (n: number): string => n.toString(16).padStart(64, '0')

/** `n` announcements of one `d`, author i listing the authors `links(i)`, each with `relaysEach` relays. */
const family = (n: number, links: (i: number) => ReadonlyArray<number>, relaysEach: number, relay: (i: number, j: number) => string) =>
  Array.from({ length: n }, (_, i) =>
    announce(
      'proj',
      Array.from({ length: relaysEach }, (_, j) => relay(i, j)),
      { pubkey: hex(i + 1), extraTags: [['maintainers', ...links(i).map((k) => hex(k + 1))]] }
    )
  )

const entries = (c: SyncConfig, events: ReadonlyArray<unknown>): number =>
  relayTargets(targets(c, events)).reduce((sum, t) => sum + t.repos.length, 0)

const chain = (i: number, n: number): Array<number> => [i - 1, i + 1].filter((k) => k >= 0 && k < n)

describe('bounded co-maintainer groups', () => {
  it('issue 8.4: a 400-member chain listing 20 relays each creates at most 20 (relay, repository) entries per relay value', () => {
    const n = 400
    const events = family(n, (i) => chain(i, n), 20, (i, j) => `wss://r${i}-${j}.example`)
    const relayValues = n * 20
    // the chain is one component of 400 > membersPerGroup (64): every member stands alone
    expect(entries(config, events)).toBeLessThanOrEqual(20 * relayValues)
    expect(entries(config, events)).toBe(relayValues)
  })

  it('issue 8.4: 300 announcements all listing each other form no group over the cap, each member stands alone', () => {
    // default caps refuse a maintainers tag this long (valuesPerTag); raise them to reach the grouping
    const wide: SyncConfig = { ...config, caps: { valuesPerTag: 1000, valuesPerEvent: 2000, maintainersPerAnnouncement: 1000 } }
    const n = 300
    const all = Array.from({ length: n }, (_, k) => k)
    const events = family(n, () => all, 1, (i) => `wss://r${i % 7}.example`)
    const t = targets(wide, events)
    expect(relayRepos('wss://r0.example')(t)).toHaveLength(Math.ceil(n / 7))
    const e = explainRepo(wide, index(wide, events), `30617:${hex(1)}:proj`)
    expect(e.group).toEqual([`30617:${hex(1)}:proj`])
    expect(e.unmergedGroup).toEqual({ moreThan: 64, rule: 'membersPerGroup' })
  })

  it('a group within membersPerGroup is merged; the same group over a lower cap is not', () => {
    const events = family(5, (i) => chain(i, 5), 1, (i) => `wss://r${i}.example`)
    // every member is on its own relay; merged, every relay gets all five
    expect(relayRepos('wss://r0.example')(targets(config, events))).toHaveLength(5)
    const capped: SyncConfig = { ...config, caps: { membersPerGroup: 4 } }
    expect(relayRepos('wss://r0.example')(targets(capped, events))).toHaveLength(1)
  })

  it('relaysPerGroup caps the relays of a group; the rest are explained as cap-exceeded', () => {
    const events = family(3, (i) => chain(i, 3), 4, (i, j) => `wss://r${i}-${j}.example`)
    const capped: SyncConfig = { ...config, caps: { relaysPerGroup: 5 } }
    const t = targets(capped, events)
    // members in address order, each in tag order: r0-0..r0-3, then r1-0
    expect(relayTargets(t).map((x) => x.relay).sort()).toEqual(['wss://bootstrap.example', 'wss://r0-0.example', 'wss://r0-1.example', 'wss://r0-2.example', 'wss://r0-3.example', 'wss://r1-0.example'])
    const e = explainRelay(capped, index(capped, events), 'wss://r2-0.example')
    expect(e.asked).toBe(false)
    expect(e.excluded.map((x) => [x.code, x.rule])).toEqual([['cap-exceeded', 'relaysPerGroup']])
    expect(entries(capped, events)).toBe(5 * 3)
  })
})
