/**
 * `caps.deletionsPerAuthor` reaches `applyBatch` through the configuration: the ledger keeps at
 * most that many ids per deleting pubkey and reports the rest.
 */
import { describe, expect, it } from 'vitest'
import { applyBatch, DEFAULT_CAPS, DELETIONS_PER_AUTHOR, emptyRepoIndex, resolveConfig } from '../../../src/index.js'

const hex = (c: string): string => c.repeat(64)
const deletion = (ids: ReadonlyArray<string>) => ({
  id: hex('d'),
  pubkey: hex('a'),
  kind: 5,
  created_at: 1_700_000_000,
  content: '',
  sig: 'f'.repeat(128),
  tags: ids.map((id) => ['e', id])
})

describe('caps.deletionsPerAuthor', () => {
  it('defaults to DELETIONS_PER_AUTHOR', () => {
    expect(DEFAULT_CAPS.deletionsPerAuthor).toBe(DELETIONS_PER_AUTHOR)
  })

  it('bounds the ids one author deletes, and reports the rest', () => {
    const config = { ownRelays: ['wss://grasp.example.com'], verify: false, caps: { deletionsPerAuthor: 1 } }
    const r = applyBatch(config, [deletion([hex('1'), hex('2'), hex('3')])])(emptyRepoIndex)
    const capped = r.rejected.filter((x) => JSON.stringify(x).includes('deletionsPerAuthor'))
    expect(capped.length).toBe(2)
    const unbounded = applyBatch({ ...config, caps: {} }, [deletion([hex('1'), hex('2'), hex('3')])])(emptyRepoIndex)
    expect(unbounded.rejected.filter((x) => JSON.stringify(x).includes('deletionsPerAuthor')).length).toBe(0)
  })

  it('is checked like the other caps', () => {
    const bad = resolveConfig({ ownRelays: ['wss://grasp.example.com'], caps: { deletionsPerAuthor: -1 } })
    expect(bad.caps.deletionsPerAuthor).toBe(DELETIONS_PER_AUTHOR)
    expect(bad.problems.some((p) => JSON.stringify(p).includes('caps.deletionsPerAuthor'))).toBe(true)
    expect(resolveConfig({ ownRelays: ['wss://grasp.example.com'], caps: { deletionsPerAuthor: 7 } }).caps.deletionsPerAuthor).toBe(7)
  })
})
