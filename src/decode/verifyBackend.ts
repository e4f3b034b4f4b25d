/**
 * Signature verification, the one place that checks an event's id and Schnorr signature.
 *
 * Two backends give the same verdicts:
 * - `js` (the default, always available): nostr-tools/pure (@noble/curves).
 * - `wasm`, opted into with {@link loadWasm}: nostr-tools/wasm over nostr-wasm (libsecp256k1
 *   compiled to WebAssembly, its binary embedded in the package, so no fetch). It computes the
 *   id itself and refuses an event whose id is not its hash, so no second hash is taken.
 *
 * nostr-wasm has a fixed 1 MiB heap: an event whose serialization might not fit goes to the JS
 * path (a bound computed from string lengths, so the verdict never depends on the heap).
 *
 * The backend is the only state of this module that matters; a bounded cache of valid signatures
 * only saves work. Loading never changes a verdict: a backend that
 * does not load, or fails a self-test on a known event, leaves the JS path in place.
 *
 * @internal
 */
import { getEventHash, verifyEvent as verifyJs } from 'nostr-tools/pure'
import { setNostrWasm, verifyEvent as verifyWasm } from 'nostr-tools/wasm'

/** The fields verification reads (a NostrEvent is one). */
export interface SignedEvent {
  readonly id: string
  readonly pubkey: string
  readonly created_at: number
  readonly kind: number
  readonly tags: ReadonlyArray<ReadonlyArray<string>>
  readonly content: string
  readonly sig: string
}

/** Which implementation checks signatures. */
export type Backend = 'js' | 'wasm'

let backend: Backend = 'js'
let loading: Promise<boolean> | undefined
/** Bumped by {@link useJs}: a load still pending when the host went back to JS does not switch. */
let generation = 0

/** The backend in use. */
export const currentBackend = (): Backend => backend

/** Back to the JS path (the WASM instance stays loaded: {@link loadWasm} re-enables it at once). */
export const useJs = (): void => {
  backend = 'js'
  generation++
}

/**
 * Upper bound of the UTF-8 bytes of the NIP-01 serialization: JSON escapes one UTF-16 unit to at
 * most 6 bytes (`\u001f`, a lone surrogate), plus quotes and commas per string. Stops counting
 * once past `limit`, so its cost is bounded by the limit, not the event.
 */
const serializedBound = (ev: SignedEvent, limit: number): number => {
  let n = 200 + 6 * ev.content.length
  for (const tag of ev.tags) {
    n += 4
    for (const v of tag) n += 6 * v.length + 3
    if (n > limit) return n
  }
  return n
}

/** nostr-wasm's heap is 1 MiB, partly used by its context: serializations above this go to JS. */
const WASM_MAX_SERIALIZED = 768 * 1024

/**
 * (id, pubkey, sig) triples whose signature verified: a bounded cache, cleared when full. A cache
 * only: it saves the Schnorr check of an event verified twice and never changes a verdict.
 */
const validSignatures = new Set<string>()
const VALID_SIGNATURES_MAX = 1 << 14

/** Empties the cache of valid signatures (benchmarks that verify the same events again). */
export const forgetValidSignatures = (): void => validSignatures.clear()

const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/

/**
 * Checks the id and signature on a fresh copy, never on the caller's object (nostr-tools caches
 * its verdict on the object it is given). Synchronous; never throws: `undefined` when valid,
 * otherwise the reason.
 */
export const verifies = (ev: SignedEvent): string | undefined => {
  try {
    const copy = {
      id: ev.id,
      pubkey: ev.pubkey,
      created_at: ev.created_at,
      kind: ev.kind,
      tags: ev.tags.map((tag) => [...tag]),
      content: ev.content,
      sig: ev.sig
    }
    // Both backends read hex; nostr-wasm's parser is lenient (case, stray characters), so the
    // shape is checked here once, for the two of them alike.
    if (typeof copy.id !== 'string' || !HEX64.test(copy.id)) return 'the id is not the hash of the event'
    if (typeof copy.pubkey !== 'string' || !HEX64.test(copy.pubkey) || typeof copy.sig !== 'string' || !HEX128.test(copy.sig))
      return 'the signature does not verify'
    const key = copy.id + copy.pubkey + copy.sig
    // A signature seen valid before (the executor checks an event before the engine does): the
    // Schnorr verdict depends on (id, pubkey, sig) only, so only the id is hashed again.
    if (validSignatures.has(key)) return getEventHash(copy) === copy.id ? undefined : 'the id is not the hash of the event'
    const ok =
      backend === 'wasm' && serializedBound(copy, WASM_MAX_SERIALIZED) <= WASM_MAX_SERIALIZED ? verifyWasm(copy) : verifyJs(copy)
    if (ok) {
      if (validSignatures.size >= VALID_SIGNATURES_MAX) validSignatures.clear()
      validSignatures.add(key)
      return undefined
    }
    // Only a refused event pays for a second hash, to say which check failed.
    return getEventHash(copy) !== copy.id ? 'the id is not the hash of the event' : 'the signature does not verify'
  } catch {
    return 'the signature could not be checked'
  }
}

/** A real signed event (kind 1, key sha256('nip34-sync verification self-test')). */
const SELF_TEST = {
  kind: 1,
  created_at: 1700000000,
  tags: [],
  content: 'nip34-sync self-test',
  pubkey: '9f41100c3a941555fb51e9452d0feabaccfba06123a3aedffb336786614ea0f0',
  id: 'c09f430f58145d3eeb560feece618a809b8dc89b4ebb8f71ba7c9f9a135f0bdc',
  sig: 'c00eb3543aae344af7ad4b0da9a431834fcce951c60f4fd8e1447c829406d2e8350eb41d9ea475aa46506c963ff4e280e3b1be628899dec4aac2faa67d3e922a'
} as const

/** What nostr-tools/wasm needs of a nostr-wasm instance: `verifyEvent` throws unless valid. */
interface WasmInstance {
  readonly verifyEvent: (event: object) => void
}

const isInstance = (u: unknown): u is WasmInstance =>
  typeof u === 'object' && u !== null && typeof (u as { verifyEvent?: unknown }).verifyEvent === 'function'

const accepts = (instance: WasmInstance, event: object): boolean => {
  try {
    instance.verifyEvent(event)
    return true
  } catch {
    return false
  }
}

/** The instance accepts the known event and refuses it tampered or forged. */
const selfTest = (instance: WasmInstance): boolean =>
  accepts(instance, { ...SELF_TEST, tags: [] }) &&
  !accepts(instance, { ...SELF_TEST, tags: [], content: 'nip34-sync self-tesT' }) &&
  !accepts(instance, { ...SELF_TEST, tags: [], sig: SELF_TEST.sig.replace(/^c0/, 'c1') })

/**
 * Loads nostr-wasm (once; concurrent calls share the load) and switches to it if it passes the
 * self-test; only then is it handed to nostr-tools/wasm, so a broken instance never replaces a
 * working one. Resolves to whether the WASM backend is in use; never rejects. A failed load can
 * be retried by calling again. The last call wins: {@link useJs} while a load is pending keeps
 * the JS path (and the load resolves `false`).
 */
export const loadWasm = (load: () => Promise<unknown>): Promise<boolean> => {
  if (loading === undefined) {
    loading = Promise.resolve()
      .then(load)
      .then((instance) => {
        if (!isInstance(instance) || !selfTest(instance)) return false
        setNostrWasm(instance as unknown as Parameters<typeof setNostrWasm>[0])
        return true
      })
      .catch(() => false)
      .then((ok) => {
        if (!ok) loading = undefined
        return ok
      })
  }
  const asked = generation
  return loading.then((ok) => {
    if (!ok || asked !== generation) return false
    backend = 'wasm'
    return true
  })
}
