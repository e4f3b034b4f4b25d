/**
 * `nip34-sync sync` end to end against real relays on loopback (test/relay/: @nostr-relay/core
 * with its SQLite store behind `ws`): the server's own relay (the store, `--store`, at a loopback
 * address; its public URL `--own` is wss://grasp.example.com) and one remote, the bootstrap relay,
 * holding 50 repositories of distinct owners that list it and the own relay, each with an issue.
 * The executor's own test (host.e2e) covers 1 000 repositories through the library; this one
 * covers the command: its options, `--once`, the summary, `--state`, a clean stop on abort
 * (SIGINT / SIGTERM in the bin) and the exit statuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PassThrough, Readable } from 'node:stream'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { initNostrWasm } from 'nostr-wasm'
import { startLoopbackRelay, type LoopbackRelay } from '../relay/loopbackRelay.js'
import { fetchIds, holds, publish, until, type SignedEvent } from '../relay/client.js'
import { secretKey } from '../support/signing.js'
import { run } from '../../src/cli/run.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const OWN = 'wss://grasp.example.com'
const N = 50

let nw: Awaited<ReturnType<typeof initNostrWasm>>
const pubkeyOf = (sk: Uint8Array): string => Buffer.from(nw.getPublicKey(sk)).toString('hex')
const sign = (sk: Uint8Array, kind: number, created_at: number, tags: Array<Array<string>>, content = ''): SignedEvent => {
  const e = { kind, created_at, tags, content } as unknown as SignedEvent
  nw.finalizeEvent(e as never, sk)
  return JSON.parse(JSON.stringify(e)) as SignedEvent
}

let own: LoopbackRelay
let remote: LoopbackRelay
let other: LoopbackRelay
const announcements: Array<SignedEvent> = []
const issues: Array<SignedEvent> = []
/** A repository that does not list the server: its issue must not be fetched. */
let strangerIssue: SignedEvent

beforeAll(async () => {
  nw = await initNostrWasm()
  ;[own, remote, other] = await Promise.all([startLoopbackRelay(), startLoopbackRelay(), startLoopbackRelay()])
  const t = Math.floor(Date.now() / 1000) - 3600
  const author = secretKey('cli-sync author')
  for (let i = 0; i < N; i++) {
    const k = secretKey(`cli-sync owner ${i}`)
    const ref = `30617:${pubkeyOf(k)}:repo${i}`
    announcements.push(sign(k, 30617, t + i, [['d', `repo${i}`], ['relays', OWN, remote.url], ['clone', `https://grasp.example.com/x/repo${i}.git`]]))
    issues.push(sign(author, 1621, t + 100 + i, [['a', ref], ['subject', `issue ${i}`]], `issue ${i}`))
  }
  const stranger = secretKey('cli-sync stranger')
  const strangerAnn = sign(stranger, 30617, t, [['d', 'elsewhere'], ['relays', remote.url], ['clone', 'https://git.example.org/elsewhere.git']])
  strangerIssue = sign(author, 1621, t + 50, [['a', `30617:${pubkeyOf(stranger)}:elsewhere`]], 'not for us')
  expect(await publish(remote.url, [...announcements, ...issues, strangerAnn, strangerIssue])).toBe(2 * N + 2)
})

afterAll(async () => {
  await Promise.all([own?.stop(), remote?.stop(), other?.stop()])
})

const collect = (s: PassThrough): (() => string) => {
  const chunks: Array<Buffer> = []
  s.on('data', (c: Buffer) => chunks.push(c))
  return () => Buffer.concat(chunks).toString('utf8')
}

const cli = async (argv: ReadonlyArray<string>, signal?: AbortSignal): Promise<{ code: number; stdout: string; stderr: string }> => {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out = collect(stdout)
  const err = collect(stderr)
  const code = await run(argv, { stdin: Readable.from([]), stdout, stderr, ...(signal === undefined ? {} : { signal }) })
  return { code, stdout: out(), stderr: err() }
}

const base = (): Array<string> => ['sync', '--own', OWN, '--store', own.url, '--bootstrap', remote.url]

describe('nip34-sync sync', () => {
  it(`--once: ${N} repositories and their issues land on the own relay, then it exits 0 with a summary`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nip34-cli-sync-'))
    const state = join(dir, 'state.json')
    const r = await cli([...base(), '--once', '--timeout', '60', '--state', state])
    expect(r.stderr).toContain('nip34-sync sync: summary')
    expect(r.stderr).toContain('caught up: yes')
    expect(r.code).toBe(0)
    const stored = await holds(own.url, [...announcements, ...issues].map((e) => e.id))
    expect(stored.size).toBe(2 * N)
    expect((await holds(own.url, [strangerIssue.id])).size).toBe(0)
    const file = JSON.parse(readFileSync(state, 'utf8')) as { format: string; version: number; engine: { format: string }; index: { format: string } }
    expect([file.format, file.version, file.engine.format, file.index.format]).toEqual(['nip34-sync/cli-state', 1, 'nip34-sync/Engine', 'nip34-sync/RepoIndex'])
  })

  it('--state resumes from the file of an earlier run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nip34-cli-sync-'))
    const state = join(dir, 'state.json')
    const first = await cli([...base(), '--once', '--timeout', '60', '--state', state])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toContain('a first run')
    const second = await cli([...base(), '--once', '--timeout', '60', '--state', state])
    expect(second.code, second.stderr).toBe(0)
    expect(second.stderr).toContain(`resumed from ${state}`)
    // the first run fetched the remote's history from the beginning; the second resumes it from its last EOSE
    expect(first.stderr).not.toMatch(new RegExp(`${remote.url}#\\d+: \\d+ REQs, history since`))
    expect(second.stderr).toMatch(new RegExp(`${remote.url}#\\d+: \\d+ REQs, history since`))
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { engine: { relays: Array<{ relay: string; lastEose?: number }> } }
    expect(saved.engine.relays.find((r) => r.relay === remote.url)?.lastEose).toBeGreaterThan(0)
    // a file that is not a state file is refused, not overwritten
    writeFileSync(state, '{"hello":1}')
    const bad = await cli([...base(), '--once', '--state', state])
    expect(bad.code).toBe(3)
    expect(readFileSync(state, 'utf8')).toBe('{"hello":1}')
  })

  it('without --once it runs until stopped (abort = SIGINT / SIGTERM), live events included, and stops cleanly', async () => {
    const stop = new AbortController()
    const running = cli([...base()], stop.signal)
    // a new repository and its issue published while it runs arrive on the own relay
    const t = Math.floor(Date.now() / 1000) - 60
    const k = secretKey('cli-sync live owner')
    const ann = sign(k, 30617, t, [['d', 'live'], ['relays', OWN, remote.url], ['clone', 'https://grasp.example.com/x/live.git']])
    const issue = sign(secretKey('cli-sync author'), 1621, t + 1, [['a', `30617:${pubkeyOf(k)}:live`]], 'live issue')
    await new Promise((r) => setTimeout(r, 500))
    expect(await publish(remote.url, [ann, issue])).toBe(2)
    expect(await until(async () => (await holds(own.url, [ann.id, issue.id])).size === 2, 20_000)).toBe(true)
    stop.abort()
    const r = await running
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('nip34-sync sync: summary')
  })

  it('--once gives up after --timeout when a relay never answers, exit 1', async () => {
    // the own relay is down: nothing can be read
    const down = await startLoopbackRelay()
    const url = down.url
    await down.stop()
    const r = await cli(['sync', '--own', OWN, '--store', url, '--once', '--timeout', '2', '--quiet'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('caught up: no')
    expect(r.stderr).toContain('not connected')
  })

  it('refuses remote relays the policy refuses unless --allow-relay trusts them', async () => {
    // a repository listing `other` (ws:// on loopback): refused unless trusted
    const k = secretKey('cli-sync other owner')
    const ref = `30617:${pubkeyOf(k)}:other`
    const ann = sign(k, 30617, Math.floor(Date.now() / 1000) - 100, [['d', 'other'], ['relays', OWN, other.url], ['clone', 'https://grasp.example.com/x/other.git']])
    const issue = sign(secretKey('cli-sync author'), 1621, Math.floor(Date.now() / 1000) - 90, [['a', ref]], 'on other')
    expect(await publish(own.url, [ann])).toBe(1)
    expect(await publish(other.url, [issue])).toBe(1)
    const refused = await cli(['sync', '--own', OWN, '--store', own.url, '--once', '--timeout', '30'])
    expect(refused.code).toBe(0)
    expect((await holds(own.url, [issue.id])).size).toBe(0)
    const trusted = await cli(['sync', '--own', OWN, '--store', own.url, '--allow-relay', other.url, '--once', '--timeout', '30'])
    expect(trusted.code).toBe(0)
    expect((await holds(own.url, [issue.id])).size).toBe(1)
    expect((await fetchIds(own.url, [{ kinds: [1621], '#a': [ref] }])).size).toBe(1)
  })

  it('usage errors exit 2', async () => {
    for (const argv of [['sync'], ['sync', '--own', OWN], ['sync', '--own', OWN, '--store', 'http://x'], ['sync', '--own', OWN, '--store', own.url, '--timeout', '5'], ['sync', '--own', OWN, '--store', own.url, '--nope']]) {
      const r = await cli(argv)
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.stderr).toContain('Usage:')
    }
  })

  it('the bin stops cleanly on SIGTERM and prints its summary', async () => {
    const bin = join(ROOT, 'dist/cli/main.js')
    expect(existsSync(bin), 'dist/cli/main.js: run `npm run build` first (npm test does)').toBe(true)
    const child = spawn(process.execPath, [bin, ...base()], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    expect(await until(() => stderr.includes('sync: started'), 20_000)).toBe(true)
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(stderr).toContain('SIGTERM: stopping')
    expect(stderr).toContain('nip34-sync sync: summary')
  })
})
