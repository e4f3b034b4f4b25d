// @ts-check
// The core in a browser: bundles the whole public API (dist/) for the browser with esbuild (no
// `node:` module may be reached), serves it on a loopback HTTP server, loads it in headless
// Chromium (Debian's /usr/bin/chromium, driven by playwright-core) and runs test/browser/scenario.mjs
// there: the card's pipeline, a wire plan and an engine step on real signed events, with the JS
// verifier and then with nostr-wasm. The browser's answers must equal Node's. Run after `npm run build`.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import * as api from 'nip34-sync'
import { function as F } from 'fp-ts'
import { runScenario } from './scenario.mjs'

const started = Date.now()
const root = fileURLToPath(new URL('../..', import.meta.url))
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium'
if (!existsSync(executablePath)) {
  console.error(`browser: no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM)`)
  process.exit(1)
}

// 1. Bundle for the browser. esbuild fails on any `node:` import it cannot resolve for the browser
//    platform; the metafile check below also names the module if one slips through as external.
const bundled = await build({
  stdin: {
    contents: [
      "import * as api from 'nip34-sync'",
      "import { function as F } from 'fp-ts'",
      "import { runScenario } from './scenario.mjs'",
      'globalThis.runScenario = (events) => runScenario(api, F, events)',
      'globalThis.exportCount = Object.keys(api).length',
      'globalThis.enableWasm = () => api.enableWasmVerification()',
      'globalThis.backend = () => api.verificationBackend()'
    ].join('\n'),
    resolveDir: join(root, 'test', 'browser'),
    loader: 'js'
  },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  metafile: true,
  logLevel: 'silent'
})
const nodeImports = Object.values(bundled.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path)).filter((p) => p.startsWith('node:'))
assert.deepEqual(nodeImports, [], 'the browser bundle reaches node: modules')
const bundle = bundled.outputFiles[0]?.contents ?? new Uint8Array()

// 2. Serve it on loopback.
const html = '<!doctype html><meta charset="utf-8"><title>nip34-sync</title><link rel="icon" href="data:,"><script type="module" src="/bundle.js"></script>'
const server = createServer((req, res) => {
  if (req.url === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
  else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html)
  else res.writeHead(404).end()
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
const address = server.address()
assert.ok(address !== null && typeof address === 'object')

// 3. Run the scenario in Chromium and in Node.
const events = readFileSync(join(root, 'examples', 'sample', 'real-nip34-events.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line))
const userDataDir = mkdtempSync(join(tmpdir(), 'nip34-chromium-'))
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  timeout: 30_000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
})
try {
  const page = context.pages()[0] ?? (await context.newPage())
  /** @type {string[]} */
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
  await page.goto(`http://127.0.0.1:${address.port}/`)
  await page.waitForFunction(() => typeof (/** @type {any} */ (globalThis).runScenario) === 'function', undefined, { timeout: 30_000 })
  const inBrowser = await page.evaluate((evs) => ({
    userAgent: navigator.userAgent,
    exports: /** @type {any} */ (globalThis).exportCount,
    result: /** @type {any} */ (globalThis).runScenario(evs)
  }), events)
  // the WASM verifier (nostr-wasm) in the browser: same answer
  const wasm = await page.evaluate(async (evs) => {
    const g = /** @type {any} */ (globalThis)
    const enabled = await g.enableWasm()
    return { enabled, backend: g.backend(), result: g.runScenario(evs) }
  }, events)
  assert.deepEqual(errors, [], 'the page reported errors')
  assert.equal(wasm.enabled, true, 'enableWasmVerification() failed in Chromium')
  assert.equal(wasm.backend, 'wasm')
  assert.deepEqual(wasm.result, inBrowser.result, 'the WASM verifier disagrees with the JS one')

  const inNode = JSON.parse(JSON.stringify(runScenario(api, F, events)))
  assert.deepEqual(inBrowser.result, inNode, 'Chromium and Node disagree')
  assert.equal(inBrowser.exports, Object.keys(api).length)
  // the scenario did real work: repositories, a verified signature refused, REQs on the wire
  assert.ok(inNode.repos > 0, 'no repository accepted')
  assert.ok(inNode.forgedRejected.length === 1, 'a forged signature was accepted')
  assert.ok(inNode.wire.some((/** @type {{ messages: unknown[][] }} */ b) => b.messages.some((m) => m[0] === 'REQ')), 'no REQ planned')
  assert.equal(inNode.converged, true)
  const reqs = inNode.wire.reduce((/** @type {number} */ n, /** @type {{ messages: unknown[] }} */ b) => n + b.messages.length, 0)
  const browser = inBrowser.userAgent.match(/(?:Headless)?Chrome\/[\d.]+/)?.[0] ?? inBrowser.userAgent
  console.log(
    `browser: ${browser} ran the pipeline on ${events.length} real events (${inNode.repos} repositories, ` +
      `${inNode.actions.length} actions, ${reqs} wire messages, forged signature: ${inNode.forgedRejected[0]}) ` +
      `and an engine step, with the JS and the WASM verifier; same answer as Node (${(bundle.length / 1000).toFixed(0)} kB bundle, ${((Date.now() - started) / 1000).toFixed(1)} s)`
  )
} finally {
  await context.close()
  server.close()
  rmSync(userDataDir, { recursive: true, force: true })
}
