/** Real signed events for tests that keep verification on. Keys derive from fixed labels. */
import { sha256 } from '@noble/hashes/sha2.js'
import { finalizeEvent, getPublicKey } from 'nostr-tools/pure'

export const secretKey = (label: string): Uint8Array => sha256(new TextEncoder().encode(`nip34-sync test ${label}`))
export const pubkeyOf = (sk: Uint8Array): string => getPublicKey(sk)

/** A NIP-01 event as plain JSON data. */
export interface TestEvent {
  id: string
  pubkey: string
  created_at: number
  kind: number
  tags: Array<Array<string>>
  content: string
  sig: string
}

/** Signs and returns a plain (JSON-clean) copy, as an event read off the wire would be. */
export const sign = (sk: Uint8Array, kind: number, created_at: number, tags: ReadonlyArray<ReadonlyArray<string>>, content = ''): TestEvent =>
  JSON.parse(JSON.stringify(finalizeEvent({ kind, created_at, tags: tags.map((t) => [...t]), content }, sk))) as TestEvent
