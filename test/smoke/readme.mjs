// @ts-check
// Every ```ts block of README.md type-checks against the library (src/), strictly, as a module of
// its own: README shows no API that does not exist. The few names a snippet leaves to the reader
// (your sockets, your logger, the events you read) are declared below, once for all blocks.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = fileURLToPath(new URL('../..', import.meta.url))
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
const entry = { 'nip34-sync': join(root, 'src', 'index.ts'), 'nip34-sync/host': join(root, 'src', 'host', 'index.ts') }

// inside the package, so that bare imports (fp-ts) resolve from its node_modules
const dir = mkdtempSync(join(root, 'node_modules', '.nip34-readme-'))
try {
  const reader = `
declare const config: import('${entry['nip34-sync']}').SyncConfig
declare const events: ReadonlyArray<unknown>
declare const desired: import('${entry['nip34-sync']}').RelayIndex
declare const limits: Partial<import('${entry['nip34-sync']}').RelayLimits>
declare const relay: { onevent: (event: unknown) => void }
declare const store: (event: unknown) => void
declare const log: { warn: (...a: Array<unknown>) => void }
declare const inbox: Array<unknown>
declare const every: (ms: number, f: () => void) => void
declare const sockets: {
  send(relay: string, socket: number, frame: string): void
  close(relay: string, socket: number): void
  on(kind: 'EVENT', f: (relay: string, socket: number, id: string, event: unknown) => void): void
  on(kind: 'EOSE' | 'timeout', f: (relay: string, socket: number, id: string) => void): void
  on(kind: 'CLOSED', f: (relay: string, socket: number, id: string, reason: string) => void): void
  on(kind: 'NOTICE', f: (relay: string, socket: number, message: string) => void): void
  on(kind: 'open' | 'drop', f: (relay: string, socket: number) => void): void
  on(kind: 'nip11', f: (relay: string, doc: unknown) => void): void
}
`
  writeFileSync(join(dir, 'reader.d.ts'), reader)
  const files = blocks.map((code, i) => {
    const file = join(dir, `block${i + 1}.mts`)
    const local = code.replace(/from '(nip34-sync(?:\/host)?)'/g, (_, s) => `from '${entry[/** @type {keyof typeof entry} */ (s)]}'`)
    writeFileSync(file, `${local}\nexport {}\n`)
    return file
  })
  const program = ts.createProgram([join(dir, 'reader.d.ts'), ...files], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')]
  })
  const errors = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || files.includes(d.file.fileName) || d.file.fileName.endsWith('reader.d.ts'))
    .map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined
      const name = d.file ? d.file.fileName.slice(dir.length + 1) : ''
      return `${name}${where ? `:${where.line + 1}` : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
    })
  for (const e of errors) console.error(`readme: ${e}`)
  console.log(`readme: ${blocks.length} TypeScript blocks of README.md, ${errors.length} errors`)
  if (errors.length > 0 || blocks.length === 0) process.exitCode = 1
} finally {
  rmSync(dir, { recursive: true, force: true })
}
