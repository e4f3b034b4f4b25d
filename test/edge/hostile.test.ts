/**
 * Issue 3, named cases: signatures, time, caps and deletions.
 */
import { describe, expect, it } from 'vitest'
import { function as F, option as O } from 'fp-ts'
import { applyBatch, deriveTargets, diff, emptyRepoIndex, eqRepoIndex, lookupRepo, relayRepos, relays, rootEventsOf } from '../../src/index.js'
import { BOOTSTRAP, config as unverified, finish, OWN } from '../support/arbitraries.js'
import { announce, index, PK, PK2, ref, rootEvent, targets } from '../support/helpers.js'
import { pubkeyOf, secretKey, sign } from '../support/signing.js'

const verified = { ownRelays: [OWN], bootstrapRelays: [BOOTSTRAP] }
const alice = secretKey('alice')
const ALICE = pubkeyOf(alice)
const signedAnnouncement = (d: string, relaysList: ReadonlyArray<string>, created_at = 1000) =>
  sign(alice, 30617, created_at, [
    ['d', d],
    ['relays', OWN, ...relaysList],
    ['clone', `https://grasp.example.com/npub1alice/${d}.git`]
  ])

describe('signatures', () => {
  it('verifies by default: a valid signed announcement applies', () => {
    const { index: idx, rejected } = applyBatch(verified, [signedAnnouncement('repo', ['wss://r1.example'])])(emptyRepoIndex)
    expect(rejected).toEqual([])
    expect(O.isSome(lookupRepo(`30617:${ALICE}:repo`)(idx))).toBe(true)
  })

  it('a tampered event is rejected: edited tags (id mismatch) and a forged signature', () => {
    const good = signedAnnouncement('repo', ['wss://r1.example'])
    const editedTags = { ...good, tags: [...good.tags, ['relays', 'wss://evil.example']] }
    const forgedSig = { ...good, sig: good.sig.replace(/^./, good.sig[0] === 'a' ? 'b' : 'a') }
    const { index: idx, rejected } = applyBatch(verified, [editedTags, forgedSig])(emptyRepoIndex)
    expect(rejected.map((r) => [r.code, r.message])).toEqual([
      ['invalid-signature', 'the id is not the hash of the event'],
      ['invalid-signature', 'the signature does not verify']
    ])
    expect(eqRepoIndex.equals(idx, emptyRepoIndex)).toBe(true)
  })

  it('a spread copy of a verified event with other tags is still caught (no cached verdict trusted)', async () => {
    const { verifyEvent } = await import('nostr-tools/pure')
    const good = signedAnnouncement('repo', [])
    expect(verifyEvent(good)).toBe(true) // caches a verdict on `good`
    const copy = { ...good, tags: [['d', 'repo'], ['relays', 'wss://evil.example']] }
    expect(applyBatch(verified, [copy])(emptyRepoIndex).rejected.map((r) => r.code)).toEqual(['invalid-signature'])
  })

  it('works on frozen input and never mutates the caller\u2019s objects', () => {
    const ev = signedAnnouncement('repo', ['wss://r1.example'])
    const frozen = Object.freeze({ ...ev, tags: Object.freeze(ev.tags.map((t) => Object.freeze([...t]))) })
    const before = JSON.stringify(frozen)
    const { rejected } = applyBatch(verified, [frozen])(emptyRepoIndex)
    expect(rejected).toEqual([])
    expect(JSON.stringify(frozen)).toBe(before)
    expect(Object.getOwnPropertySymbols(frozen)).toEqual([])
  })

  it('verify: false trusts the host (dummy signatures pass)', () => {
    const ev = announce('repo', ['wss://r1.example'])
    expect(applyBatch({ ...verified, verify: false }, [ev])(emptyRepoIndex).rejected).toEqual([])
    expect(applyBatch(verified, [ev])(emptyRepoIndex).rejected.map((r) => r.code)).toEqual(['invalid-signature'])
  })
})

describe('time: far-future announcements', () => {
  const now = 1_700_000_000
  it('an announcement more than 15 minutes ahead of now is rejected; within the skew it applies', () => {
    const far = announce('repo', ['wss://pinned.example'], { created_at: now + 901 })
    const near = announce('repo', ['wss://r1.example'], { created_at: now + 900 })
    const { index: idx, rejected } = applyBatch(unverified, [far, near], { now })(emptyRepoIndex)
    expect(rejected.map((r) => r.code)).toEqual(['future-dated'])
    expect(relays(F.pipe(idx, deriveTargets(unverified)))).toEqual([BOOTSTRAP, 'wss://r1.example'].sort())
  })

  it('the skew is configurable, and without now there is no check', () => {
    const ev = announce('repo', [], { created_at: now + 120 })
    expect(applyBatch({ ...unverified, maxFutureSkew: 60 }, [ev], { now })(emptyRepoIndex).rejected.map((r) => r.code)).toEqual(['future-dated'])
    expect(applyBatch({ ...unverified, maxFutureSkew: 60 }, [ev])(emptyRepoIndex).rejected).toEqual([])
  })

  it('a far-future deletion is rejected too (it would delete every later version)', () => {
    const del = finishEvent(5, [['a', ref('repo')]], now + 10_000, PK)
    expect(applyBatch(unverified, [del], { now })(emptyRepoIndex).rejected.map((r) => r.code)).toEqual(['future-dated'])
  })

  it('a bad now is reported, not ignored', () => {
    const { rejected } = applyBatch(unverified, [], { now: Number.NaN })(emptyRepoIndex)
    expect(rejected.map((r) => r.code)).toEqual(['invalid-batch'])
  })
})

const finishEvent = (kind: number, tags: ReadonlyArray<ReadonlyArray<string>>, created_at: number, pubkey: string) =>
  finish({ kind, pubkey, created_at, content: '', tags })

describe('caps', () => {
  it('relays per announcement: the first 20 foreign relays in tag order are kept, the rest reported', () => {
    const many = Array.from({ length: 25 }, (_, i) => `wss://r${String(i).padStart(2, '0')}.example`)
    const { index: idx, rejected } = applyBatch(unverified, [announce('repo', many)])(emptyRepoIndex)
    const t = F.pipe(idx, deriveTargets(unverified))
    expect(relays(t).filter((r) => r !== BOOTSTRAP)).toEqual(many.slice(0, 20))
    expect(rejected.map((r) => [r.code, r.rule, r.value, r.partial])).toEqual(many.slice(20).map((v) => ['cap-exceeded', 'relaysPerAnnouncement', v, true]))
  })

  it('our own relay does not count against the relay cap', () => {
    const two = ['wss://a.example', 'wss://b.example']
    const { rejected } = applyBatch({ ...unverified, caps: { relaysPerAnnouncement: 2 } }, [announce('repo', two)])(emptyRepoIndex)
    expect(rejected).toEqual([])
  })

  it('repos per root event: the first ones in tag order are kept, the rest reported', () => {
    const refs = Array.from({ length: 12 }, (_, i) => ref(`r${i}`))
    const ev = rootEvent(1617, refs)
    const { index: idx, rejected } = applyBatch(unverified, [ev])(emptyRepoIndex)
    expect(refs.filter((r) => rootEventsOf(r)(idx).length > 0)).toEqual(refs.slice(0, 10))
    expect(rejected.map((r) => [r.code, r.rule])).toEqual([
      ['cap-exceeded', 'reposPerRootEvent'],
      ['cap-exceeded', 'reposPerRootEvent']
    ])
  })

  it('tags per event and bytes per tag value reject the whole event', () => {
    const manyTags = finishEvent(1617, [['a', ref('x')], ...Array.from({ length: 2000 }, () => ['t', 'x'])], 1, PK)
    const longValue = finishEvent(1617, [['a', ref('x')], ['t', 'é'.repeat(513)]], 1, PK)
    const ok = finishEvent(1617, [['a', ref('x')], ['t', 'é'.repeat(512)]], 1, PK)
    const { rejected } = applyBatch(unverified, [manyTags, longValue, ok])(emptyRepoIndex)
    expect(rejected.map((r) => [r.code, r.rule, r.partial, r.position])).toEqual([
      ['cap-exceeded', 'tagsPerEvent', false, 0],
      ['cap-exceeded', 'bytesPerTagValue', false, 1]
    ])
  })

  it('caps are configurable and a bad cap is reported', () => {
    const { rejected } = applyBatch({ ...unverified, caps: { tagsPerEvent: -1 } }, [])(emptyRepoIndex)
    expect(rejected.map((r) => r.code)).toEqual(['invalid-config'])
  })
})

describe('deletions (NIP-09)', () => {
  const v1 = announce('repo', ['wss://r1.example'], { created_at: 100 })
  const patch = rootEvent(1617, [ref('repo')], { pubkey: PK2 })
  const delByA = (created_at: number, pubkey = PK) => finishEvent(5, [['a', ref('repo')]], created_at, pubkey)
  const delByE = (id: string, pubkey: string) => finishEvent(5, [['e', id]], 150, pubkey)

  it('an a-tag deletion by the author removes the announcement up to its created_at; diff closes the relay', () => {
    const applied = targets(unverified, [v1, patch])
    const desired = targets(unverified, [v1, patch], [delByA(100)])
    expect(relays(desired)).toEqual([BOOTSTRAP])
    expect(F.pipe(applied, diff(desired))).toEqual([{ _tag: 'CloseRelay', relay: 'wss://r1.example' }])
  })

  it('a newer version after the deletion is live again; an older one stays deleted', () => {
    const newer = announce('repo', ['wss://r2.example'], { created_at: 101 })
    const older = announce('repo', ['wss://r0.example'], { created_at: 99 })
    expect(relays(targets(unverified, [v1, delByA(100), older]))).toEqual([BOOTSTRAP])
    expect(relays(targets(unverified, [v1, delByA(100), newer]))).toEqual([BOOTSTRAP, 'wss://r2.example'].sort())
  })

  it('an e-tag deletion by the author removes that announcement', () => {
    expect(relays(targets(unverified, [v1, delByE(v1.id, PK)]))).toEqual([BOOTSTRAP])
  })

  it('a deletion from another pubkey does nothing, and its foreign a tag is reported', () => {
    const { index: idx, rejected } = applyBatch(unverified, [v1, patch, delByA(200, PK2), delByE(v1.id, PK2), delByE(patch.id, PK)])(emptyRepoIndex)
    expect(relayRepos('wss://r1.example')(F.pipe(idx, deriveTargets(unverified)))).toEqual([ref('repo')])
    expect(rootEventsOf(ref('repo'))(idx)).toEqual([patch.id])
    expect(rejected.map((r) => r.code)).toEqual(['not-authorised', 'no-target'])
  })

  it('a deletion that arrives before the event it deletes wins when the event arrives', () => {
    const first = index(unverified, [delByE(patch.id, PK2), delByA(100)], [v1, patch])
    const after = index(unverified, [v1, patch], [delByE(patch.id, PK2), delByA(100)])
    expect(eqRepoIndex.equals(first, after)).toBe(true)
    expect(rootEventsOf(ref('repo'))(first)).toEqual([])
    expect(O.isNone(lookupRepo(ref('repo'))(first))).toBe(true)
  })

  it('a deleted root event leaves the targets: diff gives RemoveFilters', () => {
    const applied = targets(unverified, [v1, patch])
    const desired = targets(unverified, [v1, patch], [delByE(patch.id, PK2)])
    expect(F.pipe(applied, diff(desired))).toEqual([
      { _tag: 'RemoveFilters', relay: 'wss://r1.example', repos: [], rootEvents: { [ref('repo')]: [patch.id] } }
    ])
  })

  it('deleting one version by id does not delete a newer version with the same created_at', () => {
    const x = announce('repo', ['wss://x.example'], { created_at: 300 })
    const y = announce('repo', ['wss://y.example'], { created_at: 300 })
    const [low, high] = x.id < y.id ? [x, y] : [y, x]
    // `low` (lower id) is live; deleting `high` by id changes nothing, in either order
    const expected = [BOOTSTRAP, low === x ? 'wss://x.example' : 'wss://y.example'].sort()
    expect(relays(targets(unverified, [low, high, delByE(high.id, PK)]))).toEqual(expected)
    expect(relays(targets(unverified, [high, delByE(high.id, PK), low]))).toEqual(expected)
  })

  it('malformed deletion tags are reported; a deletion with nothing usable is rejected', () => {
    const bad = finishEvent(5, [['e', 'xyz'], ['a', '30617:nothex:repo']], 1, PK)
    expect(applyBatch(unverified, [bad])(emptyRepoIndex).rejected.map((r) => r.code)).toEqual(['invalid-repo-ref', 'invalid-event-ref', 'no-target'])
  })
})

describe('relay URL policy inside applyBatch and the configuration', () => {
  it('refused relay URLs are reported with the repo, the URL and the rule; the rest of the announcement applies', () => {
    const tricky = ['wss://127.1', 'wss://0x7f000001', 'wss://[::ffff:127.0.0.1]', 'wss://LOCALHOST.', 'wss://169.254.169.254', 'ws://plain.example', 'wss://svc.internal']
    const ev = announce('repo', [...tricky, 'wss://user:pw@host.example', 'http://host.example', 'wss://r1.example'])
    const { index: idx, rejected } = applyBatch(unverified, [ev])(emptyRepoIndex)
    expect(relays(F.pipe(idx, deriveTargets(unverified)))).toEqual([BOOTSTRAP, 'wss://r1.example'].sort())
    expect(rejected.map((r) => [r.code, r.rule ?? null, r.value, r.repo, r.partial])).toEqual([
      ['refused-relay-url', 'loopback', 'wss://127.1', ref('repo'), true],
      ['refused-relay-url', 'loopback', 'wss://0x7f000001', ref('repo'), true],
      ['refused-relay-url', 'loopback', 'wss://[::ffff:127.0.0.1]', ref('repo'), true],
      ['refused-relay-url', 'loopback', 'wss://LOCALHOST.', ref('repo'), true],
      ['refused-relay-url', 'link-local', 'wss://169.254.169.254', ref('repo'), true],
      ['refused-relay-url', 'insecure-ws', 'ws://plain.example', ref('repo'), true],
      ['refused-relay-url', 'local-name', 'wss://svc.internal', ref('repo'), true],
      ['invalid-relay-url', null, 'wss://user:pw@host.example', ref('repo'), true],
      ['invalid-relay-url', null, 'http://host.example', ref('repo'), true]
    ])
  })

  it('the policy is configurable: allowWs lets ws:// relays through', () => {
    const ev = announce('repo', ['ws://plain.example'])
    const c = { ...unverified, relayPolicy: { allowWs: true } }
    expect(relays(F.pipe(applyBatch(c, [ev])(emptyRepoIndex).index, deriveTargets(c)))).toContain('ws://plain.example')
  })

  it('own and bootstrap relays are checked the same way, unless the caller allows them explicitly', () => {
    const local = { ownRelays: ['ws://localhost:7777'], bootstrapRelays: ['wss://10.0.0.5'], verify: false }
    const { rejected } = applyBatch(local, [])(emptyRepoIndex)
    expect(rejected.map((r) => [r.code, r.rule])).toEqual([
      ['invalid-config', 'loopback'],
      ['invalid-config', 'private'],
      ['invalid-config', undefined] // and so no own relay is left: nothing could be accepted
    ])
    const allowed = { ...local, relayPolicy: { allowRelays: ['ws://localhost:7777', 'wss://10.0.0.5'] } }
    expect(applyBatch(allowed, [])(emptyRepoIndex).rejected).toEqual([])
    // allowing our own relay does not open its network to announcements: other loopback
    // addresses are still refused, and other ports of our own host are never targets
    const archive = { ...allowed, acceptance: 'all' as const }
    const ev = announce('repo', ['wss://127.0.0.1:6379', 'wss://localhost:6379', 'wss://r1.example'], { listUs: false })
    const { index: idx, rejected: refused } = applyBatch(archive, [ev])(emptyRepoIndex)
    expect(refused.map((r) => [r.rule, r.value])).toEqual([['loopback', 'wss://127.0.0.1:6379']])
    expect(relays(F.pipe(idx, deriveTargets(archive)))).toEqual(['wss://10.0.0.5', 'wss://r1.example'])
  })

  it('an invalid policy refuses every relay and is reported', () => {
    const c = { ...unverified, relayPolicy: { allowHosts: ['https://not-a-host/'] } }
    const { index: idx, rejected } = applyBatch(c, [announce('repo', ['wss://r1.example'])])(emptyRepoIndex)
    expect(rejected.some((r) => r.code === 'invalid-config' && r.message.startsWith('relayPolicy'))).toBe(true)
    expect(relays(F.pipe(idx, deriveTargets(c)))).toEqual([])
  })
})
