// @ts-check
// `npm start`: the `nip34-sync plan` command on the bundled sample of NIP-34 events, as a GRASP
// server at wss://relay.ngit.dev would run it, in two batches (one file each):
//
//   examples/sample/events-1.jsonl: real signed announcements and a patch, plus synthetic
//                                   repositories, patches, a pull request and issues
//   examples/sample/events-2.jsonl: an announcement update that drops and adds relays, and new
//                                   root events
//
// It prints the relay actions (JSON lines), then why wss://nos.lol is asked for each repository
// (--explain), with a summary on stderr. Quick on a fresh clone: the CLI is bundled from src/ with
// esbuild into node_modules/.cache (no tsc build); `npm run build` makes dist/cli/main.js, the
// `nip34-sync` bin, which runs the same code.
import { build } from 'esbuild'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const outfile = `${root}node_modules/.cache/nip34-sync/cli.mjs`
await build({
  entryPoints: [`${root}src/cli/run.ts`],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile,
  logLevel: 'warning'
})
/** @type {{ run: (argv: ReadonlyArray<string>, io: import('../src/cli/io.js').Io) => Promise<number> }} */
const { run } = await import(pathToFileURL(outfile).href)

const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }
const sample = ['examples/sample/events-1.jsonl', 'examples/sample/events-2.jsonl'].map((f) => `${root}${f}`)
const config = ['--own', 'wss://relay.ngit.dev', '--bootstrap', 'wss://relay.damus.io']
const runs = [
  ['plan', ...config, ...sample],
  ['plan', ...config, '--explain', 'wss://nos.lol', ...sample]
]
let status = 0
for (const argv of runs) {
  process.stdout.write(`\n$ nip34-sync ${argv.map((a) => a.replace(root, '')).join(' ')}\n`)
  status = Math.max(status, await run(argv, io))
}
process.exitCode = status
