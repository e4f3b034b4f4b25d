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
import { verifies } from '../dist/internal/verify.js'

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

/** Median of `reps` runs of fn over all events, per event in ms. @param {() => unknown} fn @param {number} n */
const perEvent = (fn, n, reps = 5) => {
  fn() // warm up
  const samples = []
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now()
    fn()
    samples.push((performance.now() - t0) / n)
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)] ?? 0
}

/**
 * @param {number} [n] events
 * @returns {Promise<Array<{ name: string, perEventMs?: number, ratio?: number, note?: string }>>}
 */
export async function verifyRows(n = 2000) {
  const events = signedEvents(n)
  const plainCopies = () => events.map((e) => ({ ...e, tags: e.tags.map((/** @type {string[]} */ t) => [...t]) }))
  const config = { ownRelays: ['wss://grasp.example.com'], rootKinds: [1617], verify: true }
  const check = () => {
    let bad = 0
    for (const ev of events) if (verifies(ev) !== undefined) bad++
    if (bad !== 0) throw new Error(`${bad} valid events refused on ${verificationBackend()}`)
  }
  const batch = () => {
    const { rejected } = applyBatch(config, events)(emptyRepoIndex)
    if (rejected.length !== 0) throw new Error(`applyBatch refused ${rejected.length} valid events`)
  }

  disableWasmVerification()
  const js = perEvent(check, n)
  const jsBatch = perEvent(batch, n, 3)
  const bareJsMs = perEvent(() => {
    const copies = plainCopies() // bare verifyEvent caches its verdict on the object
    for (const ev of copies) bareJs(ev)
  }, n)

  const wasmLoaded = await enableWasmVerification()
  if (!wasmLoaded) return [{ name: 'verify: js (verifies)', perEventMs: js }, { name: 'verify: wasm', note: 'nostr-wasm did not load' }]
  const wasm = perEvent(check, n)
  const wasmBatch = perEvent(batch, n, 3)
  const bareWasmMs = perEvent(() => {
    const copies = plainCopies()
    for (const ev of copies) bareWasm(ev)
  }, n)
  disableWasmVerification()

  return [
    { name: 'verify: js (verifies, nostr-tools/pure)', perEventMs: js },
    { name: 'verify: wasm (verifies, nostr-tools/wasm)', perEventMs: wasm },
    { name: 'verify: speed-up wasm vs js (verifies)', ratio: js / wasm },
    { name: 'verify: js via applyBatch (decode + verify)', perEventMs: jsBatch },
    { name: 'verify: wasm via applyBatch (decode + verify)', perEventMs: wasmBatch },
    { name: 'verify: speed-up wasm vs js (applyBatch)', ratio: jsBatch / wasmBatch },
    { name: 'verify: bare nostr-tools/pure verifyEvent', perEventMs: bareJsMs },
    { name: 'verify: bare nostr-tools/wasm verifyEvent', perEventMs: bareWasmMs },
    { name: 'verify: speed-up bare wasm vs bare js', ratio: bareJsMs / bareWasmMs }
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
