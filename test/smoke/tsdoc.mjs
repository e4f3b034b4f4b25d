// Checks that every export of the public modules (src/<folder>/<PascalCase>.ts: the modules whose
// names start with a capital; lower-case files are internal machinery) carries TSDoc
// with @since and @category, and that every exported function or value has an @example.
// Types and interfaces need @since and @category; their examples live on the functions that
// make or read them.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

const src = fileURLToPath(new URL('../../src', import.meta.url))
const problems = []
let checked = 0
/** @param {string} f */
const isPublic = (f) => f.endsWith('.ts') && /^[A-Z]/.test(f.split('/').pop() ?? '')
for (const file of readdirSync(src, { recursive: true }).map(String).filter(isPublic)) {
  const text = readFileSync(join(src, file), 'utf8')
  const re = /(\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*)?export (const|function|interface|type|class) ([A-Za-z0-9_]+)/g
  for (const m of text.matchAll(re)) {
    const [, doc = '', kind, name] = m
    if (/@internal/.test(doc)) continue
    checked++
    const missing = []
    if (!/@since/.test(doc)) missing.push('@since')
    if (!/@category/.test(doc)) missing.push('@category')
    if ((kind === 'const' || kind === 'function' || kind === 'class') && !/@example/.test(doc)) missing.push('@example')
    if (missing.length > 0) problems.push(`src/${file}: ${name} lacks ${missing.join(', ')}`)
  }
}
for (const p of problems) console.error(p)
console.log(`tsdoc: ${checked - problems.length} passed, ${problems.length} failed`)
if (problems.length > 0) process.exit(1)
