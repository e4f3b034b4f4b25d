import { function as F } from 'fp-ts'
import { applyBatch, deriveTargets, diff, emptyRelayIndex, emptyRepoIndex, type RepoIndex, type SyncConfig } from '../../src/index.js'
import { finish, OWN, PUBKEYS } from './arbitraries.js'

export const PK = PUBKEYS[0]
export const PK2 = PUBKEYS[1]
export const ref = (d: string, pk: string = PK): string => `30617:${pk}:${d}`

/** A repository announcement that lists our server (GRASP-01) unless told otherwise. */
export const announce = (
  d: string,
  relays: ReadonlyArray<string>,
  opts: { pubkey?: string; created_at?: number; clone?: ReadonlyArray<string>; listUs?: boolean; extraTags?: ReadonlyArray<ReadonlyArray<string>> } = {}
) => {
  const listUs = opts.listUs ?? true
  return finish({
    kind: 30617,
    pubkey: opts.pubkey ?? PK,
    created_at: opts.created_at ?? 100,
    content: '',
    tags: [
      ['d', d],
      ['relays', ...(listUs ? [OWN] : []), ...relays],
      ['clone', ...(listUs ? [`https://grasp.example.com/npub1x/${d}.git`] : []), ...(opts.clone ?? [])],
      ...(opts.extraTags ?? [])
    ]
  })
}

export const rootEvent = (kind: number, refs: ReadonlyArray<string>, opts: { pubkey?: string; created_at?: number; content?: string } = {}) =>
  finish({ kind, pubkey: opts.pubkey ?? PK2, created_at: opts.created_at ?? 200, content: opts.content ?? `root of ${refs.join(',')}`, tags: refs.map((r) => ['a', r]) })

export const index = (config: SyncConfig, ...batches: ReadonlyArray<ReadonlyArray<unknown>>): RepoIndex =>
  batches.reduce((acc, b) => applyBatch(config, b)(acc).index, emptyRepoIndex)

export const targets = (config: SyncConfig, ...batches: ReadonlyArray<ReadonlyArray<unknown>>) => F.pipe(index(config, ...batches), deriveTargets(config))

/** The actions a fresh host would take: everything is spawned. */
export const fromScratch = (config: SyncConfig, ...batches: ReadonlyArray<ReadonlyArray<unknown>>) =>
  F.pipe(emptyRelayIndex, diff(targets(config, ...batches)))
