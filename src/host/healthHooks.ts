/**
 * Relay health in the executor (internal): the engine's options with the jitter seed, and when
 * the engine's health makes a relay unreachable.
 */
import type { EngineOptions, RelayHealth } from '../index.js'

/** A random seed per executor (hosts retrying one relay do not do so in step). */
const randomSeed = (): string => {
  const bytes = new Uint8Array(8)
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto
  if (c?.getRandomValues !== undefined) c.getRandomValues(bytes)
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** The engine's options with `health.seed` set (the caller's own seed wins; then `jitterSeed`; then a random one). */
export const engineWithSeed = (engine: EngineOptions | undefined, jitterSeed: string | undefined): EngineOptions => {
  const seed = jitterSeed ?? randomSeed()
  try {
    const health: unknown = engine?.health
    const own = typeof health === 'object' && health !== null ? (health as Record<string, unknown>) : {}
    return { ...engine, health: { seed, ...own } }
  } catch {
    // a throwing getter: the engine's defaults, with the seed
    return { health: { seed } }
  }
}

/** Dead, naughty or auth failed: the relay does not hold back "caught up". */
export const isParked = (h: RelayHealth | undefined): boolean => h !== undefined && (h.state === 'dead' || h.state === 'naughty' || h.state === 'auth-failed')
