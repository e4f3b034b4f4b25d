// Installs this folder's packages (the loopback relay: @nostr-relay/core, its SQLite store,
// better-sqlite3) when test/relay/node_modules is absent. `npm test` runs it first, so the root
// `npm ci` (and `npm start`) never compile better-sqlite3.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
if (!existsSync(new URL('./node_modules/@nostr-relay/core/package.json', import.meta.url))) {
  console.error('test/relay: installing the loopback relay (npm ci --prefix test/relay)')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const r = spawnSync(npm, ['ci', '--prefix', here, '--no-audit', '--no-fund'], { stdio: 'inherit', shell: process.platform === 'win32' })
  process.exit(r.status ?? 1)
}
