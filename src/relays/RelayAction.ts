/**
 * A `RelayAction` is one change a host must make to its relay connections so that what it has
 * asked relays for (the *applied* {@link RelayIndex}) becomes what it should ask for (the
 * *desired* one). {@link diff} computes the actions; {@link applyActions} records them.
 *
 * Actions are plain JSON data (no `Map`, no `Set`): every array sorted, `rootEvents` keyed by
 * repository with a key only for a repository with at least one id, so an action can be logged,
 * sent to another process or stored, and `JSON.parse(JSON.stringify(a))` deep-equals `a`.
 * {@link RelayAction} is also an io-ts codec, to decode actions read back from storage.
 *
 * | action | when | effect of {@link applyActions} |
 * | --- | --- | --- |
 * | `SpawnRelay` | relay desired, not applied | the relay's target becomes exactly `repos` + `rootEvents` |
 * | `RemoveFilters` | both, something applied is no longer desired | subtract `repos` and the (repo, id) pairs |
 * | `AddFilters` | both, something desired is not applied | add `repos` and the (repo, id) pairs |
 * | `CloseRelay` | relay applied, not desired | the relay leaves the index |
 *
 * Laws: `diff(a)(a)` is empty; `applyActions(diff(d)(a))(a)` equals `d`; applying actions one at
 * a time equals applying them all at once.
 *
 * @since 0.1.0
 */
import * as t from 'io-ts'
import { either as E } from 'fp-ts'
import { keysOnlyIn } from '../util/hexTrie.js'
import { readingPlain, readPlain } from '../util/plain.js'
import { relayData, targetToJson, wrapRelayIndex, type RelayIndex } from './RelayIndex.js'
import { relayUrl, type RelayUrl } from '../model/RelayUrl.js'
import { repoRef, type RepoRef } from '../model/RepoRef.js'
import * as internal from './store.js'
import { compareStrings } from '../util/sorted.js'

const canonical = <A extends string>(name: string, parse: (s: string) => E.Either<unknown, A>) =>
  new t.Type<A, string, unknown>(
    name,
    (u): u is A => typeof u === 'string' && E.isRight(parse(u)) && (parse(u) as E.Right<A>).right === u,
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c, `expected a ${name} string`)
      const r = parse(u)
      return E.isRight(r) && r.right === u ? t.success(r.right) : t.failure(u, c, `expected a canonical ${name}, got ${JSON.stringify(u.slice(0, 100))}`)
    },
    (a) => a
  )

/**
 * io-ts codec of a relay URL in canonical form (what {@link relayUrl} returns).
 *
 * @example
 * import { RelayUrlCodec } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.strictEqual(E.isRight(RelayUrlCodec.decode('wss://r.example')), true)
 * assert.strictEqual(E.isLeft(RelayUrlCodec.decode('wss://R.example/')), true) // not canonical
 *
 * @category codecs
 * @since 0.1.0
 */
export const RelayUrlCodec = /* @__PURE__ */ canonical<RelayUrl>('RelayUrl', relayUrl)

/**
 * io-ts codec of a repository address.
 *
 * @example
 * import { RepoRefCodec } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.strictEqual(E.isRight(RepoRefCodec.decode(`30617:${'a'.repeat(64)}:x`)), true)
 *
 * @category codecs
 * @since 0.1.0
 */
export const RepoRefCodec = /* @__PURE__ */ canonical<RepoRef>('RepoRef', repoRef)

const EventIdCodec = /* @__PURE__ */ (() =>
  new t.Type<string, string, unknown>(
    'EventId',
    (u): u is string => typeof u === 'string' && /^[0-9a-f]{64}$/.test(u),
    (u, c) => (typeof u === 'string' && /^[0-9a-f]{64}$/.test(u) ? t.success(u) : t.failure(u, c, 'expected 64 lower-case hex characters')),
    t.identity
  ))()

// built on first use of the codecs (annotated pure, so that a bundle without them drops them)
const Filters = /* @__PURE__ */ (() => ({
  relay: RelayUrlCodec,
  repos: t.readonlyArray(RepoRefCodec),
  rootEvents: t.record(RepoRefCodec, t.readonlyArray(EventIdCodec))
}))()

/**
 * io-ts codecs of each action.
 *
 * @example
 * import { SpawnRelay } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * const action = { _tag: 'SpawnRelay', relay: 'wss://r.example', repos: [], rootEvents: {} }
 * assert.strictEqual(E.isRight(SpawnRelay.decode(action)), true)
 *
 * @category codecs
 * @since 0.1.0
 */
export const SpawnRelay = /* @__PURE__ */ (() => readingPlain(t.readonly(t.type({ _tag: t.literal('SpawnRelay'), ...Filters }), 'SpawnRelay'), 4))()
/**
 * io-ts codec of this action.
 *
 * @example
 * import { AddFilters } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.strictEqual(E.isRight(AddFilters.decode({ _tag: 'AddFilters', relay: 'wss://r.example', repos: [], rootEvents: {} })), true)
 *
 * @category codecs
 * @since 0.1.0
 */
export const AddFilters = /* @__PURE__ */ (() => readingPlain(t.readonly(t.type({ _tag: t.literal('AddFilters'), ...Filters }), 'AddFilters'), 4))()
/**
 * io-ts codec of this action.
 *
 * @example
 * import { RemoveFilters } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.strictEqual(E.isLeft(RemoveFilters.decode({ _tag: 'RemoveFilters', relay: 'wss://r.example' })), true)
 *
 * @category codecs
 * @since 0.1.0
 */
export const RemoveFilters = /* @__PURE__ */ (() => readingPlain(t.readonly(t.type({ _tag: t.literal('RemoveFilters'), ...Filters }), 'RemoveFilters'), 4))()
/**
 * io-ts codec of this action.
 *
 * @example
 * import { CloseRelay } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.strictEqual(E.isRight(CloseRelay.decode({ _tag: 'CloseRelay', relay: 'wss://r.example' })), true)
 *
 * @category codecs
 * @since 0.1.0
 */
export const CloseRelay = /* @__PURE__ */ (() => readingPlain(t.readonly(t.type({ _tag: t.literal('CloseRelay'), relay: RelayUrlCodec }), 'CloseRelay'), 2))()

/**
 * io-ts codec of any {@link RelayAction}.
 *
 * @example
 * import { RelayAction } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.strictEqual(E.isRight(RelayAction.decode({ _tag: 'CloseRelay', relay: 'wss://r.example' })), true)
 * assert.strictEqual(E.isLeft(RelayAction.decode({ _tag: 'CloseRelay', relay: 'WSS://R.example/' })), true)
 *
 * @category codecs
 * @since 0.1.0
 */
export const RelayAction = /* @__PURE__ */ (() => readingPlain(t.union([SpawnRelay, AddFilters, RemoveFilters, CloseRelay], 'RelayAction'), 4))()

/**
 * One change to a host's relay subscriptions.
 *
 * @category model
 * @since 0.1.0
 */
export type RelayAction =
  | { readonly _tag: 'SpawnRelay'; readonly relay: string; readonly repos: ReadonlyArray<string>; readonly rootEvents: { readonly [repoRef: string]: ReadonlyArray<string> } }
  | { readonly _tag: 'AddFilters'; readonly relay: string; readonly repos: ReadonlyArray<string>; readonly rootEvents: { readonly [repoRef: string]: ReadonlyArray<string> } }
  | { readonly _tag: 'RemoveFilters'; readonly relay: string; readonly repos: ReadonlyArray<string>; readonly rootEvents: { readonly [repoRef: string]: ReadonlyArray<string> } }
  | { readonly _tag: 'CloseRelay'; readonly relay: string }

/**
 * Decodes a list of actions read from storage or another process: `Right` when every element is
 * a valid action, `Left` with the io-ts errors otherwise.
 *
 * @example
 * import { decodeRelayActions } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.strictEqual(E.isLeft(decodeRelayActions([{ _tag: 'Explode' }])), true)
 *
 * @category codecs
 * @since 0.1.0
 */
export const decodeRelayActions = (u: unknown): E.Either<t.Errors, ReadonlyArray<RelayAction>> => actionList.decode(u)

const actionList = /* @__PURE__ */ (() => readingPlain(t.readonlyArray(RelayAction), 5))()

type Pairs = Array<readonly [RepoRef, ReadonlyArray<string>]>

const pairsJson = (pairs: Pairs): Record<string, ReadonlyArray<string>> => {
  const out: Record<string, ReadonlyArray<string>> = {}
  for (const [repo, ids] of [...pairs].sort((a, b) => compareStrings(a[0], b[0])))
    out[repo] = ids
  return out
}

const pairDifference = (x: internal.Target, y: internal.Target): Pairs => {
  const out: Pairs = []
  for (const [repo, ids] of x.rootPairs()) {
    const other = y.rootsOf(repo)
    const left = other === undefined ? ids.toArray() : keysOnlyIn(ids, other)
    if (left.length > 0) out.push([repo, left])
  }
  return out
}

/**
 * The actions that turn `applied` into `desired`, in a deterministic order: by relay, and for one
 * relay `RemoveFilters` before `AddFilters`. Empty when they are equal. The result is frozen.
 *
 * Cost: relays whose targets are the same object are skipped; when `desired` was derived
 * incrementally from `applied` (the usual step: derive, diff against the last derivation), only
 * the relays and repositories that derivation touched are compared. `applyActions` of exactly
 * the returned array to exactly `applied` returns `desired` itself, so a pipeline that keeps
 * its applied index that way diffs in the size of each change.
 *
 * @example
 * import { diff, emptyRelayIndex, fromRelayTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }])
 * assert.deepStrictEqual(F.pipe(emptyRelayIndex, diff(desired)), [
 *   { _tag: 'SpawnRelay', relay: 'wss://r.example', repos: [], rootEvents: {} }
 * ])
 * assert.deepStrictEqual(F.pipe(desired, diff(desired)), [])
 *
 * @category combinators
 * @since 0.1.0
 */
export const diff =
  (desired: RelayIndex) =>
  (applied: RelayIndex): ReadonlyArray<RelayAction> => {
    const dd = relayData(desired)
    const ad = relayData(applied)
    const d = dd.relays
    const a = ad.relays
    if (d === a) return NO_ACTIONS
    // an incremental derivation knows which relays changed since the index it was made from
    const delta = internal.deltaOf(dd)
    const keys = new Set<RelayUrl>(delta !== undefined && delta.from.relays === a ? delta.relays : [...d.keys(), ...a.keys()])
    const actions: Array<RelayAction> = []
    for (const relay of [...keys].sort(compareStrings)) {
      const dt = d.get(relay)
      const at = a.get(relay)
      if (dt === at) continue
      if (dt !== undefined && at === undefined) {
        actions.push({ _tag: 'SpawnRelay', ...targetToJson(relay, dt) })
      } else if (dt === undefined) {
        actions.push({ _tag: 'CloseRelay', relay })
      } else if (at !== undefined) {
        const delta = internal.targetDeltas.get(dt)
        if (delta !== undefined && delta.from === at) changedFrom(actions, relay, at, dt, delta.repos)
        else if (!internal.targetEquals(dt, at)) changedFrom(actions, relay, at, dt, undefined)
      }
    }
    const frozen = freezeActions(actions)
    produced.set(frozen, { applied: a, desired: dd })
    return frozen
  }

const NO_ACTIONS: ReadonlyArray<RelayAction> = Object.freeze([])

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null
const relayOf = internal.relayOf
const reposOf = internal.reposOf
const pairsOf = internal.pairsOf

/**
 * Actions `diff` returned, with the applied index they were computed against and the desired
 * index they lead to: `applyActions` of exactly those (frozen) actions to exactly that index is
 * the desired index itself, so targets keep their identity and the next `diff` stays cheap.
 */
const produced = new WeakMap<object, { readonly applied: internal.RelayIndexData['relays']; readonly desired: internal.RelayIndexData }>()

const freezeActions = (actions: Array<RelayAction>): ReadonlyArray<RelayAction> => {
  for (const action of actions) {
    if (action._tag !== 'CloseRelay') {
      Object.freeze(action.repos)
      for (const ids of Object.values(action.rootEvents)) Object.freeze(ids)
      Object.freeze(action.rootEvents)
    }
    Object.freeze(action)
  }
  return Object.freeze(actions)
}

/**
 * The RemoveFilters / AddFilters of one relay whose target changed from `at` to `dt`. With
 * `touched` (from an incremental derivation), only those repositories can differ, and only they
 * are compared; without it, both targets are compared whole.
 */
const changedFrom = (actions: Array<RelayAction>, relay: RelayUrl, at: internal.Target, dt: internal.Target, touched: ReadonlySet<RepoRef> | undefined): void => {
  let removeRepos: Array<RepoRef>
  let addRepos: Array<RepoRef>
  let removePairs: Pairs
  let addPairs: Pairs
  if (touched === undefined) {
    removeRepos = at.repoList().filter((r) => !dt.hasRepo(r))
    addRepos = dt.repoList().filter((r) => !at.hasRepo(r))
    removePairs = pairDifference(at, dt)
    addPairs = pairDifference(dt, at)
  } else {
    removeRepos = []
    addRepos = []
    removePairs = []
    addPairs = []
    for (const repo of touched) {
      const inA = at.hasRepo(repo)
      const inD = dt.hasRepo(repo)
      if (inA && !inD) removeRepos.push(repo)
      else if (inD && !inA) addRepos.push(repo)
      const ra = at.rootsOf(repo)
      const rd = dt.rootsOf(repo)
      if (ra === rd) continue
      // versions of one root set share their untouched nodes: this costs what changed
      const gone = ra === undefined ? [] : rd === undefined ? ra.toArray() : keysOnlyIn(ra, rd)
      const come = rd === undefined ? [] : ra === undefined ? rd.toArray() : keysOnlyIn(rd, ra)
      if (gone.length > 0) removePairs.push([repo, gone])
      if (come.length > 0) addPairs.push([repo, come])
    }
  }
  if (removeRepos.length > 0 || removePairs.length > 0)
    actions.push({ _tag: 'RemoveFilters', relay, repos: removeRepos.sort(compareStrings), rootEvents: pairsJson(removePairs) })
  if (addRepos.length > 0 || addPairs.length > 0)
    actions.push({ _tag: 'AddFilters', relay, repos: addRepos.sort(compareStrings), rootEvents: pairsJson(addPairs) })
}

/**
 * Records actions in an applied index, in order. `SpawnRelay` sets the relay's target,
 * `AddFilters` adds to it (creating the relay if needed), `RemoveFilters` subtracts from it (the
 * relay stays, possibly empty), `CloseRelay` removes the relay. Relay strings are canonicalised;
 * a value that is not an action, and any relay, repository address or event id inside an action
 * that is not valid, changes nothing (validate untrusted input with {@link decodeRelayActions}
 * first to be told what was wrong). Total.
 *
 * @example
 * import { applyActions, diff, emptyRelayIndex, eqRelayIndex, fromRelayTargets } from 'nip34-sync'
 * import { function as F } from 'fp-ts'
 *
 * const desired = fromRelayTargets([{ relay: 'wss://r.example', repos: [], rootEvents: {} }])
 * const next = F.pipe(emptyRelayIndex, applyActions(F.pipe(emptyRelayIndex, diff(desired))))
 * assert.strictEqual(eqRelayIndex.equals(next, desired), true)
 *
 * @category reducers
 * @since 0.1.0
 */
export const applyActions =
  (actions: ReadonlyArray<RelayAction>) =>
  (applied: RelayIndex): RelayIndex => {
    const before = relayData(applied).relays
    const hit = typeof actions === 'object' && actions !== null ? produced.get(actions) : undefined
    if (hit !== undefined && hit.applied === before) return wrapRelayIndex(hit.desired)
    // outside input: read once into plain data (a Proxy or a throwing getter reads as nothing)
    const plain = readPlain(actions, 4)
    const list: unknown = plain.ok ? plain.value : []
    if (!Array.isArray(list) || list.length === 0) return applied
    const m = before.edit()
    for (const action of list as ReadonlyArray<unknown>) {
      if (!isObject(action)) continue
      const relay = relayOf(action['relay'])
      if (relay === undefined) continue
      const repos = reposOf(action['repos'])
      const pairs = pairsOf(action['rootEvents'])
      switch (action['_tag']) {
        case 'SpawnRelay':
          m.set(relay, internal.addTo(internal.emptyTarget, repos, pairs))
          break
        case 'AddFilters':
          m.set(relay, internal.addTo(m.get(relay) ?? internal.emptyTarget, repos, pairs))
          break
        case 'RemoveFilters': {
          const current = m.get(relay)
          if (current !== undefined) m.set(relay, internal.removeFrom(current, repos, pairs))
          break
        }
        case 'CloseRelay':
          m.delete(relay)
          break
      }
    }
    const relays = m.done()
    return relays === before ? applied : wrapRelayIndex(internal.make(relays))
  }
