/**
 * NIP-11 in the executor (internal): each relay's information document, asked for once when its
 * first connection opens. Its limits override what the engine uses for that relay (`Limits`), and
 * its `supported_nips` are a hint for NIP-77 (`Nips`: the engine trusts evidence only).
 */
import { option as O } from 'fp-ts'
import { engineRelay, limitsFromRelayInfo, type EngineInput } from '../index.js'
import { fetchRelayInfo, Refused } from './net.js'
import type { Shared } from './shared.js'

/** Asks a relay's NIP-11 document (once; again after a failure that is not a policy refusal); `signal` aborts at stop. */
export const makeRelayInfo = (s: Shared, queue: (input: EngineInput) => void, signalNow: () => AbortSignal) => {
  const { o, nowSec, emit } = s
  const infoAsked = new Set<string>()

  return (relay: string): void => {
    if (o.fetch === undefined || infoAsked.has(relay)) return
    infoAsked.add(relay)
    const signal = signalNow()
    fetchRelayInfo(relay, o.fetch, s.net, o.infoTimeoutMs, signal, o.fetchGiven).then(
      (doc) => {
        if (!s.running || signal.aborted || doc === undefined) return
        // the document overrides what the engine uses for this relay (the host's own limits included)
        const current = O.toUndefined(engineRelay(relay)(s.engine))?.limits
        const r = current === undefined ? limitsFromRelayInfo(doc) : limitsFromRelayInfo(doc, current)
        emit({ type: 'limits', relay, limits: r.limits, problems: r.problems.map((p) => `${p.field}: ${p.reason}`) })
        // NIP-11 `supported_nips`: a hint for NIP-77 (the engine trusts evidence only)
        const nips: unknown = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['supported_nips'] : undefined
        if (Array.isArray(nips)) queue({ _tag: 'Nips', relay, nips: nips.filter((n): n is number => Number.isSafeInteger(n)).slice(0, 1000), now: nowSec() })
        if (current !== undefined && JSON.stringify(current) === JSON.stringify(r.limits)) return
        queue({ _tag: 'Limits', relay, limits: r.limits, now: nowSec() })
      },
      (e: unknown) => {
        if (!s.running || signal.aborted) return
        if (e instanceof Refused) emit({ type: 'refused', relay, socket: -1, rule: e.refusal.rule, reason: `NIP-11: ${e.refusal.reason}` })
        else infoAsked.delete(relay) // asked again when the relay's first connection opens again
      }
    )
  }
}
