// @ts-check
// The package as users get it (`npm run lint:package`, part of `npm test`, after the build):
//   1. `npm pack`, then publint (strict) and `attw --profile esm-only` on the tarball;
//   2. a fresh project installs the tarball (and the peers) and loads it with require() and import,
//      the subpath `nip34-sync/host` included;
//   3. one copy of nostr-tools and of @noble/hashes there (our pin equals nostr-tools' own);
//   4. every link of README.md works from the npm page: relative links are not used (npm resolves
//      them only against a repository URL), absolute unpkg links name a file of this version's tarball.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const bin = (/** @type {string} */ name) => join(root, 'node_modules', '.bin', name)
/** @param {string} file @param {string[]} args @param {string} [cwd] */
const run = (file, args, cwd = root) => execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
/** @param {string} what @param {() => string} f */
const step = (what, f) => {
  try {
    return f()
  } catch (e) {
    const err = /** @type {{ stdout?: string, stderr?: string }} */ (e)
    console.error(`package: ${what} failed\n${err.stdout ?? ''}${err.stderr ?? ''}`)
    throw e
  }
}

const dir = mkdtempSync(join(tmpdir(), 'nip34-package-'))
try {
  // 1. pack, publint, attw
  const packed = JSON.parse(step('npm pack', () => run('npm', ['pack', '--json', '--pack-destination', dir])))[0]
  const tarball = join(dir, packed.filename)
  const files = new Set(packed.files.map((/** @type {{ path: string }} */ f) => f.path))
  step('publint', () => run(bin('publint'), ['--strict', tarball]))
  step('attw', () => run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'table-flipped']))

  // 2. install the tarball in a fresh CommonJS project; require() and import it
  const app = join(dir, 'app')
  execFileSync('mkdir', [app])
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'commonjs' }))
  // the peers a host installs (the optional ones are left out: npm does not install them either)
  const optional = new Set(Object.keys(pkg.peerDependenciesMeta ?? {}).filter((p) => pkg.peerDependenciesMeta[p].optional))
  const peers = Object.keys(pkg.peerDependencies).filter((p) => !optional.has(p)).map((p) => `${p}@${pkg.devDependencies[p] ?? pkg.peerDependencies[p]}`)
  step('npm install of the tarball', () =>
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', tarball, ...peers], app)
  )
  copyFileSync(join(root, 'test', 'smoke', 'require.cjs'), join(app, 'require.cjs'))
  const required = step('require()', () => run('node', ['require.cjs'], app)).trim()
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json').map((k) => k.replace(/^\./, 'nip34-sync'))
  const imported = step('import', () =>
    run('node', ['--input-type=module', '-e', `for (const s of ${JSON.stringify(subpaths)}) { const m = await import(s); if (Object.keys(m).length === 0) throw new Error(s + ' exports nothing') }`], app)
  )
  assert.equal(imported, '')
  const binPath = pkg.bin?.['nip34-sync']
  if (binPath !== undefined) assert.match(readFileSync(join(app, 'node_modules', 'nip34-sync', binPath), 'utf8'), /^#!\/usr\/bin\/env node\n/, 'bin lacks its #! line')
  let binRun = ''
  if (binPath !== undefined) {
    // the command as npm installed it: its version, and a plan of the bundled sample
    const cli = join(app, 'node_modules', '.bin', 'nip34-sync')
    assert.equal(step('nip34-sync --version', () => run(cli, ['--version'], app)).trim().endsWith(pkg.version), true, 'nip34-sync --version')
    const sample = join(root, 'examples', 'sample', 'events-1.jsonl')
    const lines = step('nip34-sync plan', () => run(cli, ['plan', '--quiet', '--own', 'wss://relay.ngit.dev', sample], app)).trim().split('\n')
    assert.ok(lines.length > 0 && lines.every((l) => typeof JSON.parse(l)._tag === 'string'), 'nip34-sync plan printed no actions')
    binRun = `; the nip34-sync command planned ${lines.length} actions`
  }

  // 3. one nostr-tools, one @noble/hashes (pinned as nostr-tools pins it)
  const shared = ['nostr-tools', '@noble/hashes', 'nostr-wasm']
  const tree = JSON.parse(run('npm', ['ls', ...shared, '--all', '--json'], app))
  /** @type {Map<string, Set<string>>} */
  const versions = new Map()
  const walk = (/** @type {any} */ node) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      const c = /** @type {any} */ (child)
      if (shared.includes(name)) versions.set(name, (versions.get(name) ?? new Set()).add(c.version))
      walk(c)
    }
  }
  walk(tree)
  for (const [name, set] of versions) assert.equal(set.size, 1, `${name}: ${[...set].join(', ')} installed beside each other`)
  const nostrTools = JSON.parse(readFileSync(join(app, 'node_modules', 'nostr-tools', 'package.json'), 'utf8'))
  assert.equal(pkg.dependencies['@noble/hashes'], nostrTools.dependencies['@noble/hashes'], `@noble/hashes: pin it as nostr-tools ${nostrTools.version} does`)

  // 4. README links
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '')
  const unpkg = `https://unpkg.com/${pkg.name}@${pkg.version}/`
  for (const link of links) {
    if (link.startsWith('#')) continue
    assert.match(link, /^https?:\/\//, `README links ${link}: relative links do not work on the npm page`)
    if (link.startsWith(`https://unpkg.com/${pkg.name}@`)) {
      assert.ok(link.startsWith(unpkg), `README links ${link}: not version ${pkg.version} (node scripts/readme-links.mjs moves them; npm version runs it)`)
      const file = link.slice(unpkg.length).replace(/#.*$/, '')
      assert.ok(files.has(file), `README links ${link}: ${file} is not in the tarball`)
    }
  }

  console.log(
    `package: ${packed.filename} (${packed.files.length} files, ${(packed.size / 1000).toFixed(0)} kB) passes publint --strict and ` +
      `attw --profile esm-only; installed, ${required.replace(/^require: /, '')}; imports ${subpaths.join(', ')}${binRun}; ` +
      `one copy each of ${shared.map((n) => `${n} ${[...(versions.get(n) ?? [])].join()}`).join(', ')}; ${links.length} README links ok`
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
