/**
 * A minimal nostr client for the end-to-end tests (on `ws`): publish events and wait for every
 * `OK`; ask which of some ids a relay holds; count what a filter matches.
 */
import { WebSocket } from 'ws'

export interface SignedEvent {
  readonly id: string
  readonly pubkey: string
  readonly created_at: number
  readonly kind: number
  readonly tags: ReadonlyArray<ReadonlyArray<string>>
  readonly content: string
  readonly sig: string
}

export const connect = async (url: string): Promise<WebSocket> => {
  const ws = new WebSocket(url)
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return ws
}

/** Publishes on one connection and waits for every `OK`; returns how many the relay accepted. */
export const publish = async (url: string, events: ReadonlyArray<SignedEvent>): Promise<number> => {
  if (events.length === 0) return 0
  const ws = await connect(url)
  const waiting = new Set(events.map((e) => e.id))
  let accepted = 0
  const done = new Promise<void>((resolve) => {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Array<unknown>
      if (m[0] !== 'OK' || !waiting.delete(m[1] as string)) return
      if (m[2] === true) accepted++
      if (waiting.size === 0) resolve()
    })
  })
  for (const e of events) ws.send(JSON.stringify(['EVENT', e]))
  await done
  ws.terminate()
  return accepted
}

/**
 * Runs each filter as its own `REQ` (at most 10 open at a time: the relay keeps 20 per
 * connection) and returns the ids of every event sent before `EOSE`.
 */
export const fetchIds = async (url: string, filters: ReadonlyArray<Record<string, unknown>>): Promise<Set<string>> => {
  const found = new Set<string>()
  if (filters.length === 0) return found
  const ws = await connect(url)
  let next = 0
  let pending = filters.length
  const send = (): void => {
    const i = next++
    if (i < filters.length) ws.send(JSON.stringify(['REQ', `q${i}`, filters[i]]))
  }
  const done = new Promise<void>((resolve) => {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Array<unknown>
      if (m[0] === 'EVENT') found.add((m[2] as { id: string }).id)
      if (m[0] === 'EOSE' || m[0] === 'CLOSED') {
        ws.send(JSON.stringify(['CLOSE', m[1]]))
        send()
        if (--pending === 0) resolve()
      }
    })
  })
  for (let i = 0; i < 10; i++) send()
  await done
  ws.terminate()
  return found
}

/** Which of `ids` the relay holds (asked by id, 100 a request). */
export const holds = (url: string, ids: ReadonlyArray<string>): Promise<Set<string>> => {
  const filters: Array<Record<string, unknown>> = []
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100)
    // `limit` = the ids asked: @nostr-relay/core's SQLite store answered nothing to a lone id with `limit: 100`
    filters.push({ ids: chunk, limit: chunk.length })
  }
  return fetchIds(url, filters)
}

/** Polls `cond` every `every` ms until it holds (true) or `ms` have passed (false). */
export const until = async (cond: () => Promise<boolean> | boolean, ms: number, every = 200): Promise<boolean> => {
  const end = Date.now() + ms
  for (;;) {
    if (await cond()) return true
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, every))
  }
}
