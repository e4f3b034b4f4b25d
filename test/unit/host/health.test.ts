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
import { secretKey } from '../../support/signing.js'

const err = (code: string, message: string): Error => Object.assign(new Error(message), { code })

describe('classifyFailure', () => {
  it.each([
    [err('ENOTFOUND', 'getaddrinfo ENOTFOUND relay.invalid'), 'dns'],
    [err('EAI_AGAIN', 'getaddrinfo EAI_AGAIN relay.example'), 'dns'],
    [err('CERT_HAS_EXPIRED', 'certificate has expired'), 'tls'],
    [err('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'tls'],
    [err('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), 'tls'],
    [new Error('Unexpected server response: 200'), 'protocol'],
    [err('WS_ERR_INVALID_OPCODE', 'Invalid WebSocket frame: invalid opcode 5'), 'protocol']
  ] as const)('%s → %s', (cause, kind) => {
    expect(classifyFailure('connection failed', cause)?.kind).toBe(kind)
  })

  it.each([
    [err('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')],
    [err('ECONNRESET', 'socket hang up')],
    [err('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:443')],
    ['connection timed out'],
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
