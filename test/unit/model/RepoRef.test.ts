import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E } from 'fp-ts'
import { makeRepoRef, repoRef, repoRefParts, type RepoRef } from '../../../src/index.js'

const PK = 'ab'.repeat(32)

describe('repoRef', () => {
  it('splits at the first two colons only', () => {
    const r = repoRef(`30617:${PK}:org:project:v2`)
    expect(E.isRight(r) && repoRefParts(r.right)).toEqual({ kind: 30617, pubkey: PK, identifier: 'org:project:v2' })
  })

  it('refuses other kinds, bad pubkeys, empty identifiers and missing parts', () => {
    for (const s of [`30618:${PK}:x`, `30617:${PK.toUpperCase()}:x`, `30617:${PK.slice(2)}:x`, `30617:${PK}:`, `30617:${PK}`, '30617', '', `npub1:${PK}:x`])
      expect(E.isLeft(repoRef(s))).toBe(true)
  })

  test.prop([fc.stringMatching(/^[0-9a-f]{64}$/), fc.string({ minLength: 1 })], { numRuns: 1000 })('make then split round-trips', (pk, d) => {
    const r = makeRepoRef(pk, d)
    expect(E.isRight(r)).toBe(true)
    if (E.isRight(r)) {
      expect(repoRefParts(r.right)).toEqual({ kind: 30617, pubkey: pk, identifier: d })
      expect(repoRef(r.right as string)).toEqual(r)
    }
  })

  test.prop([fc.anything()], { numRuns: 1000 })('never throws', (u) => {
    expect(() => repoRef(u as RepoRef)).not.toThrow()
  })
})
