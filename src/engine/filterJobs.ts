/**
 * History jobs of explicit filters (not of a target): the fetch by id of what accepted events
 * tag (`fetch.ts`) and the announcements of maintainers found by discovery (`discovery.ts`).
 *
 * @internal
 */
import type { NostrFilter } from '../wire/Filters.js'
import { sha256Hex } from '../util/hash.js'
import { startPaging } from './Lifecycle.js'
import { queuedRun, type Job, type RelayState, type Run } from './state.js'
import type { EngineProblem } from './types.js'

/**
 * Queues history runs of filter groups on a relay: one job and one run per group (each group one
 * `REQ`), `once` when the first `EOSE` ends it (ids), or paged like any history. The job keeps
 * its filters so that new limits can queue it again (`relimit`).
 */
export const addFilterJobs = (
  rs: RelayState,
  groups: ReadonlyArray<ReadonlyArray<NostrFilter>>,
  prefix: string,
  once: boolean,
  problems: Array<EngineProblem>
): RelayState => {
  if (groups.length === 0) return rs
  if (rs.limits.reservedSubscriptions === 0) {
    problems.push({ code: 'no-history-room', relay: rs.relay, message: `the relay allows ${rs.limits.maxSubscriptions} subscription(s) and the live plan uses them: tagged events are not fetched from it` })
    return rs
  }
  let id = rs.jobs.reduce((m, j) => Math.max(m, j.id), 0)
  const jobs: Array<Job> = [...rs.jobs]
  const runs: Array<Run> = [...rs.runs]
  for (const filters of groups) {
    id++
    const slot = `${prefix}${sha256Hex(JSON.stringify(filters)).slice(0, 16)}`
    jobs.push({ id, target: { relay: rs.relay as never, repos: [], rootEvents: {} }, since: undefined, discovery: false, filters, once })
    const run = queuedRun(id, slot, filters.map((f) => startPaging(f, rs.limits)))
    runs.push(once ? { ...run, once: true } : run)
  }
  return { ...rs, jobs, runs }
}

