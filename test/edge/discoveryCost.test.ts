/**
 * Cost of kind 10317 discovery per `Events` batch (engine/discovery.ts): doubling series over the
 * number of maintainers N, counting work (maintainers, group members and relay authors visited),
 * not time. A batch that changes no group and no kept list of a maintainer costs nothing that
 * grows with N; a batch adding one maintainer costs at most linear in N (the relay's author
 * list is re-planned), never N² (it was: `had.includes` per author).
 */
import { describe, expect, it } from 'vitest'
import { step, syncEngine, type SyncEngine } from '../../src/index.js'
import { discoveryWork } from '../../src/engine/discovery.js'
import { BOOTSTRAP, OWN, finish } from '../support/arbitraries.js'
import { announce } from '../support/helpers.js'

const R = 'wss://r1.example'
const R2 = 'wss://r2.example'
const T0 = 1_700_000_000
const config = { ownRelays: [OWN], bootstrapRelays: [BOOTSTRAP], verify: false }
const pk = (i: number) => (i + 1).toString(16).padStart(64, 'c')
const list = (p: string, t: number, relays: ReadonlyArray<string>) => finish({ kind: 10317, pubkey: p, created_at: t, content: '', tags: relays.map((r) => ['g', r]) })
const SIZES = [250, 500, 1000, 2000]

const engineWith = (n: number): SyncEngine => {
  const events: Array<unknown> = []
  for (let i = 0; i < n; i++) events.push(announce('r' + i, [R], { pubkey: pk(i) }), list(pk(i), 10, [R2]))
  return step({ _tag: 'Events', events, now: T0 } as never)(syncEngine(config, { discovery: true })).engine
}

describe('discovery work per Events batch (doubling series over maintainers)', () => {
  it('a batch with no announcement and no maintainer list: work does not grow with N', () => {
    const per: Array<number> = []
    for (const n of SIZES) {
      let e = engineWith(n)
      // prime: the first batch after construction may compute everything once
      e = step({ _tag: 'Events', events: [list('e'.repeat(64), 19, [R2])], now: T0 + 1 } as never)(e).engine
      const before = discoveryWork.steps
      for (let k = 0; k < 5; k++) e = step({ _tag: 'Events', events: [list('e'.repeat(64), 20 + k, [R2])], now: T0 + 2 + k } as never)(e).engine
      per.push((discoveryWork.steps - before) / 5)
    }
    for (const w of per) expect(w).toBeLessThanOrEqual(2)
  })

  it('a batch adding one maintainer (announcement + list): work at most linear in N', () => {
    const per: Array<number> = []
    for (const n of SIZES) {
      let e = engineWith(n)
      e = step({ _tag: 'Events', events: [list('e'.repeat(64), 19, [R2])], now: T0 + 1 } as never)(e).engine
      const before = discoveryWork.steps
      for (let k = 0; k < 5; k++)
        e = step({ _tag: 'Events', events: [announce('x' + k, [R], { pubkey: pk(n + k) }), list(pk(n + k), 10, [R2])], now: T0 + 10 + k } as never)(e).engine
      per.push((discoveryWork.steps - before) / 5)
    }
    for (let i = 1; i < per.length; i++) expect(per[i]! / per[i - 1]!).toBeLessThan(2.2)
    expect(per[per.length - 1]! / SIZES[SIZES.length - 1]!).toBeLessThan(12)
  })
})
