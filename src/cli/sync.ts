import { EXIT, say, type Io } from './io.js'

/** `nip34-sync sync`: placeholder until the executor lands. */
export const sync = async (_argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  say(io, 'sync: not available yet')
  return EXIT.failure
}
