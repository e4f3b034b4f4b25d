/**
 * docs/wire.md: the host loop in the documentation runs as written.
 */
import ts from 'typescript'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { T0 } from './helpers.js'

describe('docs/wire.md: the host loop', () => {
  // The sketch is extracted, type-checked with the repository's compiler options, and run.
  const root = fileURLToPath(new URL('../../../..', import.meta.url))
  const md = readFileSync(join(root, 'docs/wire.md'), 'utf8')
  const code = /```ts\n(import \{ limitsFromRelayInfo[\s\S]*?)```/.exec(md)?.[1] ?? ''
  const dir = mkdtempSync(join(tmpdir(), 'nip34-host-'))
  const file = join(dir, 'host.mts')
  writeFileSync(
    file,
    code
      .replace("from 'nip34-sync'", `from '${join(root, 'src/index.ts')}'`)
      .replace("from 'fp-ts'", `from '${join(root, 'node_modules/fp-ts/lib/index.js')}'`)
  )

  it('type-checks under the strict settings', () => {
    expect(code).toContain('createHost')
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      noUnusedLocals: true,
      noUnusedParameters: true,
      verbatimModuleSyntax: true,
      allowImportingTsExtensions: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node']
    }
    const program = ts.createProgram([file], options)
    const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    expect(errors).toEqual([])
  }, 60_000)

  it('runs: history is paged and closed, a CLOSED is retried under a new id after the backoff, new limits re-plan', async () => {
    type Host = Record<string, (...a: Array<unknown>) => unknown>
    const mod = (await import(file)) as { createHost: (...a: Array<unknown>) => Host }
    const sent: Array<[string, number, Array<unknown>]> = []
    let clock = T0
    const R1 = 'wss://boot.example'
    const h = mod.createHost({ ownRelays: ['wss://own.example'], bootstrapRelays: [R1] }, {
      send: (r: string, socket: number, frame: string) => sent.push([r, socket, JSON.parse(frame) as Array<unknown>]),
      disconnect: () => undefined,
      log: () => undefined
    }, () => clock)
    h['start']?.()
    const reqs = () => sent.filter(([r, , m]) => r === R1 && m[0] === 'REQ').map(([, , m]) => m[1] as string)
    const [live, history] = reqs()
    expect(live?.startsWith('n34l')).toBe(true)
    expect(history?.startsWith('n34h')).toBe(true)
    h['onEose']?.(R1, 0, live)
    // a full page of announcements: the history pages on under the same id with `until`
    const page = Array.from({ length: 500 }, (_, i) => ({ id: (i + 1).toString(16).padStart(64, '0'), pubkey: 'p', kind: 30617, created_at: 1000 + i, tags: [], content: '', sig: '' }))
    h['onEvents']?.(R1, 0, history, page)
    h['onEose']?.(R1, 0, history)
    expect(sent.at(-1)?.[2]).toEqual(['REQ', history, { kinds: [30617, 10317], until: 1000, limit: 500 }])
    h['onEose']?.(R1, 0, history)
    expect(sent.at(-1)?.[2]).toEqual(['CLOSE', history])
    const before = reqs().length
    h['tick']?.()
    expect(reqs().length).toBe(before)
    h['onClosed']?.(R1, 0, live, 'error: restarting')
    h['tick']?.()
    expect(reqs().length).toBe(before) // backing off
    clock += 60
    h['tick']?.()
    const retried = reqs().slice(before)
    expect(retried).toHaveLength(1)
    expect(retried[0]).not.toBe(live)
    h['onRelayInfo']?.(R1, { limitation: { max_subid_length: 16 } })
    expect(sent.at(-1)?.[2]?.[0]).toBe('REQ')
  })
})
