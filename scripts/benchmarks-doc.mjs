// @ts-check
// Generates docs/benchmarks.md and docs/benchmarks-step.svg from bench/results.json.
// Every figure in the page comes from the JSON; nothing here is measured.
//
//   node scripts/benchmarks-doc.mjs        # regenerate from the committed bench/results.json
//   (npm run bench calls writeBenchmarkDocs after writing the JSON)
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** @param {number} ms */
const ms = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`)
/** @param {number} x */
const times = (x) => (x >= 100 ? `${x.toFixed(0)}×` : x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`)
/** @param {number} n */
const int = (n) => n.toLocaleString('en-US').replace(/,/g, ' ')
/** @param {number} n */
const size = (n) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n))
/** @param {number} b */
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`
/** @param {boolean} ok */
const verdict = (ok) => (ok ? 'met' : '**not met**')
/** @param {unknown} v */
const cell = (v) => (typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(4))) : String(v ?? '')).replace(/\|/g, '\\|').replace(/\n/g, ' ')

/**
 * A table of arbitrary rows (objects: keys as columns, in order of first appearance; arrays:
 * positional columns; anything else: one column).
 * @param {unknown[]} rows
 */
const anyTable = (rows) => {
  const objects = rows.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))
  if (objects) {
    const keys = [...new Set(rows.flatMap((r) => Object.keys(/** @type {object} */ (r))))]
    return [`| ${keys.map(cell).join(' | ')} |`, `| ${keys.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${keys.map((k) => cell(/** @type {any} */ (r)[k])).join(' | ')} |`)].join('\n')
  }
  const width = Math.max(1, ...rows.map((r) => (Array.isArray(r) ? r.length : 1)))
  const head = Array.from({ length: width }, (_, i) => `#${i + 1}`)
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${(Array.isArray(r) ? r : [r]).map(cell).join(' | ')} |`)].join('\n')
}

/**
 * The step-time plot: step median against index size, log scales, card and seed.
 * @param {any} results
 */
export const renderSvg = (results) => {
  const sizes = /** @type {any[]} */ (results.sizes)
  const W = 680, H = 420, L = 78, R = 170, T = 46, B = 58
  const series = [
    { name: 'card pipeline', key: 'card', color: '#1f5fbf', marker: 'circle' },
    { name: "seed's algorithm", key: 'seed', color: '#d9480f', marker: 'square' }
  ]
  if (sizes.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="60"><text x="10" y="30">No step figures in bench/results.json yet.</text></svg>\n`
  const xs = sizes.map((s) => s.repos)
  const ys = sizes.flatMap((s) => [s.step.card.medianMs, s.step.seed.medianMs]).filter((y) => y > 0)
  const x0 = Math.floor(Math.log10(Math.min(...xs)) + 1e-9), x1 = Math.max(x0 + 1, Math.ceil(Math.log10(Math.max(...xs)) - 1e-9))
  const y0 = Math.floor(Math.log10(Math.min(...ys))), y1 = Math.ceil(Math.log10(Math.max(...ys)))
  const y1e = y1 === y0 ? y1 + 1 : y1
  /** @param {number} x */
  const px = (x) => L + ((Math.log10(x) - x0) / (x1 - x0)) * (W - L - R)
  /** @param {number} y */
  const py = (y) => H - B - ((Math.log10(y) - y0) / (y1e - y0)) * (H - T - B)
  const out = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`)
  out.push(`<text x="${L}" y="24" font-size="15" font-weight="600" fill="#222">Time per 100-event step against index size (log scales)</text>`)
  // grid and ticks
  for (let e = x0; e <= x1; e++) {
    for (const m of e < x1 ? [1, 2, 5] : [1]) {
      const v = m * 10 ** e
      const x = px(v).toFixed(1)
      out.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${H - B}" stroke="${m === 1 ? '#d0d0d0' : '#eeeeee'}"/>`)
      if (m === 1) out.push(`<text x="${x}" y="${H - B + 18}" text-anchor="middle" fill="#444">${v >= 1000 ? `${int(v / 1000)}k` : v}</text>`)
    }
  }
  for (let e = y0; e <= y1e; e++) {
    for (const m of e < y1e ? [1, 2, 5] : [1]) {
      const v = m * 10 ** e
      const y = py(v).toFixed(1)
      out.push(`<line x1="${L}" y1="${y}" x2="${W - R}" y2="${y}" stroke="${m === 1 ? '#d0d0d0' : '#eeeeee'}"/>`)
      if (m === 1) out.push(`<text x="${L - 8}" y="${(Number(y) + 4).toFixed(1)}" text-anchor="end" fill="#444">${v >= 1000 ? `${v / 1000} s` : v >= 1 ? `${v} ms` : `${+(v * 1000).toFixed(3)} µs`}</text>`)
    }
  }
  out.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#888"/>`)
  out.push(`<text x="${(L + (W - R)) / 2}" y="${H - 16}" text-anchor="middle" fill="#222">repositories in the index</text>`)
  out.push(`<text transform="translate(18 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle" fill="#222">median step time</text>`)
  // series
  series.forEach((s, k) => {
    const pts = sizes.map((z) => [px(z.repos), py(z.step[s.key].medianMs), z.step[s.key].medianMs])
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.2" points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`)
    pts.forEach(([x, y, v], i) => {
      const lastPoint = i === pts.length - 1 && pts.length > 1
      out.push(
        s.marker === 'circle'
          ? `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4.5" fill="${s.color}"/>`
          : `<rect x="${(x - 4).toFixed(1)}" y="${(y - 4).toFixed(1)}" width="8" height="8" fill="${s.color}"/>`
      )
      out.push(`<text x="${(lastPoint ? x - 8 : x + 8).toFixed(1)}" y="${(y + (k === 0 ? 15 : -8)).toFixed(1)}" text-anchor="${lastPoint ? 'end' : 'start'}" fill="${s.color}" font-size="11">${ms(v)}</text>`)
    })
    const ly = T + 14 + k * 22
    out.push(`<line x1="${W - R + 16}" y1="${ly}" x2="${W - R + 44}" y2="${ly}" stroke="${s.color}" stroke-width="2.2"/>`)
    out.push(s.marker === 'circle' ? `<circle cx="${W - R + 30}" cy="${ly}" r="4.5" fill="${s.color}"/>` : `<rect x="${W - R + 26}" y="${ly - 4}" width="8" height="8" fill="${s.color}"/>`)
    out.push(`<text x="${W - R + 50}" y="${ly + 4}" fill="#222">${s.name}</text>`)
  })
  const g = results.growth
  if (g) {
    out.push(`<text x="${W - R + 16}" y="${T + 78}" fill="#444" font-size="11">card ${size(g.toRepos)} / ${size(g.fromRepos)}: ${times(g.cardStepRatio)}</text>`)
    out.push(`<text x="${W - R + 16}" y="${T + 94}" fill="#444" font-size="11">seed ${size(g.toRepos)} / ${size(g.fromRepos)}: ${times(g.seedStepRatio)}</text>`)
  }
  out.push(`<text x="${W - R + 16}" y="${H - B}" fill="#888" font-size="10">${cell(results.meta.node)}, ${results.meta.cpus} cores</text>`)
  out.push(`<text x="${W - R + 16}" y="${H - B + 14}" fill="#888" font-size="10">${cell(String(results.meta.date).slice(0, 10))}, ${cell(results.meta.commit)}</text>`)
  out.push('</svg>')
  return out.join('\n') + '\n'
}

/**
 * The page.
 * @param {any} results
 */
export const renderMarkdown = (results) => {
  const sizes = /** @type {any[]} */ (results.sizes)
  const tg = results.targets
  const first = sizes[0], last = sizes[sizes.length - 1]
  const m = results.memory
  const w = results.workload
  const L = []
  L.push('# Benchmarks', '')
  L.push('<!-- Generated by scripts/benchmarks-doc.mjs from bench/results.json (npm run bench). Do not edit by hand. -->', '')
  L.push(
    '`npm run bench` builds the package and runs `bench/run.js` with `--expose-gc` in one process. It writes the raw figures to',
    '`bench/results.json` and regenerates this page and its plot from that file. Each headline figure is a',
    'ratio against a baseline run in the same process, so it compares across machines; absolute times are',
    'for context only.',
    ''
  )
  const meta = results.meta
  L.push(
    `Run: ${meta.date} · Node ${meta.node} · ${meta.platform} · ${meta.cpus} × ${meta.cpuModel} · commit \`${meta.commit}\`` +
      (meta.srcUncommitted > 0 ? ` (with ${meta.srcUncommitted} uncommitted file(s) under src/)` : '') +
      ` · load average (1, 5, 15 min) ${meta.loadAverageAtStart.join(', ')} at the start, ${meta.loadAverageAtEnd.join(', ')} at the end` +
      ` · ${meta.durationSeconds} s wall, ${meta.cpuSeconds} s CPU${meta.quick ? ' · **quick run (BENCH_QUICK=1), smaller sizes**' : ''}`,
    ''
  )

  if (!meta.complete) L.push('**Partial run:** the run stopped before every phase was measured; sections below without figures were not reached.', '')
  // Summary against the issue's targets
  L.push('## Summary against the targets (issue 8)', '')
  L.push('| claim | target | measured | |', '| --- | --- | --- | --- |')
  if (last && first) {
    L.push(`| 100-event step at ${size(last.repos)} repositories, seed's time / card's time | ≥ ${tg.stepRatioAtLargest}× | ${times(last.step.seedOverCard)} | ${verdict(last.step.seedOverCard >= tg.stepRatioAtLargest)} |`)
    L.push(`| 100-event step at ${size(first.repos)} repositories, seed's time / card's time | ≥ ${tg.stepRatioAtSmallest}× | ${times(first.step.seedOverCard)} | ${verdict(first.step.seedOverCard >= tg.stepRatioAtSmallest)} |`)
    L.push(`| card step at ${size(last.repos)} / card step at ${size(first.repos)} | ≤ ${tg.growthMax}× | ${times(results.growth.cardStepRatio)} | ${verdict(results.growth.cardStepRatio <= tg.growthMax)} |`)
    if (last.cold.cardOverDecodedMap !== undefined) {
      const worst = Math.max(...sizes.map((s) => s.cold.cardOverDecodedMap))
      L.push(`| cold build, card / the same decoding into mutable Maps, worst of ${sizes.map((s) => size(s.repos)).join(' / ')} | ≤ ${tg.coldRatioMax}× | ${sizes.map((s) => times(s.cold.cardOverDecodedMap)).join(' / ')} | ${verdict(worst <= tg.coldRatioMax)} |`)
      L.push(`| cold build, card / the seed's Maps (which decode nothing), ${sizes.map((s) => size(s.repos)).join(' / ')} | (≤ ${tg.coldRatioMax}×) | ${sizes.map((s) => times(s.cold.cardOverMap)).join(' / ')} | ${verdict(Math.max(...sizes.map((s) => s.cold.cardOverMap)) <= tg.coldRatioMax)} |`)
    } else L.push(`| cold build at ${size(last.repos)} (${int(last.events)} events), card / mutable Map | ≤ ${tg.coldRatioMax}× | ${times(last.cold.cardOverMap)} | ${verdict(last.cold.cardOverMap <= tg.coldRatioMax)} |`)
  }
  if (m.card) L.push(`| heap per root event, RepoIndex + desired + applied (${size(m.repos)} repositories, ${size(m.roots)} root events) | ≤ ${tg.bytesPerRootMax} B | ${m.card.bytesPerRoot.toFixed(0)} B | ${verdict(m.card.bytesPerRoot <= tg.bytesPerRootMax)} |`)
  for (const p of results.plans) L.push(`| planTarget, ${cell(p.name)} | report | ${ms(p.medianMs)} | |`)
  L.push('')

  // Workload
  L.push('## Workload', '')
  L.push(
    `Seeded and deterministic (\`bench/workload.js\`). Each repository's announcement (kind 30617) lists this server (\`${w.ownRelay}\`) in \`relays\` and in an https \`clone\` URL, so it is accepted, plus ${w.relaysPerRepo[0]}–${w.relaysPerRepo[1]} other relays drawn from ${int(w.relays)} relays with ${w.relayPopularity}; owners from a ${w.ownersPerRepo}. Root events (kinds ${w.rootKinds.join(', ')}) per repository: ${w.rootsPerRepo}; authors drawn from ${int(w.authors)} pubkeys. Events are plain objects shaped like NIP-01 events (64-hex ids and pubkeys, a dummy 128-hex signature, \`verify: ${w.verify}\`), each event written as JSON text and every batch read with \`JSON.parse\`, as a host holds events it received, so every string is the event's own copy.`,
    ''
  )
  L.push(
    `A step batch holds ${w.stepBatch.roots + w.stepBatch.updates + w.stepBatch.newRepos} events, shuffled: ${w.stepBatch.roots} new root events on uniformly drawn repositories, ${w.stepBatch.updates} announcement updates that move relays (replace, add or drop one), ${w.stepBatch.newRepos} new repositories. The cold build reads every event of the initial state in batches of ${w.coldBatchSize}.`,
    ''
  )
  L.push('| repositories | root events | mean per repository | largest repository | events in the cold build | relays with a target | card and seed targets agree |', '| --- | --- | --- | --- | --- | --- | --- |')
  for (const s of sizes) L.push(`| ${int(s.repos)} | ${int(s.roots)} | ${s.meanRootsPerRepo} | ${int(s.maxRootsPerRepo)} | ${int(s.events)} | ${int(s.check.relays)} | ${s.check.agree === null ? 'not compared (different step counts)' : s.check.agree ? 'yes' : '**no**'} |`)
  L.push('')
  const rej = sizes.reduce((a, s) => a + s.rejected.build + s.rejected.steps, 0)
  L.push(`Rejections by the card over all builds and steps: ${int(rej)}. The agreement column compares the number of relays with a target, and the repositories and root events of ${sizes[0]?.check.sampledRelays.length ?? 0} sampled relays (the most popular ones included), after the last step.`, '')

  // Steps
  L.push('## 1. One step: 100 events, card pipeline against the seed\'s algorithm', '')
  L.push(
    "Card: `applyBatch(config, batch)(index)` → `deriveTargets(config)(index)` → `diff(desired)(applied)` → `applyActions(actions)(applied)`, with the same `config` object every step. Seed (`bench/seed.js`): the batch applied to mutable Maps, every relay's target derived from the whole index, the whole target diffed against the previous one (removals included), the actions applied. Both start from the same index state after the cold build (one full derive beforehand), run the same step batches after " +
      `${first?.warmupSteps ?? 0} untimed warm-up step(s) (before the first size, both pipelines run 60 steps on a 300-repository workload, so the optimising compiler has settled on both), and are reported as medians per step. The card runs as many of the planned steps as fit a time budget per size (at least three) and every one is timed; the seed then runs exactly the same batches and times an evenly spaced subset of them (the last included; a seed step walks the whole index, so its time varies little), each timed step starting from the state the card's step started from (its applied targets brought up to date by an untimed derive and diff first).`,
    ''
  )
  L.push('| repositories | timed steps (card / seed) | seed | card | seed / card | card: applyBatch | deriveTargets | diff | applyActions | actions per step (card) |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const s of sizes) {
    const c = s.step.card, p = c.phasesMedianMs
    L.push(`| ${int(s.repos)} | ${s.steps.card} / ${s.steps.seed} | ${ms(s.step.seed.medianMs)} | ${ms(c.medianMs)} | **${times(s.step.seedOverCard)}** | ${ms(p.applyBatch)} | ${ms(p.deriveTargets)} | ${ms(p.diff)} | ${ms(p.applyActions)} | ${c.actionsPerStep} |`)
  }
  L.push('')
  if (results.growth) L.push(`Growth from ${size(results.growth.fromRepos)} to ${size(results.growth.toRepos)} repositories: card **${times(results.growth.cardStepRatio)}**, seed ${times(results.growth.seedStepRatio)}.`, '')
  L.push('Seed phases (median ms): ' + sizes.map((s) => `${size(s.repos)}: apply ${ms(s.step.seed.phasesMedianMs.applyBatch)}, derive ${ms(s.step.seed.phasesMedianMs.deriveTargets)}, diff ${ms(s.step.seed.phasesMedianMs.diff)}, apply actions ${ms(s.step.seed.phasesMedianMs.applyActions)}`).join('; ') + '.', '')
  L.push('Fastest and slowest timed card step: ' + sizes.map((s) => `${size(s.repos)}: ${ms(s.step.card.minMs)} – ${ms(s.step.card.maxMs)}`).join('; ') + `. The card's first full derive after the cold build: ` + sizes.map((s) => `${size(s.repos)}: ${ms(s.step.firstDeriveMs)}`).join('; ') + '.', '')
  L.push('![Median step time against index size, card pipeline and seed algorithm, log scales](benchmarks-step.svg)', '')

  // Cold build
  L.push('## 2. Cold build', '')
  L.push(
    `Every event of the initial state, in batches of ${w.coldBatchSize} (parsing excluded from the time): \`applyBatch\` from \`emptyRepoIndex\`, against two mutable builds of the same parsed batches, the three interleaved batch by batch (the order rotates) so that load from other processes hits all alike:`,
    '',
    "- **decoder + mutable Maps** (`bench/mapBuild.js`): each event through the library's own `decodeNip34Event` (the checks `applyBatch` makes: shape, caps, kinds, tags, relay URLs, policy), then mutable Maps with a simplified index: the latest announcement per address, each root id once (one author), each repository's set of root ids, the ids deletions name. It leaves out what the index also keeps (the live-announcement ids, address deletions and tombstones, removing a stored root a later deletion names, several authors of one id, the per-author deletion bound) and shares no strings, so it is a stricter baseline than `applyBatch`'s own work without persistence: the target's baseline.",
    "- **seed Maps** (`bench/seed.js`): the seed's build, which reads a few tags and decodes nothing (no shape or cap checks, no URL parsing); decoding alone costs several times this build.",
    ''
  )
  L.push('| repositories | events | card | decoder + mutable Maps | card / that | seed Maps | card / seed |', '| --- | --- | --- | --- | --- | --- | --- |')
  for (const s of sizes)
    L.push(`| ${int(s.repos)} | ${int(s.events)} | ${ms(s.cold.cardMs)} | ${s.cold.decodedMapMs === undefined ? '–' : ms(s.cold.decodedMapMs)} | **${s.cold.cardOverDecodedMap === undefined ? '–' : times(s.cold.cardOverDecodedMap)}** | ${ms(s.cold.mapMs)} | ${times(s.cold.cardOverMap)} |`)
  L.push('')

  // Memory
  L.push('## 3. Memory', '')
  if (m.card) {
    L.push(
      `${int(m.repos)} repositories and ${int(m.roots)} root events (authors from ${int(m.authors)} pubkeys; the workload's own draw gave ${int(m.rootsBeforeFit)}, adjusted to the round total). \`heapUsed\` after \`global.gc()\` is taken before anything is created, then after building, while holding only the three values; the parsed batches are dropped by then, so every string the structures keep counts. Each value is built inside a function (for both), so no dead temporary of the benchmark's own top-level code (the last parsed batch, the actions array) stays reachable from its frame and is counted. Rejections during the build: ${int(m.rejected)}.`,
      ''
    )
    L.push('| structure | RepoIndex (or index) | + desired | + applied | bytes per root event |', '| --- | --- | --- | --- | --- |')
    L.push(`| card | ${mib(m.card.cumulativeBytes.repoIndex)} | ${mib(m.card.cumulativeBytes.plusDesired)} | ${mib(m.card.cumulativeBytes.plusApplied)} | **${m.card.bytesPerRoot.toFixed(0)}** |`)
    L.push(`| seed's algorithm, plain Maps | ${mib(m.seed.cumulativeBytes.index)} | ${mib(m.seed.cumulativeBytes.plusDesired)} | ${mib(m.seed.cumulativeBytes.plusApplied)} | ${m.seed.bytesPerRoot.toFixed(0)} (index + desired alone: ${m.seed.indexAndDesiredBytesPerRoot.toFixed(0)}) |`)
    L.push('', `The columns are cumulative. The seed's applied Maps are built by applying the diff against empty Maps, so they hold their own Sets (sharing the strings).`, '')
  } else L.push(`Skipped: ${cell(m.skipped)}.`, '')

  // Plans
  L.push('## 4. Plan for one relay holding many root events', '')
  L.push('`planTarget()` (default `RelayLimits`) on one relay\'s `FilterTarget`; median of the timed runs after one warm-up.', '')
  L.push('| target | median | subscriptions | budget | folded | over budget | filters | problems |', '| --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const p of results.plans) L.push(`| ${cell(p.name)} | ${ms(p.medianMs)} | ${p.subscriptions} | ${p.budget} | ${p.folded} | ${p.overBudget} | ${int(p.filters)} | ${p.problems} |`)
  L.push('')

  // Optional rows
  for (const [title, section, file] of /** @type {Array<[string, any, string]>} */ ([
    ['5. Attacks', results.attacks, 'bench/attacks.js'],
    ['6. Signature verification', results.verify, 'bench/verify.js']
  ])) {
    L.push(`## ${title}`, '')
    if (Array.isArray(section?.rows)) L.push(`Rows from \`${file}\`:`, '', section.rows.length > 0 ? anyTable(section.rows) : '(no rows)', '')
    else L.push(`Not measured in this run: ${cell(section?.skipped ?? 'no data')}.`, '')
  }
  return L.join('\n')
}

/**
 * Writes docs/benchmarks.md and docs/benchmarks-step.svg under `root`.
 * @param {any} results @param {string} root
 */
export const writeBenchmarkDocs = (results, root) => {
  writeFileSync(join(root, 'docs', 'benchmarks.md'), renderMarkdown(results))
  writeFileSync(join(root, 'docs', 'benchmarks-step.svg'), renderSvg(results))
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  writeBenchmarkDocs(JSON.parse(readFileSync(join(root, 'bench', 'results.json'), 'utf8')), root)
  console.log('wrote docs/benchmarks.md and docs/benchmarks-step.svg from bench/results.json')
}
