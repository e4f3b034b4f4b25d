// @ts-check
// Benchmarks for the sync core (issue 8, "Benchmarks"). One process; every headline figure is a
// ratio against a baseline measured in the same process, so it compares across machines.
//
//   npm run bench         # build, then `node --expose-gc bench/run.js` (a few minutes on 2 cores)
//   BENCH_QUICK=1 node --expose-gc bench/run.js   # smaller sizes, for trying the harness
//
// Writes bench/results.json (the raw figures), then regenerates docs/benchmarks.md and
// docs/benchmarks-step.svg from it (scripts/benchmarks-doc.mjs).
//
// 1. Step: one batch of 100 mixed events, card pipeline (applyBatch → deriveTargets → diff →
//    applyActions) against the seed's algorithm (bench/seed.js: mutable Maps, full derive and full
//    diff), at 1k / 10k / 100k repositories. Per-step medians.
// 2. Cold build: every event of the workload in batches of 1000, applyBatch from emptyRepoIndex
//    against two mutable builds of the same parsed batches: the library's decoder into mutable
//    Maps (bench/mapBuild.js; the target's baseline), and the seed's Maps, which decode nothing.
// 3. Memory: heap per root event across RepoIndex + desired + applied (20k repositories, 200k root
//    events), with global.gc(), after the parsed batches are dropped; the seed's Maps alike.
// 4. Plan: planTarget on one relay's target holding 100k root events.
// 5. Rows from bench/attacks.js (attackRows) and bench/verify.js (verifyRows), when present.
import { existsSync, writeFileSync } from 'node:fs'
import { execSync, spawnSync } from 'node:child_process'
import { getHeapStatistics } from 'node:v8'
import * as os from 'node:os'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import * as W from './workload.js'
import * as S from './seed.js'
import * as D from './mapBuild.js'
import {
  applyActions,
  applyBatch,
  deriveTargets,
  diff,
  emptyRelayIndex,
  emptyRepoIndex,
  planTarget,
  relayTarget,
  relays
} from '../dist/index.js'
import { writeBenchmarkDocs } from '../scripts/benchmarks-doc.mjs'

// The 100k-repository index of today's card needs more than V8's default old space (about 4 GiB
// here): run the same script once more in a child with a larger heap and wait for it (all figures
// are still measured in that one process).
if (getHeapStatistics().heap_size_limit < 7 * 2 ** 30 && process.env['BENCH_CHILD'] !== '1') {
  const child = spawnSync(process.execPath, [...process.execArgv, '--max-old-space-size=12288', fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_CHILD: '1' }
  })
  process.exit(child.status ?? 1)
}

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')

/**
 * The optional row modules (section 5), loaded now with the dist/ this run measures: a build
 * elsewhere during the run (which empties dist/ first) cannot make them fail to load at the end.
 * @type {Map<string, Promise<Record<string, unknown>>>}
 */
const preloaded = new Map()
for (const file of ['attacks.js', 'verify.js'])
  if (existsSync(join(here, file))) {
    const p = import(`./${file}`)
    p.catch(() => {}) // reported when section 5 awaits it
    preloaded.set(file, p)
  }
const quick = process.env['BENCH_QUICK'] === '1'
const started = performance.now()
const loadAtStart = os.loadavg().map((x) => Number(x.toFixed(2)))

const OWN = `wss://${W.OWN_RELAY_HOST}`
/** The one configuration object every step uses. */
const config = { ownRelays: [OWN], verify: false }
const seedCfg = S.seedConfig([OWN])

const gcFn = /** @type {(() => void) | undefined} */ (globalThis.gc)
if (gcFn === undefined) console.warn('global.gc is not exposed: run with node --expose-gc (npm run bench does); memory figures will be skipped')
const gc = () => {
  if (gcFn !== undefined) for (let i = 0; i < 3; i++) gcFn()
}
/** One full collection (between phases; the memory figures use heapUsed). */
const gcOnce = () => gcFn?.()
const heapUsed = () => {
  gc()
  return process.memoryUsage().heapUsed
}

/** @param {number[]} xs */
const median = (xs) => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? /** @type {number} */ (s[m]) : (/** @type {number} */ (s[m - 1]) + /** @type {number} */ (s[m])) / 2
}
/** @param {number} x @param {number} [d] */
const round = (x, d = 3) => Number(x.toFixed(d))
/** @param {number} ms */
const fmtMs = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 100 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(0)} ms`)
/** @param {string} title @param {string[]} head @param {Array<Array<string | number>>} rows */
const printTable = (title, head, rows) => {
  const cells = [head, ...rows.map((r) => r.map(String))]
  const widths = head.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)))
  console.log(`\n${title}`)
  cells.forEach((r, i) => {
    console.log('  ' + r.map((x, c) => (c === 0 ? x.padEnd(widths[c] ?? 0) : x.padStart(widths[c] ?? 0))).join('  '))
    if (i === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '))
  })
}
/** @param {string} msg */
const log = (msg) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${msg}`)

const sh = (/** @type {string} */ cmd) => {
  try {
    return execSync(cmd, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
  } catch {
    return ''
  }
}

// ---------------------------------------------------------------------------------------------
// The card pipeline and the seed algorithm, one step each, phases timed.

/** @typedef {{ index: import('../dist/index.js').RepoIndex, applied: import('../dist/index.js').RelayIndex, rejected: number }} CardState */

/** @param {CardState} st @param {unknown[]} batch */
const cardStep = (st, batch) => {
  const t0 = performance.now()
  const r = applyBatch(config, batch)(st.index)
  const t1 = performance.now()
  const desired = deriveTargets(config)(r.index)
  const t2 = performance.now()
  const actions = diff(desired)(st.applied)
  const t3 = performance.now()
  const applied = applyActions(actions)(st.applied)
  const t4 = performance.now()
  st.index = r.index
  st.applied = applied
  st.rejected += r.rejected.length
  return { total: t4 - t0, apply: t1 - t0, derive: t2 - t1, diff: t3 - t2, applyActions: t4 - t3, actions: actions.length, desired }
}

/** @typedef {{ index: S.SeedIndex, applied: S.SeedTargets }} SeedState */

/** @param {SeedState} st @param {unknown[]} batch */
const seedStep = (st, batch) => {
  const t0 = performance.now()
  S.seedApply(seedCfg, st.index, batch)
  const t1 = performance.now()
  const desired = S.seedDerive(st.index)
  const t2 = performance.now()
  const actions = S.seedDiff(desired, st.applied)
  const t3 = performance.now()
  S.seedApplyActions(st.applied, actions)
  const t4 = performance.now()
  return { total: t4 - t0, apply: t1 - t0, derive: t2 - t1, diff: t3 - t2, applyActions: t4 - t3, actions: actions.length, desired }
}

/** @param {Array<{ total: number, apply: number, derive: number, diff: number, applyActions: number, actions: number }>} samples */
const summarize = (samples) => ({
  medianMs: round(median(samples.map((s) => s.total)), 4),
  minMs: round(Math.min(...samples.map((s) => s.total)), 4),
  maxMs: round(Math.max(...samples.map((s) => s.total)), 4),
  phasesMedianMs: {
    applyBatch: round(median(samples.map((s) => s.apply)), 4),
    deriveTargets: round(median(samples.map((s) => s.derive)), 4),
    diff: round(median(samples.map((s) => s.diff)), 4),
    applyActions: round(median(samples.map((s) => s.applyActions)), 4)
  },
  actionsPerStep: round(median(samples.map((s) => s.actions)), 1),
  samplesMs: samples.map((s) => round(s.total, 3))
})

// ---------------------------------------------------------------------------------------------
// 0. Warm the code paths (so compiled code is not counted as memory, nor JIT in the first sizes).
// The warm-up's events get strings of their own (hex reversed, relay hosts renamed): the workload's
// author pool, owners and relays are shared by every spec, and warming with them would put the
// memory section's strings and shared objects in the library's caches (intern pool, author kinds,
// relay sources) before its baseline, so they would not be counted (6 B per root here).
/** @param {string} text */
const fresh = (text) => text.replace(/[0-9a-f]{64}/g, (h) => [...h].reverse().join('')).replaceAll('.bench-', '.warm-')
{
  const spec = W.makeSpec(300, 99)
  const card = /** @type {CardState} */ ({ index: emptyRepoIndex, applied: emptyRelayIndex, rejected: 0 })
  const seed = /** @type {SeedState} */ ({ index: S.seedEmpty(), applied: new Map() })
  for (const parsedBatch of W.coldBatches(spec)) {
    const b = JSON.parse(fresh(JSON.stringify(parsedBatch)))
    card.index = applyBatch(config, b)(card.index).index
    S.seedApply(seedCfg, seed.index, b)
  }
  card.applied = applyActions(diff(deriveTargets(config)(card.index))(emptyRelayIndex))(emptyRelayIndex)
  S.seedApplyActions(seed.applied, S.seedDiff(S.seedDerive(seed.index), new Map()))
  // enough steps for the optimising compiler to settle on both pipelines
  for (const text of W.stepBatches(spec, 60)) {
    const b = JSON.parse(fresh(text))
    cardStep(card, b)
    seedStep(seed, b)
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Memory (first, on the cleanest heap).
const MEM_REPOS = quick ? 2_000 : 20_000
const MEM_ROOTS = quick ? 20_000 : 200_000

/** Adjusts the root counts of a spec to a given total, keeping the heavy tail. @param {W.Spec} spec @param {number} total */
const fitRoots = (spec, total) => {
  const r = W.rng(spec.seed ^ 0x2545f491)
  while (spec.roots < total) {
    const i = r.int(spec.repos)
    spec.rootCounts[i] = /** @type {number} */ (spec.rootCounts[i]) + 1
    spec.roots++
  }
  while (spec.roots > total) {
    const i = r.int(spec.repos)
    if (/** @type {number} */ (spec.rootCounts[i]) > 0) {
      spec.rootCounts[i] = /** @type {number} */ (spec.rootCounts[i]) - 1
      spec.roots--
    }
  }
}

/** @type {Record<string, unknown>} */
let memory = { skipped: 'global.gc is not exposed (run with node --expose-gc)' }
if (gcFn !== undefined) {
  log(`memory: ${MEM_REPOS} repositories, ${MEM_ROOTS} root events`)
  const spec = W.makeSpec(MEM_REPOS, 20_2026)
  const naturalRoots = spec.roots
  fitRoots(spec, MEM_ROOTS)

  // Every structure is built inside a function, so that nothing but the structure outlives the
  // call: a dead temporary of this module's top-level code (the last parsed batch, the actions
  // array) can stay reachable from its frame and would be counted.
  const buildIndex = () => {
    let index = emptyRepoIndex
    let rejected = 0
    for (const b of W.coldBatches(spec)) {
      const r = applyBatch(config, b)(index)
      index = r.index
      rejected += r.rejected.length
    }
    return { index, rejected }
  }
  /** @param {import('../dist/index.js').RepoIndex} i */
  const derive = (i) => deriveTargets(config)(i)
  /** @param {import('../dist/index.js').RelayIndex} d */
  const applyAll = (d) => applyActions(diff(d)(emptyRelayIndex))(emptyRelayIndex)

  // card: RepoIndex + desired + applied
  const base = heapUsed()
  let { index, rejected } = buildIndex()
  const afterIndex = heapUsed()
  log('memory: card RepoIndex built')
  const desired = derive(index)
  const afterDesired = heapUsed()
  let applied = applyAll(desired)
  const afterApplied = heapUsed()
  const cardRelays = relays(desired).length
  // keep all three alive up to the last measure
  if (applied === emptyRelayIndex && index === emptyRepoIndex) console.log('unexpected')
  applied = emptyRelayIndex
  index = emptyRepoIndex
  const cardBytes = afterApplied - base
  log('memory: card desired + applied built')

  // seed: plain Maps, index + desired + applied
  const seedBuild = () => {
    const i = S.seedEmpty()
    for (const b of W.coldBatches(spec)) S.seedApply(seedCfg, i, b)
    return i
  }
  /** @param {S.SeedTargets} d */
  const seedApplyAll = (d) => {
    const a = /** @type {S.SeedTargets} */ (new Map())
    S.seedApplyActions(a, S.seedDiff(d, new Map()))
    return a
  }
  const base2 = heapUsed()
  let sIndex = seedBuild()
  const sAfterIndex = heapUsed()
  log('memory: seed index built')
  let sDesired = S.seedDerive(sIndex)
  const sAfterDesired = heapUsed()
  let sApplied = seedApplyAll(sDesired)
  const sAfterApplied = heapUsed()
  const seedRelays = sDesired.size
  if (sApplied.size < 0 || sIndex.size < 0) console.log('unexpected')
  sIndex = S.seedEmpty()
  sDesired = new Map()
  sApplied = new Map()
  const seedBytes = sAfterApplied - base2

  memory = {
    repos: MEM_REPOS,
    roots: spec.roots,
    rootsBeforeFit: naturalRoots,
    authors: W.AUTHORS,
    rejected,
    relaysWithTarget: { card: cardRelays, seed: seedRelays },
    card: {
      bytes: cardBytes,
      bytesPerRoot: round(cardBytes / spec.roots, 1),
      cumulativeBytes: { repoIndex: afterIndex - base, plusDesired: afterDesired - base, plusApplied: afterApplied - base }
    },
    seed: {
      bytes: seedBytes,
      bytesPerRoot: round(seedBytes / spec.roots, 1),
      indexAndDesiredBytesPerRoot: round((sAfterDesired - base2) / spec.roots, 1),
      cumulativeBytes: { index: sAfterIndex - base2, plusDesired: sAfterDesired - base2, plusApplied: sAfterApplied - base2 }
    }
  }
  gc()
}

// ---------------------------------------------------------------------------------------------
// 1 + 2. Cold build and steps at each size.
const SIZES = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000]
/** @type {Record<number, number>} */
const STEPS = quick ? { 1000: 21, 10000: 15 } : { 1000: 61, 10000: 41, 100000: 41 }
/**
 * How many of the card's timed steps the seed times at each size (evenly spaced, the last one
 * included). A seed step at 100k repositories takes seconds and varies little (it walks the whole
 * index every time), so a few samples give its median; the card's median takes many more.
 */
/** @type {Record<number, number>} */
const SEED_TIMED = quick ? { 1000: 21, 10000: 7 } : { 1000: 61, 10000: 15, 100000: 7 }
const WARMUP_STEPS = 3
/** Time budget for the card's timed steps at one size (at least MIN_STEPS); the seed then runs the same steps. */
const STEP_BUDGET_MS = quick ? 10_000 : 30_000
const MIN_STEPS = 3

/** Sample relays to compare the card's and the seed's targets after the steps. */
const sampleRelays = Array.from({ length: 12 }, (_, k) => W.relayUrlOf(k < 8 ? k : 100 * k))

/** @type {Array<Record<string, any>>} */
const sizes = []
/** @type {Array<Record<string, unknown>>} */
const plans = []
/** @type {Record<string, unknown>} */
let attacks = { skipped: 'not reached in this run' }
/** @type {Record<string, unknown>} */
let verify = { skipped: 'not reached in this run' }

/**
 * Writes bench/results.json and the docs from what is measured so far (after each phase, so a run
 * cut short still leaves its figures).
 * @param {boolean} complete
 */
const save = (complete) => {
  const first = sizes[0]
  const last = sizes[sizes.length - 1]
  const results = {
    generatedBy: 'npm run bench (bench/run.js)',
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      commit: sh('git rev-parse --short HEAD'),
      srcUncommitted: sh('git status --porcelain -- src').split('\n').filter((l) => l.trim() !== '').length,
      quick,
      complete,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
      durationSeconds: 0,
      cpuSeconds: 0
    },
    targets: { stepRatioAtLargest: 100, stepRatioAtSmallest: 1, growthMax: 3, coldRatioMax: 2, bytesPerRootMax: 300 },
    workload: {
      relays: W.RELAYS,
      relaysPerRepo: [1, 5],
      relayPopularity: 'Zipf-like popularity (weight 1/rank)',
      authors: W.AUTHORS,
      ownersPerRepo: 'pool of repos/2 owners',
      rootsPerRepo: `Lomax(alpha ${W.ALPHA}, scale ${W.ROOTS_SCALE}), floored, at most ${W.MAX_ROOTS_PER_REPO}`,
      rootKinds: W.ROOT_KINDS,
      stepBatch: W.STEP_MIX,
      coldBatchSize: 1000,
      verify: false,
      ownRelay: OWN
    },
    sizes,
    growth: first && last ? { fromRepos: first.repos, toRepos: last.repos, cardStepRatio: round(last.step.card.medianMs / first.step.card.medianMs, 3), seedStepRatio: round(last.step.seed.medianMs / first.step.seed.medianMs, 3) } : null,
    memory,
    plans,
    attacks,
    verify
  }
  results.meta.durationSeconds = round((performance.now() - started) / 1000, 1)
  const u = process.cpuUsage()
  results.meta.cpuSeconds = round((u.user + u.system) / 1e6, 1)
  writeFileSync(join(here, 'results.json'), JSON.stringify(results, null, 2) + '\n')
  writeBenchmarkDocs(results, root)
  return results
}

save(false)
for (const n of SIZES) {
  const steps = STEPS[n] ?? 5
  const spec = W.makeSpec(n, n * 7 + 1)
  let events = 0
  let maxRoots = 0
  for (const c of spec.rootCounts) maxRoots = Math.max(maxRoots, c)
  const stepTexts = W.stepBatches(spec, WARMUP_STEPS + steps)
  log(`${n} repositories: ${spec.roots} root events`)

  // card: cold build, then steps (as many as fit the budget, at least MIN_STEPS)
  gcOnce()
  log(`${n} repositories: card`)
  /** @type {CardState} */
  let card = { index: emptyRepoIndex, applied: emptyRelayIndex, rejected: 0 }
  // The cold build, interleaved batch by batch with two mutable builds of the same batches (the
  // order rotates), so load from other processes hits all three alike: the seed's Maps (no
  // decoding at all) and the library's decoder into mutable Maps (bench/mapBuild.js: the same
  // checks as applyBatch, no persistence). The Maps built here are dropped afterwards (the seed's
  // steps below start from a build of their own).
  let cardBuildMs = 0
  let mapBuildMs = 0
  let decodedMapBuildMs = 0
  let coldMaps = S.seedEmpty()
  let decodedMaps = D.decodedMapsEmpty()
  let batchNo = 0
  for (const b of W.coldBatches(spec)) {
    const turn = batchNo++ % 3
    for (let k = 0; k < 3; k++) {
      const which = (turn + k) % 3
      const t = performance.now()
      if (which === 0) {
        const r = applyBatch(config, b)(card.index)
        cardBuildMs += performance.now() - t
        card.index = r.index
        card.rejected += r.rejected.length
      } else if (which === 1) {
        S.seedApply(seedCfg, coldMaps, b)
        mapBuildMs += performance.now() - t
      } else {
        D.decodedMapsApply(config, decodedMaps, b)
        decodedMapBuildMs += performance.now() - t
      }
    }
  }
  if (coldMaps.size < 0 || decodedMaps.roots.size < 0) console.log('unexpected')
  coldMaps = S.seedEmpty()
  decodedMaps = D.decodedMapsEmpty()
  const buildRejected = card.rejected
  // warm-up: derive once before timing steps
  const t0 = performance.now()
  const desired0 = deriveTargets(config)(card.index)
  const firstDeriveMs = performance.now() - t0
  card.applied = applyActions(diff(desired0)(emptyRelayIndex))(emptyRelayIndex)
  gcOnce()
  log(`${n} repositories: card built; steps`)
  const cardSamples = []
  let cardDesired = desired0
  let cardSpent = 0
  for (let s = 0; s < stepTexts.length; s++) {
    if (cardSamples.length >= MIN_STEPS && cardSpent > STEP_BUDGET_MS) break
    const batch = JSON.parse(/** @type {string} */ (stepTexts[s]))
    const r = cardStep(card, batch)
    cardDesired = r.desired
    if (s >= WARMUP_STEPS) {
      cardSamples.push(r)
      cardSpent += r.total
    }
  }
  const cardSummary = {
    relays: relays(cardDesired).length,
    sample: sampleRelays.map((u) => {
      const t = relayTarget(u)(cardDesired)
      if (t._tag === 'None') return [u, 0, 0]
      let roots = 0
      for (const ids of Object.values(t.value.rootEvents)) roots += ids.length
      return [u, t.value.repos.length, roots]
    })
  }
  const stepRejected = card.rejected - buildRejected
  card = { index: emptyRepoIndex, applied: emptyRelayIndex, rejected: 0 }
  cardDesired = emptyRelayIndex
  gcOnce()

  // seed: cold build (mutable Maps), then the same steps
  log(`${n} repositories: seed`)
  /** @type {SeedState} */
  let seed = { index: S.seedEmpty(), applied: new Map() }
  for (const b of W.coldBatches(spec)) {
    events += b.length
    S.seedApply(seedCfg, seed.index, b)
  }
  S.seedApplyActions(seed.applied, S.seedDiff(S.seedDerive(seed.index), new Map()))
  gcOnce()
  log(`${n} repositories: seed built; steps`)
  const seedSamples = []
  /** @type {S.SeedTargets} */
  let seedDesired = new Map()
  // The seed runs exactly the batches the card ran, so both end on the same state. It times a
  // subset of them (evenly spaced, the last included); before each timed step its applied targets
  // are brought up to date by an untimed derive + diff + apply, so every timed step starts from
  // the state the card's step started from (index after the earlier batches, applied = the
  // previous desired targets).
  const total = WARMUP_STEPS + cardSamples.length
  const want = Math.min(cardSamples.length, SEED_TIMED[n] ?? cardSamples.length)
  /** @type {Set<number>} */
  const timed = new Set()
  for (let k = 0; k < want; k++) timed.add(total - 1 - Math.floor((k * cardSamples.length) / want))
  let stale = false
  for (let s = 0; s < total; s++) {
    const batch = JSON.parse(/** @type {string} */ (stepTexts[s]))
    if (s >= WARMUP_STEPS && !timed.has(s)) {
      S.seedApply(seedCfg, seed.index, batch)
      stale = true
      continue
    }
    if (stale) {
      S.seedApplyActions(seed.applied, S.seedDiff(S.seedDerive(seed.index), seed.applied))
      stale = false
    }
    const r = seedStep(seed, batch)
    seedDesired = r.desired
    if (s >= WARMUP_STEPS) seedSamples.push(r)
  }
  const seedSummary = {
    relays: seedDesired.size,
    sample: sampleRelays.map((u) => {
      const t = seedDesired.get(u)
      return [u, t?.repos.size ?? 0, t?.roots.size ?? 0]
    })
  }
  seed = { index: S.seedEmpty(), applied: new Map() }
  seedDesired = new Map()
  gcOnce()

  const agree = JSON.stringify(cardSummary) === JSON.stringify(seedSummary)
  if (!agree) console.warn(`WARNING: card and seed targets differ at ${n}: ${JSON.stringify({ card: cardSummary, seed: seedSummary })}`)

  const seedStats = summarize(seedSamples)
  const cardStats = summarize(cardSamples)
  sizes.push({
    repos: n,
    roots: spec.roots,
    meanRootsPerRepo: round(spec.roots / n, 2),
    maxRootsPerRepo: maxRoots,
    events,
    steps: { card: cardSamples.length, seed: seedSamples.length, planned: steps },
    warmupSteps: WARMUP_STEPS,
    step: {
      seed: seedStats,
      card: cardStats,
      seedOverCard: round(seedStats.medianMs / cardStats.medianMs, 3),
      firstDeriveMs: round(firstDeriveMs, 2)
    },
    cold: {
      batchSize: 1000,
      cardMs: round(cardBuildMs, 1),
      mapMs: round(mapBuildMs, 1),
      cardOverMap: round(cardBuildMs / mapBuildMs, 3),
      decodedMapMs: round(decodedMapBuildMs, 1),
      cardOverDecodedMap: round(cardBuildMs / decodedMapBuildMs, 3)
    },
    rejected: { build: buildRejected, steps: stepRejected },
    check: { agree, relays: cardSummary.relays, sampledRelays: cardSummary.sample }
  })
  save(false)
  log(`${n}: seed ${fmtMs(seedStats.medianMs)}, card ${fmtMs(cardStats.medianMs)} per step; cold build card ${fmtMs(cardBuildMs)}, Map ${fmtMs(mapBuildMs)}, decoded Map ${fmtMs(decodedMapBuildMs)}`)
}

// ---------------------------------------------------------------------------------------------
// 4. Plan for one relay holding 100k root events.
const PLAN_ROOTS = quick ? 10_000 : 100_000
{
  const r = W.rng(4242)
  /** @param {string} name @param {number} repoCount */
  const target = (name, repoCount) => {
    const spec = W.makeSpec(repoCount, 777 + repoCount)
    // spread PLAN_ROOTS over the repositories: heavy-tailed weights, exact total
    const weights = Array.from(spec.rootCounts, (c) => c + 1)
    const sum = weights.reduce((a, b) => a + b, 0)
    const counts = weights.map((w) => Math.floor((w / sum) * PLAN_ROOTS))
    let left = PLAN_ROOTS - counts.reduce((a, b) => a + b, 0)
    while (left-- > 0) {
      const k = r.int(repoCount)
      counts[k] = /** @type {number} */ (counts[k]) + 1
    }
    const fixed = PLAN_ROOTS - counts.reduce((a, b) => a + b, 0)
    counts[0] = /** @type {number} */ (counts[0]) + fixed
    const repos = []
    /** @type {Record<string, string[]>} */
    const rootEvents = {}
    let serial = 0
    for (let i = 0; i < repoCount; i++) {
      const ref = W.repoAddress(spec, i)
      repos.push(ref)
      const ids = []
      for (let k = 0; k < /** @type {number} */ (counts[i]); k++) ids.push(W.hexFrom(serial++, 31))
      ids.sort()
      if (ids.length > 0) rootEvents[ref] = ids
    }
    repos.sort()
    return { name, repoCount, value: JSON.parse(JSON.stringify({ relay: W.relayUrlOf(0), repos, rootEvents })) }
  }
  for (const { name, repoCount, value } of [target('100k root events in 1 repository', 1), target(`100k root events over ${quick ? 1 : 10}k repositories`, quick ? 1000 : 10_000)]) {
    log(`plan: ${name}`)
    const plan = planTarget()
    let result = plan(value) // warm-up
    const samples = []
    for (let k = 0; k < (quick ? 3 : 5); k++) {
      const t0 = performance.now()
      result = plan(value)
      samples.push(performance.now() - t0)
    }
    plans.push({
      name,
      repos: repoCount,
      roots: PLAN_ROOTS,
      medianMs: round(median(samples), 2),
      samplesMs: samples.map((s) => round(s, 2)),
      subscriptions: result.subscriptions.length,
      budget: result.budget,
      folded: result.folded,
      overBudget: result.overBudget,
      problems: result.problems.length,
      filters: result.subscriptions.reduce((a, s) => a + s.filters.length, 0) + result.overflow.reduce((a, s) => a + s.filters.length, 0)
    })
  }
}

save(false)

// ---------------------------------------------------------------------------------------------
// 5. Optional rows from other benchmark modules.
/** @param {string} file @param {string} fn */
const optionalRows = async (file, fn) => {
  if (!existsSync(join(here, file))) return { skipped: `bench/${file} is absent` }
  try {
    log(`${fn}() from bench/${file}`)
    /** @type {Record<string, unknown>} */
    const mod = await (preloaded.get(file) ?? import(`./${file}`))
    const f = mod[fn]
    if (typeof f !== 'function') return { skipped: `bench/${file} does not export ${fn}` }
    const rows = await f()
    if (!Array.isArray(rows)) return { skipped: `${fn}() did not return an array` }
    return { rows: JSON.parse(JSON.stringify(rows)) }
  } catch (e) {
    return { skipped: `bench/${file} threw: ${e instanceof Error ? e.message : String(e)}` }
  }
}
attacks = await optionalRows('attacks.js', 'attackRows')
verify = await optionalRows('verify.js', 'verifyRows')

// ---------------------------------------------------------------------------------------------
// Results, tables, docs.
const results = save(true)

printTable(
  'Step: one batch of 100 mixed events (median per step)',
  ['repositories', 'root events', 'steps card/seed', 'seed', 'card', 'seed/card', 'card: apply', 'derive', 'diff', 'applyActions'],
  sizes.map((s) => [
    s.repos,
    s.roots,
    `${s.steps.card}/${s.steps.seed}`,
    fmtMs(s.step.seed.medianMs),
    fmtMs(s.step.card.medianMs),
    `${s.step.seedOverCard.toFixed(2)}×`,
    fmtMs(s.step.card.phasesMedianMs.applyBatch),
    fmtMs(s.step.card.phasesMedianMs.deriveTargets),
    fmtMs(s.step.card.phasesMedianMs.diff),
    fmtMs(s.step.card.phasesMedianMs.applyActions)
  ])
)
if (results.growth) console.log(`  card step at ${results.growth.toRepos} / at ${results.growth.fromRepos}: ${results.growth.cardStepRatio.toFixed(2)}× (seed: ${results.growth.seedStepRatio.toFixed(2)}×)`)
printTable(
  'Cold build: all events in batches of 1000',
  ['repositories', 'events', 'card applyBatch', 'decoder + mutable Maps', 'card/that', 'seed Maps (no decoding)', 'card/seed'],
  sizes.map((s) => [
    s.repos,
    s.events,
    fmtMs(s.cold.cardMs),
    fmtMs(s.cold.decodedMapMs),
    `${s.cold.cardOverDecodedMap.toFixed(2)}×`,
    fmtMs(s.cold.mapMs),
    `${s.cold.cardOverMap.toFixed(2)}×`
  ])
)
if ('card' in memory) {
  const m = /** @type {any} */ (memory)
  printTable('Memory: heap after gc, RepoIndex + desired + applied', ['structure', 'repositories', 'root events', 'MiB', 'bytes/root'], [
    ['card', m.repos, m.roots, (m.card.bytes / 2 ** 20).toFixed(1), m.card.bytesPerRoot.toFixed(0)],
    ['seed (plain Maps)', m.repos, m.roots, (m.seed.bytes / 2 ** 20).toFixed(1), m.seed.bytesPerRoot.toFixed(0)]
  ])
} else console.log(`\nMemory: skipped (${memory['skipped']})`)
printTable('planTarget (default limits)', ['target', 'median', 'subscriptions', 'overflow', 'folded'], plans.map((p) => [String(p.name), fmtMs(/** @type {number} */ (p.medianMs)), String(p.subscriptions), String(p.overBudget), String(p.folded)]))
for (const [name, section] of /** @type {Array<[string, any]>} */ ([['attackRows', attacks], ['verifyRows', verify]])) {
  if (section.rows === undefined) console.log(`\n${name}: skipped (${section.skipped})`)
  else {
    const rows = /** @type {unknown[]} */ (section.rows)
    const keys = [...new Set(rows.flatMap((r) => (r !== null && typeof r === 'object' && !Array.isArray(r) ? Object.keys(r) : [])))]
    if (keys.length === 0) printTable(name, rows[0] && Array.isArray(rows[0]) ? rows[0].map((_, i) => `#${i}`) : ['row'], rows.map((r) => (Array.isArray(r) ? r.map(String) : [String(r)])))
    else
      printTable(name, keys, rows.map((r) => keys.map((k) => {
        const v = /** @type {any} */ (r)?.[k]
        return typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(4))) : String(v ?? '')
      })))
  }
}
console.log(`\nwrote bench/results.json, docs/benchmarks.md, docs/benchmarks-step.svg in ${results.meta.durationSeconds} s`)
