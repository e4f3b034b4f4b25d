// @ts-check
// README links point at this version's files on unpkg (https://unpkg.com/nip34-sync@<version>/docs/…),
// so they work from the npm page. `npm version <v>` runs this (the "version" script) to move every
// link to the new version; `npm run lint:package` checks them.
import { readFileSync, writeFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const file = new URL('../README.md', import.meta.url)
const before = readFileSync(file, 'utf8')
const after = before.replace(new RegExp(`https://unpkg\\.com/${pkg.name}@[^/\\s)]+/`, 'g'), `https://unpkg.com/${pkg.name}@${pkg.version}/`)
writeFileSync(file, after)
console.log(`readme-links: README links name ${pkg.name}@${pkg.version}${after === before ? ' (unchanged)' : ''}`)
