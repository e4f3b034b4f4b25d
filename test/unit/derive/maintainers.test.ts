/**
 * Issue 4: co-maintained repositories. Announcements with one `d` whose authors list each other
 * in `maintainers` (mutual listing, transitively) form one repository.
 */
import { describe, expect, it } from 'vitest'
import { function as F } from 'fp-ts'
import { diff, relayRepos, relayRootEvents, relays } from '../../../src/index.js'
import { BOOTSTRAP, config, PUBKEYS } from '../../support/arbitraries.js'
import { announce, ref, rootEvent, targets } from '../../support/helpers.js'

const [A, B, C] = PUBKEYS
const ann = (pubkey: string, relaysList: ReadonlyArray<string>, maintainers: ReadonlyArray<string>, opts: { listUs?: boolean; created_at?: number } = {}) =>
  announce('proj', relaysList, { pubkey, listUs: opts.listUs ?? false, created_at: opts.created_at ?? 100, extraTags: maintainers.length > 0 ? [['maintainers', ...maintainers]] : [] })

const foreign = (rs: ReturnType<typeof targets>) => relays(rs).filter((r) => r !== BOOTSTRAP)

describe('maintainer merging', () => {
  it('mutual listing merges: every relay of either gets both addresses and their root events', () => {
    const a = ann(A, ['wss://a.example'], [A, B], { listUs: true })
    const b = ann(B, ['wss://b.example'], [A])
    const pa = rootEvent(1617, [ref('proj', A)], { content: 'on A' })
    const pb = rootEvent(1621, [ref('proj', B)], { content: 'on B' })
    const t = targets(config, [a, b, pa, pb])
    expect(foreign(t)).toEqual(['wss://a.example', 'wss://b.example'])
    for (const relay of ['wss://a.example', 'wss://b.example']) {
      expect(relayRepos(relay)(t)).toEqual([ref('proj', A), ref('proj', B)].sort())
      expect(relayRootEvents(relay)(t)).toEqual({ [ref('proj', A)]: [pa.id], [ref('proj', B)]: [pb.id] })
    }
  })

  it('a maintainer that does not list back is not merged (one-way listing is not enough)', () => {
    const a = ann(A, ['wss://a.example'], [B], { listUs: true })
    const b = ann(B, ['wss://b.example'], [])
    expect(foreign(targets(config, [a, b]))).toEqual(['wss://a.example'])
    // nor the other way round: B cannot join itself to A's repository by listing A
    const b2 = ann(B, ['wss://b.example'], [A])
    const a2 = ann(A, ['wss://a.example'], [], { listUs: true })
    expect(foreign(targets(config, [a2, b2]))).toEqual(['wss://a.example'])
  })

  it('merging is transitive and cycles are fine: A\u2194B and B\u2194C make one repository', () => {
    const a = ann(A, ['wss://a.example'], [B], { listUs: true })
    const b = ann(B, ['wss://b.example'], [A, C])
    const c = ann(C, ['wss://c.example'], [B, A])
    const t = targets(config, [a, b, c])
    expect(foreign(t)).toEqual(['wss://a.example', 'wss://b.example', 'wss://c.example'])
    expect(relayRepos('wss://c.example')(t)).toEqual([ref('proj', A), ref('proj', B), ref('proj', C)].sort())
  })

  it('self-listing changes nothing', () => {
    const a = ann(A, ['wss://a.example'], [A], { listUs: true })
    const b = ann(B, ['wss://b.example'], [B])
    const t = targets(config, [a, b])
    expect(foreign(t)).toEqual(['wss://a.example'])
    expect(relayRepos('wss://a.example')(t)).toEqual([ref('proj', A)])
  })

  it('only announcements with the same d are merged', () => {
    const a = ann(A, ['wss://a.example'], [B], { listUs: true })
    const other = announce('other', ['wss://b.example'], { pubkey: B, listUs: false, extraTags: [['maintainers', A]] })
    expect(foreign(targets(config, [a, other]))).toEqual(['wss://a.example'])
  })

  it('a maintainer\u2019s newer announcement that drops a relay removes it (CloseRelay)', () => {
    const a = ann(A, ['wss://a.example'], [B], { listUs: true })
    const b1 = ann(B, ['wss://b.example', 'wss://b2.example'], [A], { created_at: 100 })
    const b2 = ann(B, ['wss://b.example'], [A], { created_at: 101 })
    const applied = targets(config, [a, b1])
    const desired = targets(config, [a, b1], [b2])
    expect(F.pipe(applied, diff(desired))).toEqual([{ _tag: 'CloseRelay', relay: 'wss://b2.example' }])
  })

  it('a maintainer removed from the list takes their relays and address out (diff shows removals)', () => {
    const a1 = ann(A, ['wss://a.example'], [B], { listUs: true, created_at: 100 })
    const a2 = ann(A, ['wss://a.example'], [], { listUs: true, created_at: 101 })
    const b = ann(B, ['wss://b.example'], [A])
    const applied = targets(config, [a1, b])
    const desired = targets(config, [a1, b], [a2])
    expect(F.pipe(applied, diff(desired))).toEqual([
      { _tag: 'RemoveFilters', relay: 'wss://a.example', repos: [ref('proj', B)], rootEvents: {} },
      { _tag: 'CloseRelay', relay: 'wss://b.example' }
    ])
  })

  it('mergeMaintainers: false keeps every announcement its own repository', () => {
    const a = ann(A, ['wss://a.example'], [B], { listUs: true })
    const b = ann(B, ['wss://b.example'], [A])
    expect(foreign(targets({ ...config, mergeMaintainers: false }, [a, b]))).toEqual(['wss://a.example'])
  })
})
