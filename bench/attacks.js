// @ts-check
// Issue 9 ("Hold under attack"), points 1 and 2: what refusing an oversized event costs.
//
// `attackRows()` returns rows { name, size, ms } in doubling series; bench/run.js prints them.
// Each `ms` is the mean time of one `applyBatch` on a batch holding the one event (built before
// timing; JSON parsing is the host's cost and not counted), repeated until 200 ms have passed.
//
// - "values in one relays tag": one announcement whose single `relays` tag carries `size` values
//   (12.5k .. 200k). Before the fix every value was parsed as a URL (about 2 s at 100k); now the
//   tag's length is compared with `valuesPerTag` before any value is read: constant and tiny.
// - "tags in one event": `size` tags (125k .. 1M). Before the fix the io-ts shape check ran over
//   every tag before the tag cap (about 0.5 s at 1M); now the count is checked first.
// - "values in one event (accepted)": the baseline an attacker is bounded by: an announcement
//   with `size` values spread over tags of 50, all within the caps (size ≤ valuesPerEvent), read
//   and parsed; linear in size.
// - "values one per tag (refused by count)": the same values one per tag, refused by tagsPerEvent.
import { performance } from 'node:perf_hooks'
import { applyBatch, emptyRepoIndex } from '../dist/index.js'

const config = { ownRelays: ['wss://grasp.example.com'], verify: false }
const PK = 'a1'.repeat(32)
const ID = '1'.repeat(64)
const SIG = '0'.repeat(128)

/**
 * An announcement skeleton (no real id: verify is off, and refusals come before verification).
 * @param {Array<Array<string>>} tags
 */
const event = (tags) => ({ id: ID, pubkey: PK, created_at: 1, kind: 30617, content: '', sig: SIG, tags })

/**
 * Mean ms of `f()` over repetitions filling `budgetMs` (at least 3).
 * @param {() => void} f @param {number} [budgetMs]
 */
const time = (f, budgetMs = 200) => {
  for (let i = 0; i < 5; i++) f() // warm up
  let n = 0
  const t0 = performance.now()
  let t = t0
  while (n < 3 || t - t0 < budgetMs) {
    f()
    n++
    t = performance.now()
  }
  return (t - t0) / n
}

/** @param {unknown} ev */
const refuse = (ev) => () => {
  const { rejected } = applyBatch(config, [ev])(emptyRepoIndex)
  if (rejected.length !== 1 || rejected[0]?.code !== 'cap-exceeded') throw new Error(`expected one cap-exceeded rejection, got ${rejected.length}`)
}

/** @param {number} from @param {number} steps */
const doubling = (from, steps) => Array.from({ length: steps }, (_, i) => from * 2 ** i)

/** @returns {Promise<Array<{ name: string, size: number, ms: number }>>} */
export async function attackRows() {
  const rows = []
  for (const size of doubling(12_500, 5)) {
    const values = Array.from({ length: size }, (_, i) => `wss://r${i}.example`)
    rows.push({ name: 'values in one relays tag (refused)', size, ms: time(refuse(event([['d', 'repo'], ['relays', ...values], ['clone', 'https://grasp.example.com/x/repo.git']]))) })
  }
  for (const size of doubling(125_000, 4)) {
    const tag = ['t', 'x']
    rows.push({ name: 'tags in one event (refused)', size, ms: time(refuse(event(new Array(size).fill(tag)))) })
  }
  for (const size of doubling(12_500, 5)) {
    const tags = [['d', 'repo'], ...Array.from({ length: size }, (_, i) => ['relays', `wss://r${i}.example`])]
    rows.push({ name: 'values one per tag (refused by count)', size, ms: time(refuse(event(tags))) })
  }
  for (const size of doubling(250, 5)) {
    // within every cap: 50 values per tag, `size` values in all (≤ valuesPerEvent 4000)
    const tags = [['d', 'repo']] // one value; `size - 1` clone URLs follow, 50 per tag
    for (let i = 1; i < size; i += 50) tags.push(['clone', ...Array.from({ length: Math.min(50, size - i) }, (_, j) => `https://h${i + j}.example/x.git`)])
    const ev = event(tags)
    const accept = () => {
      const { rejected } = applyBatch(config, [ev])(emptyRepoIndex)
      if (rejected.length !== 0) throw new Error(`expected no rejection, got ${rejected[0]?.code}`)
    }
    rows.push({ name: 'values in one event (accepted, within the caps)', size, ms: time(accept, 400) })
  }
  return rows
}

// `node bench/attacks.js` prints the rows on their own.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await attackRows()) console.log(`${r.name.padEnd(50)} ${String(r.size).padStart(9)} ${r.ms.toFixed(4).padStart(10)} ms`)
}
