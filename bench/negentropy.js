// @ts-check
// NIP-77 negentropy against paged REQs for history: frames, bytes and sequential round trips
// for a relay holding N events of which the host already holds a share (docs/negentropy.md).
//
//   npm run build && node bench/negentropy.js   # N = 1 000, 10 000, 50 000; held 0 %, 50 %, 90 %, 99 %
//   BENCH_QUICK=1 node bench/negentropy.js
//
// In process, no sockets: the host side is nostr-tools' `Negentropy` (what the executor runs,
// src/host/negentropy.ts), the relay side the responder of the loopback test relay
// (test/relay/negentropyServer.ts, repeated here in JavaScript), and every frame is the JSON the
// wire would carry. Paged REQs are the engine's history paging (pages of `maxLimit` = 500, newest
// first, until an empty page); the fetch by id is the engine's own chunking (dist/, negentropyPlan.ts
// `fetchRuns` under the default limits: the session's filter with at most 100 ids, as many filters
// as fit 64 KiB). Event bodies are synthetic issues of about 450 bytes. Writes bench/negentropy.json.
// Needs dist/ (`npm run build`).
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { nip77 } from 'nostr-tools'
import { relayLimits } from '../dist/index.js'
import { fetchRuns } from '../dist/engine/negentropyPlan.js'

const { Negentropy, NegentropyStorageVector } = nip77
const QUICK = process.env['BENCH_QUICK'] === '1'
const SIZES = QUICK ? [1000, 5000] : [1000, 10_000, 50_000]
const HELD = [0, 0.5, 0.9, 0.99]
const PAGE = 500
const LIMITS = relayLimits({}).limits
const MAX_MESSAGE = 65_536
const SUB = 'n34h' + 'a'.repeat(24)

/** @param {number} i */
const hex = (i, len = 64) => (i.toString(16) + 'f'.repeat(len)).slice(0, len).padStart(len, '0')
/** @param {number} i */
const event = (i) => ({
  id: hex(i * 7919 + 13),
  pubkey: hex(424242),
  created_at: 1_700_000_000 + Math.floor(i / 3),
  kind: 1621,
  tags: [['a', `30617:${hex(424242)}:repo${i % 50}`], ['subject', `issue ${i}`]],
  content: `An issue of about the size of a short bug report, number ${i}, with a few words of text.`,
  sig: hex(i, 128)
})
/** @param {unknown} frame */
const bytes = (frame) => Buffer.byteLength(JSON.stringify(frame))

// ---- the relay side (test/relay/negentropyServer.ts, in JavaScript) ------------------------------

/** @param {string} h */
const hexToBytes = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16))
/** @param {Uint8Array} b */
const bytesToHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
/** @param {any} b */
const decodeVarInt = (b) => {
  let res = 0
  for (;;) {
    const byte = b.shift()
    res = (res << 7) | (byte & 127)
    if ((byte & 128) === 0) return res
  }
}
/** @param {number} n */
const encodeVarInt = (n) => {
  if (n === 0) return new Uint8Array([0])
  const o = []
  while (n !== 0) {
    o.push(n & 127)
    n >>>= 7
  }
  o.reverse()
  for (let i = 0; i < o.length - 1; i++) o[i] = /** @type {number} */ (o[i]) | 128
  return new Uint8Array(o)
}
/** @param {ReadonlyArray<{ id: string, created_at: number }>} items */
const responder = (items) => {
  const storage = new NegentropyStorageVector()
  for (const x of items) storage.insert(x.created_at, x.id)
  storage.seal()
  /** @type {any} */
  const neg = new Negentropy(storage, 60_000)
  const Wrapped = neg.encodeBound(neg._bound(0)).constructor
  /** @param {string} q */
  return (q) => {
    const query = new Wrapped(hexToBytes(q))
    neg.lastTimestampIn = 0
    neg.lastTimestampOut = 0
    const full = new Wrapped()
    full.extend(new Uint8Array([0x61]))
    query.shift()
    const size = storage.size()
    let prevBound = neg._bound(0)
    let prevIndex = 0
    let skip = false
    while (query.length !== 0) {
      let o = new Wrapped()
      const doSkip = () => {
        if (!skip) return
        skip = false
        o.extend(neg.encodeBound(prevBound))
        o.extend(encodeVarInt(0))
      }
      const currBound = neg.decodeBound(query)
      const mode = decodeVarInt(query)
      let upper = storage.findLowerBound(prevIndex, size, currBound)
      if (mode === 0) skip = true
      else if (mode === 1) {
        const theirs = query.shiftN(16)
        if (bytesToHex(theirs) !== bytesToHex(storage.fingerprint(prevIndex, upper))) {
          doSkip()
          neg.splitRange(prevIndex, upper, currBound, o)
        } else skip = true
      } else {
        query.shiftN(32 * decodeVarInt(query))
        doSkip()
        const ids = new Wrapped()
        let count = 0
        let endBound = currBound
        storage.iterate(prevIndex, upper, (/** @type {any} */ item, /** @type {number} */ index) => {
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
        o.extend(encodeVarInt(2))
        o.extend(encodeVarInt(count))
        o.extend(ids)
        full.extend(o)
        o = new Wrapped()
      }
      if (neg.exceededFrameSizeLimit(full.length + o.length)) {
        full.extend(neg.encodeBound(neg._bound(Number.MAX_VALUE)))
        full.extend(encodeVarInt(1))
        full.extend(storage.fingerprint(upper, size))
        break
      }
      full.extend(o)
      prevIndex = upper
      prevBound = currBound
    }
    return bytesToHex(full.unwrap())
  }
}

// ---- the two ways ---------------------------------------------------------------------------------

const FILTER = { kinds: [1621], '#a': Array.from({ length: 50 }, (_, i) => `30617:${hex(424242)}:repo${i}`) }

/** @param {ReadonlyArray<any>} relay @param {ReadonlySet<string>} held */
const negentropy = (relay, held) => {
  let maxFrame = 0
  const t0 = performance.now()
  const storage = new NegentropyStorageVector()
  for (const e of relay) if (held.has(e.id)) storage.insert(e.created_at, e.id)
  storage.seal()
  const client = new Negentropy(storage, Math.floor((MAX_MESSAGE - 256) / 2))
  const respond = responder(relay)
  /** @type {Array<string>} */
  const need = []
  let up = 0
  let down = 0
  let frames = 0
  let rounds = 0
  /** @type {string | null} */
  let msg = client.initiate()
  up += bytes(['NEG-OPEN', SUB, FILTER, msg])
  frames++
  while (msg !== null) {
    const answer = respond(msg)
    down += bytes(['NEG-MSG', SUB, answer])
    maxFrame = Math.max(maxFrame, bytes(['NEG-MSG', SUB, answer]))
    frames++
    rounds++
    msg = client.reconcile(answer, undefined, (/** @type {string} */ id) => need.push(id))
    if (msg !== null) {
      up += bytes(['NEG-MSG', SUB, msg])
      frames++
    }
  }
  up += bytes(['NEG-CLOSE', SUB])
  frames++
  const ms = performance.now() - t0
  // the fetch by id as the engine cuts it (fetchRuns: the session's filter with `ids`, within the
  // default limits), the REQs sent together (one more round trip), the events, an EOSE and a CLOSE each
  const byId = new Map(relay.map((e) => [e.id, e]))
  const runs = fetchRuns({ slot: 's', cursors: [], status: 'pending', socket: 0, wire: SUB, mayBeOpen: false, retryAt: 0, failures: 0, sentAt: 0, neg: { phase: 'session', filter: FILTER } }, need, LIMITS)
  for (const r of runs) {
    const filters = r.cursors.map((/** @type {any} */ c) => ({ ...c.filter, limit: c.limit }))
    up += bytes(['REQ', SUB, ...filters]) + bytes(['CLOSE', SUB])
    down += bytes(['EOSE', SUB])
    frames += 3
    for (const f of filters)
      for (const id of f.ids) {
        down += bytes(['EVENT', SUB, byId.get(id)])
        frames++
      }
  }
  const reqs = runs.length
  return { need: need.length, frames, up, down, rounds: rounds + (reqs > 0 ? 1 : 0), reconcileMs: Math.round(ms), maxFrame }
}

/** @param {ReadonlyArray<any>} relay */
const paged = (relay) => {
  const sorted = [...relay].sort((a, b) => b.created_at - a.created_at)
  let up = 0
  let down = 0
  let frames = 0
  let rounds = 0
  /** @type {number | undefined} */
  let until
  for (;;) {
    const page = sorted.filter((e) => until === undefined || e.created_at <= until).slice(0, PAGE)
    up += bytes(['REQ', SUB, { ...FILTER, ...(until === undefined ? {} : { until }), limit: PAGE }])
    down += bytes(['EOSE', SUB])
    frames += 2
    rounds++
    // what the engine keeps re-asking (until is inclusive) is sent again
    for (const e of page) down += bytes(['EVENT', SUB, e])
    frames += page.length
    if (page.length === 0) break
    const oldest = page[page.length - 1].created_at
    const next = page[0].created_at > oldest ? oldest : oldest - 1
    if (until !== undefined && next >= until) until = until - 1
    else until = next
  }
  up += bytes(['CLOSE', SUB])
  frames++
  return { frames, up, down, rounds }
}

const rows = []
for (const n of SIZES) {
  const relay = Array.from({ length: n }, (_, i) => event(i))
  const p = paged(relay)
  for (const share of HELD) {
    const held = new Set(relay.filter((_, i) => (i * 2654435761) % 1000 < share * 1000).map((e) => e.id))
    const g = negentropy(relay, held)
    const row = {
      events: n,
      held: share,
      negentropy: g,
      paged: p,
      bytesRatio: Math.round(((g.up + g.down) / (p.up + p.down)) * 1000) / 1000
    }
    rows.push(row)
    console.log(
      `${String(n).padStart(6)} events, ${String(share * 100).padStart(2)} % held: negentropy ${g.frames} frames ${Math.round((g.up + g.down) / 1024)} KiB ${g.rounds} round trips (need ${g.need}, largest frame ${Math.round(g.maxFrame / 1024)} KiB, ${g.reconcileMs} ms) | paged ${p.frames} frames ${Math.round((p.up + p.down) / 1024)} KiB ${p.rounds} round trips | bytes ${row.bytesRatio}x`
    )
  }
}
writeFileSync(new URL('./negentropy.json', import.meta.url), JSON.stringify({ node: process.version, rows }, null, 2) + '\n')
