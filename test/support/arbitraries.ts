/**
 * Generators shared by the property tests of the core (test/laws.test.ts).
 *
 * Why they have this shape: the laws (order, split and batch independence, idempotence, the
 * diff/apply laws) hold trivially on inputs that do not interact, so the generators make events
 * that collide. Pools are small on purpose (3 authors x 3 identifiers, relays under several
 * spellings, a few clone URLs), so generated events overlap: the same repositories, duplicate
 * and out-of-order announcements with equal timestamps, roots naming announced repositories,
 * deletions aimed at generated events. A stream has 3 to 10 events: with fast-check's default
 * sizes over 0 to 25 (half the streams had 0 to 4 events, a few had 20 or more) a third of the
 * runs had two announcements of one repository and a fifth had roots in the derived targets;
 * with 3 to 10, two in five, at the same cost per run, and half the root events name a
 * repository announced in the same stream, so a third of the runs have roots in the targets.
 * Longer streams reach more (4 to 12: about half) but cost 1.4 times as much, 5 to 20 twice.
 * The shares are asserted in test/coverage.test.ts and listed in docs/testing.md.
 */
import { fc } from '@fast-check/vitest'
import { getEventHash } from 'nostr-tools/pure'
import { fromRelayTargets, type RelayIndex, type RelayTarget, type SyncConfig } from '../../src/index.js'

export const OWN = 'wss://grasp.example.com'
export const BOOTSTRAP = 'wss://bootstrap.example'
export const config: SyncConfig = { ownRelays: [OWN], bootstrapRelays: [BOOTSTRAP], verify: false }
export const archiveConfig: SyncConfig = { ownRelays: [OWN], bootstrapRelays: [BOOTSTRAP], acceptance: 'all', verify: false }

export const PUBKEYS = ['a1'.repeat(32), 'b2'.repeat(32), 'c3'.repeat(32)] as const
export const IDENTIFIERS = ['repo', 'org:project', 'x'] as const
export const REFS = PUBKEYS.flatMap((pk) => IDENTIFIERS.map((d) => `30617:${pk}:${d}`))

/** Spellings of a few relays: several per canonical relay, plus our own and unusable ones. */
export const RELAY_SPELLINGS = [
  'wss://r1.example',
  'WSS://R1.example/',
  'wss://r1.example:443',
  'wss://r2.example',
  'wss://r2.example.',
  'ws://r3.example:80/',
  'wss://r4.example/nostr',
  OWN,
  'wss://GRASP.example.com/',
  BOOTSTRAP,
  'https://github.com',
  'not a url',
  // hostile spellings: trailing dots, a loopback address in disguise, a non-ASCII path
  'wss://r1.example..',
  'wss://127.1',
  'wss://r5.example/é'
] as const

export const CLONE_URLS = [
  'https://grasp.example.com/npub1x/repo.git',
  'https://grasp.example.com.evil.net/npub1x/repo.git',
  'https://github.com/x/repo.git',
  'git@github.com:x/repo.git'
] as const

export interface EventTemplate {
  readonly kind: number
  readonly pubkey: string
  readonly created_at: number
  readonly tags: ReadonlyArray<ReadonlyArray<string>>
  readonly content: string
}

/** A NIP-01 event with a real id (sha256 of its serialisation) and a dummy signature. */
export const finish = (t: EventTemplate) => {
  const base = { kind: t.kind, pubkey: t.pubkey, created_at: t.created_at, tags: t.tags.map((x) => [...x]), content: t.content }
  return { ...base, id: getEventHash(base), sig: '0'.repeat(128) }
}

export const announcementArb = fc
  .record({
    pubkey: fc.constantFrom(...PUBKEYS),
    d: fc.constantFrom(...IDENTIFIERS),
    created_at: fc.integer({ min: 1, max: 4 }),
    relays: fc.subarray([...RELAY_SPELLINGS]),
    clone: fc.subarray([...CLONE_URLS]),
    splitRelays: fc.boolean(),
    maintainers: fc.subarray([...PUBKEYS]),
    nonce: fc.nat({ max: 3 })
  })
  .map(({ pubkey, d, created_at, relays, clone, splitRelays, maintainers, nonce }) =>
    finish({
      kind: 30617,
      pubkey,
      created_at,
      content: nonce === 0 ? '' : `v${nonce}`,
      tags: [
        ['d', d],
        ...(splitRelays ? relays.map((r) => ['relays', r]) : [['relays', ...relays]]),
        ['clone', ...clone],
        ...(maintainers.length === 0 ? [] : [['maintainers', ...maintainers]])
      ]
    })
  )

export const rootEventArb = fc
  .record({
    kind: fc.constantFrom(1617, 1618, 1619, 1621),
    pubkey: fc.constantFrom(...PUBKEYS),
    created_at: fc.integer({ min: 1, max: 4 }),
    refs: fc.subarray([...REFS, '30617:notahexpubkey:repo', '30618:' + PUBKEYS[0] + ':repo'], { minLength: 1, maxLength: 3 }),
    nonce: fc.nat({ max: 5 })
  })
  .map(({ kind, pubkey, created_at, refs, nonce }) =>
    finish({ kind, pubkey, created_at, content: `root ${nonce}`, tags: refs.map((r) => ['a', r]) })
  )

/** Inputs the core must reject whole. */
export const junkArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, 42, 'event', [], {}, { kind: 30617 }),
  fc.record({ id: fc.constant('zz'), kind: fc.constant(1617) }),
  fc.constant(finish({ kind: 30617, pubkey: PUBKEYS[0], created_at: 1, content: '', tags: [['relays', 'wss://r1.example']] })),
  fc.constant(finish({ kind: 1, pubkey: PUBKEYS[1], created_at: 1, content: 'hello', tags: [] }))
)

export const eventArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: announcementArb as fc.Arbitrary<unknown> },
  { weight: 4, arbitrary: rootEventArb as fc.Arbitrary<unknown> },
  { weight: 1, arbitrary: junkArb }
)

type Finished = ReturnType<typeof finish>
const isFinished = (e: unknown): e is Finished =>
  typeof e === 'object' && e !== null && Array.isArray((e as { tags?: unknown }).tags) && typeof (e as { kind?: unknown }).kind === 'number'
const ROOT_KINDS: ReadonlyArray<number> = [1617, 1618, 1619, 1621]

/**
 * 3 to 10 events, at the cost of the old 0 to 25 (see the header). Half the root events also name
 * a repository announced in the same stream (their first `a` tag), so roots reach the derived
 * targets without longer streams.
 */
export const eventsArb: fc.Arbitrary<Array<unknown>> = fc.array(eventArb, { minLength: 3, maxLength: 10 }).chain((events) => {
  const announced = events
    .filter(isFinished)
    .filter((e) => e.kind === 30617)
    .map((e) => `30617:${e.pubkey}:${e.tags.find((t) => t[0] === 'd')?.[1] ?? ''}`)
  if (announced.length === 0) return fc.constant(events)
  return fc
    .array(fc.option(fc.constantFrom(...announced), { nil: undefined }), { minLength: events.length, maxLength: events.length })
    .map((picks) =>
      events.map((e, i) => {
        const pick = picks[i]
        if (pick === undefined || !isFinished(e) || !ROOT_KINDS.includes(e.kind)) return e
        return finish({ kind: e.kind, pubkey: e.pubkey, created_at: e.created_at, content: e.content, tags: [['a', pick], ...e.tags.slice(1)] })
      })
    )
})

/** Random split of an array into consecutive batches. */
export const batchesOf = <A>(xs: ReadonlyArray<A>, cuts: ReadonlyArray<number>): Array<Array<A>> => {
  const points = [...new Set(cuts.map((c) => c % (xs.length + 1)))].sort((a, b) => a - b)
  const out: Array<Array<A>> = []
  let last = 0
  for (const p of points) {
    out.push(xs.slice(last, p))
    last = p
  }
  out.push(xs.slice(last))
  return out
}

const RELAYS = ['wss://r1.example', 'wss://r2.example', 'ws://r3.example', 'wss://r4.example/nostr', BOOTSTRAP] as const
const ROOT_IDS = ['01', '02', '03', '04', '05'].map((x) => x.repeat(32))

export const relayTargetArb: fc.Arbitrary<RelayTarget> = fc
  .record({
    relay: fc.constantFrom(...RELAYS),
    repos: fc.subarray(REFS.slice(0, 5)),
    roots: fc.array(fc.tuple(fc.constantFrom(...REFS.slice(0, 5)), fc.subarray(ROOT_IDS)), { maxLength: 4 })
  })
  .map(({ relay, repos, roots }) => {
    const rootEvents: Record<string, Array<string>> = {}
    for (const [repo, ids] of roots) rootEvents[repo] = [...new Set([...(rootEvents[repo] ?? []), ...ids])]
    return { relay, repos, rootEvents } as unknown as RelayTarget
  })

/** Any relay index over the pools, including relays with empty targets. */
export const relayIndexArb: fc.Arbitrary<RelayIndex> = fc.array(relayTargetArb, { maxLength: 6 }).map(fromRelayTargets)

/** Small caps, so generated events hit them often. */
export const cappedConfig: SyncConfig = { ...config, caps: { relaysPerAnnouncement: 2, reposPerRootEvent: 1 } }

const idOf = (e: unknown): { id: string; pubkey: string; kind: number; tags: ReadonlyArray<ReadonlyArray<string>> } | undefined =>
  typeof e === 'object' && e !== null && typeof (e as { id?: unknown }).id === 'string' && Array.isArray((e as { tags?: unknown }).tags)
    ? (e as { id: string; pubkey: string; kind: number; tags: ReadonlyArray<ReadonlyArray<string>> })
    : undefined

/** NIP-09 deletions aimed at the given events (by their author or by someone else) and at addresses. */
export const deletionsFor = (events: ReadonlyArray<unknown>): fc.Arbitrary<Array<unknown>> => {
  const targets = events.map(idOf).filter((x) => x !== undefined)
  const target = targets.length === 0 ? fc.constant(undefined) : fc.option(fc.constantFrom(...targets), { nil: undefined })
  return fc.array(
    fc
      .record({
        target,
        byAuthor: fc.boolean(),
        pubkey: fc.constantFrom(...PUBKEYS),
        created_at: fc.integer({ min: 1, max: 5 }),
        addresses: fc.subarray(REFS, { maxLength: 2 }),
        nonce: fc.nat({ max: 3 })
      })
      .map(({ target, byAuthor, pubkey, created_at, addresses, nonce }) => {
        const author = target !== undefined && byAuthor ? target.pubkey : pubkey
        const tags: Array<Array<string>> = addresses.map((a) => ['a', a])
        if (target !== undefined) tags.push(['e', target.id])
        if (tags.length === 0) tags.push(['e', '0f'.repeat(32)])
        return finish({ kind: 5, pubkey: author, created_at, content: `delete ${nonce}`, tags }) as unknown
      }),
    { maxLength: 6 }
  )
}

/** Events mixed with deletions aimed at them, in a shuffled order. */
export const eventsWithDeletionsArb: fc.Arbitrary<Array<unknown>> = eventsArb.chain((events) =>
  deletionsFor(events).chain((dels) => fc.shuffledSubarray([...events, ...dels], { minLength: events.length + dels.length, maxLength: events.length + dels.length }))
)

/**
 * Events plus forged copies that reuse their ids with another author or other tags (possible
 * only with `verify: false`), plus deletions, shuffled: the index must still not depend on order.
 */
export const forgedEventsArb: fc.Arbitrary<Array<unknown>> = eventsWithDeletionsArb.chain((events) => {
  const real = events.map(idOf).filter((x) => x !== undefined)
  if (real.length === 0) return fc.constant(events)
  return fc
    .array(
      fc.record({ of: fc.constantFrom(...real), pubkey: fc.constantFrom(...PUBKEYS), dropTag: fc.nat({ max: 4 }) }).map(({ of, pubkey, dropTag }) => ({
        ...(of as object),
        pubkey,
        tags: of.tags.filter((_, i) => i !== dropTag)
      })),
      { maxLength: 4 }
    )
    .chain((forged) => fc.shuffledSubarray([...events, ...forged], { minLength: events.length + forged.length, maxLength: events.length + forged.length }))
})
