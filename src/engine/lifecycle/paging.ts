/**
 * The time helpers: valid times, the `since` of a quick reconnect, and history paging that cannot
 * loop (`startPaging`, `pageFilter`, `nextPage`, `nextUntil`) (internal; public through
 * `engine/Lifecycle.ts`).
 */
import { option as O } from 'fp-ts'
import type { NostrFilter } from '../../wire/Filters.js'
import { relayLimits, type RelayLimits } from '../../config/Limits.js'
import { history as historyVariant } from '../../wire/filterBuilders.js'
import { asArray, asEvent, asRecord, isNumber, matches, orElse } from '../../wire/match.js'

// -------------------------------------------------------------------------------------------------
// time helpers
// -------------------------------------------------------------------------------------------------

/**
 * The largest timestamp accepted as seconds (year 2286): a larger value is almost surely
 * milliseconds (a JavaScript clock), and is refused rather than trusted.
 *
 * @example
 * import { MAX_TIMESTAMP, reconnectSince } from 'nip34-sync'
 *
 * assert.strictEqual(reconnectSince(MAX_TIMESTAMP + 1, 0), 0)
 *
 * @category constants
 * @since 0.1.0
 */
export const MAX_TIMESTAMP = 9_999_999_999

/** A time the state accepts: a finite number from 0 to {@link MAX_TIMESTAMP}, floored. */
export const validTime = (at: unknown): number | undefined =>
  typeof at === 'number' && Number.isFinite(at) && at >= 0 && at <= MAX_TIMESTAMP ? Math.floor(at) : undefined

/**
 * The `since` of a quick reconnect: the last confirmed time minus an overlap window, in seconds,
 * never below 0. When the last confirmed time is unknown or unusable (not a whole number of
 * seconds from 0 to {@link MAX_TIMESTAMP}, such as a millisecond clock), or the window is not a
 * number of seconds ≥ 0, it is 0: the whole history, which may cost a refetch but never loses an
 * event. It is never computed from an elapsed duration (the reference server's `since` of "1970
 * plus the time since startup" refetched everything).
 *
 * @example
 * import { reconnectSince } from 'nip34-sync'
 *
 * assert.strictEqual(reconnectSince(1700000000, 900), 1699999100)
 * assert.strictEqual(reconnectSince(100, 900), 0)
 * assert.strictEqual(reconnectSince(undefined, 900), 0)
 * assert.strictEqual(reconnectSince(1700000000000, 900), 0)
 *
 * @category utils
 * @since 0.1.0
 */
export const reconnectSince = (lastConfirmedAt: number | undefined, window: number): number => {
  const at = validTime(lastConfirmedAt)
  if (at === undefined || typeof window !== 'number' || !Number.isFinite(window) || window < 0) return 0
  return Math.max(0, at - Math.ceil(window))
}

/**
 * What to do after one page of a history request:
 *
 * - `Done`: the page was empty; nothing older is left.
 * - `Until`: ask again with `until` set to the oldest `created_at` of the page (inclusive: events
 *   at that second are asked for again, deduplicate by id, so none is skipped), or, for a page
 *   shorter than its `limit` whose events all share one second, to the second below it. A short
 *   page is not taken as the end: a relay may cap `limit` below what it publishes (or publish
 *   nothing) and return fewer events than it holds. `until` strictly decreases, so paging ends.
 * - `Widen`: the page is full and every event has the same `created_at`: `until` cannot move
 *   without skipping events of that second. Ask for that second alone (`since = until =
 *   createdAt`) with a larger `limit`, then continue with `until = createdAt - 1`.
 *
 * @example
 * import { nextUntil, type UntilStep } from 'nip34-sync'
 *
 * const step: UntilStep = nextUntil({ events: [{ created_at: 5 }], limit: 1 })
 * assert.deepStrictEqual(step, { _tag: 'Widen', createdAt: 5 })
 *
 * @category model
 * @since 0.1.0
 */
export type UntilStep =
  | { readonly _tag: 'Done' }
  | { readonly _tag: 'Until'; readonly until: number }
  | { readonly _tag: 'Widen'; readonly createdAt: number }

/**
 * The next step of paging after a page: see {@link UntilStep}. `events` are the events of the page
 * that match the paged filter (any others, or any without an integer `created_at`, are ignored);
 * `limit` is the page size asked for. Only an empty page is `Done`. Total: a page that is not an
 * object, or whose `limit` is not an integer ≥ 1, is `Done`.
 *
 * @example
 * import { nextUntil } from 'nip34-sync'
 *
 * const at = (...ts: Array<number>) => ts.map((created_at) => ({ created_at }))
 * assert.deepStrictEqual(nextUntil({ events: [], limit: 3 }), { _tag: 'Done' })
 * // a short page is not the end: the relay may cap `limit` silently
 * assert.deepStrictEqual(nextUntil({ events: at(30, 20), limit: 3 }), { _tag: 'Until', until: 20 })
 * assert.deepStrictEqual(nextUntil({ events: at(20, 20), limit: 3 }), { _tag: 'Until', until: 19 })
 * assert.deepStrictEqual(nextUntil({ events: at(30, 20, 20), limit: 3 }), { _tag: 'Until', until: 20 })
 * assert.deepStrictEqual(nextUntil({ events: at(20, 20, 20), limit: 3 }), { _tag: 'Widen', createdAt: 20 })
 *
 * @category utils
 * @since 0.1.0
 */
export const nextUntil = (page: { readonly events: ReadonlyArray<unknown>; readonly limit: number }): UntilStep =>
  orElse((): UntilStep => untilOf(page), () => ({ _tag: 'Done' }))

const untilOf = (page: { readonly events: ReadonlyArray<unknown>; readonly limit: number }): UntilStep => {
  const p = asRecord(page)
  const times: Array<number> = []
  for (const e of asArray(p?.['events'])) {
    const t = asRecord(e)?.['created_at']
    if (typeof t === 'number' && Number.isSafeInteger(t) && t >= 0) times.push(t)
  }
  const limit = p?.['limit']
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || times.length === 0) return { _tag: 'Done' }
  times.sort((a, b) => b - a)
  const full = times.length >= limit
  const oldest = times[(full ? limit : times.length) - 1] as number
  if ((times[0] as number) > oldest) return { _tag: 'Until', until: oldest }
  return full ? { _tag: 'Widen', createdAt: oldest } : { _tag: 'Until', until: oldest - 1 }
}

/**
 * The state of paging one history filter.
 *
 * @example
 * import { startPaging } from 'nip34-sync'
 *
 * const cursor = startPaging({ kinds: [1617], since: 100 })
 * assert.deepStrictEqual([cursor.until, cursor.limit, cursor.done], [undefined, 500, false])
 *
 * @category model
 * @since 0.1.0
 */
export interface PageCursor {
  /** The filter paged, without `until` and `limit` (its `since` is the lower bound). */
  readonly filter: NostrFilter
  /** The upper bound of the next page (`undefined`: now). */
  readonly until: number | undefined
  /** The page size. */
  readonly limit: number
  /** The relay's largest `limit` (widening stops there). */
  readonly maxLimit: number
  /** While reading every event of one second: that second and the widened limit. */
  readonly widening: { readonly at: number; readonly limit: number } | undefined
  /**
   * Seconds whose events filled a page of `maxLimit`: the relay may hold more of them than it
   * will return, so some may be missing.
   */
  readonly incomplete: ReadonlyArray<number>
  readonly done: boolean
}

/**
 * Starts paging a history filter: its `since` is kept as the lower bound, its `until` (if any) is
 * the first upper bound, its `limit` the page size (missing or 0: `maxLimit`; never above
 * `maxLimit`). Total: a `since` that is not a finite number is left out; a filter that is not an
 * object gives a finished cursor (`done`, filter `{}`: nothing is asked for).
 *
 * @example
 * import { pageFilter, startPaging } from 'nip34-sync'
 * import { option as O } from 'fp-ts'
 *
 * const cursor = startPaging({ '#a': ['x'], since: 100, limit: 0 }, { maxLimit: 50 })
 * assert.deepStrictEqual(pageFilter(cursor), O.some({ '#a': ['x'], since: 100, limit: 50 }))
 *
 * @category constructors
 * @since 0.1.0
 */
export const startPaging = (filter: NostrFilter, limits?: Partial<RelayLimits>): PageCursor => {
  const maxLimit = relayLimits(limits).limits.maxLimit
  return orElse(
    () => cursorOf(filter, maxLimit),
    () => ({ filter: {}, until: undefined, limit: maxLimit, maxLimit, widening: undefined, incomplete: [], done: true })
  )
}

const cursorOf = (filter: NostrFilter, maxLimit: number): PageCursor => {
  const f = asRecord(filter)
  if (f === undefined) return { filter: {}, until: undefined, limit: maxLimit, maxLimit, widening: undefined, incomplete: [], done: true }
  const asked = f['limit']
  const limit = typeof asked === 'number' && Number.isSafeInteger(asked) && asked > 0 ? Math.min(asked, maxLimit) : maxLimit
  const until = validTime(f['until'])
  const since = isNumber(f['since']) ? f['since'] : undefined
  return {
    filter: historyVariant(filter, since, undefined, undefined),
    until,
    limit,
    maxLimit,
    widening: undefined,
    incomplete: [],
    done: until !== undefined && since !== undefined && until < since
  }
}

/**
 * A value given as a cursor: itself when it has the shape {@link startPaging} and {@link nextPage}
 * give (a filter object whose `since` is absent or a number; numbers for `until`, `limit`,
 * `maxLimit` and the widening; a boolean `done`; an array `incomplete`), `undefined` otherwise.
 */
const asCursor = (u: unknown): PageCursor | undefined => orElse(() => readCursor(u), () => undefined)

const readCursor = (u: unknown): PageCursor | undefined => {
  const c = asRecord(u)
  if (c === undefined) return undefined
  const f = asRecord(c['filter'])
  const until = c['until']
  const w = c['widening']
  const widening = asRecord(w)
  return f !== undefined &&
    (f['since'] === undefined || isNumber(f['since'])) &&
    (until === undefined || isNumber(until)) &&
    isNumber(c['limit']) &&
    isNumber(c['maxLimit']) &&
    typeof c['done'] === 'boolean' &&
    Array.isArray(c['incomplete']) &&
    (w === undefined || (widening !== undefined && isNumber(widening['at']) && isNumber(widening['limit'])))
    ? (u as PageCursor)
    : undefined
}

/**
 * The filter of the next page, or `None` when paging is done (or the value is not a cursor).
 *
 * @example
 * import { nextPage, pageFilter, startPaging } from 'nip34-sync'
 * import { function as F, option as O } from 'fp-ts'
 *
 * const cursor = F.pipe(startPaging({ kinds: [1617], limit: 2 }), nextPage([]))
 * assert.deepStrictEqual(pageFilter(cursor), O.none)
 *
 * @category destructors
 * @since 0.1.0
 */
export const pageFilter = (u: PageCursor): O.Option<NostrFilter> => {
  const cursor = asCursor(u)
  if (cursor === undefined || cursor.done) return O.none
  if (cursor.widening !== undefined)
    return O.some(historyVariant(cursor.filter, cursor.widening.at, cursor.widening.at, cursor.widening.limit))
  return O.some(historyVariant(cursor.filter, cursor.filter.since, cursor.until, cursor.limit))
}

const below = (cursor: PageCursor, at: number): PageCursor => {
  const until = at - 1
  const floor = cursor.filter.since ?? 0
  return { ...cursor, until, widening: undefined, done: until < floor || until < 0 }
}

/**
 * Advances paging with the events a relay returned for the last page (all events of the `REQ`
 * may be given: only those matching the page's filter count). Paging ends on an empty page only
 * (a short page may come from a relay that caps `limit` silently). The rule cannot loop: every
 * step either ends, strictly lowers `until` (a non-empty page has its newest event at or below
 * `until`, and moves `until` to its oldest, or below a single second), or doubles the `limit` of
 * a one-second page up to `maxLimit`; a second that still fills a page of `maxLimit` is recorded
 * in `incomplete` and `until` moves below it.
 * Total: `events` that is not an array is an empty page, values in it that are not events are
 * ignored, and a value that is not a cursor is returned as it is.
 *
 * @example
 * import { nextPage, pageFilter, startPaging } from 'nip34-sync'
 * import { function as F, option as O } from 'fp-ts'
 *
 * const ev = (created_at: number) => ({ id: String(created_at), pubkey: 'p', kind: 1617, created_at, tags: [] })
 * const cursor = F.pipe(startPaging({ kinds: [1617], limit: 2 }, { maxLimit: 4 }), nextPage([ev(20), ev(20)]))
 * assert.deepStrictEqual(pageFilter(cursor), O.some({ kinds: [1617], since: 20, until: 20, limit: 4 }))
 *
 * @category reducers
 * @since 0.1.0
 */
export const nextPage =
  (events: ReadonlyArray<unknown>) =>
  (u: PageCursor): PageCursor =>
    orElse(() => advance(events, u), () => u)

const advance = (events: ReadonlyArray<unknown>, u: PageCursor): PageCursor => {
    const cursor = asCursor(u)
    if (cursor === undefined) return u
    const current = pageFilter(cursor)
    if (O.isNone(current)) return cursor
    const page: Array<{ created_at: number }> = []
    for (const u of Array.isArray(events) ? events : []) {
      const e = asEvent(u)
      if (e !== undefined && matches(current.value, e)) page.push(e)
    }
    const w = cursor.widening
    if (w !== undefined) {
      if (page.length < w.limit) return below(cursor, w.at)
      if (w.limit >= cursor.maxLimit) return below({ ...cursor, incomplete: [...cursor.incomplete, w.at] }, w.at)
      return { ...cursor, widening: { at: w.at, limit: Math.min(w.limit * 2, cursor.maxLimit) } }
    }
    const step = nextUntil({ events: page, limit: cursor.limit })
    switch (step._tag) {
      case 'Done':
        return { ...cursor, done: true }
      case 'Until':
        return { ...cursor, until: step.until, done: step.until < (cursor.filter.since ?? 0) || step.until < 0 }
      case 'Widen':
        return cursor.limit >= cursor.maxLimit
          ? below({ ...cursor, incomplete: [...cursor.incomplete, step.createdAt] }, step.createdAt)
          : { ...cursor, widening: { at: step.createdAt, limit: Math.min(cursor.limit * 2, cursor.maxLimit) } }
    }
  }
