/**
 * Reading the own (store) relay (internal): the executor's default {@link EventSource}. History of
 * announcements, deletions and root events paged newest first, then live from the moment it
 * connects; reconnects resume from the last `EOSE` minus the reconnect window; a read refused with
 * `auth-required:` is answered with the operator's key (NIP-42) and sent again.
 */
import { option as O } from 'fp-ts'
import { nextPage, pageFilter, reconnectSince, startPaging, type NostrFilter, type PageCursor } from '../index.js'
import { Connection, parseFrame, Reconnect } from './connection.js'
import type { Net } from './net.js'
import { StoreAuth } from './storeAuth.js'
import type { EventSource, SourceHandlers } from './ownRelayTypes.js'

const LIVE = 'n34src-live'
const HIST = 'n34src-hist'

export interface RelaySourceOptions {
  readonly url: string
  readonly kinds: ReadonlyArray<number>
  readonly net: Net
  readonly connectTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly pageSize: number
  readonly reconnectWindow: number
  readonly now: () => number
  /** The operator's key: answers the store relay's NIP-42 challenge when it refuses a read with `auth-required:`. */
  readonly secretKey?: Uint8Array | undefined
  /** NIP-42 on the source connection: an auth event was sent, accepted, or refused. */
  readonly onAuth?: (status: 'sent' | 'ok' | 'failed', reason?: string) => void
}

/** The own relay as an {@link EventSource}: history newest first in pages, and live from the moment it connects. */
export const relaySource = (o: RelaySourceOptions): EventSource => {
  let conn: Connection | undefined
  let handlers: SourceHandlers | undefined
  let stopped = false
  let cursor: PageCursor | undefined
  let page: Array<unknown> = []
  let lastEose: number | undefined
  let caughtUp = false
  const reconnect = new Reconnect(() => connect())
  let timeout: ReturnType<typeof setTimeout> | undefined

  const clearTimer = (): void => {
    if (timeout !== undefined) clearTimeout(timeout)
    timeout = undefined
  }
  const arm = (c: Connection): void => {
    clearTimer()
    timeout = setTimeout(() => {
      timeout = undefined
      c.terminate()
      dropped(new Error('no EOSE in time'))
    }, o.requestTimeoutMs)
  }

  // NIP-42 on the source connection: the challenge, the auth event sent, a read refused for auth
  const auth = new StoreAuth(o)
  let authWanted = false
  let authedHere = false

  /** The reads again on an authenticated connection: live, and the history page the cursor is at. */
  const resend = (c: Connection): void => {
    c.send(JSON.stringify(['REQ', LIVE, { kinds: [...o.kinds], limit: 0 }]))
    const next = cursor === undefined ? O.none : pageFilter(cursor)
    if (O.isSome(next)) {
      page = []
      c.send(JSON.stringify(['REQ', HIST, next.value]))
      arm(c)
    } else clearTimer()
  }

  const connect = (): void => {
    if (stopped) return
    auth.reset()
    authWanted = false
    authedHere = false
    const base: NostrFilter = { kinds: [...o.kinds] }
    cursor ??= startPaging(caughtUp ? { ...base, since: reconnectSince(lastEose, o.reconnectWindow) } : base, { maxLimit: o.pageSize })
    page = []
    const c: Connection = new Connection(o.url, o.net, o.connectTimeoutMs, {
      onOpen: () => {
        reconnect.opened()
        handlers?.onStatus?.('connected')
      },
      onFrame: (data) => onFrame(c, data),
      onDrop: (e) => dropped(e)
    })
    conn = c
    c.send(JSON.stringify(['REQ', LIVE, { kinds: [...o.kinds], limit: 0 }]))
    const first = cursor === undefined ? O.none : pageFilter(cursor)
    if (O.isSome(first)) {
      c.send(JSON.stringify(['REQ', HIST, first.value]))
      arm(c)
    }
    c.start()
  }

  const dropped = (e: unknown): void => {
    clearTimer()
    conn = undefined
    if (stopped) return
    handlers?.onStatus?.('disconnected', e instanceof Error ? e.message : String(e))
    if (caughtUp) cursor = undefined // resume from the last EOSE minus the window
    reconnect.later()
  }

  const onFrame = (c: Connection, data: string): void => {
    const m = parseFrame(data)
    if (m === undefined) return
    if (m[0] === 'AUTH') {
      if (conn === c && auth.keep(m) && authWanted) auth.answer(c)
      return
    }
    if (auth.answered(m)) {
      if (m[2] === true) {
        o.onAuth?.('ok')
        authWanted = false
        authedHere = true
        resend(c)
      } else {
        o.onAuth?.('failed', typeof m[3] === 'string' && m[3] !== '' ? m[3].slice(0, 200) : 'refused')
        c.terminate()
        dropped(new Error('NIP-42 auth refused'))
      }
      return
    }
    if (m[0] === 'EVENT' && (m[1] === LIVE || m[1] === HIST)) {
      if (m[1] === HIST) page.push(m[2])
      handlers?.onEvents([m[2]])
      return
    }
    if (m[0] === 'EOSE' && m[1] === HIST && cursor !== undefined) {
      lastEose = o.now()
      cursor = nextPage(page)(cursor)
      page = []
      const next = pageFilter(cursor)
      if (O.isSome(next)) {
        c.send(JSON.stringify(['REQ', HIST, next.value]))
        arm(c)
        return
      }
      clearTimer()
      c.send(JSON.stringify(['CLOSE', HIST]))
      cursor = undefined
      if (!caughtUp) {
        caughtUp = true
        handlers?.onCaughtUp()
      }
      return
    }
    if (m[0] === 'EOSE' && m[1] === LIVE) {
      lastEose ??= o.now()
      return
    }
    if (m[0] === 'CLOSED' && (m[1] === LIVE || m[1] === HIST)) {
      // NIP-42: a read refused for auth waits for the auth event's answer (then both reads go again)
      // (auth is tried once per connection: refused again after it, the read is an ordinary refusal)
      if (typeof m[2] === 'string' && /^auth-required:/i.test(m[2].trimStart()) && o.secretKey !== undefined && !authedHere) {
        if (!authWanted) {
          authWanted = true
          // bounded: no challenge or no answer in time drops the connection (a backoff, then again)
          arm(c)
          auth.answer(c)
        }
        return
      }
      if (typeof m[2] === 'string' && /^auth-required:/i.test(m[2].trimStart()) && o.secretKey === undefined) o.onAuth?.('failed', 'no key to sign with (secretKey)')
      // refused: start again after a backoff
      c.terminate()
      dropped(new Error(`CLOSED ${String(m[2])}`))
    }
  }

  return {
    start: (h) => {
      handlers = h
      stopped = false
      connect()
    },
    stop: () => {
      stopped = true
      clearTimer()
      reconnect.cancel()
      conn?.terminate()
      conn = undefined
    }
  }
}
