// Runs every `@example` of the TSDoc in src/ against the built package, with plain Node, so the
// documentation cannot drift from the code. Each example is TypeScript: it is transpiled (types
// erased, nothing checked) and run as its own module, with `assert` (node:assert/strict) in scope
// and `nip34-sync` resolving to this package's dist/.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL, fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dist = pathToFileURL(join(root, 'dist', 'index.js')).href
/** The built file of a subpath export (`nip34-sync/host` is dist/host/index.js). */
const distOf = (/** @type {string} */ sub) => pathToFileURL(join(root, 'dist', sub, 'index.js')).href
// inside the package, so that bare imports (fp-ts, io-ts) resolve from its node_modules
const dir = mkdtempSync(join(root, 'node_modules', '.nip34-examples-'))

/** @type {Array<{ file: string, code: string[] }>} */
const examples = []
for (const file of readdirSync(join(root, 'src'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts'))) {
  const text = readFileSync(join(root, 'src', file), 'utf8')
  for (const comment of text.match(/\/\*\*[\s\S]*?\*\//g) ?? []) {
    const lines = comment.split('\n').map((l) => l.replace(/^\s*\/?\*+\/?\s?/, ''))
    /** @type {string[] | undefined} */
    let current
    for (const line of lines) {
      if (line.startsWith('@example')) {
        current = []
        examples.push({ file, code: current })
      } else if (line.startsWith('@')) current = undefined
      else if (current !== undefined) current.push(line)
    }
  }
}

let failed = 0
for (const [i, ex] of examples.entries()) {
  const body = ex.code
    .join('\n')
    .replace(/^```\w*$/gm, '')
    .replace(/from 'nip34-sync'/g, `from '${dist}'`)
    .replace(/from 'nip34-sync\/([a-z]+)'/g, (_, sub) => `from '${distOf(sub)}'`)
  const path = join(dir, `example-${i}.mjs`)
  const js = ts.transpileModule(body, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false } }).outputText
  writeFileSync(path, `import assert from 'node:assert/strict'\n${js}\n`)
  try {
    await import(pathToFileURL(path).href)
  } catch (e) {
    failed++
    console.error(`example ${i} in src/${ex.file} failed: ${e instanceof Error ? e.message : String(e)}\n${body}\n`)
  }
}
rmSync(dir, { recursive: true, force: true })
console.log(`examples: ${examples.length - failed} passed, ${failed} failed`)
if (failed > 0 || examples.length === 0) process.exit(1)
