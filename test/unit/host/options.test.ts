/**
 * The executor's options are read once, at the edge (src/host/options.ts): `createExecutor` never
 * throws, whatever the options are (Proxies, throwing getters on every field, in `engine` too),
 * and the `engine` option is one plain copy that every reader uses.
 */
import { describe, expect, it } from 'vitest'
import { createExecutor } from '../../../src/host/index.js'
import { readEngineOptions } from '../../../src/host/options.js'

const boom = (): object =>
  new Proxy(
    {},
    {
      get: () => {
        throw new Error('boom')
      },
      has: () => {
        throw new Error('boom')
      },
      ownKeys: () => {
        throw new Error('boom')
      },
      getOwnPropertyDescriptor: () => {
        throw new Error('boom')
      }
    }
  )
const throwing = (key: string, base: object = {}): object =>
  Object.defineProperty({ ...base }, key, {
    enumerable: true,
    get: () => {
      throw new Error(`getter ${key}`)
    }
  })

const OPTION_KEYS = [
  'ownRelay', 'storeRelay', 'bootstrapRelays', 'allowRelays', 'acceptance', 'config', 'engine', 'initialEngine', 'source', 'sink', 'WebSocket',
  'fetch', 'resolve', 'batchWindowMs', 'batchMax', 'requestTimeoutMs', 'connectTimeoutMs', 'infoTimeoutMs', 'tickMs', 'jitterMs', 'pingMs',
  'giveUpAfter', 'storeWindow', 'dedupCapacity', 'wasm', 'clock', 'onProgress', 'secretKey', 'jitterSeed'
]
const ENGINE_KEYS = ['maxConnectionsPerRelay', 'reconnectWindow', 'limits', 'retryDelay', 'maxRetryDelay', 'requestTimeout', 'strategy', 'health', 'negentropy', 'fetchTagged', 'discovery']

const base = { ownRelay: 'wss://g.example', bootstrapRelays: ['wss://b.example'] }

const made = (options: unknown): string => {
  try {
    const x = createExecutor(options as never)
    return x.state().running === false ? 'ok' : 'running?'
  } catch (e) {
    return `threw ${(e as Error).message}`
  }
}

describe('createExecutor is total on its options', () => {
  it('a Proxy for the options, or for the engine option', () => {
    expect(made(boom())).toBe('ok')
    expect(made({ ...base, engine: boom() })).toBe('ok')
    expect(made({ ...base, config: boom() })).toBe('ok')
  })

  it.each(OPTION_KEYS)('a throwing getter for option %s', (key) => {
    expect(made(throwing(key, base))).toBe('ok')
    expect(made({ ...base, [key]: boom() })).toBe('ok')
  })

  it.each(ENGINE_KEYS)('a throwing getter for engine.%s, or a Proxy as its value', (key) => {
    expect(made({ ...base, engine: throwing(key, { discovery: true, reconnectWindow: 60 }) })).toBe('ok')
    expect(made({ ...base, engine: { discovery: true, reconnectWindow: 60, [key]: boom() } })).toBe('ok')
  })
})

describe('readEngineOptions', () => {
  it('reads each key once into a plain copy; a throwing key is dropped, the others kept', () => {
    let reads = 0
    const engine = {
      get reconnectWindow(): number {
        reads++
        return 120
      },
      health: { cooldown: 9 },
      get discovery(): unknown {
        throw new Error('no')
      }
    }
    const copy = readEngineOptions(engine)!
    expect(reads).toBe(1)
    expect(copy).toEqual({ reconnectWindow: 120, health: { cooldown: 9 } })
    expect(copy.health).not.toBe(engine.health)
    expect(Object.getOwnPropertyDescriptor(copy, 'reconnectWindow')?.get).toBeUndefined()
  })

  it('keeps a limits function; not an object: undefined; a Proxy: no keys', () => {
    const limits = (): undefined => undefined
    expect(readEngineOptions({ limits })?.limits).toBe(limits)
    for (const bad of [undefined, null, 5, 'x']) expect(readEngineOptions(bad)).toBeUndefined()
    expect(readEngineOptions(boom())).toEqual({})
  })
})
