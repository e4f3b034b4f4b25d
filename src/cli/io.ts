/**
 * What a command reads and writes: the process's streams in `main.ts`, fakes in the tests.
 * Node only (the CLI is).
 */
import type { Readable, Writable } from 'node:stream'

export interface Io {
  readonly stdin: Readable
  readonly stdout: Writable
  readonly stderr: Writable
  /** Aborted to stop a long-running command cleanly (SIGINT / SIGTERM in `main.ts`). */
  readonly signal?: AbortSignal
  /** The clock, in milliseconds (default `Date.now`). */
  readonly clock?: () => number
}

/** Exit statuses of every command. */
export const EXIT = {
  ok: 0,
  /** The input had malformed lines or rejected events (plan), or some relay never caught up (sync --once). */
  problems: 1,
  /** Bad command line: unknown option, missing value, bad URL. Usage is printed. */
  usage: 2,
  /** Could not run: unreadable file, unusable state file, the executor failed to start. */
  failure: 3
} as const

/**
 * Writes text, waiting for `drain` when the stream asks for it (a slow reader of stdout slows the
 * command down instead of filling memory).
 */
export const writeText = (out: Writable, text: string): Promise<void> =>
  text === '' || out.write(text) ? Promise.resolve() : new Promise((resolve) => out.once('drain', () => resolve()))

/** One line to stderr, prefixed with the program name. */
export const say = (io: Io, text: string): void => {
  io.stderr.write(`nip34-sync: ${text}\n`)
}

export const nowMs = (io: Io): number => (io.clock ?? Date.now)()
