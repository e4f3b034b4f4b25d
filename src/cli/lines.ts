/**
 * Reads JSON lines from a stream in batches: what `nak req` prints (one event per line), or relay
 * frames (`["EVENT", subscription, event]`). A line that is not JSON, or JSON that is not an
 * event object, is reported with its line number and skipped. Streaming: the input is never held
 * whole; a batch is handed over when it is full, when the input pauses (a live `nak req --stream`),
 * and at the end. While the consumer's output is backed up, the input is paused.
 */
import type { Readable } from 'node:stream'

/** One line that could not be read as an event. */
export interface Malformed {
  readonly line: number
  readonly reason: string
}

/** Events read from consecutive lines, with the line number of each. */
export interface Batch {
  readonly events: ReadonlyArray<object>
  readonly lines: ReadonlyArray<number>
}

export interface ReadOptions {
  readonly batchSize: number
  /** Hand over a partial batch after this many milliseconds without a new line. */
  readonly idleMs: number
  /** The longest accepted line, in bytes (longer ones are malformed, and never held whole). */
  readonly maxLineLength: number
  readonly onMalformed: (m: Malformed) => void
  /** Gets each batch; returns a promise when its output is backed up (the input waits for it). */
  readonly onBatch: (b: Batch) => void | Promise<void>
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : 'unreadable')

/** The event in one line, or why there is none. `undefined`: a blank line. */
export const readLine = (text: string, maxLength: number): object | string | undefined => {
  const trimmed = text.trim()
  if (trimmed === '') return undefined
  if (trimmed.length > maxLength) return `line longer than ${maxLength} bytes`
  let value: unknown
  try {
    value = JSON.parse(trimmed)
  } catch (e) {
    return `not JSON (${reasonOf(e)})`
  }
  if (Array.isArray(value)) {
    if (value[0] === 'EVENT' && value.length === 3 && typeof value[2] === 'object' && value[2] !== null && !Array.isArray(value[2])) return value[2] as object
    return 'a JSON array that is not an ["EVENT", subscription, event] frame'
  }
  if (typeof value !== 'object' || value === null) return `not an event (a JSON ${value === null ? 'null' : typeof value})`
  return value
}

/**
 * Reads every line of `input`; resolves after the last batch was handed over (and its promise,
 * if any, settled). Lines are split on the raw bytes (0x0A) of the stream, so a line is never
 * held past `maxLineLength` bytes: the rest of a longer line is discarded as it arrives and the
 * line is reported malformed; the next line is read as usual. Rejects on a stream error.
 */
export const readBatches = (input: Readable, options: ReadOptions): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const cap = options.maxLineLength
    let events: Array<object> = []
    let lines: Array<number> = []
    let n = 0
    let pending: Promise<void> = Promise.resolve()
    let waiting = 0
    let failed = false
    let ended = false
    let idle: ReturnType<typeof setTimeout> | undefined
    // the current line: its chunks (at most `cap` bytes), or `over` once it passed the cap
    let parts: Array<Buffer> = []
    let size = 0
    let over = false

    const fail = (e: unknown): void => {
      if (failed) return
      failed = true
      if (idle !== undefined) clearTimeout(idle)
      input.off('data', onData)
      reject(e)
    }

    const hand = (): void => {
      if (events.length === 0) return
      const batch: Batch = { events, lines }
      events = []
      lines = []
      let r: void | Promise<void>
      try {
        r = options.onBatch(batch)
      } catch (e) {
        fail(e)
        return
      }
      if (r !== undefined) {
        // backed up: pause the input until the output drains
        waiting++
        input.pause()
        pending = pending.then(() => r).finally(() => {
          waiting--
          if (waiting === 0 && !failed && !ended) input.resume()
        })
      }
    }

    const take = (part: Buffer): void => {
      if (over || part.length === 0) return
      if (size + part.length > cap) {
        over = true
        parts = []
        size = 0
        return
      }
      parts.push(part)
      size += part.length
    }

    const endLine = (): void => {
      n++
      if (over) {
        over = false
        options.onMalformed({ line: n, reason: `line longer than ${cap} bytes` })
        return
      }
      const text = parts.length === 1 ? (parts[0] as Buffer).toString('utf8') : Buffer.concat(parts, size).toString('utf8')
      parts = []
      size = 0
      const read = readLine(text, cap)
      if (read === undefined) return
      if (typeof read === 'string') {
        options.onMalformed({ line: n, reason: read })
        return
      }
      events.push(read)
      lines.push(n)
      if (events.length >= options.batchSize) hand()
      else if (idle === undefined) idle = setTimeout(hand, options.idleMs)
      else idle.refresh()
    }

    function onData(chunk: Buffer | string): void {
      if (failed) return
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
      let from = 0
      for (;;) {
        const nl = buf.indexOf(0x0a, from)
        if (nl < 0) break
        take(buf.subarray(from, nl))
        endLine()
        if (failed) return
        from = nl + 1
      }
      // a copy: the stream may reuse its buffer, and a small slice would keep a large chunk alive
      if (from < buf.length) take(Buffer.from(buf.subarray(from)))
    }

    input.on('data', onData)
    input.on('end', () => {
      ended = true
      if (idle !== undefined) clearTimeout(idle)
      if (failed) return
      if (size > 0 || over) endLine()
      if (failed) return
      hand()
      pending.then(() => resolve(n), reject)
    })
    input.on('error', fail)
  })
