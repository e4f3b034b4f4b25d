/**
 * A real nostr relay on loopback for end-to-end tests: `@nostr-relay/core` with its SQLite
 * store (in memory) behind a `ws` server on 127.0.0.1 and a free port. One copy for every test
 * that needs a relay.
 *
 * This folder is its own (private, non-workspace) npm package, so that the root `npm ci` does not
 * compile better-sqlite3: bare imports here resolve from test/relay/node_modules, which `npm test`
 * installs when absent (test/relay/ensure.mjs). The relay checks every event's id and signature
 * like a real one, with libsecp256k1 in WASM (nostr-wasm) instead of its JS default, which costs
 * about 25 ms per event on a test runner.
 */
import { createRequire } from 'node:module'
import { NostrRelay } from '@nostr-relay/core'
import { EventRepositorySqlite } from '@nostr-relay/event-repository-sqlite'
import { WebSocketServer } from 'ws'
import { initNostrWasm } from 'nostr-wasm'

export interface LoopbackRelay {
  /** `ws://127.0.0.1:<port>` */
  readonly url: string
  /**
   * Drops every client and closes the server, then listens again on the same port with the same
   * store (a relay restart: clients see a disconnect, then can reconnect and find every event).
   * Resolves when listening again; `downMs` waits that long in between.
   */
  readonly restart: (downMs?: number) => Promise<void>
  /** Terminates every client, closes the server and the store. */
  readonly stop: () => Promise<void>
}

let wasmCheck: Promise<void> | undefined
/** Replaces the relay's signature check (same check: id and signature) with the WASM one, once per process. */
const useWasmSignatureCheck = (): Promise<void> =>
  (wasmCheck ??= initNostrWasm().then((nw) => {
    const { EventUtils } = createRequire(import.meta.url)('@nostr-relay/common') as { EventUtils: { isSigValid: (e: unknown) => boolean } }
    EventUtils.isSigValid = (e) => {
      try {
        nw.verifyEvent(e as never)
        return true
      } catch {
        return false
      }
    }
  }))

export interface LoopbackRelayOptions {
  /** The port (default: a free one). */
  readonly port?: number
  /** A SQLite file path (default `':memory:'`). */
  readonly database?: string
  /**
   * How long the relay reuses the answer to a filter it was asked before, in milliseconds
   * (@nostr-relay/core's `filterResultCacheTtl`; its default is 1 000). Default 0 here: with the
   * cache, asking "is event X there?" before and after X was stored can answer "no" twice.
   */
  readonly filterCacheMs?: number
  /**
   * Refuses events: a reason (sent as `OK false`, e.g. `blocked: not tagged by an accepted
   * event`) for an event the relay must not store, `undefined` to store it (a GRASP relay's
   * acceptance rules, for the executor's refused-id memory).
   */
  readonly refuse?: (event: { readonly id: string; readonly kind: number; readonly tags: ReadonlyArray<ReadonlyArray<string>> }) => string | undefined
}

/** Starts a relay on 127.0.0.1 and a free port (or `port`), storing events in `database`. */
export const startLoopbackRelay = async (options: LoopbackRelayOptions = {}): Promise<LoopbackRelay> => {
  await useWasmSignatureCheck()
  const repository = new EventRepositorySqlite(options.database ?? ':memory:')
  await repository.init()
  const relay = new NostrRelay(repository, { filterResultCacheTtl: options.filterCacheMs ?? 0 })
  const refuse = options.refuse
  if (refuse !== undefined)
    relay.register({
      beforeHandleEvent: (event: { id: string; kind: number; tags: Array<Array<string>> }) => {
        const reason = refuse(event)
        return reason === undefined ? { canHandle: true } : { canHandle: false, message: reason }
      }
    } as never)
  const listen = async (port: number): Promise<WebSocketServer> => {
    const server = new WebSocketServer({ host: '127.0.0.1', port })
    server.on('connection', (ws) => {
      relay.handleConnection(ws)
      ws.on('message', (data) => {
        try {
          void relay.handleMessage(ws, JSON.parse(data.toString()))
        } catch {
          // a malformed frame: a real relay would NOTICE; the tests send none
        }
      })
      ws.on('close', () => relay.handleDisconnect(ws))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve())
      server.once('error', reject)
    })
    return server
  }
  const close = async (server: WebSocketServer): Promise<void> => {
    for (const client of server.clients) client.terminate()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  let server = await listen(options.port ?? 0)
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const url = `ws://127.0.0.1:${port}`
  const restart = async (downMs = 0): Promise<void> => {
    await close(server)
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs))
    server = await listen(port)
  }
  const stop = async (): Promise<void> => {
    await close(server)
    await repository.destroy()
  }
  return { url, restart, stop }
}
