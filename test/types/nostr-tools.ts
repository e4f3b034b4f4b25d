// Type-level tests (checked by `npm run typecheck`, never run): the library's values fit
// nostr-tools' types, so a host passes them to nostr-tools without casts (issue 10).
import type { Event, NostrEvent as NostrToolsEvent } from 'nostr-tools'
import type { Filter } from 'nostr-tools/filter'
import type { Subscription as NostrToolsSubscription } from 'nostr-tools/abstract-relay'
import type { NostrFilter, Nip01Event, PlannedSubscription, WireMessage } from '../../src/index.js'

/** Every filter the library plans goes to nostr-tools' `subscribe` / `REQ` as it is. */
export const toFilter = (f: NostrFilter): Filter => f
export const toFilters = (m: WireMessage): Filter[] => (m[0] === 'REQ' ? m.slice(2) as NostrFilter[] : []).map(toFilter)

/** An event nostr-tools hands over is a library event, and back. */
export const fromNostrTools = (e: Event): Nip01Event => e
export const fromNostrToolsEvent = (e: NostrToolsEvent): Nip01Event => e
export const toNostrTools = (e: Nip01Event): Event => ({ ...e, tags: e.tags.map((t) => [...t]) })

/** The library's planned subscription is not nostr-tools' live `Subscription` (different names). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
export const distinct: Same<PlannedSubscription, NostrToolsSubscription> = false
