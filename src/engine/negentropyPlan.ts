/**
 * NIP-77 negentropy for history, the values: what the engine learns about a relay's support and
 * how it decides to try it, history runs as sessions (one filter per `NEG-OPEN`), and the fetch
 * by id of what a session found missing, chunked within the relay's limits. The steps that use
 * them are in negentropy.ts.
 *
 * @internal
 */
import type { RelayLimits } from '../config/Limits.js'
import type { NostrFilter } from '../wire/Filters.js'
import { messageBytes, type RelayBatch } from '../wire/Wire.js'
import { history as historyVariant } from '../wire/filterBuilders.js'
import { startPaging, type PageCursor } from './Lifecycle.js'
import type { NegentropyOpen } from './types.js'
import { QUEUED, type NegKnown, type NegMode, type Run } from './state.js'

export type { NegKnown, NegMode, NegRun } from './state.js'

/** The fields of a history run (state.ts `Run`) this module reads and writes: all but its job. */
export type RunLike = Omit<Run, 'job'>

// -------------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------------

export const NEG_UNKNOWN: NegKnown = { support: 'unknown', hinted: false, failures: 0, until: 0, sessions: 0 }

/** How long a relay stays `no` before it is tried again (seconds): 7 days. */
export const NEG_RETRY = 7 * 86_400
/** Failed sessions in a row that make a relay that once succeeded `no`. */
export const NEG_MAX_FAILURES = 3
/** Ids one session may hand to the fetch by id; past it the session's filter is paged instead (cheaper than that many ids). */
export const NEG_MAX_NEED = 50_000
/** JSON bytes of one id in an `ids` list (64 hex digits, quotes, comma). */
const ID_BYTES = 67

export const readMode = (u: unknown): NegMode => (u === 'always' || u === 'off' ? u : 'auto')

/** Whether history of a relay with this knowledge is fetched with negentropy. */
export const negUse = (k: NegKnown | undefined, mode: NegMode): boolean => {
  if (mode === 'off') return false
  const known = k ?? NEG_UNKNOWN
  if (known.support === 'yes') return true
  if (known.support === 'no') return false
  return known.hinted || mode === 'always'
}

/** A session completed. */
export const succeeded = (k: NegKnown | undefined): NegKnown => ({ ...(k ?? NEG_UNKNOWN), support: 'yes', failures: 0, until: 0, sessions: (k?.sessions ?? 0) + 1 })

/** A session failed (no answer, `NEG-ERR`, a `NOTICE` naming it): before any success the relay is `no`; after one, after {@link NEG_MAX_FAILURES} in a row. */
export const failed = (k: NegKnown | undefined, now: number): NegKnown => {
  const was = k ?? NEG_UNKNOWN
  const failures = was.failures + 1
  const no = was.support !== 'yes' || failures >= NEG_MAX_FAILURES
  return { ...was, failures, support: no ? 'no' : 'yes', until: no ? now + NEG_RETRY : 0 }
}

/** `no` whose time is over reads as `unknown` (tried again when hinted). */
export const expired = (k: NegKnown, now: number): NegKnown => (k.support === 'no' && k.until <= now ? { ...k, support: 'unknown', failures: 0, until: 0 } : k)

// -------------------------------------------------------------------------------------------------
// planning
// -------------------------------------------------------------------------------------------------

/** The filter of a session over what a paged cursor has left to fetch (its `since`, and its `until` when paging began). */
const remaining = (c: PageCursor): NostrFilter => {
  const until = c.widening?.at ?? c.until
  return historyVariant(c.filter, c.filter.since, until, undefined)
}

/**
 * History runs as negentropy sessions: one session per filter still to fetch (NIP-77 takes one
 * filter per `NEG-OPEN`), each keeping its paged cursor as the fall back. Runs already in
 * negentropy mode are kept.
 */
export const toSessions = <R extends RunLike>(runs: ReadonlyArray<R>, limits: RelayLimits): Array<R> => {
  const out: Array<R> = []
  for (const r of runs) {
    if (r.neg !== undefined) {
      out.push(r)
      continue
    }
    r.cursors.forEach((c, i) => {
      if (c.done) return
      const filter = remaining(c)
      out.push({
        ...r,
        slot: r.cursors.length === 1 ? r.slot : `${r.slot}.${i}`,
        cursors: [startPaging(filter, limits)],
        neg: { phase: 'session', filter },
        status: r.status === 'failed' ? 'failed' : 'queued',
        socket: -1,
        wire: '',
        mayBeOpen: false
      })
    })
  }
  return out
}

/** A session run back to paged `REQ`s of its filter (its cursor is the fall back). */
export const demoteRun = <R extends RunLike>(r: R): R => {
  const { neg: _neg, ...rest } = r
  return rest as R
}

/**
 * The ids a session found missing, fetched by id: `REQ`s of filters that are the session's filter
 * with `ids` (so a relay's answer still matches what the session asked for, and what it brings is
 * checked against the relay's target like any history event: it is not a fetch of exact events),
 * each filter at most `maxLimit` and `maxValuesPerList` ids, each `REQ` within `maxFiltersPerReq`
 * filters and `maxMessageBytes` bytes (with a subscription id of `idBytes`). When the session's
 * filter leaves no room for an id, the filters are `ids` alone. One run per `REQ`, done at its `EOSE`.
 */
export const fetchRuns = <R extends RunLike>(base: R, ids: ReadonlyArray<string>, limits: RelayLimits, idBytes = 64): Array<R> => {
  const filter = base.neg?.filter ?? {}
  const room = limits.maxMessageBytes - 64 - idBytes
  // the session's filter, with `ids` and `limit` (9 digits at most) added
  const own = messageBytes(['REQ', '', filter]) - 9 + 32
  const kept = room - own - 48 >= ID_BYTES ? filter : {}
  const overhead = (kept === filter ? own : 32) + 48
  const perFilter = Math.max(1, Math.min(limits.maxLimit, limits.maxValuesPerList, Math.floor((room - overhead) / ID_BYTES)))
  const perReq = Math.max(1, Math.min(limits.maxFiltersPerReq, Math.floor(room / (perFilter * ID_BYTES + overhead))))
  const runs: Array<R> = []
  for (let i = 0; i < ids.length; i += perFilter * perReq) {
    const cursors: Array<PageCursor> = []
    for (let j = i; j < Math.min(ids.length, i + perFilter * perReq); j += perFilter) {
      const chunk = ids.slice(j, Math.min(ids.length, i + perFilter * perReq, j + perFilter))
      cursors.push(startPaging({ ...kept, ids: chunk, limit: chunk.length } as NostrFilter, limits))
    }
    runs.push({ ...base, slot: `${base.slot}#${runs.length}`, cursors, neg: { phase: 'fetch', filter }, ...QUEUED })
  }
  return runs
}

const HEX64 = /^[0-9a-f]{64}$/

/** The ids of a result: lower-case 64-hex, each once, at most `cap + 1` (one past the cap says "too many"). */
export const readNeed = (ids: ReadonlyArray<string> | undefined, cap = NEG_MAX_NEED): Array<string> => {
  const out = new Set<string>()
  for (const id of ids ?? []) {
    if (HEX64.test(id)) out.add(id)
    if (out.size > cap) break
  }
  return [...out]
}

/** What a `NEG-ERR` reason says: `blocked` for this session's size (the relay speaks NIP-77, the filter is paged), else a failure. */
export const negErrKind = (reason: string): 'size' | 'failure' =>
  /^blocked:/i.test(reason) && /too (many|big|large)|max|limit|exceed/i.test(reason) ? 'size' : 'failure'

// -------------------------------------------------------------------------------------------------
// snapshot and wire
// -------------------------------------------------------------------------------------------------

const isCount = (u: unknown): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0

/** A snapshot's `negentropy` field read back; `undefined` when it does not have its shape. */
export const decodeKnown = (u: unknown): NegKnown | undefined => {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return undefined
  const x = u as Record<string, unknown>
  const support = x['support']
  if (support !== 'unknown' && support !== 'yes' && support !== 'no') return undefined
  if (typeof x['hinted'] !== 'boolean' || !isCount(x['failures']) || !isCount(x['sessions'])) return undefined
  const until = x['until']
  if (typeof until !== 'number' || !Number.isFinite(until) || until < 0) return undefined
  return { support, hinted: x['hinted'], failures: x['failures'], until, sessions: x['sessions'] }
}

/** For reconcile: the `NEG-OPEN` of a session run started under `wire`. */
export const openOf = (r: RunLike, wire: string): NegentropyOpen | undefined => (r.neg?.phase === 'session' ? { id: wire, filter: r.neg.filter } : undefined)

/** Batches merged per connection keep every session to open. */
export const mergeOpens = (a: RelayBatch, b: RelayBatch): Partial<RelayBatch> => {
  const opens = [...(a.negentropy ?? []), ...(b.negentropy ?? [])]
  return opens.length === 0 ? {} : { negentropy: opens }
}
