/**
 * Checking messages against a relay's limits (re-exported by `Wire.ts`, the public face): the
 * size of a message as sent, and every way it breaks the limits.
 *
 * @internal
 */
import { relayLimits, type RelayLimits } from '../config/Limits.js'
import { jsonBytes } from '../util/hash.js'
import { asRecord, orElse } from './match.js'
import type { WireMessage } from './plan.js'

/**
 * The UTF-8 size of a message as sent (its JSON text). Total: 0 for a value that has no JSON text
 * (`undefined`, a function, a `BigInt`).
 *
 * @example
 * import { messageBytes } from 'nip34-sync'
 *
 * assert.strictEqual(messageBytes(['CLOSE', 'x']), 13)
 *
 * @category utils
 * @since 0.1.0
 */
export const messageBytes = (message: WireMessage): number => jsonBytes(message)

/**
 * Checks one message against a relay's limits and says every way it breaks them (empty when it
 * does not): bytes, filters per `REQ`, values per list (`ids`, `authors` and `#` tag lists; `kinds`
 * is not counted), tag keys per filter, id length. Total: a value that is not a `REQ` or `CLOSE`
 * message gives the one problem `'not a REQ or CLOSE message'`; an id that is not a string and a
 * filter that is not an object are reported too.
 *
 * @example
 * import { checkMessage } from 'nip34-sync'
 *
 * assert.deepStrictEqual(checkMessage()(['REQ', 'sub', { kinds: [1], limit: 0 }]), [])
 * assert.deepStrictEqual(checkMessage({ maxFiltersPerReq: 1 })(['REQ', 'sub', { kinds: [1] }, { kinds: [2] }]), [
 *   '2 filters, above maxFiltersPerReq 1'
 * ])
 *
 * @category utils
 * @since 0.1.0
 */
export const checkMessage =
  (limits?: Partial<RelayLimits>) =>
  (message: WireMessage): ReadonlyArray<string> =>
    orElse(() => problemsOf(limits, message), () => ['not a REQ or CLOSE message'])

const problemsOf = (limits: Partial<RelayLimits> | undefined, message: WireMessage): ReadonlyArray<string> => {
    const m: unknown = message
    if (!Array.isArray(m) || (m[0] !== 'REQ' && m[0] !== 'CLOSE')) return ['not a REQ or CLOSE message']
    const l = relayLimits(limits).limits
    const out: Array<string> = []
    const bytes = messageBytes(message)
    if (bytes > l.maxMessageBytes) out.push(`${bytes} bytes, above maxMessageBytes ${l.maxMessageBytes}`)
    const id: unknown = m[1]
    if (typeof id !== 'string') out.push('the subscription id is not a string')
    else if (id.length > l.maxSubIdLength) out.push(`id of ${id.length} characters, above maxSubIdLength ${l.maxSubIdLength}`)
    if (m[0] === 'REQ') {
      const filters: ReadonlyArray<unknown> = m.slice(2)
      if (filters.length > l.maxFiltersPerReq) out.push(`${filters.length} filters, above maxFiltersPerReq ${l.maxFiltersPerReq}`)
      filters.forEach((u, i) => {
        const f = asRecord(u)
        if (f === undefined) {
          out.push(`filter ${i}: not an object`)
          return
        }
        const keys = Object.keys(f)
        const tagKeys = keys.filter((k) => k.startsWith('#')).length
        if (tagKeys > l.maxTagKeysPerFilter) out.push(`filter ${i}: ${tagKeys} tag keys, above maxTagKeysPerFilter ${l.maxTagKeysPerFilter}`)
        for (const k of keys) {
          const v: unknown = f[k]
          if ((k.startsWith('#') || k === 'authors' || k === 'ids') && Array.isArray(v) && v.length > l.maxValuesPerList)
            out.push(`filter ${i}: ${k} has ${v.length} values, above maxValuesPerList ${l.maxValuesPerList}`)
        }
      })
    }
    return out
  }
