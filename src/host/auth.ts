/**
 * Relay health at the edge (internal): NIP-42 auth with the operator's key, and the
 * classification of connection failures the engine parks (DNS, TLS, protocol, refused address).
 *
 * The key is read once into bytes and only ever used to sign kind 22242 events (nostr-tools'
 * `makeAuthEvent` and `finalizeEvent`): it is never logged, put in an event, or reported.
 */
import { makeAuthEvent } from 'nostr-tools/nip42'
import { finalizeEvent } from 'nostr-tools/pure'
import type { RelayFailureKind } from '../index.js'
import { Refused } from './net.js'
import type { SignedEvent as NostrEventLike } from '../decode/verifyBackend.js'

const HEX64 = /^[0-9a-f]{64}$/i

/** The operator's secret key as 32 bytes (hex or bytes), or `undefined` when the value is not one. */
export const readSecretKey = (u: unknown): Uint8Array | undefined => {
  if (u instanceof Uint8Array) return u.length === 32 ? Uint8Array.from(u) : undefined
  if (typeof u === 'string' && HEX64.test(u)) {
    const out = new Uint8Array(32)
    for (let i = 0; i < 32; i++) out[i] = parseInt(u.slice(2 * i, 2 * i + 2), 16)
    return out
  }
  return undefined
}

/** The signed kind 22242 event answering `challenge` from `relay` (NIP-42); `undefined` when signing fails. */
export const signAuth = (key: Uint8Array, relay: string, challenge: string): NostrEventLike | undefined => {
  try {
    return finalizeEvent(makeAuthEvent(relay, challenge.slice(0, 1000)), key) as NostrEventLike
  } catch {
    return undefined
  }
}

/**
 * Signs the auth event answering `challenge` from `relay` and sends it on `conn` (NIP-42): the
 * event's id, to match the relay's `OK`; `undefined` (nothing sent) when signing fails.
 */
export const sendAuth = (conn: { readonly send: (frame: string) => void }, key: Uint8Array, relay: string, challenge: string): string | undefined => {
  const ev = signAuth(key, relay, challenge)
  if (ev === undefined) return undefined
  conn.send(JSON.stringify(['AUTH', ev]))
  return ev.id
}

/** A relay's challenge (`["AUTH", challenge]`): a string of sane size, else `undefined`. */
export const challengeOf = (m: ReadonlyArray<unknown>): string | undefined => {
  const c = m[1]
  return typeof c === 'string' && c.length > 0 && c.length <= 1000 ? c : undefined
}

const textOf = (e: unknown): string => {
  if (e instanceof Error) return `${(e as { code?: unknown }).code ?? ''} ${e.message}`
  if (typeof e === 'string') return e
  return ''
}

// EAI_AGAIN is the resolver's "temporary failure, try again": left to the backoff (and a bare
// `getaddrinfo` mention is not enough: the code or the resolver's words say what failed)
const DNS = /\b(ENOTFOUND|EAI_NONAME|EAI_NODATA|EAI_FAIL)\b|name or service not known|nodename nor servname/i
const AGAIN = /\bEAI_AGAIN\b|temporary failure in name resolution/i
/** `ws` on an HTTP answer that is not the upgrade: `Unexpected server response: 503`. */
const STATUS = /unexpected server response:?\s*(\d{3})/i
const TLS = /\b(ERR_TLS_\w+|ERR_SSL_\w+|CERT_\w+|UNABLE_TO_\w+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|EPROTO)\b|certificate|\bssl\b|\btls\b|handshake failure/i
const PROTOCOL = /unexpected server response|invalid (websocket )?frame|WS_ERR_\w+|invalid (status|upgrade|sec-websocket)|not a websocket|invalid payload|protocol error/i
const TIMEOUT = /timed? ?out|ETIMEDOUT/i

/**
 * What a failed connection attempt says: `refused-address` for the relay policy's refusal, `dns`
 * for a name that does not resolve (ENOTFOUND, EAI_NONAME; not EAI_AGAIN, a temporary resolver
 * failure), `tls` for certificate and handshake errors, `protocol` for a server that does not
 * answer as a WebSocket (an HTTP 200 page, another 4xx or 3xx status, a bad frame),
 * `rate-limited` for HTTP 429; `undefined` for anything that may mend soon (refused connection,
 * reset, timeout, HTTP 5xx and 408, EAI_AGAIN), which the backoff handles.
 */
export const classifyFailure = (error: unknown, cause: unknown): { readonly kind: RelayFailureKind; readonly reason: string } | undefined => {
  if (error instanceof Refused) return { kind: 'refused-address', reason: error.refusal.reason }
  for (const e of [cause, error]) {
    const t = textOf(e).trim()
    if (t === '' || TIMEOUT.test(t) || AGAIN.test(t)) continue
    const status = STATUS.exec(t)
    if (status !== null) {
      const code = Number(status[1])
      // a relay overloaded or restarting behind a proxy (5xx), or a request timeout (408): the backoff
      if (code >= 500 || code === 408) return undefined
      // a rate limit: the relay's cooldown (no connection, no REQ until it ends)
      if (code === 429) return { kind: 'rate-limited', reason: t.slice(0, 200) }
      // an HTML page (200), a redirect, a 404 or 403: not a WebSocket relay at that URL
      return { kind: 'protocol', reason: t.slice(0, 200) }
    }
    if (DNS.test(t)) return { kind: 'dns', reason: t.slice(0, 200) }
    if (TLS.test(t)) return { kind: 'tls', reason: t.slice(0, 200) }
    if (PROTOCOL.test(t)) return { kind: 'protocol', reason: t.slice(0, 200) }
  }
  return undefined
}
