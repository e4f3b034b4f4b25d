/**
 * The real, signed events captured from live relays (see ../shared/fixtures/README.md; a copy is
 * bundled in examples/sample/). With ownRelays relay.ngit.dev, every announcement lists the
 * server, and each repository is synced from the other relays it names.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { function as F } from 'fp-ts'
import { applyBatch, deriveTargets, emptyRepoIndex, relayRepos, relays, rootEventsOf } from '../../src/index.js'
import { REAL_EVENTS_FILE, realEvents } from '../support/fixtures.js'

const events: Array<Record<string, unknown>> = realEvents() as unknown as Array<Record<string, unknown>>
const config = { ownRelays: ['wss://relay.ngit.dev'] }
const AUTHOR = 'bbb5dda0e15567979f0543407bdc2033d6f0bbb30f72512a981cfdb2f09e2747'
const REPOS = ['loom-protocol', 'loom-site', 'loom-worker', 'noflow'].map((d) => `30617:${AUTHOR}:${d}`)

describe('real NIP-34 fixtures', () => {
  it('the bundled copy is the shared fixture file, unchanged', () => {
    let shared: string | undefined
    try {
      shared = readFileSync(new URL('../../../shared/fixtures/real-nip34-events.jsonl', import.meta.url), 'utf8')
    } catch {
      shared = undefined // ../shared is absent outside this workspace
    }
    if (shared !== undefined) expect(readFileSync(REAL_EVENTS_FILE, 'utf8')).toBe(shared)
    expect(events).toHaveLength(9)
  })

  it('every announcement lists relay.ngit.dev and is synced from the other relays it names', () => {
    const { index, rejected, ignored, ignoredKinds } = applyBatch(config, events)(emptyRepoIndex)
    // the four 30618 state events are ignored on purpose (counted), not rejected
    expect(rejected).toEqual([])
    expect(ignored).toBe(4)
    expect(ignoredKinds).toEqual({ 30618: 4 })
    const t = F.pipe(index, deriveTargets(config))
    expect(relays(t) as ReadonlyArray<string>).not.toContain('wss://relay.ngit.dev')
    const listedAnywhere = new Set(
      events
        .filter((e) => e['kind'] === 30617)
        .flatMap((e) => (e['tags'] as Array<Array<string>>).filter((x) => x[0] === 'relays').flatMap((x) => x.slice(1)))
    )
    listedAnywhere.delete('wss://relay.ngit.dev')
    expect(relays(t)).toEqual([...listedAnywhere].sort())
    expect(relays(t)).toEqual(['wss://gitnostr.com', 'wss://nos.lol', 'wss://pyramid.fiatjaf.com', 'wss://pyramid.treegaze.com', 'wss://relay.damus.io', 'wss://relay.nostr.band'])
    for (const relay of relays(t)) for (const repo of relayRepos(relay)(t)) expect(REPOS).toContain(repo)
    expect(new Set(relays(t).flatMap((r) => relayRepos(r)(t)))).toEqual(new Set(REPOS))
    for (const event of events.filter((e) => e['kind'] === 30617)) {
      const tags = event['tags'] as Array<Array<string>>
      const d = tags.find((x) => x[0] === 'd')?.[1]
      const listed = tags.filter((x) => x[0] === 'relays').flatMap((x) => x.slice(1)).filter((r) => r !== 'wss://relay.ngit.dev')
      for (const relay of listed) expect(relayRepos(relay)(t)).toContain(`30617:${AUTHOR}:${d}`)
    }
  })

  it('the cover letter joins both co-maintainers\u2019 repositories (both a tags)', () => {
    const { index } = applyBatch(config, events)(emptyRepoIndex)
    const patch = events.find((e) => e['kind'] === 1617)!
    const refs = (patch['tags'] as Array<Array<string>>).filter((x) => x[0] === 'a').map((x) => x[1]!)
    expect(refs).toHaveLength(2)
    for (const r of refs) expect(rootEventsOf(r)(index)).toEqual([patch['id']])
  })
})
