/**
 * `nip34-sync plan`: events in (JSON lines), the engine's decisions out (JSON lines). Offline: no
 * relay is contacted and none answers, so what is printed is what a fresh host would send first,
 * then how each later batch changes it.
 */
import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import {
  announcements,
  engineDesired,
  engineRepoIndex,
  enableWasmVerification,
  explainRelay,
  IGNORED_KINDS,
  relayRepos,
  relays,
  step,
  syncEngine,
  trustRelays,
  validateConfig,
  type EngineProblem,
  type Rejection,
  type RelayBatch,
  type SyncConfig,
  type SyncEngine
} from '../index.js'
import { mode, parsePlan, positiveInt, required, seconds, UsageError, USAGE } from './args.js'
import { readBatches, type Batch } from './lines.js'
import { EXIT, nowMs, say, writeText, type Io } from './io.js'

/** What `plan` prints on stdout. */
type Output = 'actions' | 'wire' | 'explain'

interface Counts {
  lines: number
  malformed: number
  events: number
  rejectedEvents: number
  partial: number
  ignored: number
  readonly byCode: Map<string, number>
  readonly ignoredKinds: Map<number, number>
  steps: number
}

const ignoredKinds: ReadonlySet<number> = new Set(IGNORED_KINDS)

/** The configuration of both commands: own and bootstrap relays are trusted by the relay policy. */
export const configOf = (own: ReadonlyArray<string>, bootstrap: ReadonlyArray<string>, acceptance: 'listed' | 'all', sync?: { readonly store: string; readonly allow: ReadonlyArray<string> }): SyncConfig => ({
  ownRelays: own,
  bootstrapRelays: bootstrap,
  acceptance,
  // the executor's order: own, store, bootstrap, allowed
  relayPolicy: trustRelays(sync === undefined ? [...own, ...bootstrap] : [...own, sync.store, ...bootstrap, ...sync.allow])({})
})

/** Checks a configuration; throws {@link UsageError} with every problem. */
export const checkConfig = (config: SyncConfig): void => {
  const v = validateConfig(config)
  if (v._tag === 'Left') throw new UsageError(v.left.map((r) => `${r.value ?? ''}: ${r.message}`).join('; '))
}

const line = (value: unknown): string => `${JSON.stringify(value)}\n`

const render = (output: Output, batches: ReadonlyArray<RelayBatch>): string => {
  let text = ''
  if (output === 'actions') for (const b of batches) for (const a of b.actions) text += line(a)
  else if (output === 'wire') for (const b of batches) for (const m of b.messages) text += line({ relay: b.relay, socket: b.socket, message: m })
  return text
}

const where = (source: string, n: number | undefined): string => (n === undefined ? source : `${source}:${n}`)

const describeRejection = (r: Rejection): string =>
  `${r.partial ? 'partly rejected' : 'rejected'} (${r.code}): ${r.message}${r.eventId !== undefined ? ` [event ${r.eventId}]` : ''}${r.value !== undefined ? ` [${r.value}]` : ''}`

const describeProblem = (p: EngineProblem): string =>
  `${p.relay === '' ? '' : `${p.relay}${p.socket !== undefined ? `#${p.socket}` : ''}: `}${p.code}: ${p.message}`

/** Counts repositories synced (asked of some relay) in the desired targets. */
const syncedRepos = (engine: SyncEngine): number => {
  const desired = engineDesired(engine)
  const seen = new Set<string>()
  for (const r of relays(desired)) for (const repo of relayRepos(r)(desired)) seen.add(repo)
  return seen.size
}

const summary = (c: Counts, engine: SyncEngine): string => {
  const codes = [...c.byCode].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k} ${v}`)
  const kinds = [...c.ignoredKinds].sort(([a], [b]) => a - b).map(([k, v]) => `kind ${k} ${v}`)
  return [
    `lines read: ${c.lines} (malformed: ${c.malformed})`,
    `events: ${c.events} in ${c.steps} engine step${c.steps === 1 ? '' : 's'}`,
    `rejected: ${c.rejectedEvents} events${c.partial > 0 ? `, ${c.partial} partly` : ''}${codes.length > 0 ? ` (by code: ${codes.join(', ')})` : ''}`,
    `ignored: ${c.ignored}${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}`,
    `repositories: ${announcements(engineRepoIndex(engine)).length} announced, ${syncedRepos(engine)} synced`,
    `relays: ${relays(engineDesired(engine)).length} asked`
  ]
    .map((s) => `  ${s}\n`)
    .join('')
}

/** Runs `plan`; resolves to the exit status. */
export const plan = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  const { values, positionals } = parsePlan(argv)
  if (values.help === true) {
    await writeText(io.stdout, USAGE)
    return EXIT.ok
  }
  const own = required('own', values.own)
  const bootstrap = values.bootstrap ?? []
  const config = configOf(own, bootstrap, mode(values.mode))
  checkConfig(config)
  if (values.wire === true && values.explain !== undefined) throw new UsageError('--wire and --explain print different things: give one of them')
  const output: Output = values.explain !== undefined ? 'explain' : values.wire === true ? 'wire' : 'actions'
  const batchSize = positiveInt('batch', values.batch, 10_000, 1_000_000)
  const fixedNow = seconds('now', values.now)
  const sources = positionals.length === 0 ? ['-'] : positionals
  if (sources.filter((s) => s === '-').length > 1) throw new UsageError('stdin (-) can be read once')
  const quiet = values.quiet === true

  if (sources.includes('-') && (io.stdin as { isTTY?: boolean }).isTTY === true) say(io, 'plan: reading events (JSON lines) from the terminal; end with Ctrl-D (give FILE to read a file)')
  await enableWasmVerification()
  let engine = syncEngine(config)
  const c: Counts = { lines: 0, malformed: 0, events: 0, rejectedEvents: 0, partial: 0, ignored: 0, byCode: new Map(), ignoredKinds: new Map(), steps: 0 }
  let lastProgress = nowMs(io)

  const onBatch = (source: string) => (b: Batch): void | Promise<void> => {
    const now = fixedNow ?? Math.floor(nowMs(io) / 1000)
    const r = step({ _tag: 'Events', events: b.events, now })(engine)
    engine = r.engine
    c.steps++
    c.events += b.events.length
    for (const e of b.events) {
      const kind = (e as { kind?: unknown }).kind
      if (typeof kind === 'number' && ignoredKinds.has(kind)) {
        c.ignored++
        c.ignoredKinds.set(kind, (c.ignoredKinds.get(kind) ?? 0) + 1)
      }
    }
    const fully = new Set<number>()
    for (const x of r.rejected) {
      c.byCode.set(x.code, (c.byCode.get(x.code) ?? 0) + 1)
      if (x.partial) c.partial++
      else if (x.position !== undefined) fully.add(x.position)
      say(io, `${where(source, x.position === undefined ? undefined : b.lines[x.position])}: ${describeRejection(x)}`)
    }
    c.rejectedEvents += fully.size
    for (const p of r.problems) say(io, `problem: ${describeProblem(p)}`)
    const t = nowMs(io)
    if (!quiet && t - lastProgress >= 2000) {
      lastProgress = t
      say(io, `plan: ${c.events} events read, ${c.rejectedEvents} rejected, ${c.malformed} malformed lines so far`)
    }
    const text = render(output, r.batches)
    return text === '' || io.stdout.write(text) ? undefined : new Promise<void>((resolve) => io.stdout.once('drain', () => resolve()))
  }

  for (const source of sources) {
    const name = source === '-' ? '<stdin>' : source
    const input: Readable = source === '-' ? io.stdin : createReadStream(source)
    try {
      c.lines += await readBatches(input, {
        batchSize,
        idleMs: 200,
        maxLineLength: 16 * 1024 * 1024,
        onMalformed: (m) => {
          c.malformed++
          say(io, `${name}:${m.line}: malformed line skipped: ${m.reason}`)
        },
        onBatch: onBatch(name)
      })
    } catch (e) {
      say(io, `cannot read ${name}: ${e instanceof Error ? e.message : String(e)}`)
      return EXIT.failure
    }
  }

  if (output === 'explain') {
    const x = explainRelay(config, engineRepoIndex(engine), values.explain ?? '')
    let text = line({ type: 'relay', relay: x.relay, asked: x.asked, bootstrap: x.bootstrap, own: x.own, repos: x.repos.length, excluded: x.excluded.length })
    for (const r of x.repos) text += line({ type: 'repo', relay: x.relay, ...r })
    for (const e of x.excluded) text += line({ type: 'excluded', relay: x.relay, ...e })
    await writeText(io.stdout, text)
  }
  if (!quiet) io.stderr.write(`nip34-sync plan: summary\n${summary(c, engine)}`)
  return c.malformed > 0 || c.byCode.size > 0 ? EXIT.problems : EXIT.ok
}
