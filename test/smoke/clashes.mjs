// @ts-check
// A host imports nip34-sync beside nostr-tools: no public name of ours (src/index.ts and
// src/host/index.ts, values and types) may equal a name any nostr-tools entry point exports,
// unless ours is @deprecated (an old name kept for compatibility, with a non-clashing new one).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = fileURLToPath(new URL('../..', import.meta.url))
const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
const entries = ['src/index.ts', 'src/host/index.ts'].map((f) => join(root, f)).filter((f) => existsSync(f))

const nostrTools = join(root, 'node_modules', 'nostr-tools')
const manifest = JSON.parse(readFileSync(join(nostrTools, 'package.json'), 'utf8'))
/** @type {Map<string, string>} path of a .d.ts → entry point name */
const theirs = new Map()
for (const [sub, e] of Object.entries(manifest.exports)) {
  const types = typeof e === 'object' ? e.types ?? e.import?.types : undefined
  if (typeof types === 'string') theirs.set(join(nostrTools, types), `nostr-tools${sub.slice(1)}`)
}

const program = ts.createProgram([...entries, ...theirs.keys()], { ...(parsed?.options ?? {}), noEmit: true })
const checker = program.getTypeChecker()
/** @param {string} file */
const exportsOf = (file) => {
  const source = program.getSourceFile(file)
  const symbol = source && checker.getSymbolAtLocation(source)
  if (symbol === undefined) throw new Error(`cannot read ${file}`)
  return checker.getExportsOfModule(symbol)
}

/** @type {Map<string, string[]>} name → nostr-tools entry points that export it */
const names = new Map()
for (const [file, entry] of theirs) for (const s of exportsOf(file)) names.set(s.name, [...(names.get(s.name) ?? []), entry])

const problems = []
let ours = 0
let deprecated = 0
for (const entry of entries) {
  for (const exported of exportsOf(entry)) {
    ours++
    const clash = names.get(exported.name)
    if (clash === undefined) continue
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const isDeprecated = (symbol.declarations ?? []).every((d) => ts.getJSDocTags(d).some((t) => t.tagName.text === 'deprecated'))
    if (isDeprecated) deprecated++
    else problems.push(`${entry.slice(root.length)}: ${exported.name} clashes with ${clash.join(', ')} (rename it; keep the old name @deprecated)`)
  }
}
for (const p of problems) console.error(p)
console.log(`clashes: ${ours} public names against ${names.size} nostr-tools names (${theirs.size} entry points): ${problems.length} clashes, ${deprecated} deprecated old names`)
if (problems.length > 0) process.exitCode = 1
