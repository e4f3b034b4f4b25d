import { defineConfig } from 'vitest/config'

// Test files share their worker's module graph (`isolate: false`): importing fp-ts, io-ts,
// nostr-tools, fast-check and the sources once per worker instead of once per file halves the
// suite's wall time on 2 cores (about 500 s → 265 s here). What the sources keep at module level is
// a cache (intern pools, hash caches, shared lists: never semantics), the verification backend
// (Verify.test.ts switches it back), or a work counter that tests read as a difference. A file that
// replaces a module with `vi.mock` needs its own module graph, and runs isolated.
const isolated = ['test/integration/host.wants.test.ts']

export default defineConfig({
  test: {
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: isolated, isolate: false } },
      { extends: true, test: { name: 'isolated', include: isolated, isolate: true } }
    ]
  }
})
