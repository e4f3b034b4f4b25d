/**
 * The command dispatcher: `run(argv, io)` resolves to the exit status. `main.ts` wires it to the
 * process; the tests call it with fake streams.
 */
import { EXIT, say, writeText, type Io } from './io.js'
import { USAGE, UsageError, version } from './args.js'
import { plan } from './plan.js'

export const run = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'plan':
        return await plan(rest, io)
      case 'sync': {
        const { sync } = await import('./sync.js')
        return await sync(rest, io)
      }
      case 'status': {
        const { status } = await import('./status.js')
        return await status(rest, io)
      }
      case '--help':
      case '-h':
      case 'help':
        await writeText(io.stdout, USAGE)
        return EXIT.ok
      case '--version':
      case '-V':
      case 'version':
        await writeText(io.stdout, `${version()}\n`)
        return EXIT.ok
      case undefined:
        throw new UsageError('a command is required')
      default:
        throw new UsageError(`unknown command '${command}'`)
    }
  } catch (e) {
    if (e instanceof UsageError) {
      say(io, e.message)
      io.stderr.write(`\n${USAGE}`)
      return EXIT.usage
    }
    say(io, `failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    return EXIT.failure
  }
}
