/** Shared fixtures of the lifecycle tests. */
import { expect } from 'vitest'
import { fromRelayTargets, type RelayIndex } from '../../../../src/relays/RelayIndex.js'
import {
  confirm,
  markSent,
  nextBatches,
  type SyncBatch,
  type SyncState,
  type SyncTargets
} from '../../../../src/engine/Lifecycle.js'
import { pk } from '../../../support/wire.arbitraries.js'

export const R = 'wss://r.example'
export const R2 = 'wss://r2.example'
export const ref = (i: number, d = 'repo') => `30617:${pk(i)}:${d}`
export const index = (...targets: Array<[string, ReadonlyArray<string>, Record<string, ReadonlyArray<string>>?]>): RelayIndex =>
  fromRelayTargets(targets.map(([relay, repos, rootEvents]) => ({ relay, repos, rootEvents: rootEvents ?? {} })) as never)
export const T0 = 1_700_000_000

/** Sends every batch and confirms every awaited id at `at`. */
export const sync = (desired: SyncTargets, state: SyncState, at = T0): SyncState =>
  nextBatches(desired)(state).reduce((s, b) => b.awaiting.reduce((t, id) => confirm(b.relay, id, at)(t), markSent(b)(s)), state)

/** The `REQ`s of messages without their ids: `[filters JSON]` in order. */
export const reqFilters = (messages: SyncBatch['messages']): Array<string> =>
  messages.flatMap((m) => (m[0] === 'REQ' ? [JSON.stringify(m.slice(2))] : []))

export const reqIds = (messages: SyncBatch['messages']): Array<string> => messages.flatMap((m) => (m[0] === 'REQ' ? [m[1]] : []))

export const only = (batches: ReadonlyArray<SyncBatch>): SyncBatch => {
  expect(batches).toHaveLength(1)
  return batches[0] as SyncBatch
}
