/**
 * Refusals: what a relay's `CLOSED` or `NOTICE` text says about its limits, and the tighter
 * limits the engine learns from it. A relay that refuses a subscription for its count, its
 * filters or its size is re-planned under caps below what it refused; a relay that is only
 * rate-limiting gets the retry backoff. Anything else is reported and retried after the backoff.
 *
 * @internal
 */
import type { RelayLimits } from '../config/Limits.js'
import type { LearnedLimits } from './state.js'

export type Refusal = 'subscriptions' | 'filters' | 'bytes' | 'rate'

const LIMITED = /too many|maximum|max(imum)?[ _-]|limit|exceed|at most|no more than|over /i

/**
 * What a refusal is about, from its text (NIP-01 prefixes such as `error:`, `rate-limited:` and
 * `blocked:` and the texts of strfry, nostr-rs-relay, khatru and @nostr-relay/core); `undefined`
 * when it says nothing about a limit.
 */
export const classify = (text: string): Refusal | undefined => {
  const t = text.slice(0, 300)
  if (/^rate-limited:|rate[ -]?limit|slow down|too fast|throttl/i.test(t)) return 'rate'
  if (!LIMITED.test(t)) return undefined
  if (/subscription|\bsubs?\b|\bsubid|concurrent|\breqs?\b|open requests/i.test(t) && !/filter/i.test(t)) return 'subscriptions'
  if (/filter/i.test(t)) return 'filters'
  if (/message|length|size|bytes|too (large|long|big)/i.test(t)) return 'bytes'
  return undefined
}

/** The smallest message size the engine learns (a relay that refuses less is left to the backoff). */
const MIN_LEARNED_BYTES = 1024

/**
 * The caps learned from one refusal. `held`: the subscriptions the connection held besides the
 * refused one; `filters`, `bytes`: the size of the refused `REQ`. Each cap is strictly below the
 * current limit (halving sizes, so a few refusals reach any limit), never below what the planner
 * can work with, and only from a refused `REQ` that was above the new cap (evidence: a one-filter
 * `REQ` refused for its filters teaches nothing); `undefined` when nothing can be tightened (the
 * engine then backs off the whole connection).
 */
export const learn = (
  kind: Exclude<Refusal, 'rate'>,
  limits: RelayLimits,
  before: LearnedLimits | undefined,
  seen: { readonly held: number; readonly filters: number; readonly bytes: number },
  /** The relay's announced (or default) limits: a refusal never teaches less than half their filters. */
  base: RelayLimits = limits
): LearnedLimits | undefined => {
  const was = before ?? {}
  switch (kind) {
    case 'subscriptions': {
      const cap = Math.max(1, Math.min(limits.maxSubscriptions - 1, seen.held))
      return cap < limits.maxSubscriptions ? { ...was, maxSubscriptions: cap } : undefined
    }
    case 'filters': {
      // a REQ of one filter refused for "too many filters" proves the text is not about its filters
      if (seen.filters < 2) return undefined
      // the floor: one lying text must not explode the plan into one subscription per filter
      const floor = Math.max(1, Math.floor(base.maxFiltersPerReq / 2))
      const cap = Math.max(floor, Math.min(limits.maxFiltersPerReq - 1, Math.floor(seen.filters / 2)))
      return cap < limits.maxFiltersPerReq ? { ...was, maxFiltersPerReq: cap } : undefined
    }
    case 'bytes': {
      const cap = Math.max(MIN_LEARNED_BYTES, Math.min(limits.maxMessageBytes - 1, Math.floor(seen.bytes / 2)))
      return cap < limits.maxMessageBytes ? { ...was, maxMessageBytes: cap } : undefined
    }
  }
}
