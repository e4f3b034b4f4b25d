/**
 * Verification backends (src/Verify.ts, src/internal/verify.ts): the JS path (nostr-tools/pure)
 * and the WASM path (nostr-tools/wasm over nostr-wasm) give the same verdicts and the same
 * reasons, on real events, tampered ones and random mutations; the decoder answers the same
 * either way; loading fails safe.
 */
import { afterAll, beforeAll, describe, expect, vi } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { getEventHash } from 'nostr-tools/pure'
import { decodeNip34Event, disableWasmVerification, enableWasmVerification, verificationBackend } from '../../../src/index.js'
import { verifies, type SignedEvent } from '../../../src/decode/verifyBackend.js'
import { secretKey, sign, type TestEvent } from '../../support/signing.js'
import { realEvents } from '../../support/fixtures.js'

type Ev = TestEvent

const real: ReadonlyArray<Ev> = realEvents()

const clone = (e: Ev): Ev => JSON.parse(JSON.stringify(e)) as Ev
const deepFreeze = <A>(a: A): A => {
  if (typeof a === 'object' && a !== null) {
    for (const v of Object.values(a)) deepFreeze(v)
    Object.freeze(a)
  }
  return a
}

/** Runs fn on each backend and returns both answers. */
const onBoth = async <A>(fn: () => A): Promise<{ js: A; wasm: A }> => {
  disableWasmVerification()
  const js = fn()
  expect(await enableWasmVerification()).toBe(true)
  const wasm = fn()
  disableWasmVerification()
  return { js, wasm }
}

/** Mutations an attacker or a broken relay could apply to a signed event. */
type Mutation = 'none' | 'content' | 'tag' | 'created_at' | 'kind' | 'sig' | 'pubkey' | 'id' | 're-hashed' | 'upper-case id'
const mutate = (e: Ev, m: Mutation, salt: number): Ev => {
  const c = clone(e)
  const flip = (h: string, i: number) => h.slice(0, i) + (h[i] === '0' ? '1' : '0') + h.slice(i + 1)
  switch (m) {
    case 'none':
      return c
    case 'content':
      return { ...c, content: c.content + String.fromCharCode(32 + (salt % 90)) }
    case 'tag':
      return { ...c, tags: [...c.tags, ['t', `x${salt}`]] }
    case 'created_at':
      return { ...c, created_at: c.created_at + 1 + (salt % 1000) }
    case 'kind':
      return { ...c, kind: c.kind === 1617 ? 1621 : 1617 }
    case 'sig':
      return { ...c, sig: flip(c.sig, salt % 128) }
    case 'pubkey':
      return { ...c, pubkey: flip(c.pubkey, salt % 64) }
    case 'id':
      return { ...c, id: flip(c.id, salt % 64) }
    case 're-hashed': {
      // content changed and the id recomputed: the id is the hash, the signature is not for it
      const changed = { ...c, content: `${c.content}!` }
      return { ...changed, id: getEventHash(changed) }
    }
    case 'upper-case id':
      return { ...c, id: c.id.toUpperCase() }
  }
}
/** Every mutation but 'none' breaks the id (the pubkey is hashed into it), except a changed sig
 * and a re-hashed event, whose id is the hash but whose signature is not for it. */
const expectedReason = (m: Mutation): string | undefined =>
  m === 'none' ? undefined : m === 'sig' || m === 're-hashed' ? 'the signature does not verify' : 'the id is not the hash of the event'

describe('verification backends', () => {
  beforeAll(async () => {
    expect(await enableWasmVerification()).toBe(true)
    disableWasmVerification()
  })
  afterAll(() => disableWasmVerification())

  test('nostr-wasm loads in Node; the backend reader follows enable/disable', async () => {
    disableWasmVerification()
    expect(verificationBackend()).toBe('js')
    const [a, b] = await Promise.all([enableWasmVerification(), enableWasmVerification()])
    expect([a, b]).toEqual([true, true])
    expect(verificationBackend()).toBe('wasm')
    disableWasmVerification()
    expect(verificationBackend()).toBe('js')
  })

  test('the real fixtures verify on both paths', async () => {
    expect(real.length).toBe(9)
    const { js, wasm } = await onBoth(() => real.map((e) => verifies(e)))
    expect(js).toEqual(real.map(() => undefined))
    expect(wasm).toEqual(js)
  })

  test('a tampered real event fails on both paths, for the same reason', async () => {
    const ev = real[0] as Ev
    for (const m of ['content', 'tag', 'sig', 'id', 're-hashed', 'upper-case id'] as const) {
      const bad = mutate(ev, m, 7)
      const { js, wasm } = await onBoth(() => verifies(bad))
      expect(js, m).toBe(expectedReason(m))
      expect(wasm, m).toBe(js)
    }
  })

  test('the decoder gives the same verdicts either way', async () => {
    const config = { ownRelays: ['wss://relay.ngit.dev'] }
    const inputs = real.flatMap((e, i) => [e, mutate(e, 'content', i), mutate(e, 'sig', i), mutate(e, 're-hashed', i)])
    const { js, wasm } = await onBoth(() => inputs.map((e, i) => decodeNip34Event(config)(clone(e), i)))
    expect(wasm).toEqual(js)
    // every real event the decoder reads (announcements, the patch; 30618 state events are
    // ignored before verification) is refused in its three tampered forms
    const read = real.filter((e) => decodeNip34Event(config)(clone(e)).event !== undefined).length
    expect(read).toBeGreaterThanOrEqual(5)
    const refused = js.filter((d) => d.rejected.some((r) => r.code === 'invalid-signature')).length
    expect(refused).toBe(3 * read)
  })

  test('verifies never mutates its argument (deep-frozen input, no verdict cached on it)', async () => {
    const ev = deepFreeze(clone(real[1] as Ev))
    const before = JSON.stringify(ev)
    const { js, wasm } = await onBoth(() => verifies(ev))
    expect([js, wasm]).toEqual([undefined, undefined])
    expect(JSON.stringify(ev)).toBe(before)
    expect(Object.getOwnPropertySymbols(ev)).toEqual([])
  })

  // Defect found while wiring nostr-wasm: its heap is a fixed 1 MiB, and an event whose
  // serialization does not fit made verifyEvent throw "Out of memory", which nostr-tools/wasm
  // reports as an invalid signature. Such events go to the JS path.
  test('an event larger than the WASM heap verifies on the WASM backend (routed to JS)', async () => {
    const sk = secretKey('big')
    const big = sign(sk, 1617, 1_700_000_000, [['t', 'root']], 'x'.repeat(1_200_000))
    const { js, wasm } = await onBoth(() => [verifies(big), verifies({ ...big, content: big.content + 'y' })])
    expect(js).toEqual([undefined, 'the id is not the hash of the event'])
    expect(wasm).toEqual(js)
  })

  const mutations: ReadonlyArray<Mutation> = ['none', 'content', 'tag', 'created_at', 'kind', 'sig', 'pubkey', 'id', 're-hashed', 'upper-case id']
  const sk = secretKey('verify-law')
  const arbEvent = fc.record({
    kind: fc.constantFrom(1617, 1618, 1621, 30617),
    created_at: fc.integer({ min: 0, max: 2 ** 31 }),
    tags: fc.array(fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { minLength: 1, maxLength: 3 }), { maxLength: 4 }),
    content: fc.string({ unit: 'binary', maxLength: 60 })
  })

  test.prop([arbEvent, fc.constantFrom(...mutations), fc.nat()], { numRuns: 60 })(
    'law: on random signed events and mutations, both paths give the expected verdict and reason',
    async (e, m, salt) => {
      const signed = sign(sk, e.kind, e.created_at, e.tags, e.content)
      const ev = mutate(signed, m, salt)
      const { js, wasm } = await onBoth(() => verifies(ev))
      expect(js).toBe(expectedReason(m))
      expect(wasm).toBe(js)
    }
  )

  test('the law reaches every mutation and every verdict (fc.statistics)', () => {
    const lines: Array<string> = []
    const arb = fc.tuple(arbEvent, fc.constantFrom(...mutations), fc.nat())
    fc.statistics(arb, ([, m]) => m, { numRuns: 1000, logger: (l) => lines.push(l) })
    fc.statistics(arb, ([, m]) => expectedReason(m) ?? 'valid', { numRuns: 1000, logger: (l) => lines.push(l) })
    const all = lines.join('\n').split('\n')
    const share = (label: string) => Number(/(\d+(?:\.\d+)?)%/.exec(all.find((l) => l.trimStart().startsWith(`${label} `) || l.trimStart().startsWith(`${label}.`)) ?? '')?.[1] ?? 0)
    for (const m of mutations) expect(share(m), m).toBeGreaterThan(5)
    expect(share('valid')).toBeGreaterThan(5)
    expect(share('the signature does not verify')).toBeGreaterThan(10)
    expect(share('the id is not the hash of the event')).toBeGreaterThan(50)
  })
})

describe('loading fails safe (fresh module state)', () => {
  const fresh = async () => {
    vi.resetModules()
    return import('../../../src/decode/verifyBackend.js')
  }

  test('a loader that rejects leaves the JS path and resolves false; a later load succeeds', async () => {
    const m = await fresh()
    expect(await m.loadWasm(() => Promise.reject(new Error('CSP: wasm-unsafe-eval')))).toBe(false)
    expect(m.currentBackend()).toBe('js')
    expect(m.verifies(real[0] as SignedEvent)).toBeUndefined()
    const ok = await m.loadWasm(async () => (await import('nostr-wasm')).initNostrWasm())
    expect(ok).toBe(true)
    expect(m.currentBackend()).toBe('wasm')
    m.useJs()
  })

  test('going back to JS while a load is pending keeps JS (the last call wins)', async () => {
    const m = await fresh()
    const pending = m.loadWasm(async () => (await import('nostr-wasm')).initNostrWasm())
    m.useJs()
    expect(await pending).toBe(false)
    expect(m.currentBackend()).toBe('js')
    expect(await m.loadWasm(async () => (await import('nostr-wasm')).initNostrWasm())).toBe(true)
    expect(m.currentBackend()).toBe('wasm')
    m.useJs()
  })

  test('a loader that throws synchronously, or yields a broken instance, resolves false', async () => {
    const m = await fresh()
    expect(
      await m.loadWasm(() => {
        throw new Error('no WebAssembly')
      })
    ).toBe(false)
    expect(await m.loadWasm(async () => ({}))).toBe(false)
    // accepts everything: fails the self-test, and is never handed to nostr-tools/wasm
    expect(await m.loadWasm(async () => ({ verifyEvent: () => undefined }))).toBe(false)
    expect(m.currentBackend()).toBe('js')
    const bad = mutate(real[0] as Ev, 'sig', 3)
    expect(m.verifies(bad)).toBe('the signature does not verify')
  })
})

describe('the cache of valid signatures never changes a verdict', () => {
  test('an event verified twice is valid twice; a copy with the same id, pubkey and sig but other content is refused after the cache hit', () => {
    const plain: SignedEvent = sign(secretKey('cache'), 1621, 1700000000, [['a', '30617:x:y']], 'cached')
    expect(verifies(plain)).toBeUndefined()
    expect(verifies(plain)).toBeUndefined()
    expect(verifies({ ...plain, content: 'forged under a cached signature' })).toBe('the id is not the hash of the event')
    expect(verifies({ ...plain, created_at: plain.created_at + 1 })).toBe('the id is not the hash of the event')
  })
})
