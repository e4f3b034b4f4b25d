/**
 * Policy resolution (internal; public through `config/RelayPolicy.ts`): any value to a valid
 * {@link RelayPolicy} and the problems found, memoised per object.
 */
import { either as E } from 'fp-ts'
import { relayUrl } from '../../model/RelayUrl.js'
import { readPlain } from '../../util/plain.js'
import { describe, isRecord } from '../../util/text.js'
import { sortedUnique } from '../../util/sorted.js'
import { classifyHost } from './classify.js'
import { defaultRelayPolicy, MAX_URL_LENGTH, policyRules, type ConfigurableRule, type RelayPolicy, type RelayPolicyResolution } from './model.js'

// -------------------------------------------------------------------------------------
// resolution
// -------------------------------------------------------------------------------------

const configurableRules: ReadonlyArray<ConfigurableRule> = policyRules.filter(
  (r): r is ConfigurableRule =>
    !['invalid-policy', 'not-a-url', 'too-long', 'scheme', 'user-info', 'denied-host', 'not-an-address'].includes(r)
)

const configurable: ReadonlySet<unknown> = new Set(configurableRules)
const isConfigurableRule = (u: unknown): u is ConfigurableRule => configurable.has(u)

const isBoolean = (u: unknown): boolean => typeof u === 'boolean'

type Field = keyof RelayPolicy

/** Each field's check and what it expects. */
const fields: { readonly [K in Field]: { readonly is: (u: unknown) => boolean; readonly expected: string } } = {
  allowWs: { is: isBoolean, expected: 'a boolean' },
  allowOnion: { is: isBoolean, expected: 'a boolean' },
  allowPrivate: { is: isBoolean, expected: 'a boolean' },
  allowHosts: { is: Array.isArray, expected: 'an array of host names' },
  denyHosts: { is: Array.isArray, expected: 'an array of host names' },
  allowRelays: { is: Array.isArray, expected: 'an array of relay URLs' },
  disabledRules: { is: Array.isArray, expected: `an array of rules (${configurableRules.join(', ')})` },
  maxLength: { is: (u) => typeof u === 'number' && Number.isInteger(u) && u >= 1 && u <= MAX_URL_LENGTH, expected: `an integer from 1 to ${MAX_URL_LENGTH}` }
}

/** A normalised host entry: the host, and whether it also matches every name under it. */
interface HostPattern {
  readonly host: string
  readonly suffix: boolean
}

const hostPattern = (entry: unknown): E.Either<string, HostPattern> => {
  if (typeof entry !== 'string') return E.left(`${describe(entry)} is not a string`)
  const s = entry.trim()
  if (s.length === 0) return E.left('empty host')
  if (s.includes('://')) return E.left(`${describe(s)} is a URL, not a host name (put relay URLs in allowRelays)`)
  if (s.startsWith('*.')) return E.left(`${describe(s)}: write ".${s.slice(2)}" for a domain and every name under it`)
  const suffix = s.startsWith('.') && s.length > 1
  const c = classifyHost(suffix ? s.slice(1) : s)
  if (c.kind === 'invalid') return E.left(`${describe(s)} is not a host: ${c.reason}`)
  if (suffix && c.kind !== 'name') return E.left(`${describe(s)}: an address cannot be a suffix`)
  return E.right({ host: c.host, suffix })
}

const showPattern = (p: HostPattern): string => (p.suffix ? `.${p.host}` : p.host)

const resolveUncached = (input: unknown): RelayPolicyResolution => {
  // Read once into plain data: a Proxy or a getter cannot answer differently to two reads.
  const plain = readPlain(input, 3)
  if (!plain.ok) return { policy: defaultRelayPolicy, problems: ['the relay policy cannot be read (a getter or Proxy trap threw)'] }
  try {
    return resolveFields(plain.value)
  } catch {
    return { policy: defaultRelayPolicy, problems: ['the relay policy cannot be read'] }
  }
}

const resolveFields = (input: unknown): RelayPolicyResolution => {
  if (input === undefined) return { policy: defaultRelayPolicy, problems: [] }
  if (!isRecord(input))
    return { policy: defaultRelayPolicy, problems: [`the relay policy must be an object, got ${describe(input)}`] }
  const problems: Array<string> = []
  for (const key of Object.keys(input))
    if (!Object.prototype.hasOwnProperty.call(fields, key)) problems.push(`unknown option ${describe(key)}`)
  const read = <K extends Field>(key: K): unknown => {
    const value = input[key]
    if (value === undefined) return undefined
    const { is, expected } = fields[key]
    if (!is(value)) {
      problems.push(`${key} must be ${expected}, got ${describe(value)}`)
      return undefined
    }
    return value
  }
  const flag = (key: 'allowWs' | 'allowOnion' | 'allowPrivate'): boolean => (read(key) as boolean | undefined) ?? defaultRelayPolicy[key]
  const hosts = (key: 'allowHosts' | 'denyHosts'): ReadonlyArray<string> => {
    const list = (read(key) as ReadonlyArray<unknown> | undefined) ?? []
    const out: Array<string> = []
    list.forEach((entry, i) => {
      const p = hostPattern(entry)
      if (E.isLeft(p)) problems.push(`${key}[${i}]: ${p.left}`)
      else out.push(showPattern(p.right))
    })
    return sortedUnique(out)
  }
  const relays = (): ReadonlyArray<string> => {
    const list = (read('allowRelays') as ReadonlyArray<unknown> | undefined) ?? []
    const out: Array<string> = []
    list.forEach((entry, i) => {
      if (typeof entry !== 'string') return void problems.push(`allowRelays[${i}]: ${describe(entry)} is not a string`)
      const r = relayUrl(entry)
      if (E.isLeft(r)) problems.push(`allowRelays[${i}]: ${describe(entry)} is not a relay URL: ${r.left.reason}`)
      else out.push(r.right)
    })
    return sortedUnique(out)
  }
  const rules = (): ReadonlyArray<ConfigurableRule> => {
    const list = (read('disabledRules') as ReadonlyArray<unknown> | undefined) ?? []
    const out: Array<ConfigurableRule> = []
    list.forEach((entry, i) => {
      if (isConfigurableRule(entry)) out.push(entry)
      else problems.push(`disabledRules[${i}]: ${describe(entry)} is not a rule that can be disabled`)
    })
    return sortedUnique(out) as ReadonlyArray<ConfigurableRule>
  }
  const policy: RelayPolicy = Object.freeze({
    allowWs: flag('allowWs'),
    allowOnion: flag('allowOnion'),
    allowPrivate: flag('allowPrivate'),
    allowHosts: hosts('allowHosts'),
    denyHosts: hosts('denyHosts'),
    allowRelays: relays(),
    disabledRules: rules(),
    maxLength: (read('maxLength') as number | undefined) ?? MAX_URL_LENGTH
  })
  return { policy, problems: Object.freeze(problems) }
}

const resolutions = new WeakMap<object, RelayPolicyResolution>()

/**
 * Validates a policy given by a user (a parsed configuration file, say): a complete, normalised
 * {@link RelayPolicy} and the list of problems. Total: any input gives a result. `undefined` is the
 * default policy; a value that is not usable (wrong type, unknown option, a host entry that is a
 * URL or has a port, `*.example.com` instead of `.example.com`, `maxLength` outside 1..2048) is
 * reported and left out. {@link checkRelayUrl} refuses every URL under a policy with problems, so
 * check `problems` at start-up and refuse to run with a bad policy.
 *
 * The result is memoised per input object: treat policy objects as values and never mutate one
 * after use.
 *
 * @example
 * import { resolveRelayPolicy } from 'nip34-sync'
 *
 * const { policy, problems } = resolveRelayPolicy({ allowHosts: ['Relay.Example.COM.'], denyHosts: ['wss://x.com'] })
 * assert.deepStrictEqual(policy.allowHosts, ['relay.example.com'])
 * assert.deepStrictEqual(problems, ['denyHosts[0]: "wss://x.com" is a URL, not a host name (put relay URLs in allowRelays)'])
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolveRelayPolicy = (input: unknown): RelayPolicyResolution => {
  if (typeof input !== 'object' || input === null) return resolveUncached(input)
  const hit = resolutions.get(input)
  if (hit !== undefined) return hit
  const resolved = resolveUncached(input)
  resolutions.set(input, resolved)
  return resolved
}
