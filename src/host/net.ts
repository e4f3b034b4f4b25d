/**
 * The network edge of the executor (internal): which WebSocket implementation to use, the
 * connect-time address check against DNS rebinding, and the NIP-11 fetch.
 *
 * - In Node with the `ws` package (the default there), every connection resolves the relay's name
 *   itself, checks every resolved address with `checkResolvedAddress` and connects only to a
 *   checked one, through `ws`'s `lookup` hook: nothing resolves the name again after the check.
 * - With another implementation (`globalThis.WebSocket`, or one the caller gives) the name is
 *   resolved and every address checked before connecting; the implementation then resolves it
 *   again, so a name that changes its answer within that moment is not caught (documented in
 *   docs/host.md).
 * - Where no resolver exists (browsers), only the URL is checked (its host class, an IP literal
 *   included): a browser cannot resolve names, and its own network rules apply.
 *
 * No `node:` import: Node's `dns` is taken with `process.getBuiltinModule` when it exists, and
 * `ws` is imported lazily, so this module loads in browsers too.
 */
import { either as E } from 'fp-ts'
import { canonicalRelay, checkRelayUrl, checkResolvedAddress, classifyHost, type PolicyRefusal, type RelayPolicy } from '../index.js'

/**
 * A WebSocket implementation (the DOM `WebSocket` constructor shape, which nostr-tools'
 * `AbstractRelay` takes): `globalThis.WebSocket`, or `ws`'s `WebSocket`.
 *
 * @example
 * import type { WebSocketClass } from 'nip34-sync/host'
 *
 * const impl: WebSocketClass | undefined = (globalThis as { WebSocket?: WebSocketClass }).WebSocket
 * assert.ok(impl === undefined || typeof impl === 'function')
 *
 * @category model
 * @since 0.3.0
 */
export type WebSocketClass = typeof WebSocket

/**
 * Resolves a host name to its IP addresses (for the connect-time address check).
 *
 * @example
 * import type { Resolver } from 'nip34-sync/host'
 *
 * const fixed: Resolver = async () => ['93.184.215.14']
 * assert.deepStrictEqual(await fixed('relay.example.com'), ['93.184.215.14'])
 *
 * @category model
 * @since 0.3.0
 */
export type Resolver = (hostname: string) => Promise<ReadonlyArray<string>>

/** The socket under a connection, as far as the executor touches it. */
export interface RawSocket {
  terminate?: () => void
  close?: () => void
}

interface DnsModule {
  lookup(hostname: string, options: { all: true }, callback: (err: Error | null, addresses: Array<{ address: string; family: number }>) => void): void
}

const nodeDns = (): DnsModule | undefined => {
  try {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    return typeof p?.getBuiltinModule === 'function' ? (p.getBuiltinModule('node:dns') as DnsModule) : undefined
  } catch {
    return undefined
  }
}

interface HttpModule {
  readonly get: (
    url: string,
    options: object,
    callback: (res: NodeReadable & { readonly statusCode?: number; readonly headers: Record<string, string | Array<string> | undefined> }) => void
  ) => { on: (event: 'error', listener: (e: unknown) => void) => unknown }
}
type NodeReadable = object
interface NodeHttp {
  readonly http: HttpModule
  readonly https: HttpModule
  readonly stream: { readonly Readable: { readonly toWeb: (r: NodeReadable) => unknown } }
}

/** Node's `http`, `https` and `stream` (taken with `process.getBuiltinModule`), or `undefined`. */
const nodeHttp = (): NodeHttp | undefined => {
  try {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    if (typeof p?.getBuiltinModule !== 'function') return undefined
    return { http: p.getBuiltinModule('node:http') as HttpModule, https: p.getBuiltinModule('node:https') as HttpModule, stream: p.getBuiltinModule('node:stream') as NodeHttp['stream'] }
  } catch {
    return undefined
  }
}

/** Node's resolver (`dns.lookup`, what sockets use), or `undefined` where there is none (browsers). */
export const defaultResolver = (): Resolver | undefined => {
  const dns = nodeDns()
  if (dns === undefined) return undefined
  return (hostname) =>
    new Promise((resolve, reject) =>
      dns.lookup(hostname, { all: true }, (err, addresses) => (err === null ? resolve(addresses.map((a) => a.address)) : reject(err)))
    )
}

/** A connection attempt refused by the relay policy (at the URL or at a resolved address). */
export class Refused extends Error {
  constructor(readonly refusal: PolicyRefusal) {
    super(refusal.reason)
    this.name = 'Refused'
  }
}

interface WsModule {
  WebSocket?: new (url: string, options: object) => WsSocket
  default?: new (url: string, options: object) => WsSocket
}
interface WsSocket {
  on(event: string, listener: (...args: Array<unknown>) => void): void
  ping(): void
  terminate(): void
  readyState: number
}

/** The `ws` package, imported once when first needed (`undefined` when it is not installed). */
let wsModule: Promise<WsModule | undefined> | undefined
const WS_SPECIFIER = 'ws'
const loadWs = (): Promise<WsModule | undefined> =>
  (wsModule ??= import(/* @vite-ignore */ WS_SPECIFIER).then(
    (m: WsModule) => m,
    () => undefined
  ))

/** Options of the network layer, resolved by the executor. */
export interface NetOptions {
  readonly policy: Partial<RelayPolicy>
  /** A WebSocket implementation given by the caller (then the `lookup` hook is not used). */
  readonly WebSocket: WebSocketClass | undefined
  readonly resolve: Resolver | undefined
  readonly connectTimeoutMs: number
  /** Seconds between keep-alive pings on `ws` sockets (0: none). */
  readonly pingMs: number
  readonly maxPayload: number
  /**
   * Relays trusted for their URL as written (`ws://`, a loopback or private literal) but not for
   * where their name resolves: the addresses a host name of theirs resolves to are checked like an
   * untrusted relay's (the bootstrap relays; exact `allowRelays`, own and store relays are not here).
   */
  readonly addressChecked?: ReadonlySet<string>
  /** The policy those relays' resolved addresses are checked under (without their trust). */
  readonly addressPolicy?: Partial<RelayPolicy>
}

/** What a connection learns from its socket class: the socket made, and a refusal at lookup time (the socket then fails with a plain error). */
export interface SocketHooks {
  readonly onRaw: (raw: RawSocket) => void
  readonly onRefused: (refusal: Refused) => void
}

/** The network layer: a checked WebSocket class per connection. */
export interface Net {
  /**
   * A WebSocket class that connects to `relay` only at checked addresses, calling `onRaw` with
   * each socket it makes; rejects with {@link Refused} when the policy refuses the relay.
   */
  readonly socketFor: (relay: string, hooks: SocketHooks) => Promise<WebSocketClass>
  /** Resolves and checks every address of the relay's host (the NIP-11 fetch and non-`ws` sockets); rejects with {@link Refused}. */
  readonly precheck: (relay: string) => Promise<void>
  /** A `fetch` that connects to `relay`'s checked addresses only (Node), or `undefined`. */
  readonly checkedFetch: (relay: string) => typeof fetch | undefined
}

const refusalOf = (e: E.Either<PolicyRefusal, string>): PolicyRefusal | undefined => (E.isLeft(e) ? e.left : undefined)

export const makeNet = (o: NetOptions): Net => {
  const check = checkResolvedAddress(o.policy)
  const checkUntrusted = checkResolvedAddress(o.addressPolicy ?? {})
  /** The check of the addresses a relay's host name resolved to (a literal is checked as written, by {@link urlCheck}). */
  const checkResolved = (relay: string): ((address: string) => E.Either<PolicyRefusal, string>) => {
    if (o.addressChecked === undefined || !o.addressChecked.has(canonical(relay))) return check(relay)
    // its URL is trusted; where its name points is not: the address rules under the plain policy
    const host = hostOf(relay)
    return checkUntrusted(`wss://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}`)
  }
  const checkUrl = checkRelayUrl(o.policy)
  const canonical = (relay: string): string => canonicalRelay(relay) ?? relay
  const hostOf = (relay: string): string => {
    try {
      return new URL(relay).hostname
    } catch {
      return ''
    }
  }
  const isAddress = (host: string): boolean => {
    const c = classifyHost(host)
    return c.kind === 'ipv4' || c.kind === 'ipv6'
  }

  /** The URL check; for an IP literal the address check too (no lookup happens for it). */
  const urlCheck = (relay: string): void => {
    const url = checkUrl(relay)
    if (E.isLeft(url)) throw new Refused(url.left)
    const host = hostOf(relay)
    if (isAddress(host)) {
      const refusal = refusalOf(check(relay)(host))
      if (refusal !== undefined) throw new Refused(refusal)
    }
  }

  const precheck = async (relay: string): Promise<void> => {
    urlCheck(relay)
    const host = hostOf(relay)
    if (isAddress(host) || o.resolve === undefined) return
    const addresses = await o.resolve(host)
    const checkAt = checkResolved(relay)
    for (const a of addresses) {
      const refusal = refusalOf(checkAt(a))
      if (refusal !== undefined) throw new Refused(refusal)
    }
  }

  /** The lookup hook of net.connect: resolve, keep the addresses the policy accepts, connect to those. */
  const lookupFor = (relay: string, onRefused: (refusal: Refused) => void) => {
    const resolve = o.resolve
    const checkAt = checkResolved(relay)
    return (hostname: string, options: { all?: boolean }, callback: (...args: Array<unknown>) => void): void => {
      if (resolve === undefined) return
      resolve(hostname).then(
        (addresses) => {
          const ok: Array<string> = []
          let refusal: PolicyRefusal | undefined
          for (const a of addresses) {
            const r = checkAt(a)
            if (E.isRight(r)) ok.push(a)
            else refusal ??= r.left
          }
          if (ok.length === 0) {
            if (refusal === undefined) callback(new Error(`${hostname} did not resolve`))
            else {
              const error = new Refused(refusal)
              onRefused(error)
              callback(error)
            }
            return
          }
          const family = (a: string): number => (a.includes(':') ? 6 : 4)
          if (options.all === true) callback(null, ok.map((address) => ({ address, family: family(address) })))
          else callback(null, ok[0], family(ok[0] as string))
        },
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)))
      )
    }
  }

  /**
   * A `fetch` for the NIP-11 document over Node's `http`/`https` with the same checked lookup as
   * the sockets (the connection goes to an address that was checked; no second, unchecked
   * resolution). `undefined` where Node's modules or a resolver are missing (then `fetch` is used
   * after {@link precheck}).
   */
  const checkedFetch = (relay: string): typeof fetch | undefined => {
    const modules = nodeHttp()
    if (modules === undefined || o.resolve === undefined) return undefined
    return ((url: string, init: { headers?: Record<string, string>; signal?: AbortSignal }) =>
      new Promise<Response>((resolve, reject) => {
        let refused: Refused | undefined
        const lib = url.startsWith('https:') ? modules.https : modules.http
        const req = lib.get(url, { headers: init.headers, signal: init.signal, lookup: lookupFor(relay, (r) => (refused = r)) }, (res) => {
          const headers = new Headers()
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v)
          const body = modules.stream.Readable.toWeb(res) as ReadableStream<Uint8Array>
          const status = res.statusCode ?? 500
          resolve(new Response(status === 204 || status === 304 ? null : body, { status: status < 200 || status > 599 ? 500 : status, headers }))
        })
        req.on('error', (e: unknown) => reject(refused ?? e))
      })) as unknown as typeof fetch
  }

  const socketFor = async (relay: string, hooks: SocketHooks): Promise<WebSocketClass> => {
    const onRaw = hooks.onRaw
    if (o.WebSocket !== undefined) {
      await precheck(relay)
      return wrapGiven(o.WebSocket, onRaw)
    }
    // `ws` is loaded whether or not names are resolved here (Node 20 has no global WebSocket)
    const ws = await loadWs()
    const Base = ws?.WebSocket ?? ws?.default
    if (Base === undefined) {
      const global = (globalThis as { WebSocket?: WebSocketClass }).WebSocket
      if (global === undefined) throw new Error('no WebSocket implementation: install `ws` or pass the `WebSocket` option')
      await precheck(relay)
      return wrapGiven(global, onRaw)
    }
    urlCheck(relay)
    const resolve = o.resolve
    const lookup = lookupFor(relay, hooks.onRefused)
    // `resolve: false`: no lookup hook (the system resolver, no check of resolved addresses)
    const options = { ...(resolve === undefined ? {} : { lookup }), handshakeTimeout: o.connectTimeoutMs, closeTimeout: 2000, maxPayload: o.maxPayload, perMessageDeflate: false }
    const pingMs = o.pingMs
    class Checked extends (Base as unknown as new (url: string, options: object) => WsSocket) {
      constructor(url: string) {
        super(url, options)
        // `ws` throws an 'error' event nobody listens to; AbstractRelay removes its handler on close
        this.on('error', () => undefined)
        onRaw(this)
        if (pingMs > 0) keepAlive(this, pingMs)
      }
    }
    return Checked as unknown as WebSocketClass
  }

  return { socketFor, precheck, checkedFetch }
}

/** Pings every `ms`; a socket that did not answer the previous ping is terminated (a dead TCP path otherwise goes unnoticed). */
const keepAlive = (ws: WsSocket, ms: number): void => {
  let alive = true
  let timer: ReturnType<typeof setInterval> | undefined
  ws.on('pong', () => {
    alive = true
  })
  ws.on('open', () => {
    timer = setInterval(() => {
      if (!alive) {
        ws.terminate()
        return
      }
      alive = false
      try {
        ws.ping()
      } catch {
        // closing: the close handler clears the timer
      }
    }, ms)
    ;(timer as { unref?: () => void }).unref?.()
  })
  ws.on('close', () => clearInterval(timer))
}

const wrapGiven = (Given: WebSocketClass, onRaw: (raw: RawSocket) => void): WebSocketClass => {
  const Wrapped = function (this: unknown, url: string) {
    const ws = new Given(url)
    onRaw(ws as unknown as RawSocket)
    return ws
  } as unknown as WebSocketClass
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const) Object.defineProperty(Wrapped, k, { value: Given[k] })
  return Wrapped
}

/** The most a NIP-11 document may weigh. */
const MAX_INFO_BYTES = 65_536

/**
 * Fetches a relay's NIP-11 document (`Accept: application/nostr+json`, no redirects, `timeoutMs`,
 * at most 64 KiB), after checking its addresses. `undefined` when anything fails.
 */
export const fetchRelayInfo = async (
  relay: string,
  fetchImpl: typeof fetch,
  net: Net,
  timeoutMs: number,
  signal: AbortSignal,
  /** `fetchImpl` is the caller's own: use it (after the pre-resolution check) even where a checked fetch exists. */
  given = false
): Promise<unknown> => {
  await net.precheck(relay)
  const checked = given ? undefined : net.checkedFetch(relay)
  if (checked !== undefined) fetchImpl = checked
  const url = relay.replace(/^ws(s?):\/\//i, 'http$1://')
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
  const res = await fetchImpl(url, {
    headers: { Accept: 'application/nostr+json' },
    redirect: 'error',
    signal: deadline
  })
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined)
    return undefined
  }
  const length = Number(res.headers.get('content-length') ?? '0')
  if (length > MAX_INFO_BYTES || res.body === null) {
    await res.body?.cancel().catch(() => undefined)
    return undefined
  }
  const text = await readCapped(res.body, MAX_INFO_BYTES, deadline)
  return text === undefined ? undefined : (JSON.parse(text) as unknown)
}

/**
 * Reads a body chunk by chunk and cancels it once past `cap` bytes (a missing or lying
 * `Content-Length` cannot make it buffer more), or when `signal` aborts (the timeout covers the
 * body too, even with a `fetch` that ignores its signal). `undefined` past the cap.
 */
const readCapped = async (body: ReadableStream<Uint8Array>, cap: number, signal: AbortSignal): Promise<string | undefined> => {
  const reader = body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  const onAbort = (): void => {
    reader.cancel().catch(() => undefined)
  }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted')
      const { done, value } = await reader.read()
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted')
      if (done) break
      size += value.byteLength
      if (size > cap) {
        await reader.cancel().catch(() => undefined)
        return undefined
      }
      chunks.push(value)
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
  const all = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.byteLength
  }
  return new TextDecoder().decode(all)
}
