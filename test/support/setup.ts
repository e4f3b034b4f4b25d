/**
 * Test setup. Locally, every run draws new random seeds, so the properties explore new cases
 * each time. In CI (`CI` set), the seed is fixed: a landing run must be reproducible, and a rare
 * counterexample found locally is fixed, not discovered by chance during a landing. Set
 * FC_SEED to replay a seed anywhere.
 */
import { fc } from '@fast-check/vitest'

const seed = process.env['FC_SEED'] ?? (process.env['CI'] ? '20261125' : undefined)
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) })
