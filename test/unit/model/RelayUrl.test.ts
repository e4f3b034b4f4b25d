import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E } from 'fp-ts'
import { hostOf, relayUrl } from '../../../src/index.js'

const canon = (s: string) => (E.isRight(relayUrl(s)) ? (relayUrl(s) as E.Right<string>).right : undefined)

/** URLs built from the parts the WHATWG parser rewrites: dots, case, ports, escapes, unicode. */
const hostileUrl = fc
  .record({
    scheme: fc.constantFrom('ws', 'wss', 'WSS', 'Ws'),
    host: fc.oneof(fc.domain(), fc.constantFrom('127.1', '0x7f000001', '[::ffff:127.0.0.1]', 'bücher.example', 'xn--bcher-kva.example', 'R.COM')),
    dots: fc.constantFrom('', '.', '..', '...'),
    port: fc.constantFrom('', ':443', ':80', ':0443', ':8080'),
    path: fc.array(fc.constantFrom('a', 'é', '%7e', '%2e%2e', '..', '.', '', 'a b', '%2F', '€', 'x'.repeat(300)), { maxLength: 8 }),
    query: fc.constantFrom('', '?b=2&a=1', '?a=%7e', '?x= y', '?'),
    hash: fc.constantFrom('', '#f')
  })
  .map(({ scheme, host, dots, port, path, query, hash }) => `${scheme}://${host}${dots}${port}/${path.join('/')}${query}${hash}`)

describe('relayUrl', () => {
  it('one canonical form per relay: case, default port, trailing slash, trailing dot', () => {
    for (const s of ['wss://r.com', 'wss://r.com/', 'WSS://R.COM', 'wss://r.com:443', 'wss://r.com.', ' wss://r.com// ', 'wss://r.com#frag'])
      expect(canon(s)).toBe('wss://r.com')
    expect(canon('ws://r.com:80/')).toBe('ws://r.com')
  })

  it('ws and wss are different relays; non-default ports and paths are kept', () => {
    expect(canon('ws://r.com')).not.toBe(canon('wss://r.com'))
    expect(canon('wss://r.com:8443/')).toBe('wss://r.com:8443')
    expect(canon('wss://r.com:80')).toBe('wss://r.com:80')
    expect(canon('wss://r.com/Nostr//x/')).toBe('wss://r.com/Nostr/x')
    expect(canon('wss://r.com/?b=2&a=1')).toBe('wss://r.com?a=1&b=2')
  })

  it('IPv6 and international names', () => {
    expect(canon('wss://[2606:4700::1]:443/')).toBe('wss://[2606:4700::1]')
    expect(canon('wss://bücher.example')).toBe('wss://xn--bcher-kva.example')
  })

  it('refuses other schemes, user info, empty and non-URLs, with a reason', () => {
    for (const s of ['https://r.com', 'http://r.com', 'git@github.com:x/y.git', '', '   ', 'r.com', 'wss://user:pw@r.com', 'wss://', 'x'.repeat(3000)]) {
      const r = relayUrl(s)
      expect(E.isLeft(r)).toBe(true)
      if (E.isLeft(r)) expect(r.left.reason.length).toBeGreaterThan(0)
    }
  })

  test.prop([fc.webUrl({ validSchemes: ['ws', 'wss'] })], { numRuns: 1000 })('canonicalisation is idempotent', (u) => {
    const once = relayUrl(u)
    if (E.isRight(once)) expect(relayUrl(once.right)).toEqual(once)
  })

  test.prop([hostileUrl], { numRuns: 2000 })('canonicalisation is idempotent and bounded on hostile spellings', (u) => {
    const once = relayUrl(u)
    if (E.isRight(once)) {
      expect(relayUrl(once.right)).toEqual(once)
      expect(once.right.length).toBeLessThanOrEqual(2048)
    }
  })

  test.prop([fc.domain(), fc.constantFrom('', '/', ':443', ':443/', '//'), fc.boolean()], { numRuns: 1000 })(
    'spellings of one wss relay share one canonical form',
    (domain, suffix, upper) => {
      const spelled = `${upper ? 'WSS' : 'wss'}://${upper ? domain.toUpperCase() : domain}${suffix}`
      expect(canon(spelled)).toBe(canon(`wss://${domain}`))
    }
  )

  test.prop([fc.anything()], { numRuns: 1000 })('never throws', (u) => {
    expect(() => relayUrl(u as string)).not.toThrow()
    expect(() => hostOf(u as string)).not.toThrow()
  })
})

describe('hostOf', () => {
  it('normalises and never matches substrings', () => {
    expect(hostOf('https://Grasp.Example.com./npub/x.git')).toBe('grasp.example.com')
    expect(hostOf('https://grasp.example.com.evil.net/x')).toBe('grasp.example.com.evil.net')
    expect(hostOf('wss://grasp.example.com:7777')).toBe('grasp.example.com')
    expect(hostOf('git@github.com:x/y.git')).toBe(undefined)
  })
})
