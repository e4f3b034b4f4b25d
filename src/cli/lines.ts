/**
 * Reads JSON lines from a stream in batches: what `nak req` prints (one event per line), or relay
 * frames (`["EVENT", subscription, event]`). A line that is not JSON, or JSON that is not an
 * event object, is reported with its line number and skipped. Streaming: the input is never held
 * whole; a batch is handed over when it is full, when the input pauses (a live `nak req --stream`),
 * and at the end. While the consumer's output is backed up, the input is paused.
 */
import { createInterface } from 'node:readline'
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
  /** The longest accepted line, in UTF-16 code units (longer ones are malformed). */
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
  if (trimmed.length > maxLength) return `line longer than ${maxLength} characters`
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
 * if any, settled). Line numbers start at `firstLine` (default 1). Rejects on a stream error.
 */
export const readBatches = (input: Readable, options: ReadOptions): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const rl = createInterface({ input, crlfDelay: Infinity })
    let events: Array<object> = []
    let lines: Array<number> = []
    let n = 0
    let pending: Promise<void> = Promise.resolve()
    let waiting = 0
    let failed = false
    let idle: ReturnType<typeof setTimeout> | undefined

    const fail = (e: unknown): void => {
      if (failed) return
      failed = true
      if (idle !== undefined) clearTimeout(idle)
      rl.close()
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
        rl.pause()
        pending = pending.then(() => r).finally(() => {
          waiting--
          if (waiting === 0 && !failed) rl.resume()
        })
      }
    }

    rl.on('line', (text) => {
      n++
      const read = readLine(text, options.maxLineLength)
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
    })
    rl.on('close', () => {
      if (idle !== undefined) clearTimeout(idle)
      if (failed) return
      hand()
      pending.then(() => resolve(n), reject)
    })
    // readline re-emits the input's errors on the interface: listen to both
    rl.on('error', fail)
    input.on('error', fail)
  })
