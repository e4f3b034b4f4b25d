// @ts-check
// The benchmark workload: seeded, deterministic, plain objects shaped like NIP-01 events.
//
// - N repositories; each announcement (kind 30617) lists this server (relays + https clone URL,
//   so GRASP-01 accepts it) and 1–5 other relays drawn from RELAYS relays with Zipf-like
//   popularity (weight 1/rank).
// - Root events per repository: heavy-tailed (Lomax, alpha 1.5, mean about 10), kinds 1617 and
//   1621, each with one `a` tag naming its repository; authors from a pool of AUTHORS pubkeys.
// - Every event is written as JSON text and every batch parsed with JSON.parse, as a host
//   receiving events from a socket or a database holds them: each string of each event is its own
//   copy (never a shared literal), so whatever string an index keeps counts in its memory.
// - Ids, pubkeys and the dummy signatures are hex strings derived from counters by a 32-bit mixer,
//   so they look random and never collide within a run.

export const OWN_RELAY_HOST = 'grasp.example.com'
export const RELAYS = 2000
export const AUTHORS = 5000
export const ROOT_KINDS = [1617, 1621]
export const ALPHA = 1.5
export const ROOTS_SCALE = 5.25 // Lomax scale: mean of the continuous law = scale / (alpha - 1)
export const MAX_ROOTS_PER_REPO = 20_000
export const STEP_MIX = { roots: 80, updates: 10, newRepos: 10 }

/** sfc32, seeded through splitmix32. @param {number} seed */
export const rng = (seed) => {
  let s = seed >>> 0
  const sm = () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = sm(), b = sm(), c = sm(), d = sm()
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0
    const t = (a + b + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 12; i++) next()
  return {
    next,
    /** @param {number} n */
    int: (n) => Math.floor(next() * n)
  }
}

/** @param {number} x */
const fmix = (x) => {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

/**
 * A fresh hex string of `words * 8` characters, determined by (n, salt).
 * @param {number} n @param {number} salt @param {number} [words]
 */
export const hexFrom = (n, salt, words = 8) => {
  let out = ''
  let h = fmix((n * 0x27d4eb2d) ^ fmix(salt + 0x165667b1))
  for (let w = 0; w < words; w++) {
    h = fmix(h + 0x9e3779b9 + w + n)
    out += h.toString(16).padStart(8, '0')
  }
  return out
}

/** Cumulative Zipf weights over `n` ranks (weight 1 / rank). @param {number} n */
const zipfTable = (n) => {
  const cum = new Float64Array(n)
  let acc = 0
  for (let k = 0; k < n; k++) cum[k] = acc += 1 / (k + 1)
  for (let k = 0; k < n; k++) cum[k] = /** @type {number} */ (cum[k]) / acc
  return cum
}
const relayCum = zipfTable(RELAYS)
/** @param {ReturnType<typeof rng>} r */
export const zipfRelay = (r) => {
  const u = r.next()
  let lo = 0, hi = RELAYS - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (/** @type {number} */ (relayCum[mid]) < u) lo = mid + 1
    else hi = mid
  }
  return lo
}
/** The URL of relay `k` (a fresh string). @param {number} k */
export const relayUrlOf = (k) => `wss://relay${k}.bench-${k % 17}.example`

/** @param {ReturnType<typeof rng>} r @param {number} [count] */
const drawRelays = (r, count = 1 + r.int(5)) => {
  /** @type {number[]} */
  const out = []
  for (let tries = 0; out.length < count && tries < 50; tries++) {
    const k = zipfRelay(r)
    if (!out.includes(k)) out.push(k)
  }
  return out
}
/** @param {ReturnType<typeof rng>} r */
const drawRootCount = (r) => Math.min(MAX_ROOTS_PER_REPO, Math.floor(ROOTS_SCALE * (Math.pow(1 - r.next(), -1 / ALPHA) - 1)))

/**
 * @typedef {{
 *   repos: number, owners: number, owner: number[], relays: number[][], createdAt: number[],
 *   rootCounts: Int32Array, roots: number, seed: number, ownerHexes: string[]
 * }} Spec
 */

/**
 * The initial state of a workload of `repos` repositories (numbers only, no strings).
 * @param {number} repos @param {number} seed @returns {Spec}
 */
export const makeSpec = (repos, seed) => {
  const r = rng(seed)
  const owners = Math.max(1, Math.floor(repos / 2))
  const owner = [], relays = [], createdAt = []
  const rootCounts = new Int32Array(repos)
  let roots = 0
  for (let i = 0; i < repos; i++) {
    owner.push(r.int(owners))
    relays.push(drawRelays(r))
    createdAt.push(1_700_000_000 + r.int(10_000_000))
    const c = drawRootCount(r)
    rootCounts[i] = c
    roots += c
  }
  const ownerHexes = Array.from({ length: owners }, (_, k) => hexFrom(k, 3))
  return { repos, owners, owner, relays, createdAt, rootCounts, roots, seed, ownerHexes }
}

/** @param {Spec} spec @param {number} i */
export const ownerHex = (spec, i) => /** @type {string} */ (spec.ownerHexes[/** @type {number} */ (spec.owner[i])])
/** @param {Spec} spec @param {number} i */
export const repoAddress = (spec, i) => `30617:${ownerHex(spec, i)}:repo-${i}`

/** The author pool, built once when the module loads. */
const authorHexes = Array.from({ length: AUTHORS }, (_, k) => hexFrom(k, 2))

/**
 * An announcement of repository `i` as its spec says now, as JSON text. `serial` makes the id
 * unique.
 * @param {Spec} spec @param {number} i @param {number} serial
 */
export const announcementJson = (spec, i, serial) => {
  const pubkey = ownerHex(spec, i)
  const d = `repo-${i}`
  const id = hexFrom(serial, 11)
  const relays = (spec.relays[i] ?? []).map((k) => `"${relayUrlOf(k)}"`).join(',')
  return `{"id":"${id}","pubkey":"${pubkey}","created_at":${spec.createdAt[i]},"kind":30617,"tags":[["d","${d}"],["name","Repository ${i}"],["relays","wss://${OWN_RELAY_HOST}",${relays}],["clone","https://${OWN_RELAY_HOST}/${pubkey}/${d}.git"]],"content":"","sig":"${id}${pubkey}"}`
}

/**
 * A root event (patch or issue) of repository `i`, as JSON text.
 * @param {Spec} spec @param {number} i @param {number} serial @param {ReturnType<typeof rng>} r
 */
export const rootEventJson = (spec, i, serial, r) => {
  const id = hexFrom(serial, 21)
  const kind = ROOT_KINDS[r.int(ROOT_KINDS.length)]
  return `{"id":"${id}","pubkey":"${authorHexes[r.int(AUTHORS)]}","created_at":${1_700_000_000 + r.int(20_000_000)},"kind":${kind},"tags":[["a","${repoAddress(spec, i)}"]],"content":"root ${serial}","sig":"${id}${id}"}`
}

/** What a host holds after parsing a batch off the wire. @param {string[]} events @returns {unknown[]} */
export const parsed = (events) => JSON.parse(`[${events.join(',')}]`)

/**
 * The events of the initial state, in batches of `size` (each announcement followed by its root
 * events), already parsed. Deterministic: the same spec gives the same batches.
 * @param {Spec} spec @param {number} [size]
 * @returns {Generator<unknown[]>}
 */
export function* coldBatches(spec, size = 1000) {
  const r = rng(spec.seed ^ 0x5bd1e995)
  let serial = 0
  /** @type {string[]} */
  let batch = []
  for (let i = 0; i < spec.repos; i++) {
    batch.push(announcementJson(spec, i, serial++))
    if (batch.length === size) { yield parsed(batch); batch = [] }
    const c = /** @type {number} */ (spec.rootCounts[i])
    for (let k = 0; k < c; k++) {
      batch.push(rootEventJson(spec, i, serial++, r))
      if (batch.length === size) { yield parsed(batch); batch = [] }
    }
  }
  if (batch.length > 0) yield parsed(batch)
}

/**
 * `count` step batches of 100 mixed events (STEP_MIX: new root events on uniformly drawn
 * repositories, announcement updates that move relays, new repositories), as JSON text so each
 * consumer parses its own copy. Works on a copy of the spec's mutable parts.
 * @param {Spec} spec @param {number} count
 * @returns {string[]}
 */
export const stepBatches = (spec, count) => {
  const r = rng(spec.seed ^ 0x1b873593)
  /** @type {Spec} */
  const s = { ...spec, owner: [...spec.owner], relays: spec.relays.map((x) => [...x]), createdAt: [...spec.createdAt] }
  let serial = 1_000_000_000
  const out = []
  for (let b = 0; b < count; b++) {
    /** @type {string[]} */
    const batch = []
    for (let k = 0; k < STEP_MIX.roots; k++) batch.push(rootEventJson(s, r.int(s.repos), serial++, r))
    for (let k = 0; k < STEP_MIX.updates; k++) {
      const i = r.int(s.repos)
      const rel = /** @type {number[]} */ (s.relays[i])
      const choice = r.next()
      const fresh = zipfRelay(r)
      if (choice < 0.5 || (choice < 0.75 && rel.length >= 5) || (choice >= 0.75 && rel.length <= 1)) {
        if (!rel.includes(fresh)) rel[r.int(rel.length)] = fresh
      } else if (choice < 0.75) {
        if (!rel.includes(fresh)) rel.push(fresh)
      } else rel.splice(r.int(rel.length), 1)
      s.createdAt[i] = /** @type {number} */ (s.createdAt[i]) + 1 + r.int(1000)
      batch.push(announcementJson(s, i, serial++))
    }
    for (let k = 0; k < STEP_MIX.newRepos; k++) {
      const i = s.repos++
      s.owner.push(r.int(s.owners))
      s.relays.push(drawRelays(r))
      s.createdAt.push(1_700_000_000 + r.int(10_000_000))
      batch.push(announcementJson(s, i, serial++))
    }
    // shuffle so the kinds are mixed within the batch
    for (let k = batch.length - 1; k > 0; k--) {
      const j = r.int(k + 1)
      const t = /** @type {string} */ (batch[k])
      batch[k] = /** @type {string} */ (batch[j])
      batch[j] = t
    }
    out.push(`[${batch.join(',')}]`)
  }
  return out
}
