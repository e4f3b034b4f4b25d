/**
 * classifyHost: what a host is and which special block it falls in.
 */
import { describe, expect, it } from 'vitest'
import { classifyHost, policyRules, specialRanges } from '../../../../src/config/RelayPolicy.js'
import { verdict, dotted } from './helpers.js'

describe('classifyHost', () => {
  it('reads raw IPv4 spellings itself, and agrees with the WHATWG parser', () => {
    for (const h of ['127.1', '0x7f000001', '2130706433', '0177.0.0.1', '0x7F.0.0.1', '127.0.0.1.', '127.0.0.1..']) {
      expect([h, classifyHost(h)]).toEqual([h, expect.objectContaining({ kind: 'ipv4', host: '127.0.0.1' })])
    }
    expect(new URL('wss://0x7f000001').hostname).toBe('127.0.0.1')
    expect(new URL('wss://0177.0.0.1').hostname).toBe('127.0.0.1')
  })

  it('IPv6 with and without brackets, with the IPv4 address it carries', () => {
    expect(classifyHost('[::ffff:127.0.0.1]')).toEqual({
      kind: 'ipv6',
      host: '[::ffff:7f00:1]',
      embeds: { embedding: 'ipv4-mapped', ipv4: '127.0.0.1' },
      range: expect.objectContaining({ rule: 'loopback', block: '127.0.0.0/8' })
    })
    expect(classifyHost('::1')).toEqual(expect.objectContaining({ kind: 'ipv6', host: '[::1]', range: expect.objectContaining({ rule: 'loopback' }) }))
    expect(classifyHost('[64:ff9b::8.8.8.8]')).toEqual({ kind: 'ipv6', host: '[64:ff9b::808:808]', embeds: { embedding: 'nat64', ipv4: '8.8.8.8' } })
    expect(classifyHost('[2606:4700::1]')).toEqual({ kind: 'ipv6', host: '[2606:4700::1]' })
  })

  it('names: normalised, public unless special', () => {
    expect(classifyHost('Relay.Damus.IO.')).toEqual({ kind: 'name', host: 'relay.damus.io' })
    expect(classifyHost('bücher.example')).toEqual({ kind: 'name', host: 'xn--bcher-kva.example' })
    expect(classifyHost('svc.internal').range?.rule).toBe('local-name')
    expect(classifyHost('x.onion').range?.rule).toBe('onion')
  })

  it('anything that is not a host is invalid, with a reason', () => {
    for (const h of ['', 'a/b', 'relay.damus.io:443', '[::1]:443', 'a b', 'user@host', '[fe80::1%eth0]', '256.1.1.1', '1.2.3.4.5', '.']) {
      const c = classifyHost(h)
      expect([h, c.kind]).toEqual([h, 'invalid'])
      if (c.kind === 'invalid') expect(c.reason.length).toBeGreaterThan(0)
    }
  })

  it('specialRanges: every block has a rule and an RFC, and its first and last IPv4 address are refused by that rule', () => {
    expect(specialRanges.length).toBeGreaterThan(30)
    for (const r of specialRanges) {
      expect(policyRules).toContain(r.rule)
      expect(r.rfc.length).toBeGreaterThan(0)
    }
    for (const r of specialRanges.filter((x) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(x.block))) {
      const [ip = '', bits = '32'] = r.block.split('/')
      const first = ip.split('.').reduce((acc, b) => acc * 256 + Number(b), 0)
      const last = first + 2 ** (32 - Number(bits)) - 1
      expect([r.block, verdict(`wss://${dotted(first)}`), verdict(`wss://${dotted(last)}`)]).toEqual([r.block, r.rule, r.rule])
    }
  })
})
