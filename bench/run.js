// @ts-check
// Benchmarks for the sync core. Figures are ratios against a baseline measured in the same
// process, so they compare across machines; absolute times are printed for context only.
//
//   npm run bench            # build, then run (about a minute on 2 cores)
//
// 1. applyBatch: the cost of one 1000-event batch on indexes of 1k, 10k and 100k repositories.
//    The goal is a per-batch cost that follows the batch, not the index: ratio ~1.
// 2. deriveTargets + diff at the same sizes: these walk the whole index today (ratio ~ size).
// 3. Memory: 50 retained versions of a 100k-repository index, against one version.
// 4. Verification: applyBatch with signature checks against verify: false.
import { getEventHash, finalizeEvent } from 'nostr-tools/pure'
import { sha256 } from '@noble/hashes/sha2.js'
import { applyBatch, deriveTargets, diff, emptyRepoIndex } from '../dist/index.js'

const config = { ownRelays: ['wss://grasp.example.com'], verify: false }
/** @param {number} n @param {number} [width] */
const hex = (n, width = 64) => n.toString(16).padStart(width, '0')
/** @param {number} i */
const pubkey = (i) => hex(i * 7919 + 1)

/** @param {number} i @param {number} createdAt */
const announcement = (i, createdAt = 1000) => {
  const ev = {
    kind: 30617,
    pubkey: pubkey(i % 5000),
    created_at: createdAt,
    content: '',
    tags: [
      ['d', `repo-${i}`],
      ['relays', 'wss://grasp.example.com', `wss://r${i % 300}.example`, `wss://r${(i * 7) % 300}.example`, 'wss://relay.damus.io'],
      ['clone', `https://grasp.example.com/npub/${i}.git`]
    ]
  }
  return { ...ev, id: getEventHash(ev), sig: '0'.repeat(128) }
}
/** @param {number} i @param {number} repo */
const patch = (i, repo) => {
  const ev = { kind: 1617, pubkey: pubkey(i), created_at: 2000 + i, content: `patch ${i}`, tags: [['a', `30617:${pubkey(repo % 5000)}:repo-${repo}`]] }
  return { ...ev, id: getEventHash(ev), sig: '0'.repeat(128) }
}

/** @param {() => unknown} fn @param {number} reps */
const time = (fn, reps) => {
  fn() // warm up
  const samples = []
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now()
    fn()
    samples.push(performance.now() - t0)
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)] ?? 0
}

/** @param {number} n @returns {import('../dist/index.js').RepoIndex} */
const build = (n) => {
  let index = emptyRepoIndex
  for (let start = 0; start < n; start += 5000) {
    const batch = []
    for (let i = start; i < Math.min(n, start + 5000); i++) batch.push(announcement(i), patch(i, i))
    index = applyBatch(config, batch)(index).index
  }
  return index
}

const sizes = [1_000, 10_000, 100_000]
const indexes = new Map(sizes.map((n) => [n, build(n)]))
/** @param {number} n */
const indexOf = (n) => /** @type {import('../dist/index.js').RepoIndex} */ (indexes.get(n))
/** @type {Array<[string, string, number, number]>} */
const results = []

// 1. applyBatch per-batch cost
/** @param {number} n */
const freshBatch = (n) => {
  const batch = []
  for (let i = 0; i < 500; i++) batch.push(announcement(n + i), patch(n * 3 + i, (i * 37) % n))
  return batch
}
const batchTimes = sizes.map((n) => {
  const idx = indexOf(n)
  const batch = freshBatch(n)
  return time(() => applyBatch(config, batch)(idx), 15)
})
sizes.forEach((n, i) => results.push(['applyBatch, 1000 events', `${n} repos`, batchTimes[i] ?? 0, (batchTimes[i] ?? 0) / (batchTimes[0] ?? 1)]))

// 2. deriveTargets + diff (one new patch)
const deriveTimes = sizes.map((n) => {
  const idx = indexOf(n)
  const applied = deriveTargets(config)(idx)
  const next = applyBatch(config, [patch(9_999_999, 1)])(idx).index
  return time(() => diff(deriveTargets(config)(next))(applied), 5)
})
sizes.forEach((n, i) => results.push(['deriveTargets + diff, 1 new patch', `${n} repos`, deriveTimes[i] ?? 0, (deriveTimes[i] ?? 0) / (deriveTimes[0] ?? 1)]))

// 3. memory of retained versions
const gc = /** @type {(() => void) | undefined} */ (globalThis.gc)
const heap = () => {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}
const big = indexOf(100_000)
indexes.clear()
const base = heap()
const versions = [big]
for (let v = 0; v < 50; v++) versions.push(applyBatch(config, freshBatch(200_000 + v * 1000).slice(0, 20))(versions[versions.length - 1] ?? big).index)
const after = heap()
const b0 = heap()
const twentyK = build(20_000)
const oneIndexBytes = ((heap() - b0) / 20_000) * 100_000
versions.push(twentyK) // keeps it alive until the measure above is taken

// 4. verification cost
const sk = sha256(new TextEncoder().encode('bench'))
const signed = Array.from({ length: 200 }, (_, i) => finalizeEvent({ kind: 30617, created_at: 1000, content: '', tags: [['d', `s${i}`], ['relays', 'wss://r.example']] }, sk))
const plain = signed.map((e) => JSON.parse(JSON.stringify(e)))
const verifyOff = time(() => applyBatch(config, plain)(emptyRepoIndex), 5)
const verifyOn = time(() => applyBatch({ ownRelays: ['wss://grasp.example.com'] }, plain)(emptyRepoIndex), 5)

/** @param {number} ms */
const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`)
console.log('\n| measure | size | median | ratio to first row |\n| --- | --- | --- | --- |')
for (const [what, size, ms, ratio] of results) console.log(`| ${what} | ${size} | ${fmt(ms)} | ${ratio.toFixed(2)} |`)
console.log(`| applyBatch, 200 signed events | verify: false | ${fmt(verifyOff)} | 1.00 |`)
console.log(`| applyBatch, 200 signed events | verify: true | ${fmt(verifyOn)} | ${(verifyOn / verifyOff).toFixed(1)} |`)
console.log(`\nmemory: 50 retained versions of a 100k-repository index cost ${((after - base) / 2 ** 20).toFixed(1)} MiB above one version;`)
console.log(`one 100k-repository index (announcement + patch each) is about ${(oneIndexBytes / 2 ** 20).toFixed(0)} MiB (extrapolated from 20k).`)
console.log(`(indexes kept alive: ${versions.length}; gc exposed: ${gc !== undefined})`)
