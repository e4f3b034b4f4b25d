/**
 * Signature verification, the one place that checks an event's id and Schnorr signature.
 *
 * @internal
 */
import { getEventHash, verifyEvent } from 'nostr-tools/pure'
import type { NostrEvent } from '../Nip34Event.js'

/** Checks the id and signature on a fresh copy, never on the caller's object. */
export const verifies = (ev: NostrEvent): string | undefined => {
  const copy = {
    id: ev.id,
    pubkey: ev.pubkey,
    created_at: ev.created_at,
    kind: ev.kind,
    tags: ev.tags.map((tag) => [...tag]),
    content: ev.content,
    sig: ev.sig
  }
  try {
    if (getEventHash(copy) !== ev.id) return 'the id is not the hash of the event'
    return verifyEvent(copy) ? undefined : 'the signature does not verify'
  } catch {
    return 'the signature could not be checked'
  }
}

