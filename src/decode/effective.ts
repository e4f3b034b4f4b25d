/**
 * The relays an announcement makes targets of, under one configuration: its usable relay URLs in
 * tag order, minus our own hosts, minus those the relay policy refuses, up to the
 * `relaysPerAnnouncement` cap. Computed when targets are derived (not when events are indexed),
 * so the index never depends on the relay policy, the own hosts or the cap, and a configuration
 * change takes effect at the next `deriveTargets` without re-applying events. Memoised per
 * (resolved configuration, announcement), so repeated derivations cost a lookup.
 *
 * @internal
 */
import type { ResolvedConfig } from '../config/Config.js'
import type { ExcludedRelay, RelaySource } from '../model/events.js'
import { hostOf, type RelayUrl } from '../model/RelayUrl.js'

export interface Effective {
  /** Target relays, in tag order. */
  readonly targets: ReadonlyArray<RelayUrl>
  /** Sources on one of our own hosts (never targets). */
  readonly own: ReadonlyArray<RelaySource>
  /** Sources refused by the policy or beyond the cap, in tag order. */
  readonly excluded: ReadonlyArray<ExcludedRelay & { readonly relay: RelayUrl }>
}

const memo = new WeakMap<ResolvedConfig, WeakMap<object, Effective>>()

/** The memo of one configuration in a store, made on first use. */
const perConfig = <V>(store: WeakMap<ResolvedConfig, V>, config: ResolvedConfig, make: () => V): V => {
  let v = store.get(config)
  if (v === undefined) {
    v = make()
    store.set(config, v)
  }
  return v
}

const ownMemo = new WeakMap<ResolvedConfig, Map<string, boolean>>()
const OWN_MEMO_SIZE = 50_000

/** Whether a relay URL is on one of our own hosts (memoised per configuration, bounded). */
export const isOwnHost = (config: ResolvedConfig, relay: string): boolean => {
  const memo = perConfig(ownMemo, config, () => new Map<string, boolean>())
  const hit = memo.get(relay)
  if (hit !== undefined) return hit
  const h = hostOf(relay)
  const own = h !== undefined && config.ownHosts.has(h)
  if (memo.size >= OWN_MEMO_SIZE) memo.clear()
  memo.set(relay, own)
  return own
}

const compute = (config: ResolvedConfig, sources: ReadonlyArray<RelaySource>): Effective => {
  const targets: Array<RelayUrl> = []
  const own: Array<RelaySource> = []
  const excluded: Array<ExcludedRelay & { readonly relay: RelayUrl }> = []
  const cap = config.caps.relaysPerAnnouncement
  for (const s of sources) {
    if (isOwnHost(config, s.relay)) {
      own.push(s)
      continue
    }
    const refusal = config.relayCheck(s.relay)
    if (refusal !== undefined)
      excluded.push({ relay: s.relay, tag: s.tag, value: s.value, code: 'refused-relay-url', rule: refusal.rule, reason: `relays value refused by the relay policy: ${refusal.reason}` })
    else if (targets.length >= cap)
      excluded.push({ relay: s.relay, tag: s.tag, value: s.value, code: 'cap-exceeded', rule: 'relaysPerAnnouncement', reason: `more than ${cap} relays in one announcement; this one is not used` })
    else targets.push(s.relay)
  }
  // most announcements have no excluded source and the same own source(s): shared lists, not
  // two more per announcement
  return { targets, own: shareOwn(own), excluded: excluded.length === 0 ? NONE : excluded }
}

/** The last own-source list made, reused when the next one holds the same (shared) sources. */
let lastOwn: ReadonlyArray<RelaySource> = Object.freeze([])
const shareOwn = (own: ReadonlyArray<RelaySource>): ReadonlyArray<RelaySource> => {
  if (own.length === 0) return NONE
  if (own.length === lastOwn.length && own.every((s, i) => s === lastOwn[i])) return lastOwn
  lastOwn = Object.freeze(own.slice())
  return lastOwn
}

const NONE: ReadonlyArray<never> = Object.freeze([])

/** The effective relays of an announcement (anything with `relaySources`). */
export const effectiveRelays = (config: ResolvedConfig, ann: { readonly relaySources: ReadonlyArray<RelaySource> }): Effective => {
  const byAnnouncement = perConfig(memo, config, () => new WeakMap<object, Effective>())
  // keyed by the source list itself: the index shares one list between every announcement that
  // lists the same relays, so they share one result too
  const key: object = Array.isArray(ann.relaySources) ? ann.relaySources : ann
  const hit = byAnnouncement.get(key)
  if (hit !== undefined) return hit
  const result = compute(config, Array.isArray(ann.relaySources) ? ann.relaySources : [])
  byAnnouncement.set(key, result)
  return result
}
