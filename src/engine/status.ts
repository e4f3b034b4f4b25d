/**
 * Reading the engine's state: when a relay counts as settled, and its status as plain data.
 *
 * @internal
 */
import type { RelayState } from './state.js'
import { digest } from '../wire/batches.js'

export const isSettledRelay = (rs: RelayState): boolean => {
  if (rs.runs.length > 0) return false
  for (let k = 0; k < Math.max(rs.plan.length, rs.conns.length); k++) {
    const want = rs.plan[k] ?? []
    const c = rs.conns[k]
    if (want.length === 0) {
      if (c !== undefined && c.up && c.live.size > 0) return false
      continue
    }
    if (c === undefined || !c.up || c.live.size !== want.length) return false
    for (const s of want) {
      const l = c.live.get(s.id)
      if (l === undefined || l.status !== 'open' || l.digest !== digest(s.filters)) return false
    }
  }
  return true
}
