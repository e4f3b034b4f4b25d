/**
 * `nip34-sync plan` end to end: the command's own code (src/cli/run.ts) on real streams (files,
 * a piped stdin), and once through the built bin (dist/cli/main.js, as `npm test` builds it).
 */
import { describe, expect, it } from 'vitest'
import { PassThrough, Readable, Writable } from 'node:stream'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run } from '../../src/cli/run.js'
import { secretKey, pubkeyOf, sign, type TestEvent } from '../support/signing.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SAMPLE = ['examples/sample/events-1.jsonl', 'examples/sample/events-2.jsonl'].map((f) => join(ROOT, f))
const OWN = 'wss://grasp.example.com'
const NOW = '1800000000'

interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  readonly lines: ReadonlyArray<Record<string, unknown>>
}

const collect = (s: PassThrough): (() => string) => {
  const chunks: Array<Buffer> = []
  s.on('data', (c: Buffer) => chunks.push(c))
  return () => Buffer.concat(chunks).toString('utf8')
}

/** Runs the command in process; `stdin` is given as text (or a stream). */
const cli = async (argv: ReadonlyArray<string>, stdin: string | Readable = ''): Promise<Ran> => {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out = collect(stdout)
  const err = collect(stderr)
  const code = await run(argv, { stdin: typeof stdin === 'string' ? Readable.from([stdin]) : stdin, stdout, stderr })
  const text = out()
  return {
    code,
    stdout: text,
    stderr: err(),
    get lines() {
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    }
  }
}

const alice = secretKey('cli alice')
const bob = secretKey('cli bob')
const announce = (sk: Uint8Array, d: string, relays: ReadonlyArray<string>, at = 1_700_000_000): TestEvent =>
  sign(sk, 30617, at, [['d', d], ['relays', ...relays], ['clone', `https://grasp.example.com/${pubkeyOf(sk)}/${d}.git`]])
const issue = (sk: Uint8Array, repo: string, at = 1_700_000_100): TestEvent => sign(sk, 1621, at, [['a', repo]], 'an issue')
const ref = (sk: Uint8Array, d: string): string => `30617:${pubkeyOf(sk)}:${d}`
const jsonl = (events: ReadonlyArray<unknown>): string => events.map((e) => JSON.stringify(e)).join('\n') + '\n'

const crafted = [
  announce(alice, 'one', [OWN, 'wss://a.example.com']),
  announce(bob, 'two', [OWN, 'wss://b.example.com', 'wss://a.example.com']),
  issue(bob, ref(alice, 'one')),
  sign(alice, 30618, 1_700_000_050, [['d', 'one']]) // repository state: ignored, not rejected
]

describe('nip34-sync plan', () => {
  it('prints the sample actions as JSON lines, one engine step per file, exit 0', async () => {
    const r = await cli(['plan', '--own', 'wss://relay.ngit.dev', '--bootstrap', 'wss://relay.damus.io', '--now', '1765000000', ...SAMPLE])
    expect(r.code).toBe(0)
    const tags = r.lines.map((l) => `${String(l['_tag'])} ${String(l['relay'])}`)
    expect(tags.slice(0, 8).every((t) => t.startsWith('SpawnRelay '))).toBe(true)
    // the second file: an announcement update that drops wss://alice-relay.example.com and adds git.alice.example
    expect(tags.slice(8)).toEqual([
      'CloseRelay wss://alice-relay.example.com',
      'AddFilters wss://bob.example.net:4443',
      'SpawnRelay wss://git.alice.example',
      'RemoveFilters wss://nos.lol',
      'AddFilters wss://nos.lol',
      'AddFilters wss://relay.damus.io'
    ])
    expect(r.stderr).toContain('lines read: 19 (malformed: 0)')
    expect(r.stderr).toContain('events: 19 in 2 engine steps')
    expect(r.stderr).toContain('ignored: 4 (kind 30618 4)')
    expect(r.stderr).toContain('relays: 8 asked')
  })

  it('reads stdin (no FILE, or -) the same as a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nip34-cli-'))
    const file = join(dir, 'events.jsonl')
    writeFileSync(file, jsonl(crafted))
    const args = ['plan', '--own', OWN, '--now', NOW]
    const fromFile = await cli([...args, file])
    const fromStdin = await cli(args, jsonl(crafted))
    const fromDash = await cli([...args, '-'], jsonl(crafted))
    expect(fromFile.code).toBe(0)
    expect(fromFile.lines.length).toBe(2) // SpawnRelay a.example.com, b.example.com
    expect(fromStdin.stdout).toBe(fromFile.stdout)
    expect(fromDash.stdout).toBe(fromFile.stdout)
    const a = fromFile.lines.find((l) => l['relay'] === 'wss://a.example.com')
    expect(a?.['repos']).toEqual([ref(alice, 'one'), ref(bob, 'two')].sort())
    expect(a?.['rootEvents']).toEqual({ [ref(alice, 'one')]: [crafted[2]?.id] })
    expect(fromFile.stderr).toContain('ignored: 1 (kind 30618 1)')
  })

  it('a line past the cap (50 MB, no newline for 50 MB) is discarded as it streams, reported, and the next line is read', async () => {
    const mb = Buffer.alloc(1024 * 1024, 0x61)
    const rest = Buffer.from('\n' + jsonl(crafted))
    let held = 0
    async function* stream(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 50; i++) {
        held = Math.max(held, process.memoryUsage().arrayBuffers)
        yield mb
      }
      yield rest
    }
    const r = await cli(['plan', '--own', OWN, '--now', NOW], Readable.from(stream(), { objectMode: false }))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/<stdin>:1: malformed line skipped: line longer than 16777216 bytes/)
    expect(r.stderr).toContain(`lines read: ${crafted.length + 1} (malformed: 1)`)
    // the lines after it were used: the same plan as without the long line
    expect(r.lines.map((l) => l['relay'])).toEqual(['wss://a.example.com', 'wss://b.example.com'])
    // never more than the cap (16 MiB) and a chunk or two held as buffers (not the 50 MB line)
    expect(held).toBeLessThan(40 * 1024 * 1024)
  })

  it('reports a malformed line with its line number, skips it, and exits 1', async () => {
    const lines = jsonl(crafted).split('\n')
    lines.splice(1, 0, '{"kind": 30617, "tags": [') // line 2: not JSON
    lines.splice(3, 0, '42') // line 4: JSON, not an event
    lines.splice(4, 0, '') // line 5: blank, skipped silently
    const r = await cli(['plan', '--own', OWN, '--now', NOW], lines.join('\n'))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/<stdin>:2: malformed line skipped: not JSON/)
    expect(r.stderr).toMatch(/<stdin>:4: malformed line skipped: not an event \(a JSON number\)/)
    expect(r.stderr).not.toMatch(/<stdin>:5:/)
    expect(r.stderr).toContain('(malformed: 2)')
    // the other lines were used: the same plan as without the bad lines
    expect(r.lines.map((l) => l['relay'])).toEqual(['wss://a.example.com', 'wss://b.example.com'])
  })

  it('reports a rejected event with its line number and code, and exits 1', async () => {
    const forged = { ...announce(alice, 'forged', [OWN, 'wss://c.example.com']), content: 'changed after signing' }
    const r = await cli(['plan', '--own', OWN, '--now', NOW, '--batch', '2'], jsonl([...crafted, forged]))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/<stdin>:5: rejected \(invalid-(signature|event)\)/)
    expect(r.stderr).toMatch(/rejected: 1 events \(by code: invalid-(signature|event) 1\)/)
    expect(r.stderr).toContain('in 3 engine steps') // 5 events in batches of 2
    expect(r.lines.some((l) => l['relay'] === 'wss://c.example.com')).toBe(false)
  })

  it('accepts relay frames (["EVENT", id, event]) as nak and relays print them', async () => {
    const frames = crafted.map((e) => JSON.stringify(['EVENT', 'sub1', e])).join('\n')
    const r = await cli(['plan', '--own', OWN, '--now', NOW], frames)
    expect(r.code).toBe(0)
    expect(r.lines.map((l) => l['relay'])).toEqual(['wss://a.example.com', 'wss://b.example.com'])
  })

  it('--wire prints the REQ messages per relay connection, live and history', async () => {
    const r = await cli(['plan', '--own', OWN, '--now', NOW, '--wire'], jsonl(crafted))
    expect(r.code).toBe(0)
    expect(r.lines.length).toBeGreaterThan(0)
    for (const l of r.lines) {
      expect(Object.keys(l).sort()).toEqual(['message', 'relay', 'socket'])
      const m = l['message'] as Array<unknown>
      expect(m[0]).toBe('REQ')
      expect(typeof m[1]).toBe('string')
      expect(m.length).toBeGreaterThan(2)
    }
    const onA = r.lines.filter((l) => l['relay'] === 'wss://a.example.com').map((l) => (l['message'] as Array<string>)[1] ?? '')
    expect(onA.some((id) => id.startsWith('n34l'))).toBe(true)
    expect(onA.some((id) => id.startsWith('n34h'))).toBe(true)
    // the issue's id is asked of a.example.com (its repository lists it)
    expect(JSON.stringify(r.lines.filter((l) => l['relay'] === 'wss://a.example.com'))).toContain(crafted[2]?.id ?? 'x')
  })

  it('--wire shows the CLOSEs when a later batch drops a relay', async () => {
    const update = announce(alice, 'one', [OWN], 1_700_000_500) // alice drops a.example.com; bob still lists it
    const dropB = announce(bob, 'two', [OWN, 'wss://a.example.com'], 1_700_000_600) // bob drops b.example.com
    const dir = mkdtempSync(join(tmpdir(), 'nip34-cli-'))
    writeFileSync(join(dir, '1.jsonl'), jsonl(crafted))
    writeFileSync(join(dir, '2.jsonl'), jsonl([update, dropB]))
    const r = await cli(['plan', '--own', OWN, '--now', NOW, '--wire', join(dir, '1.jsonl'), join(dir, '2.jsonl')])
    expect(r.code).toBe(0)
    const closesOnB = r.lines.filter((l) => l['relay'] === 'wss://b.example.com' && (l['message'] as Array<string>)[0] === 'CLOSE')
    expect(closesOnB.length).toBeGreaterThan(0)
  })

  it('--explain RELAY says why the relay is asked for each repository and root', async () => {
    const r = await cli(['plan', '--own', OWN, '--now', NOW, '--explain', 'wss://a.example.com/'], jsonl(crafted))
    expect(r.code).toBe(0)
    const [head, ...rest] = r.lines
    expect(head).toMatchObject({ type: 'relay', relay: 'wss://a.example.com', asked: true, own: false, repos: 2 })
    const repos = rest.filter((l) => l['type'] === 'repo')
    expect(repos.map((l) => l['repo'])).toEqual([ref(alice, 'one'), ref(bob, 'two')].sort())
    const one = repos.find((l) => l['repo'] === ref(alice, 'one'))
    expect(one?.['rootEvents']).toEqual([crafted[2]?.id])
    expect((one?.['listedBy'] as Array<{ value: string }>)[0]?.value).toBe('wss://a.example.com')
  })

  it('--explain of the own relay says it is never asked', async () => {
    const r = await cli(['plan', '--own', OWN, '--now', NOW, '--explain', OWN], jsonl(crafted))
    expect(r.lines[0]).toMatchObject({ type: 'relay', asked: false, own: true })
  })

  it('--mode all syncs announcements that do not list the server', async () => {
    const stranger = announce(secretKey('cli carol'), 'three', ['wss://d.example.com'])
    const listed = await cli(['plan', '--own', OWN, '--now', NOW], jsonl([stranger]))
    const all = await cli(['plan', '--own', OWN, '--now', NOW, '--mode', 'all'], jsonl([stranger]))
    expect(listed.lines).toEqual([])
    expect(all.lines.map((l) => l['relay'])).toEqual(['wss://d.example.com'])
  })

  it('hands a paused stream over in batches as it arrives (streaming)', async () => {
    const stdin = new PassThrough()
    const running = cli(['plan', '--own', OWN, '--now', NOW], stdin)
    stdin.write(jsonl(crafted.slice(0, 1)))
    await new Promise((r) => setTimeout(r, 400)) // longer than the idle hand-over (200 ms)
    stdin.end(jsonl(crafted.slice(1)))
    const r = await running
    expect(r.stderr).toContain('events: 4 in 2 engine steps')
    expect(r.lines.map((l) => `${String(l['_tag'])} ${String(l['relay'])}`)).toEqual([
      'SpawnRelay wss://a.example.com',
      'AddFilters wss://a.example.com',
      'SpawnRelay wss://b.example.com'
    ])
  })

  it('a slow stdout slows the reading down and loses nothing (backpressure)', async () => {
    const events = Array.from({ length: 40 }, (_, i) => announce(secretKey(`cli slow ${i}`), `r${i}`, [OWN, `wss://s${i}.example.com`]))
    const args = ['plan', '--own', OWN, '--now', NOW, '--wire', '--batch', '3', '--quiet']
    const fast = await cli(args, jsonl(events))
    let text = ''
    let backedUp = 0
    const slow = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString('utf8')
        setTimeout(done, 2)
      }
    })
    const write = slow.write.bind(slow)
    slow.write = ((chunk: never, ...rest: Array<never>) => {
      const ok = write(chunk, ...rest)
      if (!ok) backedUp++
      return ok
    }) as typeof slow.write
    const code = await run(args, { stdin: Readable.from([jsonl(events)]), stdout: slow, stderr: new PassThrough() })
    expect(code).toBe(0)
    expect(backedUp).toBeGreaterThan(0)
    expect(text).toBe(fast.stdout)
  })

  it('usage errors exit 2 with usage; --help and --version exit 0', async () => {
    for (const argv of [[], ['nope'], ['plan'], ['plan', '--own', OWN, '--frobnicate'], ['plan', '--own', OWN, '--mode', 'some'], ['plan', '--own', 'https://not-a-relay'], ['plan', '--own', OWN, '--wire', '--explain', OWN], ['plan', '--own', OWN, '--batch', '0']]) {
      const r = await cli(argv)
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.stderr, argv.join(' ')).toContain('Usage:')
    }
    const help = await cli(['--help'])
    expect([help.code, help.stdout.startsWith('Usage:')]).toEqual([0, true])
    const planHelp = await cli(['plan', '--help'])
    expect(planHelp.code).toBe(0)
    const v = await cli(['--version'])
    expect(v.code).toBe(0)
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('an unreadable file exits 3', async () => {
    const r = await cli(['plan', '--own', OWN, join(tmpdir(), 'no-such-dir-nip34', 'x.jsonl')])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('cannot read')
  })

  it('the built bin (dist/cli/main.js) runs with its shebang, reads stdin, and sets the exit status', () => {
    const bin = join(ROOT, 'dist/cli/main.js')
    expect(existsSync(bin), 'dist/cli/main.js: run `npm run build` first (npm test does)').toBe(true)
    const ok = spawnSync(process.execPath, [bin, 'plan', '--own', OWN, '--now', NOW, '--quiet'], { input: jsonl(crafted), encoding: 'utf8' })
    expect(ok.status).toBe(0)
    expect(ok.stdout.trim().split('\n').length).toBe(2)
    expect(ok.stderr).toBe('')
    const bad = spawnSync(process.execPath, [bin, 'plan', '--own', OWN, '--quiet'], { input: 'nope\n', encoding: 'utf8' })
    expect(bad.status).toBe(1)
    expect(bad.stderr).toContain('<stdin>:1: malformed line skipped')
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
  })
})
