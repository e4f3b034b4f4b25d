/**
 * One named test per mistake of the reference server (DOMAIN.md "what the reference server got
 * wrong"), each stating the protocol rule it pins.
 */
import { describe, expect, it } from 'vitest'
import { function as F, option as O } from 'fp-ts'
import { applyBatch, deriveTargets, diff, emptyRepoIndex, lookupRepo, relayRepos, relayRootEvents, relays, relayTarget } from '../../src/index.js'
import { BOOTSTRAP, config } from '../support/arbitraries.js'
import { announce, fromScratch, index, PK, PK2, ref, rootEvent, targets } from '../support/helpers.js'

describe('mistake 1: root events stay with their own repository', () => {
  it('a relay shared by two repositories gets each repository with exactly its own root events', () => {
    const a = announce('alpha', ['wss://shared.example'])
    const b = announce('beta', ['wss://shared.example'])
    const pa = rootEvent(1617, [ref('alpha')], { content: 'patch for alpha' })
    const ib = rootEvent(1621, [ref('beta')], { content: 'issue for beta' })
    const t = targets(config, [a, b, pa, ib])
    expect(relayRootEvents('wss://shared.example')(t)).toEqual({ [ref('alpha')]: [pa.id], [ref('beta')]: [ib.id] })
    const [spawn] = fromScratch(config, [a, b, pa, ib]).filter((x) => x.relay === 'wss://shared.example')
    expect(spawn).toEqual({
      _tag: 'SpawnRelay',
      relay: 'wss://shared.example',
      repos: [ref('alpha'), ref('beta')].sort(),
      rootEvents: { [ref('alpha')]: [pa.id], [ref('beta')]: [ib.id] }
    })
  })
})

describe('mistake 2: what is no longer wanted is removed', () => {
  it('a relay dropped from a newer announcement is closed', () => {
    const v1 = announce('alpha', ['wss://old.example', 'wss://kept.example'], { created_at: 100 })
    const v2 = announce('alpha', ['wss://kept.example'], { created_at: 101 })
    const applied = targets(config, [v1])
    const desired = targets(config, [v1], [v2])
    expect(F.pipe(applied, diff(desired))).toEqual([{ _tag: 'CloseRelay', relay: 'wss://old.example' }])
  })

  it('a repository that stops listing our service leaves every target (RemoveFilters on shared relays)', () => {
    const other = announce('beta', ['wss://kept.example'])
    const v1 = announce('alpha', ['wss://kept.example'], { created_at: 100 })
    const p = rootEvent(1617, [ref('alpha')])
    const v2 = announce('alpha', ['wss://kept.example'], { created_at: 101, listUs: false })
    const applied = targets(config, [other, v1, p])
    const desired = targets(config, [other, v1, p], [v2])
    expect(relayRepos('wss://kept.example')(desired)).toEqual([ref('beta')])
    expect(F.pipe(applied, diff(desired))).toEqual([
      { _tag: 'RemoveFilters', relay: 'wss://kept.example', repos: [ref('alpha')], rootEvents: { [ref('alpha')]: [p.id] } }
    ])
  })

  it('bootstrap relays stay connected with no repos when nothing lists them', () => {
    const t = targets(config, [])
    expect(relays(t)).toEqual([BOOTSTRAP])
    expect(relayTarget(BOOTSTRAP)(t)).toEqual(O.some({ relay: BOOTSTRAP, repos: [], rootEvents: {} }))
  })
})

describe('mistake 3: every a tag of a root event counts', () => {
  it('a patch tagging two co-maintainers\u2019 repositories joins both', () => {
    const mine = announce('proj', ['wss://r1.example'])
    const theirs = announce('proj', ['wss://r2.example'], { pubkey: PK2 })
    const patch = rootEvent(1617, [ref('proj'), ref('proj', PK2)])
    const t = targets(config, [mine, theirs, patch])
    expect(relayRootEvents('wss://r1.example')(t)).toEqual({ [ref('proj')]: [patch.id] })
    expect(relayRootEvents('wss://r2.example')(t)).toEqual({ [ref('proj', PK2)]: [patch.id] })
  })
})

describe('mistake 4: a root event is never lost because its announcement came later', () => {
  it('root event before its announcement in the same batch', () => {
    const patch = rootEvent(1617, [ref('alpha')])
    const t = targets(config, [patch, announce('alpha', ['wss://r1.example'])])
    expect(relayRootEvents('wss://r1.example')(t)).toEqual({ [ref('alpha')]: [patch.id] })
  })

  it('root event in an earlier batch than its announcement', () => {
    const patch = rootEvent(1618, [ref('alpha')])
    const before = targets(config, [patch])
    expect(relays(before)).toEqual([BOOTSTRAP])
    const after = targets(config, [patch], [announce('alpha', ['wss://r1.example'])])
    expect(relayRootEvents('wss://r1.example')(after)).toEqual({ [ref('alpha')]: [patch.id] })
  })
})

describe('mistake 5: only the difference is sent', () => {
  it('a new root event on an applied relay gives one AddFilters with just that pair', () => {
    const a = announce('alpha', ['wss://r1.example'])
    const p1 = rootEvent(1617, [ref('alpha')], { content: 'one' })
    const p2 = rootEvent(1621, [ref('alpha')], { content: 'two' })
    const applied = targets(config, [a, p1])
    const desired = targets(config, [a, p1], [p2])
    expect(F.pipe(applied, diff(desired))).toEqual([{ _tag: 'AddFilters', relay: 'wss://r1.example', repos: [], rootEvents: { [ref('alpha')]: [p2.id] } }])
  })
})

describe('mistake 7: relay URLs are normalised', () => {
  it('wss://r.com, wss://r.com/, WSS://R.com and wss://r.com:443 are one relay', () => {
    const t = targets(config, [
      announce('a', ['wss://r.com']),
      announce('b', ['wss://r.com/']),
      announce('c', ['WSS://R.com']),
      announce('d', ['wss://r.com:443'])
    ])
    expect(relays(t)).toEqual([BOOTSTRAP, 'wss://r.com'].sort())
    expect(relayRepos('wss://r.com')(t)).toEqual([ref('a'), ref('b'), ref('c'), ref('d')])
  })
})

describe('mistake 8: own-relay and "lists our service" checks compare exact hosts', () => {
  it('a look-alike host in clone and relays does not make an announcement list us', () => {
    const evil = announce('alpha', ['wss://grasp.example.com.evil.net', 'wss://r1.example'], {
      listUs: false,
      clone: ['https://grasp.example.com.evil.net/npub1x/alpha.git']
    })
    expect(relays(targets(config, [evil]))).toEqual([BOOTSTRAP])
  })

  it('listing us in relays but not in clone (or the reverse) is not enough', () => {
    const relaysOnly = announce('a', ['wss://grasp.example.com', 'wss://r1.example'], { listUs: false, clone: ['https://github.com/x/a.git'] })
    const cloneOnly = announce('b', ['wss://r1.example'], { listUs: false, clone: ['https://grasp.example.com/npub1x/b.git'] })
    expect(relays(targets(config, [relaysOnly, cloneOnly]))).toEqual([BOOTSTRAP])
  })

  it('a look-alike of our host is a foreign relay, not our own', () => {
    const a = announce('alpha', ['wss://grasp.example.com.evil.net', 'wss://GRASP.example.com:443/'])
    const t = targets(config, [a])
    expect(relays(t)).toEqual([BOOTSTRAP, 'wss://grasp.example.com.evil.net'].sort())
  })
})

describe('mistake 9: the d identifier keeps its colons', () => {
  it('a repository "org:project" is addressed whole and its root events join it', () => {
    const a = announce('org:project', ['wss://r1.example'])
    const patch = rootEvent(1617, [`30617:${PK}:org:project`])
    const idx = index(config, [a, patch])
    const info = lookupRepo(`30617:${PK}:org:project`)(idx)
    expect(O.isSome(info) && O.isSome(info.value.announcement) && info.value.announcement.value.identifier).toBe('org:project')
    expect(lookupRepo(`30617:${PK}:org`)(idx)).toEqual(O.none)
    expect(relayRootEvents('wss://r1.example')(F.pipe(idx, deriveTargets(config)))).toEqual({ [`30617:${PK}:org:project`]: [patch.id] })
  })
})

describe('mistake 10: the addressable rule decides the live announcement', () => {
  const older = announce('alpha', ['wss://old.example'], { created_at: 100 })
  const newer = announce('alpha', ['wss://new.example'], { created_at: 200 })

  it('the newest announcement wins whatever the order', () => {
    for (const order of [[older, newer], [newer, older]]) {
      const t = targets(config, order)
      expect(relays(t)).toEqual([BOOTSTRAP, 'wss://new.example'].sort())
    }
  })

  it('announcements are replaced, not unioned, across batches', () => {
    expect(relays(targets(config, [newer], [older]))).toEqual([BOOTSTRAP, 'wss://new.example'].sort())
  })

  it('on equal created_at the lowest id wins', () => {
    const x = announce('alpha', ['wss://x.example'], { created_at: 300 })
    const y = announce('alpha', ['wss://y.example'], { created_at: 300 })
    const winner = x.id < y.id ? 'wss://x.example' : 'wss://y.example'
    expect(relays(targets(config, [x, y]))).toEqual([BOOTSTRAP, winner].sort())
    expect(relays(targets(config, [y, x]))).toEqual([BOOTSTRAP, winner].sort())
  })
})

describe('mistake 11: clone hosts never become relays', () => {
  it('http(s) clone URLs and http(s) values in relays give no relay', () => {
    const a = announce('alpha', ['https://github.com'], { clone: ['https://github.com/x/alpha.git', 'https://codeberg.org/x/alpha.git'] })
    const { index: idx, rejected } = applyBatch(config, [a])(emptyRepoIndex)
    expect(relays(F.pipe(idx, deriveTargets(config)))).toEqual([BOOTSTRAP])
    expect(rejected).toEqual([
      expect.objectContaining({ code: 'invalid-relay-url', partial: true, value: 'https://github.com', repo: ref('alpha') })
    ])
  })
})

describe('acceptance modes', () => {
  it("'all' (GRASP-05 archive mode) syncs announcements that do not list us", () => {
    const a = announce('alpha', ['wss://r1.example'], { listUs: false })
    expect(relays(targets(config, [a]))).toEqual([BOOTSTRAP])
    expect(relays(targets({ ...config, acceptance: 'all' }, [a]))).toEqual([BOOTSTRAP, 'wss://r1.example'].sort())
  })

  it('rootKinds decides which kinds are root events', () => {
    const a = announce('alpha', ['wss://r1.example'])
    const comment = rootEvent(1111, [ref('alpha')])
    const withComments = { ...config, rootKinds: [1617, 1111] }
    expect(relayRootEvents('wss://r1.example')(targets(withComments, [a, comment]))).toEqual({ [ref('alpha')]: [comment.id] })
    // without 1111 among the root kinds, a NIP-22 comment is ignored on purpose: counted, not rejected
    const { rejected, ignoredKinds } = applyBatch(config, [comment])(emptyRepoIndex)
    expect(rejected).toEqual([])
    expect(ignoredKinds).toEqual({ 1111: 1 })
  })
})

describe('GRASP-01 acceptance reads http(s) clone URLs only', () => {
  it('a clone URL on our host with another scheme (ssh, git, wss) does not make an announcement list us', () => {
    for (const clone of ['git://grasp.example.com/npub1x/alpha.git', 'ssh://git@grasp.example.com/alpha.git', 'wss://grasp.example.com']) {
      const a = announce('alpha', ['wss://grasp.example.com', 'wss://r1.example'], { listUs: false, clone: [clone] })
      expect(relays(targets(config, [a]))).toEqual([BOOTSTRAP])
    }
    const https = announce('alpha', ['wss://grasp.example.com', 'wss://r1.example'], { listUs: false, clone: ['HTTPS://Grasp.Example.com/npub1x/alpha.git'] })
    expect(relays(targets(config, [https]))).toEqual([BOOTSTRAP, 'wss://r1.example'].sort())
  })
})
