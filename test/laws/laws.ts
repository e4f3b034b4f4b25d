/**
 * The semantics of the sync core as small pure predicates. Test files wrap them in fast-check
 * properties; keeping them here means one statement of each law, reused everywhere.
 *
 * The predicates take no generator: each holds for any input, so what makes a run worth having
 * is the input's shape. The generators in test/arbitraries.ts make events that collide (the same
 * repositories, competing announcements, deletions aimed at them) because a law such as
 * `orderIndependent` is trivially true of events that never meet; test/coverage.test.ts asserts
 * how often they do.
 */
import { function as F } from 'fp-ts'
import {
  applyActions,
  applyBatch,
  diff,
  emptyRepoIndex,
  eqRelayIndex,
  eqRepoIndex,
  type RelayIndex,
  type RepoIndex,
  type SyncConfig
} from '../../src/index.js'

export const applyAll = (config: SyncConfig, batches: ReadonlyArray<ReadonlyArray<unknown>>, from: RepoIndex = emptyRepoIndex): RepoIndex =>
  batches.reduce((index, batch) => applyBatch(config, batch)(index).index, from)

/** The index does not depend on the order of the events. */
export const orderIndependent = (config: SyncConfig, events: ReadonlyArray<unknown>, permuted: ReadonlyArray<unknown>): boolean =>
  eqRepoIndex.equals(applyAll(config, [events]), applyAll(config, [permuted]))

/** The index does not depend on how the events are split into batches. */
export const splitIndependent = (config: SyncConfig, events: ReadonlyArray<unknown>, batches: ReadonlyArray<ReadonlyArray<unknown>>): boolean =>
  eqRepoIndex.equals(applyAll(config, [events]), applyAll(config, batches))

/** A batch applied twice equals it applied once. */
export const idempotent = (config: SyncConfig, events: ReadonlyArray<unknown>): boolean => {
  const once = applyAll(config, [events])
  return eqRepoIndex.equals(once, applyAll(config, [events], once))
}

/** Nothing to do between an index and itself. */
export const diffSelfEmpty = (a: RelayIndex): boolean => F.pipe(a, diff(a)).length === 0

/** Applying the diff from a to d turns a into d. */
export const diffThenApply = (d: RelayIndex, a: RelayIndex): boolean =>
  eqRelayIndex.equals(F.pipe(a, applyActions(F.pipe(a, diff(d)))), d)

/** Applying actions one at a time, in order, equals applying them all at once. */
export const stepwiseEqualsAtOnce = (d: RelayIndex, a: RelayIndex): boolean => {
  const actions = F.pipe(a, diff(d))
  const stepwise = actions.reduce((acc, action) => applyActions([action])(acc), a)
  return eqRelayIndex.equals(stepwise, F.pipe(a, applyActions(actions)))
}
