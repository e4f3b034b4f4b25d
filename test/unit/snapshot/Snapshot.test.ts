import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E } from 'fp-ts'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { decodeRelayIndex, decodeRepoIndex, emptyRelayIndex, encodeRelayIndex, encodeRepoIndex, eqRelayIndex, eqRepoIndex } from '../../../src/index.js'
import { config, eventsWithDeletionsArb, finish, relayIndexArb } from '../../support/arbitraries.js'
import { applyAll } from '../../laws/laws.js'
import { announce, index, PK, ref, rootEvent } from '../../support/helpers.js'

const sample = () => {
  const a = announce('repo', ['wss://r1.example'])
  const p = rootEvent(1617, [ref('repo')])
  const del = finish({ kind: 5, pubkey: PK, created_at: 500, content: '', tags: [['a', ref('gone')], ['e', '0e'.repeat(32)]] })
  return index(config, [a, p, del])
}

describe('RepoIndex snapshots', () => {
  test.prop([eventsWithDeletionsArb], { numRuns: 1000 })('decode(encode(x)) equals x, through JSON text', (events) => {
    const x = applyAll(config, [events])
    const back = decodeRepoIndex(JSON.stringify(encodeRepoIndex(x)))
    expect(E.isRight(back) && eqRepoIndex.equals(back.right, x)).toBe(true)
  })

  it('a truncated snapshot is not JSON', () => {
    const text = JSON.stringify(encodeRepoIndex(sample()))
    const r = decodeRepoIndex(text.slice(0, text.length - 10))
    expect(E.isLeft(r) && r.left.code).toBe('not-json')
  })

  it('an edited snapshot fails its checksum', () => {
    const snap = encodeRepoIndex(sample())
    const edited = JSON.parse(JSON.stringify(snap))
    edited.body.announcements[0].createdAt += 1
    const r = decodeRepoIndex(edited)
    expect(E.isLeft(r) && r.left.code).toBe('checksum-mismatch')
  })

  it('a snapshot that contradicts itself is invalid even with a recomputed checksum', () => {
    const reseal = (body: unknown) => ({ ...encodeRepoIndex(sample()), body, checksum: bytesToHex(sha256(new TextEncoder().encode(JSON.stringify(body)))) })
    const snap = encodeRepoIndex(sample())
    const relaysEdited = JSON.parse(JSON.stringify(snap.body))
    relaysEdited.announcements[0].relays = ['wss://evil.example']
    expect(decodeRepoIndex(reseal(relaysEdited))).toEqual(E.left(expect.objectContaining({ code: 'invalid', message: expect.stringMatching(/relays and relaySources disagree/) })))
    const deletedButLive = JSON.parse(JSON.stringify(snap.body))
    const ann = deletedButLive.announcements[0]
    deletedButLive.deletions = [[ann.id, [ann.pubkey]], ...deletedButLive.deletions]
    expect(decodeRepoIndex(reseal(deletedButLive))).toEqual(E.left(expect.objectContaining({ code: 'invalid', message: expect.stringMatching(/deleted by its author/) })))
  })

  it('a decoded index shares nothing with the value it was decoded from', () => {
    const snap = JSON.parse(JSON.stringify(encodeRepoIndex(sample())))
    const decoded = decodeRepoIndex(snap)
    snap.body.announcements[0].relays.push('wss://evil.example')
    snap.body.announcements[0].relaySources.push({ relay: 'wss://evil.example', tag: 1, value: 'wss://evil.example' })
    expect(E.isRight(decoded) && eqRepoIndex.equals(decoded.right, sample())).toBe(true)
  })

  it('a snapshot of the wrong version or format is named as such', () => {
    const snap = encodeRepoIndex(sample())
    expect(decodeRepoIndex({ ...snap, version: 2 })).toEqual(E.left(expect.objectContaining({ code: 'wrong-version' })))
    expect(decodeRepoIndex({ ...snap, format: 'nip34-sync/RelayIndex' })).toEqual(E.left(expect.objectContaining({ code: 'wrong-format' })))
    expect(decodeRepoIndex(encodeRelayIndex(emptyRelayIndex))).toEqual(E.left(expect.objectContaining({ code: 'wrong-format' })))
  })

  it('a body of the wrong shape is invalid, with the path of the problem', () => {
    const bad = JSON.parse(JSON.stringify(encodeRepoIndex(sample())))
    bad.body.rootEvents[0].repos = ['30617:nothex:x']
    const r = decodeRepoIndex(bad)
    expect(E.isLeft(r) && r.left.code).toBe('invalid')
    expect(E.isLeft(r) && r.left.message).toMatch(/^body\.rootEvents\.0\.repos\.0: /)
  })

  test.prop([fc.anything()], { numRuns: 1000 })('never throws, never gives an index for junk', (u) => {
    expect(E.isLeft(decodeRepoIndex(u))).toBe(true)
    expect(E.isLeft(decodeRelayIndex(u))).toBe(true)
  })
})

describe('RelayIndex snapshots', () => {
  test.prop([relayIndexArb], { numRuns: 1000 })('decode(encode(x)) equals x, through JSON text', (x) => {
    const back = decodeRelayIndex(JSON.stringify(encodeRelayIndex(x)))
    expect(E.isRight(back) && eqRelayIndex.equals(back.right, x)).toBe(true)
  })

  test.prop([relayIndexArb.filter((x) => encodeRelayIndex(x).body.relays.length > 0)], { numRuns: 200 })('any edit of a relay is caught', (x) => {
    const edited = JSON.parse(JSON.stringify(encodeRelayIndex(x)))
    edited.body.relays[0].repos = [...edited.body.relays[0].repos, ref('injected')]
    const r = decodeRelayIndex(edited)
    expect(E.isLeft(r) && r.left.code).toBe('checksum-mismatch')
  })
})
