/**
 * `nip34-sync sync`: the executor (`nip34-sync/host`) on the command line. Reads announcements
 * and root events from the own relay (`--store`, the local address of the server's relay), asks
 * the remote relays they list, stores what they send in the store relay. Runs until SIGINT or
 * SIGTERM, or with `--once` until every relay is caught up. Progress on stderr; a summary at the end.
 */
import { either as E } from 'fp-ts'
import { relayUrl } from '../index.js'
import { createExecutor, type Executor, type ExecutorEvent, type ExecutorState } from '../host/index.js'
import { executorExtras, mode, parseSync, required, seconds, UsageError, USAGE } from './args.js'
import { EXIT, nowMs, say, writeText, type Io } from './io.js'
import { checkConfig, configOf } from './plan.js'
import { loadState, saveState } from './state.js'

/** How often the progress line and the state file are written while running. */
const PROGRESS_MS = 5_000
const SAVE_MS = 60_000

const checkUrl = (name: string, url: string): void => {
  const r = relayUrl(url)
  if (E.isLeft(r)) throw new UsageError(`--${name} ${url}: ${r.left.reason}`)
}

/** One progress event as a line, or undefined for the ones only counted. */
const describe = (e: ExecutorEvent): string | undefined => {
  switch (e.type) {
    case 'connected':
      return `${e.relay}#${e.socket}: connected`
    case 'sent':
      // a history fetch that resumes (after a restart with --state, or a reconnect)
      return e.since === undefined ? undefined : `${e.relay}#${e.socket}: ${e.reqs} REQs, history since ${new Date(e.since * 1000).toISOString()}`
    case 'disconnected':
      return `${e.relay}#${e.socket}: disconnected (${e.reason})`
    case 'refused':
      return `${e.relay}#${e.socket}: refused by the relay policy (${e.rule}): ${e.reason}`
    case 'failed':
      return e.kind === 'rate-limited'
        ? `${e.relay}#${e.socket}: rate-limited, cooling down: ${e.reason}`
        : `${e.relay}#${e.socket}: ${e.kind} failure, parked (naughty list): ${e.reason}`
    case 'auth':
      return `${e.relay}#${e.socket}: NIP-42 auth ${e.status}${e.reason === undefined ? '' : `: ${e.reason}`}`
    case 'closed':
      return `${e.relay}#${e.socket}: CLOSED ${e.id}: ${e.reason}`
    case 'notice':
      return `${e.relay}#${e.socket}: NOTICE ${e.message}`
    case 'timeout':
      return `${e.relay}#${e.socket}: no answer to ${e.id} in time`
    case 'limits':
      return e.problems.length > 0 ? `${e.relay}: NIP-11 limits with problems: ${e.problems.join('; ')}` : undefined
    case 'problem':
      return `problem: ${e.relay === '' ? '' : `${e.relay}: `}${e.code}: ${e.message}`
    case 'rejected':
      return `rejected ${e.rejections.length} event${e.rejections.length === 1 ? '' : 's'}: ${[...new Set(e.rejections.map((r) => r.code))].join(', ')}`
    case 'source':
      return `own relay (source): ${e.status}${e.detail === undefined ? '' : ` (${e.detail})`}`
    case 'caught-up':
      return 'caught up'
    case 'behind':
      return 'behind (new work)'
    default:
      return undefined
  }
}

const progress = (s: ExecutorState): string => {
  const settled = s.relays.filter((r) => r.settled).length
  const unreachable = s.relays.filter((r) => r.unreachable).length
  const connections = s.relays.reduce((n, r) => n + r.connections.filter((c) => c.connected).length, 0)
  const c = s.counters
  return `sync: ${s.relays.length} relays (${settled} settled, ${unreachable} unreachable, ${connections} connections), received ${c.received}, stored ${c.stored} (${c.storePending} pending, ${c.storeFailed} failed), rejected ${c.rejected}${s.caughtUp ? ', caught up' : ''}`
}

const summary = (s: ExecutorState, ms: number, caughtUp: boolean): string => {
  const c = s.counters
  const lines = [
    `caught up: ${caughtUp ? 'yes' : 'no'} after ${(ms / 1000).toFixed(1)} s`,
    `own relay (source): ${s.source.connected ? 'connected' : 'not connected'}, ${s.source.caughtUp ? 'read to the end' : 'not read to the end'}`,
    `relays: ${s.relays.length} (${s.relays.filter((r) => r.settled).length} settled, ${s.relays.filter((r) => r.unreachable).length} unreachable)`,
    `events: received ${c.received}, stored ${c.stored}, store failed ${c.storeFailed}, pending ${c.storePending}, rejected ${c.rejected}, unmatched ${c.unmatched}`,
    `engine steps: ${c.steps}; REQs sent: ${c.reqs}; CLOSEs sent: ${c.closes}`
  ]
  for (const r of s.relays)
    if (!r.settled) lines.push(`not settled: ${r.relay}${r.unreachable ? ' (unreachable)' : ''}${r.health === undefined || r.health.state === 'ok' ? '' : ` (${r.health.state}${r.health.reason === undefined ? '' : `: ${r.health.reason}`})`}`)
  return lines.map((l) => `  ${l}\n`).join('')
}

/** Resolves when the signal aborts (at once if it has). */
const aborted = (signal: AbortSignal | undefined): Promise<void> =>
  signal === undefined ? new Promise(() => undefined) : signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))

/** Runs `sync`; resolves to the exit status. */
export const sync = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  const { values } = parseSync(argv)
  if (values.help === true) {
    await writeText(io.stdout, USAGE)
    return EXIT.ok
  }
  const own = required('own', values.own)
  const store = values.store
  if (store === undefined) throw new UsageError('--store URL is required (it may be the same as --own)')
  const bootstrap = values.bootstrap ?? []
  const allow = values['allow-relay'] ?? []
  for (const u of [store, ...allow]) checkUrl(u === store ? 'store' : 'allow-relay', u)
  const acceptance = mode(values.mode)
  // the configuration the executor builds from the same options (own, store, bootstrap, allowed: trusted)
  const config = configOf(own, bootstrap, acceptance, { store, allow })
  checkConfig(config)
  const once = values.once === true
  const timeoutS = seconds('timeout', values.timeout)
  if (timeoutS !== undefined && !once) throw new UsageError('--timeout applies to --once')
  const timeoutMs = (timeoutS ?? 600) * 1000
  const quiet = values.quiet === true
  const stateFile = values.state
  const extras = executorExtras(values)

  let initialEngine
  if (stateFile !== undefined) {
    try {
      initialEngine = loadState(stateFile, config)
    } catch (e) {
      say(io, e instanceof Error ? e.message : String(e))
      return EXIT.failure
    }
    if (!quiet) say(io, initialEngine === undefined ? `state: ${stateFile} does not exist yet: a first run` : `state: resumed from ${stateFile}`)
  }

  const host: Executor = createExecutor({
    ownRelay: own,
    storeRelay: store,
    bootstrapRelays: bootstrap,
    allowRelays: allow,
    acceptance,
    ...extras,
    ...(initialEngine === undefined ? {} : { initialEngine }),
    ...(io.clock === undefined ? {} : { clock: io.clock })
  })
  const save = (): void => {
    if (stateFile === undefined) return
    try {
      saveState(stateFile, host.engine(), Math.floor(nowMs(io) / 1000))
    } catch (e) {
      say(io, `state: cannot write ${stateFile}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  const unsubscribe = host.on((e) => {
    if (e.type === 'caught-up') save()
    if (quiet) return
    const text = describe(e)
    if (text !== undefined) say(io, text)
  })

  const started = nowMs(io)
  let lastSave = started
  const timer = setInterval(() => {
    if (!quiet) say(io, progress(host.state()))
    if (nowMs(io) - lastSave >= SAVE_MS) {
      lastSave = nowMs(io)
      save()
    }
  }, PROGRESS_MS)
  let caughtUp = false
  try {
    await host.start()
    if (!quiet) say(io, `sync: started (own ${own.join(', ')}, store ${store}${bootstrap.length > 0 ? `, bootstrap ${bootstrap.join(', ')}` : ''}${once ? ', --once' : ''})`)
    if (once) {
      caughtUp = await Promise.race([host.whenCaughtUp(timeoutMs), aborted(io.signal).then(() => false)])
      if (!caughtUp && io.signal?.aborted !== true) say(io, `not caught up after ${timeoutMs / 1000} s`)
    } else {
      await aborted(io.signal)
      caughtUp = host.state().caughtUp
    }
  } catch (e) {
    say(io, `sync failed: ${e instanceof Error ? e.message : String(e)}`)
    clearInterval(timer)
    unsubscribe()
    await host.stop()
    save()
    return EXIT.failure
  }
  clearInterval(timer)
  const final = host.state()
  unsubscribe()
  await host.stop()
  save()
  io.stderr.write(`nip34-sync sync: summary\n${summary(final, nowMs(io) - started, caughtUp)}`)
  return once && !caughtUp ? EXIT.problems : EXIT.ok
}
