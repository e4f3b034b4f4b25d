/**
 * The command line: `node:util` `parseArgs` per command, usage texts, and the checks shared by
 * the commands (URLs, numbers). Unknown options are errors (exit 2 with usage).
 */
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'

export const USAGE = `Usage:
  nip34-sync plan --own URL [--bootstrap URL]... [--mode listed|all] [--wire] [--explain RELAY] [FILE|-]...
  nip34-sync sync --own URL --store URL [--bootstrap URL]... [--allow-relay URL]... [--state FILE] [--once]
                  [--negentropy auto|always|off] [--discovery] [--secret-key-file FILE]
  nip34-sync status --own URL [--store URL] [--bootstrap URL]... [--allow-relay URL]... (--state FILE | --sync SECONDS)
  nip34-sync --help | --version

Commands:
  plan   Read nostr events as JSON lines (what \`nak req\` prints; also ["EVENT", id, event] frames)
         from the files in order, or stdin (no FILE, or -), and print, as JSON lines on stdout,
         the relay actions a GRASP server with these own relays would take (SpawnRelay,
         AddFilters, RemoveFilters, CloseRelay), as the input arrives. Events go to the engine in
         batches (--batch, and at the end of each file, and after a pause in a stream).
  sync   Run the executor: read announcements and root events from the own relay, ask the remote
         relays they list, and store what they send in the store relay, until stopped (or, with
         --once, until every relay is caught up).
  status Print one JSON line per relay: its health (ok, backoff, cooling, dead, naughty,
         auth-required, auth-failed), failures in a row, until when it is paused, subscriptions
         planned and open, REQs in flight, its last EOSE, its next retry, over-fetched events.
         From a state file that sync --state saved (nothing connects), or live with --sync.

Options of plan:
  --own URL            this server's relay (repeatable; required)
  --bootstrap URL      a relay always asked (discovery) (repeatable)
  --mode listed|all    'listed' (default, GRASP-01): sync repositories that list this server;
                       'all' (GRASP-05 archive): sync every announcement
  --wire               print the NIP-01 messages instead of the actions:
                       {"relay","socket","message":["REQ",id,...filters]|["CLOSE",id]}
  --explain RELAY      print, after the input, why RELAY is asked for each repository and root
                       ({"type":"relay"|"repo"|"excluded",...}) instead of the actions
  --batch N            events per engine step at most (default 10000)
  --now SECONDS        the time used to refuse future-dated events (default: the clock)
  --quiet, -q          no progress and no summary on stderr

Options of sync:
  --own URL            the own relay: source of announcements and root events (required)
  --store URL          where fetched events are published (required; may equal --own)
  --bootstrap URL      a relay always asked (repeatable)
  --allow-relay URL    trust this exact relay even where the relay policy refuses it (loopback,
                       private, ws://); own, store and bootstrap relays are trusted the same way
  --mode listed|all    as for plan
  --state FILE         keep the engine's state in FILE between runs (read at start, written on exit)
  --once               exit when every relay is caught up, printing a summary
  --timeout SECONDS    with --once: give up after this long (default 600; exit 1)
  --negentropy MODE    NIP-77 for history: auto (default: relays that proved it or list it in
                       NIP-11, falling back to paged REQs), always (every relay not known to
                       fail), off
  --discovery          also ask the relays of maintainers' kind 10317 GRASP lists for their
                       announcements (off by default)
  --secret-key-file FILE
                       the operator's secret key (64 hex characters) for NIP-42 AUTH, used only
                       for relays that answer auth-required:; or set NIP34_SYNC_SECRET_KEY
  --quiet, -q          no progress on stderr (the summary is still printed)

Options of status:
  --own, --store, --bootstrap, --allow-relay, --mode
                       as for sync (the same ones: they decide which relays are trusted)
  --negentropy, --discovery, --secret-key-file
                       as for sync (with --sync)
  --state FILE         read the engine's state from FILE (with --sync: start from it and save it)
  --sync SECONDS       run the executor for at most SECONDS (less once caught up), then print
  --quiet, -q          no summary line on stderr

Exit status: 0 ok; 1 malformed lines or rejected events (plan), not caught up in time (sync --once);
2 bad command line; 3 could not run (unreadable file, unusable state file).
`

export class UsageError extends Error {}

/** This package's version: from the nearest package.json named nip34-sync above this module (dist/cli/ or a bundle). */
export const version = (): string => {
  let dir = new URL('./', import.meta.url)
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: unknown; version?: unknown }
      if (pkg.name === 'nip34-sync' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // none here: look further up
    }
    dir = new URL('../', dir)
  }
  return 'unknown'
}

const common = {
  help: { type: 'boolean', short: 'h' },
  own: { type: 'string', multiple: true },
  bootstrap: { type: 'string', multiple: true },
  mode: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' }
} as const

export const planOptions = {
  ...common,
  wire: { type: 'boolean' },
  explain: { type: 'string' },
  batch: { type: 'string' },
  now: { type: 'string' }
} as const

/** The executor's options both `sync` and `status --sync` take. */
const executorFlags = {
  negentropy: { type: 'string' },
  discovery: { type: 'boolean' },
  'secret-key-file': { type: 'string' }
} as const

export const syncOptions = {
  ...common,
  ...executorFlags,
  store: { type: 'string' },
  'allow-relay': { type: 'string', multiple: true },
  state: { type: 'string' },
  once: { type: 'boolean' },
  timeout: { type: 'string' }
} as const

/** Runs a `parseArgs` call with its errors turned into {@link UsageError}. */
export const parsing = <T>(f: () => T): T => {
  try {
    return f()
  } catch (e) {
    throw new UsageError(e instanceof Error ? (e.message.split('\n')[0] ?? 'bad arguments') : 'bad arguments')
  }
}

export const parsePlan = (argv: ReadonlyArray<string>) =>
  parsing(() => parseArgs({ args: [...argv], options: planOptions, allowPositionals: true, strict: true }))

export const statusOptions = {
  ...common,
  ...executorFlags,
  store: { type: 'string' },
  'allow-relay': { type: 'string', multiple: true },
  state: { type: 'string' },
  sync: { type: 'string' }
} as const

export const parseStatus = (argv: ReadonlyArray<string>) =>
  parsing(() => parseArgs({ args: [...argv], options: statusOptions, allowPositionals: false, strict: true }))

export const parseSync = (argv: ReadonlyArray<string>) =>
  parsing(() => parseArgs({ args: [...argv], options: syncOptions, allowPositionals: false, strict: true }))

/**
 * The executor options of `--negentropy`, `--discovery` and `--secret-key-file` (or the
 * `NIP34_SYNC_SECRET_KEY` variable): a key that is not 64 hex characters, or a file that cannot be
 * read, is a usage error (the key is never printed).
 */
export const executorExtras = (
  values: { readonly negentropy?: string | undefined; readonly discovery?: boolean | undefined; readonly 'secret-key-file'?: string | undefined },
  env: Readonly<Record<string, string | undefined>> = process.env
): { readonly engine: { readonly negentropy?: 'auto' | 'always' | 'off'; readonly discovery?: boolean }; readonly secretKey?: string } => {
  const n = values.negentropy
  if (n !== undefined && n !== 'auto' && n !== 'always' && n !== 'off') throw new UsageError(`--negentropy must be 'auto', 'always' or 'off', not '${n}'`)
  let key: string | undefined
  const file = values['secret-key-file']
  if (file !== undefined) {
    try {
      key = readFileSync(file, 'utf8').trim()
    } catch (e) {
      throw new UsageError(`--secret-key-file ${file}: ${e instanceof Error ? e.message : 'unreadable'}`)
    }
    if (!/^[0-9a-f]{64}$/i.test(key)) throw new UsageError(`--secret-key-file ${file}: not a secret key (64 hex characters)`)
  } else {
    const v = env['NIP34_SYNC_SECRET_KEY']
    if (v !== undefined && v !== '') {
      key = v.trim()
      if (!/^[0-9a-f]{64}$/i.test(key)) throw new UsageError('NIP34_SYNC_SECRET_KEY: not a secret key (64 hex characters)')
    }
  }
  return {
    engine: { ...(n === undefined ? {} : { negentropy: n }), ...(values.discovery === true ? { discovery: true } : {}) },
    ...(key === undefined ? {} : { secretKey: key.toLowerCase() })
  }
}

export const mode = (value: string | undefined): 'listed' | 'all' => {
  if (value === undefined || value === 'listed') return 'listed'
  if (value === 'all') return 'all'
  throw new UsageError(`--mode must be 'listed' or 'all', not '${value}'`)
}

export const positiveInt = (name: string, value: string | undefined, fallback: number, max: number): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be an integer from 1 to ${max}, not '${value}'`)
  return n
}

export const seconds = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number of seconds, not '${value}'`)
  return n
}

export const required = (name: string, values: ReadonlyArray<string> | undefined): ReadonlyArray<string> => {
  if (values === undefined || values.length === 0) throw new UsageError(`--${name} URL is required`)
  return values
}
