/**
 * NIP-42 on the store relay (review #8): a store relay that answers writes with `OK false`
 * "auth-required:" (the loopback relay's `requireAuthToWrite`, @nostr-relay/core's NIP-42 check)
 * gets the operator's auth event and the writes again; without a key the writes are store
 * failures, never refusals of the events (which the engine would keep for `refusedFor`, 7 days).
 */
import { describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import type { AddressInfo } from 'node:net'
import { createExecutor, type ExecutorEvent } from '../../src/host/index.js'
import { defaultResolver, makeNet } from '../../src/host/net.js'
import { relaySink } from '../../src/host/ownRelay.js'
import { engineFetchStatus } from '../../src/index.js'
import { secretKey, sign } from '../support/signing.js'
import { startLoopbackRelay } from '../relay/loopbackRelay.js'
import { holds, publish, until } from '../relay/client.js'

const author = secretKey('store auth author')
const operator = secretKey('store auth operator')
const now = Math.floor(Date.now() / 1000)
const events = [1, 2, 3].map((i) => sign(author, 1, now - i, [], `note ${i}`))

const sinkFor = (url: string, key: Uint8Array | undefined, auth: Array<string>) =>
  relaySink({
    url,
    net: makeNet({ policy: { allowRelays: [url] }, WebSocket: undefined, resolve: defaultResolver(), connectTimeoutMs: 5000, pingMs: 0, maxPayload: 1 << 20 }),
    connectTimeoutMs: 5000,
    requestTimeoutMs: 5000,
    window: 10,
    secretKey: key,
    onAuth: (status, reason) => auth.push(reason === undefined ? status : `${status}: ${reason}`)
  })

describe('the store sink answers NIP-42', () => {
  it('with the operator key: authenticates and writes everything (nothing refused)', async () => {
    const r = await startLoopbackRelay({ requireAuthToWrite: true })
    const auth: Array<string> = []
    const sink = sinkFor(r.url, operator, auth)
    try {
      const result = await sink.store(events)
      expect(result).toEqual({ stored: 3, failed: 0 })
      expect(auth).toEqual(['sent', 'ok'])
      expect((await holds(r.url, events.map((e) => e.id))).size).toBe(3)
    } finally {
      sink.stop?.()
      await r.stop()
    }
  }, 30_000)

  it('without a key: store failures reported as failed auth, no id refused', async () => {
    const r = await startLoopbackRelay({ requireAuthToWrite: true })
    const auth: Array<string> = []
    const sink = sinkFor(r.url, undefined, auth)
    try {
      const result = await sink.store(events)
      expect(result).toEqual({ stored: 0, failed: 3 })
      expect(auth).toEqual(['failed: no key to sign with (secretKey)'])
      expect((await holds(r.url, events.map((e) => e.id))).size).toBe(0)
    } finally {
      sink.stop?.()
      await r.stop()
    }
  }, 30_000)
})

describe('a store relay that asks for auth and sends no challenge', () => {
  it('the waiting writes fail after the timeout (three tries), reported once as failed auth, none refused', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    server.on('connection', (ws) =>
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as [string, { id: string }]
        if (m[0] === 'EVENT') ws.send(JSON.stringify(['OK', m[1].id, false, 'auth-required: sign in first']))
      })
    )
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
    const auth: Array<string> = []
    const sink = relaySink({
      url,
      net: makeNet({ policy: { allowRelays: [url] }, WebSocket: undefined, resolve: defaultResolver(), connectTimeoutMs: 5000, pingMs: 0, maxPayload: 1 << 20 }),
      connectTimeoutMs: 5000,
      requestTimeoutMs: 300,
      window: 10,
      secretKey: operator,
      onAuth: (status, reason) => auth.push(reason === undefined ? status : `${status}: ${reason}`)
    })
    try {
      expect(await sink.store(events.slice(0, 2))).toEqual({ stored: 0, failed: 2 })
      expect(auth).toEqual(['failed: no AUTH challenge'])
    } finally {
      sink.stop?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }, 30_000)
})

describe('the executor with an auth-only store relay', () => {
  it.each([
    ['with', operator],
    ['without', undefined]
  ] as const)('%s a key: the engine keeps no refused id', async (_, key) => {
    const store = await startLoopbackRelay({ requireAuthToWrite: true })
    const remote = await startLoopbackRelay()
    try {
      const own = 'wss://grasp.example.com'
      const announce = sign(author, 30617, now - 100, [['d', 'x'], ['relays', own, remote.url], ['clone', 'https://grasp.example.com/x.git']])
      const root = sign(author, 1621, now - 50, [['a', `30617:${announce.pubkey}:x`]], 'an issue')
      expect(await publish(remote.url, [announce, root])).toBe(2)
      const seen: Array<ExecutorEvent> = []
      const host = createExecutor({
        ownRelay: own,
        storeRelay: store.url,
        bootstrapRelays: [remote.url],
        fetch: false,
        tickMs: 100,
        requestTimeoutMs: 3000,
        onProgress: (e) => seen.push(e),
        ...(key === undefined ? {} : { secretKey: key })
      })
      await host.start()
      try {
        expect(await until(() => host.state().counters.stored + host.state().counters.storeFailed >= 2, 20_000, 50)).toBe(true)
        const storeAuth = seen.filter((e) => e.type === 'auth' && e.socket === -1).map((e) => (e as { status: string }).status)
        if (key === undefined) {
          expect(host.state().counters.stored).toBe(0)
          expect(storeAuth).toContain('failed')
        } else {
          expect(await until(() => host.state().counters.stored >= 2, 20_000, 50)).toBe(true)
          expect(storeAuth).toEqual(['sent', 'ok'])
          expect((await holds(store.url, [announce.id, root.id])).size).toBe(2)
        }
        // give a Refused input (if any) time to reach the engine
        await new Promise((r) => setTimeout(r, 300))
        expect(engineFetchStatus(host.engine()).refused).toBe(0)
      } finally {
        await host.stop()
      }
    } finally {
      await store.stop()
      await remote.stop()
    }
  }, 60_000)
})

describe('the source reads a store relay that requires auth to read', () => {
  it('answers the CLOSED auth-required: with the operator key, then reads its history and catches up', async () => {
    const store = await startLoopbackRelay({ requireAuth: true })
    try {
      const own = 'wss://grasp.example.com'
      const announce = sign(author, 30617, now - 100, [['d', 'y'], ['relays', own], ['clone', 'https://grasp.example.com/y.git']])
      expect(await publish(store.url, [announce])).toBe(1)
      const seen: Array<ExecutorEvent> = []
      const host = createExecutor({ ownRelay: own, storeRelay: store.url, fetch: false, tickMs: 100, secretKey: operator, onProgress: (e) => seen.push(e) })
      await host.start()
      try {
        expect(await host.whenCaughtUp(20_000)).toBe(true)
        expect(seen.some((e) => e.type === 'source' && e.status === 'caught-up')).toBe(true)
        expect(seen.filter((e) => e.type === 'auth' && e.socket === -1).map((e) => (e as { status: string }).status).slice(0, 2)).toEqual(['sent', 'ok'])
        // the announcement was read from the store relay and fed to the engine
        expect(seen.some((e) => e.type === 'step' && e.input === 'Events' && e.events >= 1)).toBe(true)
      } finally {
        await host.stop()
      }
    } finally {
      await store.stop()
    }
  }, 60_000)
})
