/**
 * The real signed NIP-34 events captured from live relays, as the bundled copy in
 * `examples/sample/` holds them (test/fixtures.test.ts checks it equals `../shared/fixtures/`).
 * Each call parses a fresh copy, so a test may mutate what it gets.
 */
import { readFileSync } from 'node:fs'
import type { TestEvent } from './signing.js'

export const REAL_EVENTS_FILE = new URL('../../examples/sample/real-nip34-events.jsonl', import.meta.url)

export const realEvents = (): Array<TestEvent> =>
  readFileSync(REAL_EVENTS_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TestEvent)
