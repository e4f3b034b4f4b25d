/**
 * The import rule of src/ (docs/architecture.md, "The import rule"). Run: `npm run lint:deps`.
 *
 * - The core imports no Node builtin (`node:fs`, `fs`, `crypto`, ...): it runs in browsers too.
 *   Only a future `src/cli/` (Node only by definition) may.
 * - Nothing in src/ imports the edge folders `src/host/` (executor: sockets, clock) or
 *   `src/cli/` (command line); `src/host/` does not import `src/cli/`. Edges import the core,
 *   never the other way. The rules match by path, so they apply as soon as the folders exist.
 * - No folder imports one to its right in `order` (below): util < model < config < decode < repo <
 *   relays < derive < wire < engine < snapshot < host < cli. Type-only imports count too.
 * - No import cycles in src/. A cycle of run-time imports is always an error. Cycles that close
 *   only through `import type` (they vanish at run time, but tie a public module and its
 *   internal/ machinery together) are an error too, except in the modules listed in
 *   `knownCycles` (those that had one when the rule was written): a warning there.
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */

/**
 * Modules allowed a type-only import cycle (a warning, not an error). It listed the 9 modules in
 * such cycles when the rule was written (a public module whose internal machinery imported types
 * back from it); moving the shared types into files both import emptied it. Keep it empty.
 */
const knownCycles = []

/**
 * The folders of src/, left to right in the order data flows (docs/architecture.md). A folder
 * imports only from itself and folders to its left; type-only imports count too, with no
 * exception (none was needed: a type both sides need lives in the left one).
 */
const order = ['util', 'model', 'config', 'decode', 'repo', 'relays', 'derive', 'wire', 'engine', 'snapshot', 'host', 'cli']

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const known = knownCycles.length === 0 ? '^$' : `^(${knownCycles.map(escape).join('|')})$`

const folderRules = order.slice(0, -1).map((folder, i) => ({
  name: `folder-order-${folder}`,
  comment: `src/${folder}/ imports only from src/{${order.slice(0, i + 1).join(',')}}/ (the folder order, docs/architecture.md).`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: { path: `^src/(${order.slice(i + 1).join('|')})/` }
}))

module.exports = {
  forbidden: [
    ...folderRules,
    {
      name: 'core-no-node-builtins',
      comment: 'src/ runs in browsers: no node: module or Node builtin (only src/cli/ may).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { dependencyTypes: ['core'] }
    },
    {
      name: 'core-not-to-edges',
      comment: 'Edges (src/host/, src/cli/) import the core; the core never imports them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(host|cli)/' },
      to: { path: '^src/(host|cli)/' }
    },
    {
      name: 'host-not-to-cli',
      comment: 'The host executor is a library; the CLI is built on it, not the other way.',
      severity: 'error',
      from: { path: '^src/host/' },
      to: { path: '^src/cli/' }
    },
    {
      name: 'no-runtime-cycles',
      comment: 'A cycle of run-time imports under src/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } }
    },
    {
      name: 'no-cycles',
      comment: 'An import cycle under src/ (through type-only imports too).',
      severity: 'error',
      from: { path: '^src/', pathNot: known },
      to: { circular: true }
    },
    {
      name: 'no-cycles-known',
      comment: 'A type-only import cycle that existed when the rule was written: move the shared types so it goes.',
      severity: 'warn',
      from: { path: known },
      to: { circular: true }
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that cannot be resolved hides its target from the rules above.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts'],
      mainFields: ['module', 'main', 'types']
    }
  }
}
