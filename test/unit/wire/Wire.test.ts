/**
 * Wire plans: subscriptions with stable, content-derived ids; the messages for each kind of
 * action; folding when the subscription budget runs out; problems reported, never thrown.
 */
import { describe, expect, it } from 'vitest'
import { function as F, option as O } from 'fp-ts'
import { applyActions, diff, type RelayAction } from '../../../src/relays/RelayAction.js'
import { emptyRelayIndex, fromRelayTargets } from '../../../src/relays/RelayIndex.js'
import type { FilterTarget } from '../../../src/wire/Filters.js'
import {
  addedTarget,
  changeMessages,
  checkMessage,
  historySubscriptions,
  messageBytes,
  planActions,
  planMessages,
  planRelay,
  planTarget
} from '../../../src/wire/Wire.js'
import { sha256Hex } from '../../../src/util/hash.js'
import { asOpen, covers, event, pk, replay, rootId, wanted, trap } from '../../support/wire.arbitraries.js'

const R = 'wss://r.example'
const ref = (i: number, d = 'repo') => `30617:${pk(i)}:${d}`
const target = (repos: ReadonlyArray<string>, roots: Record<string, ReadonlyArray<string>> = {}): FilterTarget => ({ relay: R, repos, rootEvents: roots })
const index = (repos: ReadonlyArray<string>, roots: Record<string, ReadonlyArray<string>> = {}) => fromRelayTargets([target(repos, roots)] as never)
const kinds = (ms: ReadonlyArray<readonly [string, ...Array<unknown>]>) => ms.map((m) => m[0])

describe('plans', () => {
  it('discovery comes first, in a subscription of its own that never changes', () => {
    const small = planTarget()(target([]))
    const large = planTarget()(target([ref(1), ref(2)], { [ref(1)]: [rootId(1)] }))
    expect(small.subscriptions).toHaveLength(1)
    expect(small.subscriptions[0]).toEqual(large.subscriptions[0])
    expect(small.subscriptions[0]?.slot).toBe('discovery')
  })

  it('ids are content-derived: the same target gives the same ids, in any order of its values', () => {
    const a = planTarget()(target([ref(1), ref(2), ref(3)], { [ref(1)]: [rootId(2), rootId(1)] }))
    const b = planTarget()(target([ref(3), ref(1), ref(2)], { [ref(1)]: [rootId(1), rootId(2)] }))
    expect(b).toEqual(a)
    for (const s of a.subscriptions) {
      expect(s.id).toMatch(/^n34l[0-9a-f]{24}$/)
    }
  })

  it('ids fit a short max_subid_length', () => {
    const plan = planTarget({ maxSubIdLength: 12 })(target([ref(1)]))
    for (const s of plan.subscriptions) expect(s.id).toHaveLength(12)
  })

  it('a slot keeps its id when its content changes, so a REQ replaces it', () => {
    const before = planTarget()(target([ref(1)]))
    const after = planTarget()(target([ref(1), ref(2)]))
    expect(after.subscriptions.map((s) => s.id)).toEqual(before.subscriptions.map((s) => s.id))
    expect(changeMessages(before.subscriptions, after.subscriptions)).toEqual([['REQ', after.subscriptions[1]!.id, ...after.subscriptions[1]!.filters]])
  })

  it('a slot that outgrows one REQ splits: the old id is closed, the halves are opened', () => {
    const limits = { maxFiltersPerReq: 8 }
    const repos = Array.from({ length: 6 }, (_, i) => ref(i))
    const before = planTarget(limits)(target(repos.slice(0, 1)))
    const after = planTarget(limits)(target(repos))
    expect(after.subscriptions.length).toBeGreaterThan(2)
    const messages = changeMessages(before.subscriptions, after.subscriptions)
    expect(messages[0]).toEqual(['CLOSE', before.subscriptions[1]!.id])
    expect(kinds(messages).slice(1).every((k) => k === 'REQ')).toBe(true)
    expect(replay(messages, asOpen(before.subscriptions))).toEqual(asOpen(after.subscriptions))
  })
})

describe('messages for each action', () => {
  const base = [ref(1), ref(2)]

  it('SpawnRelay: open the connection and send every subscription', () => {
    const desired = index(base, { [ref(1)]: [rootId(1)] })
    const [batch] = F.pipe(emptyRelayIndex, planActions(F.pipe(emptyRelayIndex, diff(desired))))
    expect(batch?.connection).toBe('open')
    expect(batch?.messages).toEqual(planMessages(F.pipe(desired, planRelay(R))))
    expect(batch?.awaiting).toEqual(batch?.plan.subscriptions.map((s) => s.id))
  })

  it('AddFilters: only the subscriptions that change are sent; discovery is never re-sent', () => {
    const applied = index(base)
    const desired = index([...base, ref(3)])
    const actions = F.pipe(applied, diff(desired))
    expect(actions.map((a) => a._tag)).toEqual(['AddFilters'])
    const [batch] = F.pipe(applied, planActions(actions))
    expect(batch?.connection).toBe('keep')
    expect(kinds(batch!.messages)).toEqual(['REQ'])
    const discovery = F.pipe(applied, planRelay(R)).subscriptions[0]!.id
    expect(batch!.messages.some((m) => m[1] === discovery)).toBe(false)
  })

  it('RemoveFilters: the affected subscription is replaced without the removed values', () => {
    const applied = index(base, { [ref(1)]: [rootId(1), rootId(2)] })
    const desired = index(base, { [ref(1)]: [rootId(1)] })
    const [batch] = F.pipe(applied, planActions(F.pipe(applied, diff(desired))))
    expect(kinds(batch!.messages)).toEqual(['REQ'])
    expect(JSON.stringify(batch!.messages)).not.toContain(rootId(2))
  })

  it('RemoveFilters of everything: the slot subscription is closed, discovery stays', () => {
    const applied = index(base)
    const desired = index([])
    const before = F.pipe(applied, planRelay(R))
    const [batch] = F.pipe(applied, planActions(F.pipe(applied, diff(desired))))
    expect(batch?.messages).toEqual([['CLOSE', before.subscriptions[1]!.id]])
    expect(batch?.awaiting).toEqual([])
    expect(batch?.plan.subscriptions.map((s) => s.id)).toEqual([before.subscriptions[0]!.id])
  })

  it('CloseRelay: every subscription is closed and the connection goes', () => {
    const applied = index(base, { [ref(1)]: [rootId(1)] })
    const [batch] = F.pipe(applied, planActions([{ _tag: 'CloseRelay', relay: R }]))
    expect(batch?.connection).toBe('close')
    expect(batch?.messages).toEqual(
      F.pipe(applied, planRelay(R))
        .subscriptions.map((s) => ['CLOSE', s.id])
        .sort((a, b) => (a[1]! < b[1]! ? -1 : 1))
    )
    expect(batch?.plan.subscriptions).toEqual([])
  })

  it('non-actions are skipped; no actions, no batches', () => {
    expect(F.pipe(emptyRelayIndex, planActions([]))).toEqual([])
    expect(F.pipe(emptyRelayIndex, planActions([42, { _tag: 'X' }] as unknown as ReadonlyArray<RelayAction>))).toEqual([])
  })

  it('limits can differ per relay', () => {
    const desired = index(Array.from({ length: 30 }, (_, i) => ref(i)))
    const actions = F.pipe(emptyRelayIndex, diff(desired))
    const [tight] = F.pipe(emptyRelayIndex, planActions(actions, () => ({ maxFiltersPerReq: 4, maxSubscriptions: 1000 })))
    const [loose] = F.pipe(emptyRelayIndex, planActions(actions, { maxFiltersPerReq: 200, maxMessageBytes: 1_000_000 }))
    expect(tight!.messages.length).toBeGreaterThan(loose!.messages.length)
    for (const m of tight!.messages) expect(checkMessage({ maxFiltersPerReq: 4 })(m)).toEqual([])
  })
})

describe('folding and the budget', () => {
  const repos = Array.from({ length: 60 }, (_, i) => ref(i, `r${i}`))
  const t = target(repos)

  it('without a budget problem the trie slots are kept as they are', () => {
    const plan = planTarget({ maxFiltersPerReq: 10, maxSubscriptions: 1000 })(t)
    expect(plan.folded).toBe(0)
    expect(plan.overBudget).toBe(0)
  })

  it('when the slots outnumber the budget, neighbours are merged until the count fits; nothing is dropped', () => {
    const roomy = planTarget({ maxFiltersPerReq: 6, maxSubscriptions: 1000 })(t)
    const limits = { maxFiltersPerReq: 6, maxSubscriptions: roomy.subscriptions.length - 3, reservedSubscriptions: 1 }
    const folded = planTarget(limits)(t)
    expect(folded.folded).toBeGreaterThanOrEqual(4)
    expect(folded.overBudget).toBe(0)
    expect(folded.subscriptions.length).toBeLessThanOrEqual(limits.maxSubscriptions)
    expect(folded.subscriptions.some((s) => s.slot.startsWith('f:'))).toBe(true)
    for (const m of planMessages(folded)) expect(checkMessage(limits)(m)).toEqual([])
    const filters = folded.subscriptions.flatMap((s) => s.filters)
    for (const r of repos) expect(covers(filters, event(1617, [['a', r]]))).toBe(true)
  })

  it('when even folding cannot fit the budget, the budget is kept and the excess is in overflow, reported', () => {
    const plan = planTarget({ maxFiltersPerReq: 4, maxSubscriptions: 4, reservedSubscriptions: 1 })(t)
    expect(plan.subscriptions).toHaveLength(3)
    expect(plan.overBudget).toBe(plan.overflow.length)
    expect(plan.overBudget).toBeGreaterThan(0)
    expect(plan.problems.map((p) => p.code)).toEqual(['over-budget'])
    // only the budget is ever sent
    expect(planMessages(plan)).toHaveLength(3)
    const filters = [...plan.subscriptions, ...plan.overflow].flatMap((s) => s.filters)
    for (const r of repos) {
      const e = event(1617, [['a', r]])
      expect(covers(filters, e)).toBe(wanted(t, e))
    }
  })

  it('folding is stable: a slot that splits under a tight budget changes only its fold group, whose id stays (review 2 #1)', () => {
    const limits = { maxSubscriptions: 4, reservedSubscriptions: 1, maxValuesPerList: 5, maxFiltersPerReq: 6 }
    const repo = `30617:${sha256Hex('pk')}:repo` // the reviewer's case: one repository, 8 roots, then a 9th
    const roots = (n: number) => ({ [repo]: Array.from({ length: n }, (_, i) => rootId(i)) })
    const before = F.pipe(index([repo], roots(8)), planRelay(R, limits))
    const after = index([repo], roots(9))
    const [batch] = F.pipe(index([repo], roots(8)), planActions(F.pipe(index([repo], roots(8)), diff(after)), limits))
    expect(before.folded).toBeGreaterThan(0)
    // was 3 CLOSE + 3 REQ: now the split slot closes, its halves go to the fold group (same id) and a new slot
    expect(kinds(batch!.messages)).toEqual(['CLOSE', 'REQ', 'REQ'])
    const group = before.subscriptions.find((s) => s.slot.startsWith('f:'))
    expect(batch!.messages.filter((m) => m[0] === 'REQ').map((m) => m[1])).toContain(group?.id)
    expect(batch!.messages.filter((m) => m[0] === 'CLOSE').map((m) => m[1])).not.toContain(group?.id)
  })

  it('RemoveFilters that merges two slots: the merge is the inverse of a split, and touches only the merged node (review 2 #8)', () => {
    // A plan is a function of its target, so removing a root undoes the split that adding it made:
    // the sibling slot's content moves into the merged slot. Nothing outside that node changes.
    const limits = { maxValuesPerList: 5, maxFiltersPerReq: 6 }
    const ids = Array.from({ length: 14 }, (_, i) => rootId(i))
    const before = planTarget(limits)(target([ref(0)], { [ref(0)]: ids }))
    const after = planTarget(limits)(target([ref(0)], { [ref(0)]: ids.filter((_, i) => i !== 1) }))
    const kept = asOpen(after.subscriptions)
    const touched = before.subscriptions.filter((s) => kept.get(s.id) !== JSON.stringify(s.filters)).map((s) => s.slot)
    const merged = after.subscriptions.filter((s) => !asOpen(before.subscriptions).has(s.id)).map((s) => s.slot.slice(2))
    for (const slot of touched) expect(merged.some((m) => slot.slice(2).startsWith(m))).toBe(true)
    // and adding it back splits exactly that node again
    expect(changeMessages(after.subscriptions, before.subscriptions).filter((m) => m[0] === 'CLOSE').length).toBeLessThanOrEqual(1)
  })

  it('a single repository needing more filters than one REQ allows is spread over several subscriptions', () => {
    const plan = planTarget({ maxFiltersPerReq: 1, maxSubscriptions: 100 })(target([ref(1)], { [ref(1)]: [rootId(1)] }))
    // discovery; the repository's state, #a, #A, #q; the root's #e, #E, #q: one filter each
    expect(plan.subscriptions.map((s) => s.filters.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1])
    expect(new Set(plan.subscriptions.map((s) => s.slot.replace(/\.\d+$/, ''))).size).toBe(3)
  })
})

describe('problems are reported, never thrown', () => {
  it('invalid addresses and ids are left out and reported', () => {
    const plan = planTarget()({ relay: R, repos: ['not a ref', ref(1)], rootEvents: { [ref(1)]: ['xyz', rootId(1)] } })
    expect(plan.problems.map((p) => p.code)).toEqual(['invalid-repo', 'invalid-root-id'])
    expect(JSON.stringify(plan.subscriptions)).not.toContain('not a ref')
    expect(JSON.stringify(plan.subscriptions)).toContain(rootId(1))
  })

  it('a value too long for one message is left out and reported', () => {
    const huge = ref(1, 'x'.repeat(2000))
    const plan = planTarget({ maxMessageBytes: 1024 })(target([huge, ref(2)]))
    expect(plan.problems).toEqual([{ code: 'oversized-value', message: 'too long for a 1024-byte message; left out', value: `${huge.slice(0, 200)}…` }])
    for (const m of planMessages(plan)) expect(messageBytes(m)).toBeLessThanOrEqual(1024)
  })

  it('malformed targets give a plan', () => {
    const plan = planTarget()({ relay: R, repos: 'nope', rootEvents: null } as unknown as FilterTarget)
    expect(plan.subscriptions).toHaveLength(1)
  })
})

describe('checkMessage', () => {
  it('names every limit a message breaks', () => {
    const f = { '#a': ['1', '2', '3'], '#e': ['x'], '#p': ['y'], '#t': ['z'] }
    expect(checkMessage({ maxValuesPerList: 2, maxTagKeysPerFilter: 3, maxSubIdLength: 12 })(['REQ', 'x'.repeat(13), f])).toEqual([
      'id of 13 characters, above maxSubIdLength 12',
      'filter 0: 4 tag keys, above maxTagKeysPerFilter 3',
      'filter 0: #a has 3 values, above maxValuesPerList 2'
    ])
    expect(checkMessage({ maxMessageBytes: 256 })(['REQ', 'x', { '#a': ['y'.repeat(300)] }])[0]).toMatch(/above maxMessageBytes 256/)
  })
})

describe('history', () => {
  it('history subscriptions use the live slots with since and a page limit, in their own id space', () => {
    const t = target([ref(1)], { [ref(1)]: [rootId(1)] })
    const live = planTarget()(t)
    const history = historySubscriptions(1_700_000_000, { limits: { maxLimit: 300 } })(t)
    expect(history.map((s) => s.slot)).toEqual(live.subscriptions.slice(1).map((s) => s.slot))
    for (const s of history) {
      expect(s.id.startsWith('n34h')).toBe(true)
      for (const f of s.filters) expect(f).toMatchObject({ since: 1_700_000_000, limit: 300 })
    }
    const other = historySubscriptions(1_600_000_000)(t)
    expect(other[0]?.id).not.toBe(history[0]?.id)
  })

  it('addedTarget gives what SpawnRelay and AddFilters add, to ask for its history', () => {
    const add: RelayAction = { _tag: 'AddFilters', relay: R, repos: [ref(1)], rootEvents: {} }
    expect(addedTarget(add)).toEqual(O.some({ relay: R, repos: [ref(1)], rootEvents: {} }))
    expect(addedTarget({ _tag: 'RemoveFilters', relay: R, repos: [ref(1)], rootEvents: {} })).toEqual(O.none)
    const applied = applyActions([add])(emptyRelayIndex)
    expect(F.pipe(applied, planRelay(R)).subscriptions).toHaveLength(2)
  })
})

describe('totality: bad input gives an empty plan, or the parts that are usable', () => {
  const empty = { relay: '', subscriptions: [], overflow: [], budget: 18, folded: 0, overBudget: 0, problems: [] }

  it('a target that is not an object, or a relay that is not a string, gives the empty plan', () => {
    for (const bad of [null, undefined, 42, 'x', [target([ref(1)])]]) expect(planTarget()(bad as never)).toEqual(empty)
    expect(F.pipe(index([ref(1)]), planRelay(trap() as never))).toEqual(empty)
    expect(F.pipe(null as never, planRelay(R)).subscriptions).toEqual([])
    expect(historySubscriptions(1, null as never)(null as never)).toEqual([])
  })

  it('values that cannot be asked for are described without calling their toString', () => {
    const plan = planTarget()({ relay: R, repos: [trap(), 42], rootEvents: { [ref(1)]: [trap()] } } as never)
    expect(plan.problems.map((p) => [p.code, p.value])).toEqual([
      ['invalid-repo', 'an object'],
      ['invalid-repo', '42'],
      ['invalid-root-id', 'an object']
    ])
    expect(plan.subscriptions).toHaveLength(1)
  })

  it('history: a since that is not a number counts as none, options that are not an object as {}', () => {
    const t = target([ref(1)])
    expect(historySubscriptions(trap() as never, trap() as never)(t)).toEqual(historySubscriptions(undefined)(t))
    expect(historySubscriptions(Number.NaN, { discovery: 'yes' } as never)(t)).toEqual(historySubscriptions(0)(t))
  })

  it('messages: values that are not plans, subscriptions or messages are skipped or reported', () => {
    expect(planMessages(null as never)).toEqual([])
    expect(planMessages({ subscriptions: [null, trap(), { id: 'x', filters: [] }, { id: 1, filters: [] }] } as never)).toEqual([['REQ', 'x']])
    const a = { id: 'a', slot: 's', filters: [{ '#e': [rootId(1)] }] }
    expect(changeMessages(null as never, [a, trap()] as never)).toEqual([['REQ', 'a', ...a.filters]])
    expect(changeMessages([a, 42] as never, 'x' as never)).toEqual([['CLOSE', 'a']])
    expect(F.pipe(trap() as never, planActions(trap() as never, trap() as never))).toEqual([])
    expect(messageBytes(undefined as never)).toBe(0)
    expect(messageBytes(['REQ', 'x', { limit: 1n }] as never)).toBe(0)
    expect(checkMessage()(null as never)).toEqual(['not a REQ or CLOSE message'])
    expect(checkMessage(trap() as never)(['REQ', 5, null, trap()] as never)).toEqual([
      'the subscription id is not a string',
      'filter 0: not an object'
    ])
  })

  it('addedTarget: None for anything that is not an addition; values of the wrong type are left out', () => {
    for (const bad of [null, 42, 'x', trap(), { _tag: 'AddFilters', relay: 1 }]) expect(addedTarget(bad as never)).toEqual(O.none)
    expect(addedTarget({ _tag: 'SpawnRelay', relay: R, repos: [ref(1), 42], rootEvents: { [ref(1)]: [rootId(1), null] } } as never)).toEqual(
      O.some({ relay: R, repos: [ref(1)], rootEvents: { [ref(1)]: [rootId(1)] } })
    )
    expect(addedTarget({ _tag: 'AddFilters', relay: R } as never)).toEqual(O.some({ relay: R, repos: [], rootEvents: {} }))
  })
})

describe('one batch type, one differ (0.2)', () => {
  it('planActions gives the batch type the engine gives: connection 0, no history, the plan\u2019s problems', () => {
    const [batch] = F.pipe(emptyRelayIndex, planActions(F.pipe(emptyRelayIndex, diff(index([ref(1), 'not-a-ref'])))))
    expect(batch?.socket).toBe(0)
    expect(batch?.history).toEqual([])
    expect(batch?.problems).toEqual(batch?.plan.problems)
  })

  it('changeMessages re-sends a subscription whose filters have no JSON text (it cannot be compared)', () => {
    const odd = { id: 'x', slot: 's:', filters: [{ limit: 0, '#e': [10n] }] as never }
    expect(changeMessages([odd], [odd]).map((m) => m[0])).toEqual(['REQ'])
  })
})
