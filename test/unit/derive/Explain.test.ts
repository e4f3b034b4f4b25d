import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { function as F } from 'fp-ts'
import { deriveTargets, explainRelay, explainRepo, relayRepos, relayRootEvents, relays } from '../../../src/index.js'
import { BOOTSTRAP, config, eventsWithDeletionsArb, finish, OWN, PUBKEYS, REFS, RELAY_SPELLINGS } from '../../support/arbitraries.js'
import { applyAll } from '../../laws/laws.js'
import { announce, index, PK, ref, rootEvent } from '../../support/helpers.js'

const [A, B] = PUBKEYS

describe('explainRelay', () => {
  const a = announce('proj', ['wss://r1.example', 'https://github.com'], { pubkey: A, extraTags: [['maintainers', B]] })
  const b = announce('proj', ['WSS://B.example/'], { pubkey: B, listUs: false, extraTags: [['maintainers', A]] })
  const patch = rootEvent(1617, [ref('proj', A)])
  const idx = index(config, [a, b, patch])

  it('names the announcement and the tag that put each repository on the relay, with its root events', () => {
    const e = explainRelay(config, idx, 'wss://r1.example')
    expect(e).toMatchObject({ relay: 'wss://r1.example', asked: true, own: false, bootstrap: false, excluded: [] })
    expect(e.repos.map((r) => r.repo)).toEqual([ref('proj', A), ref('proj', B)].sort())
    const forA = e.repos.find((r) => r.repo === ref('proj', A))!
    expect(forA.listedBy).toEqual([{ announcement: { repo: ref('proj', A), id: a.id, author: A, createdAt: 100 }, tag: 1, value: 'wss://r1.example' }])
    expect(forA.acceptedThrough.map((x) => x.id)).toEqual([a.id])
    expect(forA.rootEvents).toEqual([patch.id])
  })

  it('a relay listed only by a co-maintainer is explained through that maintainer\u2019s tag', () => {
    const e = explainRelay(config, idx, 'wss://b.example')
    expect(e.asked).toBe(true)
    expect(e.repos.every((r) => r.listedBy.length === 1 && r.listedBy[0]!.announcement.author === B && r.listedBy[0]!.value === 'WSS://B.example/')).toBe(true)
    expect(e.repos.every((r) => r.acceptedThrough.map((x) => x.author).join() === A)).toBe(true)
  })

  it('an excluded URL says which rule excluded it', () => {
    const e = explainRelay(config, idx, 'https://github.com')
    expect(e.asked).toBe(false)
    expect(e.excluded).toEqual([
      expect.objectContaining({ code: 'invalid-relay-url', value: 'https://github.com', tag: 1, announcement: expect.objectContaining({ id: a.id }) })
    ])
  })

  it('cap and own-relay exclusions', () => {
    const many = announce('big', Array.from({ length: 21 }, (_, i) => `wss://m${i}.example`))
    const i2 = index(config, [many])
    expect(explainRelay(config, i2, 'wss://m20.example').excluded).toEqual([expect.objectContaining({ code: 'cap-exceeded', rule: 'relaysPerAnnouncement' })])
    const own = explainRelay(config, i2, OWN)
    expect(own).toMatchObject({ own: true, asked: false, repos: [] })
    expect(own.excluded.map((x) => x.code)).toEqual(['own-relay'])
  })

  it('a repository that does not list us is explained as not accepted', () => {
    const quiet = announce('quiet', ['wss://q.example'], { listUs: false })
    const e = explainRelay(config, index(config, [quiet]), 'wss://q.example')
    expect(e.asked).toBe(false)
    expect(e.excluded.map((x) => x.code)).toEqual(['not-accepted'])
  })

  it('bootstrap relays are asked with no repositories', () => {
    expect(explainRelay(config, idx, BOOTSTRAP)).toMatchObject({ asked: true, bootstrap: true, repos: [] })
  })

  test.prop([eventsWithDeletionsArb, fc.constantFrom(...RELAY_SPELLINGS)], { numRuns: 1000 })(
    'agrees with deriveTargets: asked iff targeted, with the same repositories and root events',
    (events, relay) => {
      const i = applyAll(config, [events])
      const t = F.pipe(i, deriveTargets(config))
      const e = explainRelay(config, i, relay)
      expect(e.asked).toBe((relays(t) as ReadonlyArray<string>).includes(e.relay))
      expect(e.repos.map((r) => r.repo)).toEqual(relayRepos(e.relay)(t))
      const roots = Object.fromEntries(e.repos.filter((r) => r.rootEvents.length > 0).map((r) => [r.repo, r.rootEvents]))
      expect(roots).toEqual(relayRootEvents(e.relay)(t))
    }
  )
})

describe('explainRepo', () => {
  it('gives each status', () => {
    const listed = announce('listed', ['wss://r1.example'])
    const quiet = announce('quiet', ['wss://q.example'], { listUs: false })
    const del = finish({ kind: 5, pubkey: PK, created_at: 500, content: '', tags: [['a', ref('gone')]] })
    const orphan = rootEvent(1617, [ref('orphan')])
    const i = index(config, [listed, quiet, announce('gone', []), del, orphan])
    expect(explainRepo(config, i, ref('listed')).status).toBe('synced')
    expect(explainRepo(config, i, ref('quiet')).status).toBe('not-accepted')
    expect(explainRepo(config, i, ref('gone')).status).toBe('deleted')
    expect(explainRepo(config, i, ref('orphan'))).toMatchObject({ status: 'not-announced', rootEvents: [orphan.id] })
    expect(explainRepo(config, i, ref('nothing')).status).toBe('unknown')
    expect(explainRepo(config, i, ref('listed')).relays).toEqual([
      { relay: 'wss://r1.example', listedBy: [{ announcement: { repo: ref('listed'), id: listed.id, author: PK, createdAt: 100 }, tag: 1, value: 'wss://r1.example' }] }
    ])
  })

  test.prop([eventsWithDeletionsArb, fc.constantFrom(...REFS)], { numRuns: 500 })('its relays are exactly the relays whose targets hold it', (events, repo) => {
    const i = applyAll(config, [events])
    const t = F.pipe(i, deriveTargets(config))
    const e = explainRepo(config, i, repo)
    const holding = relays(t).filter((r) => (relayRepos(r)(t) as ReadonlyArray<string>).includes(repo))
    expect(e.relays.map((r) => r.relay)).toEqual(holding)
    if (e.status !== 'synced') expect(holding).toEqual([])
  })
})
