/**
 * `nip34-sync status`: one JSON line per relay, from a state file (nothing connects: a naughty
 * relay stays naughty, a healthy one is `ok`) and live (`--sync`) against real loopback relays
 * (@nostr-relay/core + SQLite + ws): the store relay holds an announcement listing a remote that
 * requires NIP-42 auth, and the command has no key, so that remote is parked (`auth-failed`)
 * while the bootstrap relay is `ok`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PassThrough, Readable } from 'node:stream'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { bytesToHex } from '@noble/hashes/utils.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startLoopbackRelay, type LoopbackRelay } from '../relay/loopbackRelay.js'
import { publish } from '../relay/client.js'
import { secretKey, sign } from '../support/signing.js'
import { run } from '../../src/cli/run.js'
import { saveState } from '../../src/cli/state.js'
import { step, syncEngine, trustRelays } from '../../src/index.js'

const OWN = 'wss://grasp.example.com'
const B = 'wss://bootstrap.example'
const owner = secretKey('cli status owner')

const collect = (s: PassThrough): (() => string) => {
  const chunks: Array<Buffer> = []
  s.on('data', (c: Buffer) => chunks.push(c))
  return () => Buffer.concat(chunks).toString('utf8')
}

const cli = async (argv: ReadonlyArray<string>): Promise<{ code: number; stdout: string; stderr: string }> => {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out = collect(stdout)
  const err = collect(stderr)
  const code = await run(argv, { stdin: Readable.from([]), stdout, stderr })
  return { code, stdout: out(), stderr: err() }
}

const lines = (text: string): Array<Record<string, unknown>> =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe('nip34-sync status', () => {
  it('needs --state or --sync (usage, exit 2); help lists it', async () => {
    const r = await cli(['status', '--own', OWN])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--state FILE')
    const help = await cli(['--help'])
    expect(help.stdout).toContain('nip34-sync status')
  })

  it('from a state file: one JSON line per relay, health as of now, nothing in flight', async () => {
    const now = Math.floor(Date.now() / 1000)
    const config = { ownRelays: [OWN], bootstrapRelays: [B], acceptance: 'listed' as const, relayPolicy: trustRelays([OWN, OWN, B])({}) }
    let engine = syncEngine(config)
    engine = step({ _tag: 'Events', events: [], now: now - 10 })(engine).engine
    engine = step({ _tag: 'Failed', relay: B, kind: 'dns', reason: 'getaddrinfo ENOTFOUND bootstrap.example', now: now - 5 })(engine).engine
    const file = join(mkdtempSync(join(tmpdir(), 'nip34-cli-status-')), 'state.json')
    saveState(file, engine, now)
    const r = await cli(['status', '--own', OWN, '--bootstrap', B, '--state', file])
    expect(r.code, r.stderr).toBe(0)
    const out = lines(r.stdout)
    expect(out).toHaveLength(1)
    expect(out[0]).toMatchObject({
      relay: B,
      state: 'naughty',
      failures: 0,
      until: now - 5 + 43_200,
      reason: 'dns: getaddrinfo ENOTFOUND bootstrap.example',
      inFlight: 0,
      connections: 0,
      overFetched: null,
      nextDue: now - 5 + 43_200
    })
    const missing = await cli(['status', '--own', OWN, '--state', join(tmpdir(), 'nip34-no-such-state.json')])
    expect(missing.code).toBe(3)
  })

  describe('live (--sync)', () => {
    let store: LoopbackRelay
    let boot: LoopbackRelay
    let members: LoopbackRelay
    beforeAll(async () => {
      ;[store, boot, members] = await Promise.all([startLoopbackRelay(), startLoopbackRelay(), startLoopbackRelay({ requireAuth: true })])
      const at = Math.floor(Date.now() / 1000) - 100
      const a = sign(owner, 30617, at, [['d', 'x'], ['relays', OWN, members.url], ['clone', 'https://grasp.example.com/x.git']])
      expect(await publish(store.url, [a])).toBe(1)
    })
    afterAll(async () => {
      await Promise.all([store?.stop(), boot?.stop(), members?.stop()])
    })

    it('runs until caught up and prints each relay: the bootstrap ok, the auth-only remote parked without a key', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'nip34-cli-status-')), 'state.json')
      const args = ['status', '--own', OWN, '--store', store.url, '--bootstrap', boot.url, '--allow-relay', members.url, '--state', file]
      const r = await cli([...args, '--sync', '30'])
      expect(r.code, r.stderr).toBe(0)
      const out = lines(r.stdout)
      expect(out.map((l) => l.relay).sort()).toEqual([boot.url, members.url].sort())
      const b = out.find((l) => l.relay === boot.url)
      expect(b).toMatchObject({ state: 'ok', failures: 0, until: null, caughtUp: true, inFlight: 0, overFetched: 0, connections: 1 })
      expect(typeof b?.lastEose).toBe('number')
      const m = out.find((l) => l.relay === members.url)
      expect(m).toMatchObject({ state: 'auth-failed', auth: 'failed', connections: 0, overFetched: 0 })
      // the saved state keeps the park: read back without connecting
      const again = await cli(args)
      expect(again.code, again.stderr).toBe(0)
      expect(lines(again.stdout).find((l) => l.relay === members.url)).toMatchObject({ state: 'auth-failed', until: m?.until })
    }, 60_000)

    it('with --secret-key-file the auth-only remote is authenticated and caught up; bad keys and modes are usage errors', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nip34-cli-status-'))
      const keyFile = join(dir, 'key')
      writeFileSync(keyFile, `${bytesToHex(secretKey('cli status operator'))}\n`)
      const args = ['status', '--own', OWN, '--store', store.url, '--bootstrap', boot.url, '--allow-relay', members.url]
      const r = await cli([...args, '--secret-key-file', keyFile, '--negentropy', 'off', '--sync', '30'])
      expect(r.code, r.stderr).toBe(0)
      expect(lines(r.stdout).find((l) => l.relay === members.url)).toMatchObject({ state: 'ok', auth: 'ok', caughtUp: true })
      expect(r.stdout + r.stderr).not.toContain(bytesToHex(secretKey('cli status operator')))
      const badKey = join(dir, 'bad')
      writeFileSync(badKey, 'not a key')
      const bad = await cli([...args, '--secret-key-file', badKey, '--sync', '1'])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('not a secret key')
      expect((await cli([...args, '--negentropy', 'sometimes', '--sync', '1'])).code).toBe(2)
      expect((await cli(['sync', '--own', OWN, '--store', store.url, '--negentropy', 'never'])).code).toBe(2)
    }, 60_000)
  })
})
