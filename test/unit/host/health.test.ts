/**
 * The executor's edge of relay health (src/host/auth.ts): which connection failures park a relay
 * (DNS, TLS, protocol, refused address) and which are left to the backoff; the operator's key
 * read once; the NIP-42 auth event it signs.
 */
import { describe, expect, it } from 'vitest'
import { verifyEvent } from 'nostr-tools/pure'
import { getPublicKey } from 'nostr-tools/pure'
import { challengeOf, classifyFailure, readSecretKey, signAuth } from '../../../src/host/auth.js'
import { Refused } from '../../../src/host/net.js'
import { option as O } from 'fp-ts'
import { engineRelay, step, syncEngine } from '../../../src/index.js'
import { secretKey } from '../../support/signing.js'

const err = (code: string, message: string): Error => Object.assign(new Error(message), { code })

describe('classifyFailure', () => {
  it.each([
    [err('ENOTFOUND', 'getaddrinfo ENOTFOUND relay.invalid'), 'dns'],
    [err('EAI_NONAME', 'getaddrinfo EAI_NONAME relay.example'), 'dns'],
    [err('CERT_HAS_EXPIRED', 'certificate has expired'), 'tls'],
    [err('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'tls'],
    [err('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), 'tls'],
    [new Error('Unexpected server response: 200'), 'protocol'],
    [new Error('Unexpected server response: 404'), 'protocol'],
    [new Error('Unexpected server response: 403'), 'protocol'],
    [new Error('Unexpected server response: 301'), 'protocol'],
    [new Error('Unexpected server response: 429'), 'rate-limited'],
    [err('WS_ERR_INVALID_OPCODE', 'Invalid WebSocket frame: invalid opcode 5'), 'protocol']
  ] as const)('%s → %s', (cause, kind) => {
    expect(classifyFailure('connection failed', cause)?.kind).toBe(kind)
  })

  it.each([
    [err('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')],
    [err('ECONNRESET', 'socket hang up')],
    [err('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:443')],
    ['connection timed out'],
    // transient: a relay restarting or overloaded behind a proxy, a request timeout, the resolver's "try again"
    [new Error('Unexpected server response: 503')],
    [new Error('Unexpected server response: 502')],
    [new Error('Unexpected server response: 504')],
    [new Error('Unexpected server response: 500')],
    [new Error('Unexpected server response: 408')],
    [err('EAI_AGAIN', 'getaddrinfo EAI_AGAIN relay.example')],
    [undefined]
  ])('%s: left to the backoff', (cause) => {
    expect(classifyFailure('connection failed', cause)).toBeUndefined()
  })

  it('a policy refusal is refused-address, with its reason', () => {
    const r = new Refused({ rule: 'private-address', reason: 'resolves to 10.0.0.1' } as never)
    expect(classifyFailure(r, undefined)).toEqual({ kind: 'refused-address', reason: 'resolves to 10.0.0.1' })
  })
})

describe('NIP-42', () => {
  it('reads a key from 32 bytes or 64 hex characters, nothing else', () => {
    const sk = secretKey('auth unit')
    const hex = Buffer.from(sk).toString('hex')
    expect(readSecretKey(sk)).toEqual(sk)
    expect(readSecretKey(hex)).toEqual(sk)
    for (const bad of [undefined, '', hex.slice(2), `${hex}00`, 'zz'.repeat(32), new Uint8Array(31), 42, {}]) expect(readSecretKey(bad)).toBeUndefined()
  })

  it('signs a valid kind 22242 event for the relay and the challenge', () => {
    const sk = secretKey('auth unit')
    const e = signAuth(sk, 'ws://127.0.0.1:7777', 'challenge-1')!
    expect(e.kind).toBe(22242)
    expect(e.pubkey).toBe(getPublicKey(sk))
    expect(e.tags).toEqual([['relay', 'ws://127.0.0.1:7777'], ['challenge', 'challenge-1']])
    expect(verifyEvent(e as never)).toBe(true)
    expect(JSON.stringify(e)).not.toContain(Buffer.from(sk).toString('hex'))
  })

  it('a challenge is a non-empty string of at most 1000 characters', () => {
    expect(challengeOf(['AUTH', 'abc'])).toBe('abc')
    for (const bad of [['AUTH'], ['AUTH', ''], ['AUTH', 5], ['AUTH', 'x'.repeat(1001)]]) expect(challengeOf(bad)).toBeUndefined()
  })
})

describe('a 429 on the upgrade cools the relay down (the engine maps the classified kind)', () => {
  it('Failed rate-limited: cooling (not naughty) until the cooldown ends, then the relay reopens', () => {
    const relay = 'wss://b.example'
    const opts = { retryDelay: 5, maxRetryDelay: 300, health: { cooldown: 60 } }
    let e = step({ _tag: 'Events', events: [], now: 1000 })(syncEngine({ ownRelays: ['wss://g.example'], bootstrapRelays: [relay] }, opts)).engine
    const failure = classifyFailure('connection failed', new Error('Unexpected server response: 429'))!
    expect(failure.kind).toBe('rate-limited')
    const r = step({ _tag: 'Failed', relay, socket: 0, kind: failure.kind, reason: failure.reason, now: 1001 })(e)
    expect(r.problems.map((p) => p.code)).toEqual(['health'])
    e = r.engine
    const h = O.toUndefined(engineRelay(relay)(e))!.health
    expect(h.state).toBe('cooling')
    expect(h.until).toBe(1061)
    expect(h.failures).toBe(1)
    // nothing opens while it cools down; the relay is opened again once the cooldown is over
    expect(step({ _tag: 'Tick', now: 1030 })(e).batches.filter((b) => b.relay === relay && b.connection === 'open')).toEqual([])
    expect(step({ _tag: 'Tick', now: 1062 })(e).batches.some((b) => b.relay === relay && b.connection === 'open')).toBe(true)
  })

  it('a dead or naughty relay stays parked after a 429', () => {
    const relay = 'wss://b.example'
    let e = step({ _tag: 'Events', events: [], now: 1000 })(syncEngine({ ownRelays: ['wss://g.example'], bootstrapRelays: [relay] })).engine
    e = step({ _tag: 'Failed', relay, socket: 0, kind: 'dns', reason: 'ENOTFOUND', now: 1001 })(e).engine
    e = step({ _tag: 'Failed', relay, socket: 0, kind: 'rate-limited', reason: 'Unexpected server response: 429', now: 1002 })(e).engine
    expect(O.toUndefined(engineRelay(relay)(e))!.health.state).toBe('naughty')
  })
})
