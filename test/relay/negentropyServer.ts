/**
 * The relay side of NIP-77 for the loopback test relay, on nostr-tools' negentropy
 * implementation (its `nip77` module: `NegentropyStorageVector` for the fingerprints and bounds,
 * `Negentropy` for the wire encoding and range splitting).
 *
 * nostr-tools implements the initiator (client) side only: its `reconcile` answers an `IdList`
 * range with nothing, where the responder must send back its own ids for that range (negentropy
 * protocol v1, as strfry does). `respond` is that responder's `reconcile`, built from the same
 * parts: the initiator's messages are read with its decoders, ranges are split with its
 * `splitRange`, and an `IdList` range is answered with the relay's ids.
 */
import { nip77 } from 'nostr-tools'

const { Negentropy, NegentropyStorageVector } = nip77
type Neg = InstanceType<typeof Negentropy>
type Storage = InstanceType<typeof NegentropyStorageVector>

const PROTOCOL_VERSION = 0x61
const SKIP = 0
const FINGERPRINT = 1
const ID_LIST = 2

interface Buf {
  length: number
  extend(b: Uint8Array | Buf): void
  shift(): number
  shiftN(n: number): Uint8Array
  unwrap(): Uint8Array
}

const hexToBytes = (hex: string): Uint8Array => {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error('not hex')
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}
const bytesToHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

const decodeVarInt = (b: Buf): number => {
  let res = 0
  for (;;) {
    if (b.length === 0) throw new Error('parse ends prematurely')
    const byte = b.shift()
    res = (res << 7) | (byte & 127)
    if ((byte & 128) === 0) return res
  }
}
const encodeVarInt = (n: number): Uint8Array => {
  if (n === 0) return new Uint8Array([0])
  const o: Array<number> = []
  while (n !== 0) {
    o.push(n & 127)
    n >>>= 7
  }
  o.reverse()
  for (let i = 0; i < o.length - 1; i++) o[i] = (o[i] as number) | 128
  return new Uint8Array(o)
}

/** One relay-side session: the relay's events matching the session's filter. */
export class NegentropyResponder {
  private readonly storage: Storage
  private readonly neg: Neg
  private readonly Wrapped: new (b?: Uint8Array) => Buf

  constructor(items: ReadonlyArray<{ readonly id: string; readonly created_at: number }>, frameSizeLimit = 60_000) {
    this.storage = new NegentropyStorageVector()
    const seen = new Set<string>()
    for (const x of items)
      if (!seen.has(x.id)) {
        seen.add(x.id)
        this.storage.insert(x.created_at, x.id)
      }
    this.storage.seal()
    this.neg = new Negentropy(this.storage, frameSizeLimit)
    // nostr-tools' buffer class (not exported): the class of what its encoder returns
    this.Wrapped = (this.neg.encodeBound(this.neg._bound(0)) as unknown as { constructor: new (b?: Uint8Array) => Buf }).constructor
  }

  /** The answer to an initiator's message (hex), as the responder of protocol v1. */
  respond(queryHex: string): string {
    const neg = this.neg as unknown as {
      lastTimestampIn: number
      lastTimestampOut: number
      _bound(t: number, id?: Uint8Array): { timestamp: number; id: Uint8Array }
      decodeBound(b: Buf): { timestamp: number; id: Uint8Array }
      encodeBound(k: { timestamp: number; id: Uint8Array }): Buf
      splitRange(lower: number, upper: number, bound: { timestamp: number; id: Uint8Array }, o: Buf): void
      exceededFrameSizeLimit(n: number): boolean
    }
    const query = new this.Wrapped(hexToBytes(queryHex))
    neg.lastTimestampIn = 0
    neg.lastTimestampOut = 0
    const full = new this.Wrapped()
    full.extend(new Uint8Array([PROTOCOL_VERSION]))
    // another version: answer with ours alone (NIP-77's version negotiation)
    if (query.length === 0 || query.shift() !== PROTOCOL_VERSION) return bytesToHex(full.unwrap())
    const size = this.storage.size()
    let prevBound = neg._bound(0)
    let prevIndex = 0
    let skip = false
    while (query.length !== 0) {
      let o = new this.Wrapped()
      const doSkip = (): void => {
        if (!skip) return
        skip = false
        o.extend(neg.encodeBound(prevBound))
        o.extend(encodeVarInt(SKIP))
      }
      const currBound = neg.decodeBound(query)
      const mode = decodeVarInt(query)
      const lower = prevIndex
      let upper = this.storage.findLowerBound(prevIndex, size, currBound)
      if (mode === SKIP) skip = true
      else if (mode === FINGERPRINT) {
        const theirs = query.shiftN(16)
        const ours = this.storage.fingerprint(lower, upper)
        if (bytesToHex(theirs) !== bytesToHex(ours)) {
          doSkip()
          neg.splitRange(lower, upper, currBound, o)
        } else skip = true
      } else if (mode === ID_LIST) {
        const n = decodeVarInt(query)
        query.shiftN(32 * n)
        doSkip()
        const ids = new this.Wrapped()
        let count = 0
        let endBound = currBound
        // within the frame size: the ids up to the limit, the rest of the range left for a fingerprint
        this.storage.iterate(lower, upper, (item, index) => {
          if (neg.exceededFrameSizeLimit(full.length + ids.length)) {
            endBound = item
            upper = index
            return false
          }
          ids.extend(item.id)
          count++
          return true
        })
        o.extend(neg.encodeBound(endBound))
        o.extend(encodeVarInt(ID_LIST))
        o.extend(encodeVarInt(count))
        o.extend(ids)
        full.extend(o)
        o = new this.Wrapped()
      } else throw new Error('unexpected mode')
      if (neg.exceededFrameSizeLimit(full.length + o.length)) {
        full.extend(neg.encodeBound(neg._bound(Number.MAX_VALUE)))
        full.extend(encodeVarInt(FINGERPRINT))
        full.extend(this.storage.fingerprint(upper, size))
        break
      }
      full.extend(o)
      prevIndex = upper
      prevBound = currBound
    }
    return bytesToHex(full.unwrap())
  }
}
