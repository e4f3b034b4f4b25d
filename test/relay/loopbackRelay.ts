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
import { createServer, type Server } from 'node:http'
import { WebSocketServer, type WebSocket } from 'ws'
import { NegentropyResponder } from './negentropyServer.js'
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
  /** Frames received and sent so far, per verb (`REQ`, `NEG-OPEN`, `EVENT`, …; received `REQ`s also as `REQ:live`, `REQ:ids`, `REQ:history`): count and bytes. */
  readonly frames: () => { readonly in: Record<string, { count: number; bytes: number }>; readonly out: Record<string, { count: number; bytes: number }> }
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
  /**
   * NIP-77 (negentropy): `true` speaks it (`NEG-OPEN`, `NEG-MSG`, `NEG-CLOSE`, `NEG-ERR`) over the
   * stored events, with nostr-tools' negentropy implementation (negentropyServer.ts); `'err'`
   * answers every `NEG-OPEN` with `NEG-ERR`; `'silent'` never answers. Default: as
   * @nostr-relay/core, which answers `NOTICE "invalid: unknown message type"`.
   */
  readonly negentropy?: boolean | 'err' | 'silent'
  /** A NIP-11 document served over HTTP (`Accept: application/nostr+json`) on the relay's port. Default: none. */
  readonly nip11?: Record<string, unknown>
  /**
   * NIP-42: send an `AUTH` challenge on connect and refuse every `REQ` with `CLOSED`
   * "auth-required:" until the connection authenticated with a valid kind 22242 event for this
   * relay's host (@nostr-relay/core checks it). Default off.
   */
  readonly requireAuth?: boolean
  /**
   * Answer every `EVENT` with `OK false` "auth-required:" until the connection authenticated
   * (NIP-42, as `requireAuth`; `REQ`s are served without auth unless `requireAuth` is on too).
   * Default off.
   */
  readonly requireAuthToWrite?: boolean
  /** Terminate every client as soon as its WebSocket opens (a relay that keeps dropping). Default off. */
  readonly dropClients?: boolean
  /** Refuse the first this many `REQ`s (over all clients) with `CLOSED` "rate-limited: slow down". Default 0. */
  readonly rateLimitReqs?: number
}

/** Starts a relay on 127.0.0.1 and a free port (or `port`), storing events in `database`. */
export const startLoopbackRelay = async (options: LoopbackRelayOptions = {}): Promise<LoopbackRelay> => {
  await useWasmSignatureCheck()
  const repository = new EventRepositorySqlite(options.database ?? ':memory:')
  await repository.init()
  // a hostname turns on @nostr-relay/core's NIP-42 (challenge on connect, auth events checked against it)
  const relay = new NostrRelay(repository, { filterResultCacheTtl: options.filterCacheMs ?? 0, ...(options.requireAuth === true || options.requireAuthToWrite === true ? { hostname: '127.0.0.1' } : {}) })
  const refuse = options.refuse
  let limited = options.rateLimitReqs ?? 0
  if (refuse !== undefined)
    relay.register({
      beforeHandleEvent: (event: { id: string; kind: number; tags: Array<Array<string>> }) => {
        const reason = refuse(event)
        return reason === undefined ? { canHandle: true } : { canHandle: false, message: reason }
      }
    } as never)
  const listen = async (port: number): Promise<WebSocketServer> => {
    const http = options.nip11 === undefined ? undefined : createServer((req, res) => {
      if ((req.headers.accept ?? '').includes('application/nostr+json')) {
        res.writeHead(200, { 'content-type': 'application/nostr+json', 'access-control-allow-origin': '*' })
        res.end(JSON.stringify(options.nip11))
      } else {
        res.writeHead(426)
        res.end()
      }
    })
    const server = http === undefined ? new WebSocketServer({ host: '127.0.0.1', port }) : new WebSocketServer({ server: http })
    server.on('connection', (ws) => {
      if (options.dropClients === true) {
        ws.terminate()
        return
      }
      relay.handleConnection(ws)
      const send = ws.send.bind(ws) as (data: unknown, ...rest: Array<unknown>) => void
      ws.send = ((data: unknown, ...rest: Array<unknown>) => {
        if (typeof data === 'string') count(counts.out, data)
        send(data, ...rest)
      }) as typeof ws.send
      const sessions = new Map<string, NegentropyResponder>()
      ws.on('message', (data) => {
        const text = data.toString()
        count(counts.in, text)
        try {
          const m: unknown = JSON.parse(text)
          if (options.negentropy !== undefined && options.negentropy !== false && Array.isArray(m) && typeof m[0] === 'string' && m[0].startsWith('NEG-')) {
            void negentropy(ws, sessions, m)
            return
          }
          if (Array.isArray(m) && m[0] === 'REQ' && limited > 0) {
            limited--
            ws.send(JSON.stringify(['CLOSED', m[1], 'rate-limited: slow down']))
            return
          }
          // the core asks for auth only for DMs: this relay asks for it before any REQ
          if (options.requireAuth === true && Array.isArray(m) && m[0] === 'REQ' && !relay.isAuthorized(ws)) {
            ws.send(JSON.stringify(['CLOSED', m[1], 'auth-required: this relay serves authenticated clients only']))
            return
          }
          if (options.requireAuthToWrite === true && Array.isArray(m) && m[0] === 'EVENT' && !relay.isAuthorized(ws)) {
            const id = typeof m[1] === 'object' && m[1] !== null ? (m[1] as { id?: unknown }).id : undefined
            ws.send(JSON.stringify(['OK', typeof id === 'string' ? id : '', false, 'auth-required: this relay takes events from authenticated clients only']))
            return
          }
          void relay.handleMessage(ws, m as never)
        } catch {
          // a malformed frame: a real relay would NOTICE; the tests send none
        }
      })
      ws.on('close', () => relay.handleDisconnect(ws))
    })
    await new Promise<void>((resolve, reject) => {
      const target = http ?? server
      target.once('listening', () => resolve())
      target.once('error', reject)
      if (http !== undefined) http.listen(port, '127.0.0.1')
    })
    servers.set(server, http)
    return server
  }
  const servers = new Map<WebSocketServer, Server | undefined>()
  const counts = { in: {} as Record<string, { count: number; bytes: number }>, out: {} as Record<string, { count: number; bytes: number }> }
  const count = (table: Record<string, { count: number; bytes: number }>, frame: string): void => {
    const verb = /^\["([A-Z-]+)"/.exec(frame)?.[1] ?? '?'
    const add = (key: string): void => {
      const c = (table[key] ??= { count: 0, bytes: 0 })
      c.count++
      c.bytes += Buffer.byteLength(frame)
    }
    add(verb)
    // a REQ is also counted by what it asks: `REQ:live` (limit 0), `REQ:ids` (by id), `REQ:history` (the rest)
    if (verb === 'REQ' && table === counts.in) {
      try {
        const filters = (JSON.parse(frame) as Array<unknown>).slice(2) as Array<{ limit?: number; ids?: unknown }>
        add(filters.every((f) => f.limit === 0) ? 'REQ:live' : filters.every((f) => Array.isArray(f.ids)) ? 'REQ:ids' : 'REQ:history')
      } catch {
        // not JSON: counted as REQ only
      }
    }
  }
  /** Every stored event matching a filter (paged by `until`: the store caps one query). */
  const matching = async (filter: Record<string, unknown>): Promise<Array<{ id: string; created_at: number }>> => {
    const out = new Map<string, number>()
    let until: number | undefined
    for (;;) {
      const rows = await repository.find({ ...filter, ...(until === undefined ? {} : { until }), limit: 1000 } as never)
      let added = 0
      for (const e of rows)
        if (!out.has(e.id)) {
          out.set(e.id, e.created_at)
          added++
        }
      if (added === 0 || rows.length === 0) break
      until = Math.min(...rows.map((e) => e.created_at))
    }
    return [...out].map(([id, created_at]) => ({ id, created_at }))
  }
  const negentropy = async (ws: WebSocket, sessions: Map<string, NegentropyResponder>, m: Array<unknown>): Promise<void> => {
    const [verb, id] = m
    if (typeof id !== 'string') return
    if (verb === 'NEG-CLOSE') {
      sessions.delete(id)
      return
    }
    if (options.negentropy === 'silent') return
    if (options.negentropy === 'err') {
      ws.send(JSON.stringify(['NEG-ERR', id, 'error: negentropy is not enabled on this relay']))
      return
    }
    try {
      if (verb === 'NEG-OPEN') {
        const filter = m[2]
        if (typeof filter !== 'object' || filter === null || typeof m[3] !== 'string') throw new Error('invalid: NEG-OPEN needs a filter and a message')
        const session = new NegentropyResponder(await matching(filter as Record<string, unknown>))
        sessions.set(id, session)
        ws.send(JSON.stringify(['NEG-MSG', id, session.respond(m[3])]))
      } else if (verb === 'NEG-MSG') {
        const session = sessions.get(id)
        if (session === undefined) throw new Error('closed: no such session')
        if (typeof m[2] !== 'string') throw new Error('invalid: NEG-MSG needs a message')
        ws.send(JSON.stringify(['NEG-MSG', id, session.respond(m[2])]))
      }
    } catch (e) {
      sessions.delete(id)
      ws.send(JSON.stringify(['NEG-ERR', id, e instanceof Error ? e.message : 'error']))
    }
  }
  const close = async (server: WebSocketServer): Promise<void> => {
    for (const client of server.clients) client.terminate()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const http = servers.get(server)
    servers.delete(server)
    if (http !== undefined) await new Promise<void>((resolve) => http.close(() => resolve()))
  }
  let server = await listen(options.port ?? 0)
  const address = servers.get(server)?.address() ?? server.address()
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
  const frames = () => ({ in: structuredClone(counts.in), out: structuredClone(counts.out) })
  return { url, restart, stop, frames }
}
