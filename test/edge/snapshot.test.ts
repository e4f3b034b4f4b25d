/**
 * Issue 9.6: an edited snapshot cannot decode into an index that behaves differently. Only the
 * canonical body decodes; every derived table is rebuilt from it.
 */
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E, function as F } from 'fp-ts'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { applyBatch, decodeRelayIndex, decodeRepoIndex, encodeRelayIndex, encodeRepoIndex, eqRepoIndex, type RepoIndex } from '../../src/index.js'
import { config, eventsWithDeletionsArb, finish, relayIndexArb } from '../support/arbitraries.js'
import { applyAll } from '../laws/laws.js'
import { announce, index, PK } from '../support/helpers.js'

const RUNS = { numRuns: Number(process.env['FUZZ_RUNS'] ?? 300) }
const sum = (body: unknown): string => bytesToHex(sha256(new TextEncoder().encode(JSON.stringify(body))))
const reseal = <S extends { readonly body: unknown }>(snap: S, body: unknown) => ({ ...snap, body, checksum: sum(body) })
type Body = { announcements: Array<Record<string, unknown>>; tombstones: Array<unknown>; rootEvents: Array<unknown>; deletions: Array<unknown> }

describe('issue 9.6: only the canonical body decodes', () => {
  const v1 = announce('repo', ['wss://old.example'], { created_at: 100 })
  const v2 = announce('repo', ['wss://new.example'], { created_at: 200 })
  const live = index(config, [v1, v2])
  const olderFacts = (encodeRepoIndex(index(config, [v1])).body as unknown as Body).announcements[0]

  it('issue 9.6: an older version of an address listed in front of the live one is refused (checksum unchanged)', () => {
    const snap = JSON.parse(JSON.stringify(encodeRepoIndex(live))) as { body: Body; checksum: string }
    snap.body.announcements = [olderFacts as Record<string, unknown>, ...snap.body.announcements]
    // the attack keeps the checksum: the canonical body of what it decodes to is the live one
    const r = decodeRepoIndex(snap)
    expect(E.isLeft(r) && r.left.code).toBe("checksum-mismatch")
  })

  it('issue 9.6: the same edit with a recomputed checksum is refused too', () => {
    const snap = encodeRepoIndex(live)
    const body = JSON.parse(JSON.stringify(snap.body)) as Body
    body.announcements = [olderFacts as Record<string, unknown>, ...body.announcements]
    const r = decodeRepoIndex(reseal(snap, body))
    expect(r).toEqual(E.left(expect.objectContaining({ code: 'invalid', message: expect.stringMatching(/^body\.announcements is not in canonical form/) })))
  })

  it('issue 9.6: an e deletion of the superseded id leaves the live version on every index that decodes', () => {
    const del = finish({ kind: 5, pubkey: PK, created_at: 300, content: '', tags: [['e', v1.id]] })
    const expected = applyBatch(config, [del])(live).index
    const decoded = decodeRepoIndex(JSON.stringify(encodeRepoIndex(live)))
    expect(E.isRight(decoded) && eqRepoIndex.equals(applyBatch(config, [del])(decoded.right).index, expected)).toBe(true)
  })

  it('issue 9.6: duplicates, unsorted lists and unknown fields in known places are refused or dropped', () => {
    const rich = index(config, [
      announce('a', ['wss://r1.example']),
      announce('b', ['wss://r2.example'], { extraTags: [['maintainers', 'cd'.repeat(32), 'ab'.repeat(32)]] }),
      finish({ kind: 5, pubkey: PK, created_at: 500, content: '', tags: [['e', '0e'.repeat(32)], ['e', '0f'.repeat(32)]] })
    ])
    const snap = encodeRepoIndex(rich)
    const edit = (f: (b: Body) => void) => {
      const b = JSON.parse(JSON.stringify(snap.body)) as Body
      f(b)
      return decodeRepoIndex(reseal(snap, b))
    }
    expect(E.isLeft(edit((b) => b.announcements.reverse()))).toBe(true)
    expect(E.isLeft(edit((b) => b.announcements.push(b.announcements[0] as Record<string, unknown>)))).toBe(true)
    expect(E.isLeft(edit((b) => b.deletions.reverse()))).toBe(true)
    expect(E.isLeft(edit((b) => ((b.announcements[1] as { maintainers: Array<string> }).maintainers.reverse())))).toBe(true)
    // an unknown field is ignored (the checksum covers the known fields) and never reaches the index
    const withExtra = JSON.parse(JSON.stringify(snap)) as { body: Body }
    ;(withExtra.body.announcements[0] as { relaySources: Array<Record<string, unknown>> }).relaySources[0]!['x'] = 1
    const extra = decodeRepoIndex(withExtra)
    expect(E.isRight(extra) && JSON.stringify(encodeRepoIndex(extra.right)) === JSON.stringify(snap)).toBe(true)
  })

  const edits = fc.constantFrom('swap', 'duplicate', 'drop', 'reverse-inner')
  test.prop([eventsWithDeletionsArb, edits, fc.constantFrom('announcements', 'tombstones', 'rootEvents', 'deletions'), fc.nat(), fc.nat()], RUNS)(
    'issue 9.6: any edit of a body that still decodes (checksum recomputed) re-encodes to exactly that body',
    (events, how, section, i, j) => {
      const x: RepoIndex = applyAll(config, [events])
      const snap = encodeRepoIndex(x)
      const body = JSON.parse(JSON.stringify(snap.body)) as Record<string, Array<unknown>>
      const list = body[section] as Array<unknown>
      fc.pre(list.length > 0)
      const a = i % list.length
      const b = j % list.length
      if (how === 'swap') [list[a], list[b]] = [list[b], list[a]]
      else if (how === 'duplicate') list.splice(b, 0, list[a])
      else if (how === 'drop') list.splice(a, 1)
      else {
        const inner = Object.values(list[a] as object).find((v) => Array.isArray(v) && v.length > 1) as Array<unknown> | undefined
        inner?.reverse()
      }
      const r = decodeRepoIndex(reseal(snap, body))
      if (E.isRight(r)) expect(JSON.stringify(encodeRepoIndex(r.right).body)).toBe(JSON.stringify(body))
    }
  )

  test.prop([relayIndexArb.filter((x) => encodeRelayIndex(x).body.relays.length > 1)], RUNS)(
    'issue 9.6: a relay snapshot with its relays out of order is refused even with a recomputed checksum',
    (x) => {
      const snap = encodeRelayIndex(x)
      const body = { relays: [...snap.body.relays].reverse() }
      expect(F.pipe(decodeRelayIndex(reseal(snap, body)), E.isLeft)).toBe(true)
      const back = decodeRelayIndex(JSON.parse(JSON.stringify(snap)))
      expect(E.isRight(back)).toBe(true)
    }
  )
})
