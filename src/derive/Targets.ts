/**
 * The desired targets: which relays to ask for which repositories and root events, derived from
 * a {@link RepoIndex} under a configuration. {@link deriveTargets} is one reading of the walk from
 * announcement groups to relay targets (`derive.ts`); {@link explainRelay} in `Explain.ts` is the
 * other, with provenance kept. The result is a {@link RelayIndex} (`relays/RelayIndex.ts`).
 *
 * @since 0.1.0
 */
import { resolveConfig, type ResolvedConfig, type SyncConfig } from '../config/Config.js'
import type { AnnouncementInfo, RepoIndex } from '../repo/RepoIndex.js'
import { dataOf as repoDataOf } from '../repo/store.js'
import { wrapRelayIndex, type RelayIndex } from '../relays/RelayIndex.js'
import { derivation } from './derive.js'
import { acceptedBy } from './groups.js'
import { readPlain } from '../util/plain.js'

/**
 * Whether a live announcement is accepted under the configuration: always in `'all'` mode; in
 * `'listed'` mode (GRASP-01) when one of our hosts appears, compared exactly, both as the host of
 * a `relays` value and as the host of a `clone` URL.
 *
 * @example
 * import { isAccepted, resolveConfig } from 'nip34-sync'
 *
 * const config = resolveConfig({ ownRelays: ['wss://grasp.example.com'] })
 * const ann = { relays: ['wss://grasp.example.com'], cloneHosts: ['grasp.example.com'] }
 * assert.strictEqual(isAccepted(config)(ann), true)
 * assert.strictEqual(isAccepted(config)({ ...ann, cloneHosts: ['grasp.example.com.evil.net'] }), false)
 *
 * @category utils
 * @since 0.1.0
 */
export const isAccepted = (configInput: SyncConfig | ResolvedConfig) => {
  const accepted = acceptedBy(resolveConfig(configInput))
  return (ann: Pick<AnnouncementInfo, 'relays' | 'cloneHosts'>): boolean => {
    const plain = readPlain(ann, 2)
    return plain.ok && typeof plain.value === 'object' && plain.value !== null && accepted(plain.value as Pick<AnnouncementInfo, 'relays' | 'cloneHosts'>)
  }
}

/**
 * Derives the desired per-relay targets from a repository index. For every accepted repository,
 * each relay its live announcement lists (other than our own hosts, those the relay policy
 * refuses, and those beyond the `relaysPerAnnouncement` cap, all applied here under the current
 * configuration) gets that repository and exactly that repository's root events. With `mergeMaintainers` (the default), announcements
 * that share a `d` and list each other as maintainers form one repository: every relay any of
 * them lists gets every member's address and root events (groups over `membersPerGroup` are not
 * merged; a group takes at most `relaysPerGroup` relays). Bootstrap relays are always present.
 * Total.
 *
 * Incremental: the result is memoised per (index, configuration), and an index made by
 * {@link applyBatch} from one that was derived under an equal configuration is derived from that
 * derivation, regrouping only what the batches touched, so a step costs what changed rather than
 * the size of the index. The value is the same as a full walk's (checked by a property against
 * the full walk). Pass configurations with the same values (the same object is cheapest).
 *
 * @example
 * import { applyBatch, deriveTargets, emptyRepoIndex, relays } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const config = { ownRelays: ['wss://grasp.example.com'], bootstrapRelays: ['wss://bootstrap.example'] }
 * const { index } = F.pipe(emptyRepoIndex, applyBatch(config, []))
 * assert.deepStrictEqual(relays(F.pipe(index, deriveTargets(config))), ['wss://bootstrap.example'])
 *
 * @category constructors
 * @since 0.1.0
 */
export const deriveTargets =
  (config: SyncConfig) =>
  (index: RepoIndex): RelayIndex =>
    wrapRelayIndex(derivation(resolveConfig(config), repoDataOf(index)).index)
