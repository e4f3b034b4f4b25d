/**
 * Filters per layer (discovery, state, repo-tagged, root-tagged), live and history variants, and
 * relayFilters over a RelayIndex, with generated targets and the real-shaped fixtures.
 */
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { function as F } from 'fp-ts'
import type { Event } from 'nostr-tools/pure'
import { realEvents } from '../../support/fixtures.js'
import {
  DISCOVERY_KINDS,
  STATE_KIND,
  discoveryFilter,
  historyFilter,
  liveFilter,
  relayFilters,
  repoTaggedFilters,
  rootTaggedFilters,
  stateFilters,
  targetFilters
} from '../../../src/wire/Filters.js'
import { applyBatch, emptyRepoIndex } from '../../../src/repo/RepoIndex.js'
import { fromRelayTargets, relayTarget, relays } from '../../../src/relays/RelayIndex.js'
import { deriveTargets } from '../../../src/derive/Targets.js'
import type { RepoRef } from '../../../src/model/RepoRef.js'
import { planRelay } from '../../../src/wire/Wire.js'
import { REF_POOL, covers, event, pk, rootId, wanted, trap } from '../../support/wire.arbitraries.js'
import { option as O } from 'fp-ts'

const A = pk(1)
const B = pk(2)
const C = pk(3)
const ref = (p: string, d: string) => `30617:${p}:${d}` as RepoRef

describe('discovery', () => {
  it('asks for announcements and git relay lists', () => {
    expect(discoveryFilter).toEqual({ kinds: [30617, 10317] })
    expect(DISCOVERY_KINDS).toEqual([30617, 10317])
    expect(STATE_KIND).toBe(30618)
  })
})

describe('state filters', () => {
  it('merge pubkeys whose identifier lists are identical, and never cross them otherwise', () => {
    const filters = stateFilters([ref(A, 'x'), ref(B, 'x'), ref(C, 'x'), ref(C, 'y')])
    expect(filters).toHaveLength(2)
    expect(filters).toContainEqual({ kinds: [30618], authors: [A, B].sort(), '#d': ['x'] })
    expect(filters).toContainEqual({ kinds: [30618], authors: [C], '#d': ['x', 'y'] })
  })

  it('keep the identifier whole when it contains ":"', () => {
    expect(stateFilters([ref(A, 'org:project:sub')])).toEqual([{ kinds: [30618], authors: [A], '#d': ['org:project:sub'] }])
  })

  it('cut long lists in sorted chunks: every authors chunk with every identifier chunk', () => {
    const refs = [A, B, C].flatMap((p) => ['a', 'b', 'c'].map((d) => ref(p, d)))
    const filters = stateFilters(refs, 2)
    // one group (identical lists), 3 authors and 3 identifiers: 2 chunks × 2 chunks
    expect(filters).toHaveLength(4)
    for (const f of filters) {
      expect(f.authors!.length).toBeLessThanOrEqual(2)
      expect(f['#d']!.length).toBeLessThanOrEqual(2)
    }
  })

  test.prop([fc.subarray(REF_POOL), fc.integer({ min: 1, max: 5 })], { numRuns: 1000 })(
    'cover exactly the tracked (pubkey, d) pairs: every pair of authors × #d is tracked, every tracked pair is covered',
    (refs, chunk) => {
      const tracked = new Set(refs)
      const covered = new Set<string>()
      for (const f of stateFilters(refs as Array<RepoRef>, chunk)) {
        expect(f.kinds).toEqual([30618])
        expect(f.authors!.length).toBeLessThanOrEqual(chunk)
        expect(f['#d']!.length).toBeLessThanOrEqual(chunk)
        for (const p of f.authors!)
          for (const d of f['#d']!) {
            expect(tracked.has(ref(p, d))).toBe(true)
            covered.add(ref(p, d))
          }
      }
      expect(covered).toEqual(tracked)
    }
  )
})

describe('tagged filters', () => {
  it('repo-tagged: #a, #A and #q with the repository addresses, sorted and chunked', () => {
    const refs = [ref(B, 'x'), ref(A, 'x'), ref(A, 'x')]
    const sorted = [ref(A, 'x'), ref(B, 'x')].sort()
    expect(repoTaggedFilters(refs)).toEqual([{ '#a': sorted }, { '#A': sorted }, { '#q': sorted }])
    expect(repoTaggedFilters(refs, 1)).toHaveLength(6)
  })

  it('root-tagged: #e, #E and #q with the root ids', () => {
    const ids = [rootId(1), rootId(2), rootId(3)]
    const f = rootTaggedFilters(ids, 2)
    expect(f.map((x) => Object.keys(x)[0])).toEqual(['#e', '#e', '#E', '#E', '#q', '#q'])
    expect(f.flatMap((x) => x['#e'] ?? [])).toEqual([...ids].sort())
  })

  it('no values, no filters', () => {
    expect(repoTaggedFilters([])).toEqual([])
    expect(rootTaggedFilters([])).toEqual([])
    expect(stateFilters([])).toEqual([])
  })
})

describe('variants', () => {
  it('live: limit 0, no since or until', () => {
    expect(liveFilter({ '#a': ['x'], since: 5, until: 9, limit: 100 })).toEqual({ '#a': ['x'], limit: 0 })
  })

  it('history: since from the host (left out when 0: the whole history), optional until and limit', () => {
    expect(F.pipe({ '#e': ['x'], limit: 0 }, historyFilter(1_700_000_000))).toEqual({ '#e': ['x'], since: 1_700_000_000 })
    expect(F.pipe({ '#e': ['x'], limit: 0 }, historyFilter(0, 1_800_000_000, 500))).toEqual({ '#e': ['x'], until: 1_800_000_000, limit: 500 })
  })
})

describe('relayFilters', () => {
  const r1 = 'wss://r1.example'
  const repo = ref(A, 'org:project')
  const held = ref(B, 'waiting')
  const root = rootId(7)
  const index = fromRelayTargets([
    { relay: r1, repos: [repo], rootEvents: { [repo]: [root] } },
    { relay: 'wss://bootstrap.example', repos: [], rootEvents: {} }
  ] as never)

  it('is the complete live filter list of the relay: discovery, state, repo-tagged, root-tagged', () => {
    const filters = relayFilters(index, r1)
    expect(filters[0]).toEqual({ kinds: [30617, 10317], limit: 0 })
    expect(filters).toContainEqual({ kinds: [30618], authors: [A], '#d': ['org:project'], limit: 0 })
    for (const tag of ['#a', '#A']) expect(filters).toContainEqual({ [tag]: [repo], limit: 0 })
    for (const tag of ['#e', '#E']) expect(filters).toContainEqual({ [tag]: [root], limit: 0 })
    expect(filters).toContainEqual({ '#q': [repo, root].sort(), limit: 0 })
    expect(filters.every((f) => f.limit === 0)).toBe(true)
  })

  it('a bootstrap relay gets discovery only; a relay not in the index gets nothing', () => {
    expect(relayFilters(index, 'wss://bootstrap.example')).toEqual([{ kinds: [30617, 10317], limit: 0 }])
    expect(relayFilters(index, 'wss://unknown.example')).toEqual([])
  })

  it('equals the filters of the relay plan, in order', () => {
    expect(relayFilters(index, r1)).toEqual(F.pipe(index, planRelay(r1)).subscriptions.flatMap((s) => s.filters))
  })

  it('chunks within the limits', () => {
    const many = Array.from({ length: 25 }, (_, i) => rootId(100 + i))
    const big = fromRelayTargets([{ relay: r1, repos: [repo], rootEvents: { [repo]: many } }] as never)
    const filters = relayFilters(big, r1, { maxValuesPerList: 10 })
    for (const f of filters) for (const [k, v] of Object.entries(f)) if (k.startsWith('#')) expect((v as Array<string>).length).toBeLessThanOrEqual(10)
    expect(filters.flatMap((f) => f['#e'] ?? []).sort()).toEqual([...many].sort())
  })

  it('a state-only repository (purgatory) gets its state filter and nothing else', () => {
    const filters = targetFilters({ relay: r1, repos: [], rootEvents: {}, stateOnly: [held] })
    expect(filters).toEqual([
      { kinds: [30617, 10317], limit: 0 },
      { kinds: [30618], authors: [B], '#d': ['waiting'], limit: 0 }
    ])
  })

  it('matches exactly the events GRASP-02 wants, on hand-made cases', () => {
    const target = { relay: r1, repos: [repo], rootEvents: { [repo]: [root] }, stateOnly: [held] }
    const filters = targetFilters(target)
    const cases: Array<[Event, boolean, string]> = [
      [event(30617, [['d', 'anything']], C), true, 'any announcement'],
      [event(10317, [['g', 'wss://x']], C), true, 'any git relay list'],
      [event(30618, [['d', 'org:project']], A), true, 'state of a tracked repository'],
      [event(30618, [['d', 'org']], A), false, 'state of the identifier cut at ":"'],
      [event(30618, [['d', 'org:project']], B), false, 'state of the same d by another pubkey'],
      [event(30618, [['d', 'waiting']], B), true, 'state of a repository in purgatory'],
      [event(1617, [['a', repo]], C), true, 'a patch that tags the repository'],
      [event(1111, [['A', repo]], C), true, 'a comment scoped to the repository'],
      [event(1, [['q', repo]], C), true, 'a quote of the repository'],
      [event(1617, [['a', held]], C), false, 'a patch for a repository in purgatory'],
      [event(1630, [['e', root, '', 'root']], C), true, 'a status of a tracked root'],
      [event(1111, [['E', root]], C), true, 'a comment on a tracked root'],
      [event(1, [['q', root]], C), true, 'a quote of a tracked root'],
      [event(1630, [['e', rootId(8)]], C), false, 'a status of another root'],
      [event(1, [['p', A]], C), false, 'a mention of the maintainer'],
      [event(1617, [['a', `30617:${A}:org`]], C), false, 'a tag with the identifier cut at ":"']
    ]
    for (const [e, expected, why] of cases) {
      expect(covers(filters, e), why).toBe(expected)
      expect(wanted(target, e), why).toBe(expected)
    }
  })
})

describe('real-shaped fixtures', () => {
  const load = (): Array<Event> => realEvents() as Array<Event>
  const events = load()
  const config = { ownRelays: ['wss://relay.ngit.dev'] }
  const desired = F.pipe(applyBatch(config, events)(emptyRepoIndex).index, deriveTargets(config))

  it('every relay of the real targets is asked for exactly the fixture events it should serve', () => {
    expect(events).toHaveLength(9)
    expect(relays(desired).length).toBeGreaterThan(0)
    for (const relay of relays(desired)) {
      const target = O.toUndefined(relayTarget(relay)(desired))!
      const filters = relayFilters(desired, relay)
      for (const e of events) expect(covers(filters, e), `${relay} ${e.kind} ${e.id}`).toBe(wanted(target, e))
      // the four announcements and the state events of the repositories the relay serves
      expect(events.filter((e) => covers(filters, e)).filter((e) => e.kind === 30617)).toHaveLength(4)
      const states = events.filter((e) => e.kind === 30618 && covers(filters, e))
      expect(states.length).toBe(target.repos.length)
    }
  })

  it('the patch that tags two co-maintainers\u2019 repositories is matched where either repository is synced', () => {
    const patch = events.find((e) => e.kind === 1617)!
    const tagged = patch.tags.filter((t) => t[0] === 'a').map((t) => t[1])
    expect(tagged).toHaveLength(2)
    const withRepo = fromRelayTargets([{ relay: 'wss://x.example', repos: [tagged[1]!], rootEvents: {} }] as never)
    expect(covers(relayFilters(withRepo, 'wss://x.example'), patch)).toBe(true)
    const without = fromRelayTargets([{ relay: 'wss://x.example', repos: [`30617:${A}:other`], rootEvents: {} }] as never)
    expect(covers(relayFilters(without, 'wss://x.example'), patch)).toBe(false)
  })
})

describe('totality: bad input gives no filters, or the values that are usable', () => {

  it('lists that are not arrays have no values; values of the wrong type are left out', () => {
    for (const bad of [null, undefined, 42, 'x', {}, trap()]) {
      expect(stateFilters(bad as never)).toEqual([])
      expect(repoTaggedFilters(bad as never)).toEqual([])
      expect(rootTaggedFilters(bad as never)).toEqual([])
    }
    expect(stateFilters(['not a ref', 42, trap(), ref(A, 'x')] as never)).toEqual([{ kinds: [30618], authors: [A], '#d': ['x'] }])
    expect(repoTaggedFilters([ref(A, 'x'), null, trap()] as never, 'many' as never)).toEqual(repoTaggedFilters([ref(A, 'x')]))
    expect(rootTaggedFilters([rootId(1), 7] as never, Number.NaN)).toEqual(rootTaggedFilters([rootId(1)]))
  })

  it('a filter that is not an object reads as {}; bounds that are not finite numbers are left out', () => {
    expect(liveFilter(null as never)).toEqual({ limit: 0 })
    expect(liveFilter([1, 2] as never)).toEqual({ limit: 0 })
    expect(liveFilter(Object.assign(Object.create(null), { '#a': ['x'], since: trap() }))).toEqual({ '#a': ['x'], limit: 0 })
    expect(F.pipe({ '#e': ['x'] }, historyFilter(trap() as never, 'x' as never, Number.NaN))).toEqual({ '#e': ['x'] })
    expect(F.pipe(42 as never, historyFilter(5, 9, 10))).toEqual({ since: 5, until: 9, limit: 10 })
  })

  it('a target that is not an object gives no filters; a relay that is not a string is in no index', () => {
    for (const bad of [null, 42, 'x', [], undefined]) expect(targetFilters(bad as never)).toEqual([])
    expect(targetFilters({ relay: 'wss://r.example', repos: [trap()], rootEvents: trap() } as never)).toEqual([{ kinds: [30617, 10317], limit: 0 }])
    const index = fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }] as never)
    expect(relayFilters(index, trap() as never)).toEqual([])
    expect(relayFilters(null as never, 'wss://r.example')).toEqual([])
  })
})
