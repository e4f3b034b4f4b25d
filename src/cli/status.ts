/**
 * `nip34-sync status`: one JSON line per relay on stdout: its health (`ok`, `backoff`, `cooling`,
 * `dead`, `naughty`, `auth-required`, `auth-failed`), failures in a row, until when it is paused,
 * subscriptions planned and open, `REQ`s in flight, its last `EOSE`, when its next retry is due and
 * (after a live run) the events it over-fetched.
 *
 * Two ways: from a state file alone (`--state FILE`: what `sync --state` saved; nothing connects),
 * or live (`--sync SECONDS`: runs the executor that long, or until caught up, then prints; with
 * `--state` it starts from and saves that file, as `sync` does).
 */
import { either as E, option as O } from 'fp-ts'
import { engineNextDue, engineRelay, engineRelays, relayUrl, step, type RelayStatus, type SyncEngine } from '../index.js'
import { createExecutor, type ExecutorRelayState } from '../host/index.js'
import { executorExtras, mode, parseStatus, required, seconds, UsageError, USAGE } from './args.js'
import { EXIT, nowMs, say, writeText, type Io } from './io.js'
import { checkConfig, configOf } from './plan.js'
import { loadState, saveState } from './state.js'

/** One relay's status line. */
export interface StatusLine {
  readonly relay: string
  readonly state: RelayStatus['health']['state']
  readonly failures: number
  /** Unix seconds until which it is paused (backoff, cooling, dead, naughty, auth-failed), or null. */
  readonly until: number | null
  readonly reason: string | null
  readonly auth: 'required' | 'ok' | 'failed' | null
  /** Live subscriptions the plan asks of it. */
  readonly subscriptions: number
  /** Of those, open with their planned filters. */
  readonly open: number
  /** `REQ`s sent and not answered (0 from a state file: nothing runs). */
  readonly inFlight: number
  readonly historyLeft: number
  readonly connections: number
  readonly lastEose: number | null
  /** When its next retry or reconnect is due (unix seconds), or null. */
  readonly nextDue: number | null
  /** Events it sent that no repository wants (dropped); null when nothing ran. */
  readonly overFetched: number | null
  readonly caughtUp: boolean
}

export const statusLine = (st: RelayStatus, live?: ExecutorRelayState): StatusLine => ({
  relay: st.relay,
  state: st.health.state,
  failures: st.health.failures,
  until: st.health.until ?? null,
  reason: st.health.reason ?? null,
  auth: st.health.auth ?? null,
  subscriptions: st.subscriptions,
  open: st.open,
  // from a state file nothing runs: nothing is in flight
  inFlight: live === undefined ? 0 : live.connections.reduce((n, c) => n + c.inFlight, 0),
  historyLeft: st.historyLeft,
  connections: live === undefined ? 0 : live.connections.filter((c) => c.connected).length,
  lastEose: st.lastEose ?? null,
  nextDue: st.nextDue ?? null,
  overFetched: live === undefined ? null : (live.overFetched ?? 0),
  caughtUp: st.caughtUp
})

/** Every relay of the engine, sorted, as lines (with the executor's view of each when it ran). */
export const statusLines = (engine: SyncEngine, live?: ReadonlyArray<ExecutorRelayState>): Array<StatusLine> => {
  const byRelay = new Map((live ?? []).map((r) => [r.relay, r]))
  const out: Array<StatusLine> = []
  for (const relay of engineRelays(engine)) {
    const st = O.toUndefined(engineRelay(relay)(engine))
    if (st !== undefined) out.push(statusLine(st, live === undefined ? undefined : byRelay.get(relay)))
  }
  return out
}

const checkUrl = (name: string, url: string): void => {
  const r = relayUrl(url)
  if (E.isLeft(r)) throw new UsageError(`--${name} ${url}: ${r.left.reason}`)
}

/** Runs `status`; resolves to the exit status. */
export const status = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  const { values } = parseStatus(argv)
  if (values.help === true) {
    await writeText(io.stdout, USAGE)
    return EXIT.ok
  }
  const own = required('own', values.own)
  const bootstrap = values.bootstrap ?? []
  const allow = values['allow-relay'] ?? []
  const store = values.store
  for (const u of [...(store === undefined ? [] : [store]), ...allow]) checkUrl(u === store ? 'store' : 'allow-relay', u)
  const acceptance = mode(values.mode)
  const config = configOf(own, bootstrap, acceptance, { store: store ?? own[0] ?? '', allow })
  checkConfig(config)
  const syncS = seconds('sync', values.sync)
  const stateFile = values.state
  if (syncS === undefined && stateFile === undefined) throw new UsageError('give --state FILE (read a saved state) or --sync SECONDS (run a short sync), or both')
  if (syncS !== undefined && store === undefined) throw new UsageError('--sync needs --store URL (as sync does)')
  const extras = executorExtras(values)

  let saved: SyncEngine | undefined
  if (stateFile !== undefined) {
    try {
      saved = loadState(stateFile, config)
    } catch (e) {
      say(io, e instanceof Error ? e.message : String(e))
      return EXIT.failure
    }
    if (saved === undefined && syncS === undefined) {
      say(io, `state: ${stateFile} does not exist`)
      return EXIT.failure
    }
  }
  const nowS = Math.floor(nowMs(io) / 1000)

  if (syncS === undefined) {
    // the saved engine planned again at the clock's time (nothing is sent): every relay and its health as of now
    const engine = step({ _tag: 'Events', events: [], now: nowS })(saved as SyncEngine).engine
    let text = ''
    for (const line of statusLines(engine)) text += `${JSON.stringify(line)}\n`
    await writeText(io.stdout, text)
    const due = engineNextDue(engine)
    if (values.quiet !== true) say(io, `status: ${engineRelays(engine).length} relays from ${stateFile ?? ''}${due === undefined ? '' : `; next retry due at ${due}`}`)
    return EXIT.ok
  }

  const host = createExecutor({
    ownRelay: own,
    storeRelay: store as string,
    bootstrapRelays: bootstrap,
    allowRelays: allow,
    acceptance,
    ...extras,
    ...(saved === undefined ? {} : { initialEngine: saved }),
    ...(io.clock === undefined ? {} : { clock: io.clock })
  })
  try {
    await host.start()
    const caughtUp = await Promise.race([
      host.whenCaughtUp(syncS * 1000),
      new Promise<boolean>((resolve) => io.signal?.addEventListener('abort', () => resolve(false), { once: true }))
    ])
    const state = host.state()
    let text = ''
    for (const line of statusLines(host.engine(), state.relays)) text += `${JSON.stringify(line)}\n`
    await writeText(io.stdout, text)
    if (values.quiet !== true) say(io, `status: ${state.relays.length} relays after ${caughtUp ? 'catching up' : `${syncS} s (not caught up)`}`)
  } catch (e) {
    say(io, `status failed: ${e instanceof Error ? e.message : String(e)}`)
    await host.stop()
    return EXIT.failure
  }
  await host.stop()
  if (stateFile !== undefined)
    try {
      saveState(stateFile, host.engine(), Math.floor(nowMs(io) / 1000))
    } catch (e) {
      say(io, `state: cannot write ${stateFile}: ${e instanceof Error ? e.message : String(e)}`)
    }
  return EXIT.ok
}
