/**
 * `RelayIndex` says, for each relay, which repositories and which root events to sync from it.
 * The same type serves twice: the *desired* targets, derived from a `RepoIndex` by
 * `deriveTargets` (`derive/Targets.ts`: the index is the data, the walk that fills it lives to its
 * right), and the *applied* targets, what the host has actually asked relays for, kept up to date
 * with {@link applyActions}. {@link diff} compares the two.
 *
 * A relay's target is a set of repositories R and a set of (repository, root event id) pairs P.
 * A relay may be present with empty R and P: bootstrap relays are always connected, for
 * discovery, even when no repository lists them.
 *
 * Immutable and opaque: read it with {@link relays}, {@link relayTarget}, {@link relayRepos},
 * {@link relayRootEvents}; compare with {@link eqRelayIndex}.
 *
 * @since 0.1.0
 */
import { eq as Eq, option as O } from 'fp-ts'
import { emptyStrMap } from '../util/strMap.js'
import { canonicalRelay, type RelayUrl } from '../model/RelayUrl.js'
import type { RepoRef } from '../model/RepoRef.js'
import * as internal from './store.js'
import { compareStrings } from '../util/sorted.js'
import { readPlain } from '../util/plain.js'

/**
 * Per-relay sync targets. Opaque: use the functions of this module to read it.
 *
 * @category model
 * @since 0.1.0
 */
export interface RelayIndex {
  readonly _tag: 'RelayIndex'
}

/**
 * One relay's target as plain JSON data: every array sorted; `rootEvents` has a key only for a
 * repository with at least one root event id.
 *
 * @category model
 * @since 0.1.0
 */
export interface RelayTarget {
  readonly relay: RelayUrl
  readonly repos: ReadonlyArray<RepoRef>
  readonly rootEvents: { readonly [repoRef: string]: ReadonlyArray<string> }
}

/** @internal */
export const relayData = (index: RelayIndex): internal.RelayIndexData => internal.dataOf(index)
/** @internal */
export const wrapRelayIndex = (d: internal.RelayIndexData): RelayIndex => d as unknown as RelayIndex

/**
 * Whether a value is a `RelayIndex` this library made (O(1); the brand cannot be forged). A
 * look-alike object, a `structuredClone` or a Proxy-wrapped index is not, and every function
 * reads it as the empty index (so `diff` against it would close or spawn every relay): keep
 * indexes out of such wrappers, or check with this guard first.
 *
 * @example
 * import { emptyRelayIndex, isRelayIndex } from 'nip34-sync'
 *
 * assert.strictEqual(isRelayIndex(emptyRelayIndex), true)
 * assert.strictEqual(isRelayIndex(structuredClone(emptyRelayIndex)), false)
 *
 * @category guards
 * @since 0.2.0
 */
export const isRelayIndex = (u: unknown): u is RelayIndex => internal.isRelayIndexData(u)

/**
 * The index with no relays.
 *
 * @example
 * import { emptyRelayIndex, relays } from 'nip34-sync'
 *
 * assert.deepStrictEqual(relays(emptyRelayIndex), [])
 *
 * @category constructors
 * @since 0.1.0
 */
export const emptyRelayIndex: RelayIndex = wrapRelayIndex(internal.empty)

/**
 * Every relay of the index, sorted.
 *
 * @example
 * import { emptyRelayIndex, relays } from 'nip34-sync'
 *
 * assert.deepStrictEqual(relays(emptyRelayIndex), [])
 *
 * @category destructors
 * @since 0.1.0
 */
export const relays = (index: RelayIndex): ReadonlyArray<RelayUrl> =>
  [...relayData(index).relays.keys()].sort(compareStrings)

/** @internal */
export const targetToJson = (relay: RelayUrl, t: internal.Target): RelayTarget => {
  const rootEvents: Record<string, ReadonlyArray<string>> = {}
  for (const [repo, ids] of t.rootPairs().sort((a, b) => compareStrings(a[0], b[0]))) rootEvents[repo] = ids.toArray().sort(compareStrings)
  return { relay, repos: t.repoList().sort(compareStrings), rootEvents }
}

/**
 * One relay's target as plain data, or `None` when the relay is not in the index.
 *
 * @example
 * import { emptyRelayIndex, relayTarget } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * assert.deepStrictEqual(relayTarget('wss://r.example')(emptyRelayIndex), O.none)
 *
 * @category destructors
 * @since 0.1.0
 */
export const relayTarget =
  (relay: string) =>
  (index: RelayIndex): O.Option<RelayTarget> => {
    const r = canonicalRelay(relay)
    const t = r === undefined ? undefined : relayData(index).relays.get(r)
    return r === undefined || t === undefined ? O.none : O.some(targetToJson(r, t))
  }

/**
 * Every relay's target as plain data, sorted by relay.
 *
 * @example
 * import { emptyRelayIndex, relayTargets } from 'nip34-sync'
 *
 * assert.deepStrictEqual(relayTargets(emptyRelayIndex), [])
 *
 * @category destructors
 * @since 0.1.0
 */
export const relayTargets = (index: RelayIndex): ReadonlyArray<RelayTarget> => {
  const m = relayData(index).relays
  return relays(index).map((r) => targetToJson(r, m.get(r) as internal.Target))
}

/**
 * The repositories a relay is asked for, sorted (empty when the relay is absent).
 *
 * @example
 * import { emptyRelayIndex, relayRepos } from 'nip34-sync'
 *
 * assert.deepStrictEqual(relayRepos('wss://r.example')(emptyRelayIndex), [])
 *
 * @category destructors
 * @since 0.1.0
 */
export const relayRepos =
  (relay: string) =>
  (index: RelayIndex): ReadonlyArray<RepoRef> => {
    const r = canonicalRelay(relay)
    return r === undefined ? [] : (relayData(index).relays.get(r)?.repoList().sort(compareStrings) ?? [])
  }

/**
 * The root events a relay is asked for, per repository (sorted; empty when the relay is absent).
 *
 * @example
 * import { emptyRelayIndex, relayRootEvents } from 'nip34-sync'
 *
 * assert.deepStrictEqual(relayRootEvents('wss://r.example')(emptyRelayIndex), {})
 *
 * @category destructors
 * @since 0.1.0
 */
export const relayRootEvents =
  (relay: string) =>
  (index: RelayIndex): { readonly [repoRef: string]: ReadonlyArray<string> } => {
    const t = relayData(index).relays.get(relay as RelayUrl)
    return t === undefined ? {} : targetToJson(relay as RelayUrl, t).rootEvents
  }

/**
 * Builds a relay index from plain targets (for tests, fixtures and hosts that persist their own
 * state). Relay strings are canonicalised; entries that are not relay URLs, repository addresses
 * or event ids are left out (decode untrusted data with `decodeRelayIndex` to be told what was
 * wrong).
 *
 * @example
 * import { fromRelayTargets, relayRepos } from 'nip34-sync'
 *
 * const ref = `30617:${'a'.repeat(64)}:x`
 * const index = fromRelayTargets([{ relay: 'wss://r.example', repos: [ref], rootEvents: {} }])
 * assert.deepStrictEqual(relayRepos('wss://r.example')(index), [ref])
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromRelayTargets = (targetsInput: ReadonlyArray<RelayTarget>): RelayIndex => {
  const m = emptyStrMap<internal.Target, RelayUrl>().edit()
  // outside input: read once into plain data (a Proxy or a throwing getter reads as nothing)
  const plain = readPlain(targetsInput, 4)
  const targets = plain.ok ? plain.value : undefined
  if (Array.isArray(targets))
    for (const t of targets as ReadonlyArray<unknown>) {
      if (typeof t !== 'object' || t === null) continue
      const { relay: raw, repos, rootEvents } = t as RelayTarget
      const relay = internal.relayOf(raw)
      if (relay === undefined) continue
      m.set(relay, internal.addTo(m.get(relay) ?? internal.emptyTarget, internal.reposOf(repos), internal.pairsOf(rootEvents)))
    }
  return wrapRelayIndex(internal.make(m.done()))
}

/**
 * Equality of relay indexes: same relays, each with the same repositories and root events.
 *
 * @example
 * import { emptyRelayIndex, eqRelayIndex } from 'nip34-sync'
 *
 * assert.strictEqual(eqRelayIndex.equals(emptyRelayIndex, emptyRelayIndex), true)
 *
 * @category instances
 * @since 0.1.0
 */
export const eqRelayIndex: Eq.Eq<RelayIndex> = /* @__PURE__ */ Eq.fromEquals((a, b) => internal.equals(relayData(a), relayData(b)))
