// Checks the TSDoc of every public name: each name src/index.ts (and src/host/index.ts, the
// `nip34-sync/host` subpath, when it exists) exports (values and types,
// followed through re-exports to the declaration, wherever it lives: a public module or the
// lower-case file behind a thin face) carries @since and @category, and every exported function
// or value has an @example (run by examples.mjs). Types and interfaces need @since and
// @category; their examples live on the functions that make or read them. Names marked
// @internal are skipped.
import { fileURLToPath } from 'node:url'
import { existsSync } from 'node:fs'
import { relative } from 'node:path'
import ts from 'typescript'

const root = fileURLToPath(new URL('../..', import.meta.url))
const entries = ['../../src/index.ts', '../../src/host/index.ts'].map((p) => fileURLToPath(new URL(p, import.meta.url))).filter((p) => existsSync(p))
const parsed = ts.getParsedCommandLineOfConfigFile(fileURLToPath(new URL('../../tsconfig.build.json', import.meta.url)), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
const program = ts.createProgram(entries, parsed?.options ?? {})
const checker = program.getTypeChecker()
const exports = entries.flatMap((entry) => {
  const source = program.getSourceFile(entry)
  const moduleSymbol = source && checker.getSymbolAtLocation(source)
  if (moduleSymbol === undefined) throw new Error(`cannot read ${entry}`)
  return checker.getExportsOfModule(moduleSymbol)
})

const problems = []
let checked = 0
for (const exported of exports) {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
  for (const decl of symbol.declarations ?? []) {
    const tags = ts.getJSDocTags(decl).map((t) => t.tagName.text)
    if (tags.includes('internal')) continue
    checked++
    const isValue = ts.isVariableDeclaration(decl) || ts.isFunctionDeclaration(decl) || ts.isClassDeclaration(decl)
    const missing = []
    if (!tags.includes('since')) missing.push('@since')
    if (!tags.includes('category')) missing.push('@category')
    if (isValue && !tags.includes('example')) missing.push('@example')
    const where = relative(root, decl.getSourceFile().fileName)
    if (missing.length > 0) problems.push(`${where}: ${exported.name} lacks ${missing.join(', ')}`)
  }
}
for (const p of problems) console.error(p)
console.log(`tsdoc: ${checked - problems.length} passed, ${problems.length} failed`)
if (problems.length > 0 || checked === 0) process.exit(1)
