// @ts-check
// Signature verification: per-event cost of the JS path (nostr-tools/pure) and the WASM path
// (nostr-tools/wasm over nostr-wasm), in one process, on ~2 000 real signed events. Reads dist/
// (run `npm run build` first; `npm run bench` does). Imported by bench/run.js; also runnable:
//
//   npm run build --silent && node bench/verify.js
//
// Rows: the library's verifier (`verifies`, what applyBatch calls: plain copy, hex checks, id +
// signature) on each backend, the same through applyBatch, the bare nostr-tools calls for
// reference, and the ratios. Events are kind-1617 patches with seeded content, signed with
// finalizeEvent by 20 random keys (so every run signs new events; the figures do not depend on
// the keys).
import { finalizeEvent, generateSecretKey, verifyEvent as bareJs } from 'nostr-tools/pure'
import { verifyEvent as bareWasm } from 'nostr-tools/wasm'
import { applyBatch, emptyRepoIndex, enableWasmVerification, disableWasmVerification, verificationBackend } from '../dist/index.js'
import { forgetValidSignatures, verifies } from '../dist/decode/verifyBackend.js'

/** @param {number} seed */
const rng = (seed) => () => {
  seed = (seed * 1103515245 + 12345) >>> 0
  return seed / 2 ** 32
}

/** @param {number} n */
export const signedEvents = (n = 2000) => {
  const random = rng(34)
  const keys = Array.from({ length: 20 }, () => generateSecretKey())
  const events = []
  for (let i = 0; i < n; i++) {
    const lines = 5 + Math.floor(random() * 40)
    let content = `From ${i.toString(16).padStart(40, '0')} Mon Sep 17 00:00:00 2001\nSubject: [PATCH] change ${i}\n\n`
    for (let l = 0; l < lines; l++) content += `+ line ${l} of patch ${i}: ${random().toString(36)}\n`
    const ev = finalizeEvent(
      {
        kind: 1617,
        created_at: 1_700_000_000 + i,
        content,
        tags: [
          ['a', `30617:${'ab'.repeat(32)}:repo-${i % 50}`],
          ['r', 'e'.repeat(40)],
          ['t', 'root'],
          ['alt', `git patch: change ${i}`]
        ]
      },
      /** @type {Uint8Array} */ (keys[i % keys.length])
    )
    events.push(JSON.parse(JSON.stringify(ev))) // plain, as read off the wire (no cached verdict)
  }
  return events
}

/** @param {number[]} xs */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? 0
}

/**
 * Per-event cost of the JS and the WASM backend for each of `measures`, interleaved: the events
 * are cut into `reps` slices, and each slice is timed on both backends back to back (alternating
 * which goes first), so load from other processes hits both alike. The ratio is the median of
 * the per-slice ratios.
 * @param {ReadonlyArray<any>} events @param {number} reps
 * @param {Record<string, (slice: ReadonlyArray<any>) => unknown>} measures
 */
const interleaved = async (events, reps, measures) => {
  const size = Math.floor(events.length / reps)
  /** @type {Record<string, { js: number[], wasm: number[], ratio: number[] }>} */
  const out = {}
  for (const name of Object.keys(measures)) out[name] = { js: [], wasm: [], ratio: [] }
  const warm = events.slice(0, 50) // and lets V8 tier the WASM up from Liftoff
  for (const fn of Object.values(measures)) fn(warm)
  await enableWasmVerification()
  for (const fn of Object.values(measures)) fn(warm)
  for (let r = 0; r < reps; r++) {
    const slice = events.slice(r * size, (r + 1) * size)
    for (const [name, fn] of Object.entries(measures)) {
      /** @type {Record<string, number>} */
      const t = {}
      for (const backend of r % 2 === 0 ? ['js', 'wasm'] : ['wasm', 'js']) {
        if (backend === 'js') disableWasmVerification()
        else await enableWasmVerification()
        forgetValidSignatures() // every timed run checks every signature (the verifier caches valid ones)
        const t0 = performance.now()
        fn(slice)
        t[backend] = (performance.now() - t0) / slice.length
      }
      const o = /** @type {{ js: number[], wasm: number[], ratio: number[] }} */ (out[name])
      o.js.push(t['js'] ?? 0)
      o.wasm.push(t['wasm'] ?? 0)
      o.ratio.push((t['js'] ?? 0) / (t['wasm'] ?? 1))
    }
  }
  disableWasmVerification()
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { js: median(v.js), wasm: median(v.wasm), ratio: median(v.ratio) }]))
}

/**
 * Rows for bench/run.js: per-event ms on each backend and the WASM speed-up, for the library's
 * verifier, for applyBatch with `verify: true`, and for the bare nostr-tools calls.
 * @param {number} [n] events
 * @returns {Promise<Array<{ name: string, perEventMs?: number, ratio?: number, note?: string }>>}
 */
export async function verifyRows(n = 2000) {
  const events = signedEvents(n)
  const config = { ownRelays: ['wss://grasp.example.com'], rootKinds: [1617], verify: true }
  if (!(await enableWasmVerification())) {
    const t0 = performance.now()
    for (const ev of events) verifies(ev)
    return [
      { name: 'verify: js (verifies, nostr-tools/pure)', perEventMs: (performance.now() - t0) / n },
      { name: 'verify: wasm', note: 'nostr-wasm did not load here' }
    ]
  }
  disableWasmVerification()
  const r = await interleaved(events, 5, {
    verifies: (slice) => {
      let bad = 0
      for (const ev of slice) if (verifies(ev) !== undefined) bad++
      if (bad !== 0) throw new Error(`${bad} valid events refused on ${verificationBackend()}`)
    },
    applyBatch: (slice) => {
      const { rejected } = applyBatch(config, slice)(emptyRepoIndex)
      if (rejected.length !== 0) throw new Error(`applyBatch refused ${rejected.length} valid events`)
    },
    bare: (slice) => {
      // bare verifyEvent caches its verdict on the object: a fresh copy each time
      const verify = verificationBackend() === 'wasm' ? bareWasm : bareJs
      for (const ev of slice) if (!verify({ ...ev, tags: ev.tags.map((/** @type {string[]} */ t) => [...t]) })) throw new Error('bare verify refused')
    }
  })
  const v = /** @type {{ js: number, wasm: number, ratio: number }} */ (r['verifies'])
  const b = /** @type {{ js: number, wasm: number, ratio: number }} */ (r['applyBatch'])
  const x = /** @type {{ js: number, wasm: number, ratio: number }} */ (r['bare'])
  return [
    { name: 'verify: js (verifies, nostr-tools/pure)', perEventMs: v.js },
    { name: 'verify: wasm (verifies, nostr-tools/wasm)', perEventMs: v.wasm },
    { name: 'verify: speed-up wasm vs js (verifies)', ratio: v.ratio },
    { name: 'verify: js via applyBatch (decode + verify)', perEventMs: b.js },
    { name: 'verify: wasm via applyBatch (decode + verify)', perEventMs: b.wasm },
    { name: 'verify: speed-up wasm vs js (applyBatch)', ratio: b.ratio },
    { name: 'verify: bare nostr-tools/pure verifyEvent', perEventMs: x.js },
    { name: 'verify: bare nostr-tools/wasm verifyEvent', perEventMs: x.wasm },
    { name: 'verify: speed-up bare wasm vs bare js', ratio: x.ratio }
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = performance.now()
  for (const r of await verifyRows()) {
    const v = r.perEventMs !== undefined ? `${r.perEventMs.toFixed(3)} ms/event` : r.ratio !== undefined ? `${r.ratio.toFixed(1)}×` : (r.note ?? '')
    console.log(`${r.name.padEnd(50)} ${v}`)
  }
  console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`)
}
