// Bundle budget: the card's pipeline (the functions of README's "pure functions" snippet), bundled
// from dist/ for the browser with esbuild, minified and gzipped, without its peer dependencies
// (fp-ts, io-ts, nostr-tools: the host's copies) and without what it shares with them (SHARED below),
// must stay within BUDGET bytes. Prints what the bundle is made of, so a regression names its cause.
// `node test/smoke/size.mjs --verbose` lists every input file.
// @ts-check
import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// Issue 10: at most 30 kB. What keeps the pipeline small: codecs and tables built at load are
// annotated pure (a bundle that does not use them drops them; keep new ones so), modules are read by
// named imports (a destructured `import * as` keeps every export), checks are plain predicates rather
// than io-ts codecs where no decode error is needed, and changeMessages compares filter texts instead
// of hashing them. Issue 8's memory and cold-build work had brought it to 30.6 kB; these took 1.3 kB
// off (29.4 kB before the root-event run table of util/runTable.ts came in).
const BUDGET = 30_000 // bytes, min+gzip
const root = fileURLToPath(new URL('../..', import.meta.url))
const peers = Object.keys(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).peerDependencies ?? {})
// `@noble/hashes`: the pipeline imports `@noble/hashes/sha2.js` and `utils.js`, and so does its peer
// `nostr-tools/pure` (which `applyBatch` imports to verify signatures), at the version nostr-tools
// pins and package.json pins alike: an app bundles those modules once, for nostr-tools, whether or not
// it uses this library. Left out like the peers; what it would add alone is printed below.
const SHARED = ['@noble/hashes']
const pipeline = ['applyBatch', 'deriveTargets', 'diff', 'applyActions', 'planActions', 'emptyRepoIndex', 'emptyRelayIndex']

/** @param {string[]} extra more modules left out of the bundle */
const bundle = (extra = []) => build({
  stdin: { contents: `export { ${pipeline.join(', ')} } from 'nip34-sync'`, resolveDir: root, loader: 'js' },
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  metafile: true,
  logLevel: 'silent',
  external: [...peers, ...peers.map((p) => `${p}/*`), ...extra]
})
const gzip = (/** @type {Uint8Array} */ bytes) => gzipSync(bytes, { level: 9 }).length
const sharedOut = SHARED.flatMap((name) => [name, `${name}/*`])
const result = await bundle(sharedOut)
const code = result.outputFiles[0]?.contents ?? new Uint8Array()
const total = gzip(code)
const withShared = gzip((await bundle()).outputFiles[0]?.contents ?? new Uint8Array())

// Attribution: minified bytes per package (or per dist/ folder); for each package, what the
// bundle would weigh without it (min+gzip), i.e. its marginal cost.
const inputs = Object.entries(Object.values(result.metafile.outputs)[0]?.inputs ?? {})
const group = (/** @type {string} */ file) => file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? file.split('/').slice(0, 2).join('/')
const groups = new Map()
for (const [file, { bytesInOutput }] of inputs) groups.set(group(file), (groups.get(group(file)) ?? 0) + bytesInOutput)
const kB = (/** @type {number} */ n) => `${(n / 1000).toFixed(1)} kB`
const rows = [...groups].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])
console.log(`size: ${pipeline.join(', ')}: ${kB(code.length)} minified, ${kB(total)} min+gzip (budget ${kB(BUDGET)}; peers excluded: ${peers.join(', ')}; shared with nostr-tools/pure: ${SHARED.join(', ')}, which alone would add ${kB(withShared - total)})`)
for (const [name, n] of rows) {
  const isPackage = !name.startsWith('dist/')
  const without = isPackage ? gzip((await bundle([...sharedOut, name, `${name}/*`])).outputFiles[0]?.contents ?? new Uint8Array()) : 0
  console.log(`  ${name.padEnd(24)} ${kB(n).padStart(9)} minified${isPackage ? `, costs ${kB(total - without)} min+gzip` : ''}`)
}
if (process.argv.includes('--verbose')) {
  for (const [file, { bytesInOutput }] of inputs.sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)) {
    if (bytesInOutput > 0) console.log(`    ${file} ${bytesInOutput}`)
  }
}
if (total > BUDGET) {
  console.error(`size: over budget by ${kB(total - BUDGET)}`)
  process.exitCode = 1
}
