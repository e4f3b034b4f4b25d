/**
 * Issue 9.5: `denyHosts` / `allowHosts` match an IPv4 address in every IPv6 spelling, in
 * `checkRelayUrl` and in `checkResolvedAddress`.
 */
import { describe, expect, it } from 'vitest'
import { either as E } from 'fp-ts'
import { checkRelayUrl, checkResolvedAddress } from '../../src/index.js'

const SPELLINGS = [
  '[::ffff:93.184.215.14]',
  '[::ffff:5db8:d70e]',
  '[::ffff:0:93.184.215.14]',
  '[64:ff9b::93.184.215.14]',
  '[64:ff9b::5db8:d70e]',
  '[2002:5db8:d70e::1]',
  '[2002:5db8:d70e:1234::abcd]',
  '[::93.184.215.14]'
]

const ruleOf = (r: E.Either<{ readonly rule: string }, unknown>): string | undefined => (E.isLeft(r) ? r.left.rule : undefined)

describe('issue 9.5: host rules match an IPv4 address in every IPv6 spelling', () => {
  const deny = { denyHosts: ['93.184.215.14'] }
  for (const host of SPELLINGS)
    it(`issue 9.5: denyHosts ['93.184.215.14'] refuses wss://${host}`, () => {
      // ::a.b.c.d (IPv4-compatible) is refused as reserved before the deny list matters; every
      // other spelling is public and passed before the fix
      const rule = ruleOf(checkRelayUrl(deny)(`wss://${host}`))
      expect(rule === 'denied-host' || (host === '[::93.184.215.14]' && rule === 'reserved')).toBe(true)
    })

  it('issue 9.5: without the deny entry these spellings are public (the test is not vacuous)', () => {
    for (const host of SPELLINGS.filter((h) => h !== '[::93.184.215.14]')) expect(E.isRight(checkRelayUrl()(`wss://${host}`))).toBe(true)
  })

  it('issue 9.5: an IPv6 spelling in denyHosts denies the IPv4 address and its other spellings', () => {
    const check = checkRelayUrl({ denyHosts: ['::ffff:93.184.215.14'] })
    expect(ruleOf(check('wss://93.184.215.14'))).toBe('denied-host')
    expect(ruleOf(check('wss://[64:ff9b::5db8:d70e]'))).toBe('denied-host')
    expect(E.isRight(check('wss://93.184.215.15'))).toBe(true)
  })

  it('issue 9.5: checkResolvedAddress refuses ::ffff:93.184.215.14 and the other spellings under denyHosts', () => {
    const check = checkResolvedAddress(deny)('wss://rebind.example.com')
    expect(ruleOf(check('93.184.215.14'))).toBe('denied-host')
    for (const a of ['::ffff:93.184.215.14', '::ffff:0:93.184.215.14', '64:ff9b::93.184.215.14', '2002:5db8:d70e::1', '[::ffff:5db8:d70e]'])
      expect(ruleOf(check(a))).toBe('denied-host')
    expect(E.isRight(check('93.184.215.15'))).toBe(true)
  })

  it('issue 9.5: allowHosts trusts the same address in every spelling (and no other)', () => {
    const check = checkRelayUrl({ allowHosts: ['10.0.0.7'] })
    expect(E.isRight(check('wss://[::ffff:10.0.0.7]'))).toBe(true)
    expect(E.isRight(check('wss://[64:ff9b::a00:7]'))).toBe(true)
    expect(ruleOf(check('wss://[::ffff:10.0.0.8]'))).toBe('private')
    const resolved = checkResolvedAddress({ allowHosts: ['10.0.0.7'] })('wss://10.0.0.7')
    expect(E.isRight(resolved('::ffff:10.0.0.1'))).toBe(true) // trusted relays may resolve anywhere
  })
})
