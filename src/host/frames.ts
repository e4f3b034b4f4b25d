/**
 * What a remote relay says, read by the executor (internal): an `EVENT` is kept only when it
 * matches the filters of the subscription it came on (or, for a grace period, those the id had a
 * moment ago) and the relay's exact GRASP-02 predicate (`wants`); it joins its history page, the
 * engine's next step and the store. `EOSE`, `CLOSED`, `NOTICE` and NIP-77 frames become engine
 * inputs; NIP-42 frames go to remoteAuth.ts.
 */
import { option as O } from 'fp-ts'
import { matchFilters, type Filter } from 'nostr-tools/filter'
import { engineDesired, engineRelay, wants, type EngineInput } from '../index.js'
import { canonicalRelay, type RelayUrl } from '../model/RelayUrl.js'
import { dataOf } from '../relays/store.js'
import { parseFrame } from './connection.js'
import { isDirect } from './grasp01.js'
import type { NegentropyHost } from './negentropy.js'
import { isEvent } from './options.js'
import type { NostrEventLike } from './ownRelayTypes.js'
import type { RemoteAuth } from './remoteAuth.js'
import { pageCap } from './remotes.js'
import { pageKey, type Remote, type Shared } from './shared.js'

export interface FrameHooks {
  readonly queue: (input: EngineInput) => void
  readonly schedule: () => void
  /** A new, valid event (flow.ts). */
  readonly admit: (e: NostrEventLike) => boolean
  /** The event matches filters the id had a moment ago (remotes.ts). */
  readonly matchesRecent: (rem: Remote, id: string, e: NostrEventLike) => boolean
  readonly neg: NegentropyHost
  readonly auth: RemoteAuth
}

/** The frame reader of one executor. */
export const makeFrames = (s: Shared, h: FrameHooks) => {
  const { nowSec, pages, counters, emit } = s
  const { queue, neg, auth } = h

  /**
   * The exact GRASP-02 predicate of a relay (`wants`), rebuilt only when that relay's own target
   * (the persistent index shares a target a step did not change: compared by identity) or its
   * limits changed, not after every change anywhere.
   */
  const predicates = new Map<string, { readonly target: unknown; readonly limits: string; readonly wanted: (event: unknown) => boolean }>()
  const wantedFrom = (relay: string): ((event: unknown) => boolean) => {
    const desired = engineDesired(s.engine)
    const target: unknown = dataOf(desired).relays.get((canonicalRelay(relay) ?? relay) as RelayUrl)
    const limits = O.toUndefined(engineRelay(relay)(s.engine))?.limits
    const limitsKey = limits === undefined ? '' : JSON.stringify(limits)
    const cached = predicates.get(relay)
    if (cached !== undefined && cached.target === target && cached.limits === limitsKey) return cached.wanted
    const wanted = wants(desired, relay, limits)
    predicates.set(relay, { target, limits: limitsKey, wanted })
    return wanted
  }

  /** An `EVENT` on subscription `id`. */
  const onEvent = (rem: Remote, id: string, e: unknown): void => {
    const filters = rem.subs.get(id)
    let ok = false
    try {
      ok = filters !== undefined && isEvent(e) && matchFilters(filters as Array<Filter>, e as never)
    } catch {
      ok = false
    }
    if (!ok && isEvent(e)) ok = h.matchesRecent(rem, id, e)
    if (!ok) {
      counters.unmatched++
      return
    }
    const ev = e as NostrEventLike
    // history paging sees every event its filter matched, over-fetch included (or `until` could skip some)
    // at most what the REQ asked for (its limits, plus a little): more is the relay misbehaving, and is not kept
    const page = pages.get(pageKey(rem.key, id))
    if (page !== undefined) {
      if (page.length < pageCap(filters)) page.push(ev)
      else counters.pageOverflow++
    }
    // a subscription of exact events (fetch by id, discovery by author: host/grasp01.ts) keeps what it asked for
    if (!wantedFrom(rem.relay)(ev) && !isDirect(filters)) {
      counters.overFetched++
      s.overFetchedBy.set(rem.relay, (s.overFetchedBy.get(rem.relay) ?? 0) + 1)
      return
    }
    if (!h.admit(ev)) return
    counters.received++
    if (s.engineKinds.has(ev.kind)) s.inbox.push(ev)
    if (s.sink !== undefined) s.toStore.push(ev)
    h.schedule()
  }

  const onFrame = (rem: Remote, data: string): void => {
    const m = parseFrame(data)
    if (m === undefined || typeof m[1] !== 'string') return
    const id = m[1]
    const { relay, socket } = rem
    switch (m[0]) {
      case 'EVENT':
        onEvent(rem, id, m[2])
        return
      case 'EOSE': {
        if (!rem.subs.has(id)) return
        rem.inFlight.delete(id)
        const k = pageKey(rem.key, id)
        const page = pages.get(k)
        if (page !== undefined) pages.set(k, [])
        emit({ type: 'eose', relay, socket, id })
        queue({ _tag: 'Eose', relay, socket, id, ...(page === undefined ? {} : { events: page }), now: nowSec() })
        return
      }
      case 'CLOSED': {
        // a relay that takes NEG-OPEN for a subscription closes it: as NEG-ERR
        if (!rem.subs.has(id) && neg.has(rem, id)) {
          rem.inFlight.delete(id)
          neg.frame(rem, ['NEG-ERR', id, typeof m[2] === 'string' ? m[2] : 'closed'])
          return
        }
        if (!rem.subs.has(id)) return
        rem.subs.delete(id)
        rem.inFlight.delete(id)
        pages.delete(pageKey(rem.key, id))
        const reason = typeof m[2] === 'string' ? m[2].slice(0, 500) : ''
        emit({ type: 'closed', relay, socket, id, reason })
        queue({ _tag: 'Closed', relay, socket, id, reason, now: nowSec() })
        if (/^auth-required:/i.test(reason.trimStart())) auth.needed(rem)
        return
      }
      case 'AUTH':
        auth.onChallenge(rem, m)
        return
      case 'OK':
        auth.onOk(rem, m)
        return
      case 'NEG-MSG':
      case 'NEG-ERR':
        if (neg.has(rem, id) && m[0] === 'NEG-ERR') rem.inFlight.delete(id)
        neg.frame(rem, m)
        if (!neg.has(rem, id)) rem.inFlight.delete(id)
        return
      case 'NOTICE': {
        const message = id.slice(0, 500)
        emit({ type: 'notice', relay, socket, message })
        queue({ _tag: 'Notice', relay, socket, message, now: nowSec() })
        return
      }
      default:
        return
    }
  }

  return { onFrame, clear: (): void => predicates.clear() }
}
