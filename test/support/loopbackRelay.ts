/**
 * A real nostr relay on loopback for end-to-end tests: `@nostr-relay/core` with its SQLite
 * store (in memory) behind a `ws` server on 127.0.0.1 and a free port. One copy for every test
 * that needs a relay.
 */
import { NostrRelay } from '@nostr-relay/core'
import { EventRepositorySqlite } from '@nostr-relay/event-repository-sqlite'
import { WebSocketServer } from 'ws'

export interface LoopbackRelay {
  /** `ws://127.0.0.1:<port>` */
  readonly url: string
  /** Terminates every client, closes the server and the store. */
  readonly stop: () => Promise<void>
}

export const startLoopbackRelay = async (): Promise<LoopbackRelay> => {
  const repository = new EventRepositorySqlite(':memory:')
  await repository.init()
  const relay = new NostrRelay(repository)
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
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
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const address = server.address()
  const url = `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const stop = async (): Promise<void> => {
    for (const client of server.clients) client.terminate()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await repository.destroy()
  }
  return { url, stop }
}
