#!/usr/bin/env node
/**
 * The `nip34-sync` command (package.json `bin`). Node only. See docs/cli.md.
 *
 * SIGINT / SIGTERM abort the running command, which stops cleanly (sync closes its connections
 * and writes its state); a second signal exits at once.
 */
import { run } from './run.js'

const stop = new AbortController()
let signals = 0
const onSignal = (signal: NodeJS.Signals): void => {
  signals++
  if (signals > 1) process.exit(130)
  process.stderr.write(`nip34-sync: ${signal}: stopping\n`)
  stop.abort()
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

// EPIPE on stdout (`nip34-sync plan ... | head`): stop quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0)
  throw e
})

run(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, signal: stop.signal }).then(
  (code) => {
    process.exitCode = code
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  },
  (e: unknown) => {
    process.stderr.write(`nip34-sync: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exitCode = 3
  }
)
