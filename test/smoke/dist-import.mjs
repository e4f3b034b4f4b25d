// Imports the built package with plain Node ESM, the way users load it. Vitest resolves modules
// its own way and would hide the fp-ts/io-ts directory-import trap; this does not.
import assert from 'node:assert/strict'
import * as api from 'nip34-sync'

const expected = ['applyBatch', 'deriveTargets', 'diff', 'applyActions', 'emptyRepoIndex', 'emptyRelayIndex', 'eqRepoIndex', 'eqRelayIndex', 'relayUrl', 'repoRef', 'RelayAction']
for (const name of expected) assert.ok(name in api, `missing export ${name}`)
// every name the barrel exported in 0.2 (before the layout moved files) is still exported
const { readFileSync } = await import('node:fs')
const names02 = readFileSync(new URL('./exports-0.2.txt', import.meta.url), 'utf8').split('\n').filter((n) => n !== '')
const lost = names02.filter((n) => !(n in api))
assert.deepEqual(lost, [], `exports of 0.2 no longer exported: ${lost.join(', ')}`)

const { function: F } = await import('fp-ts')
const config = { ownRelays: ['wss://grasp.example.com'], bootstrapRelays: ['wss://bootstrap.example'] }
const { index, rejected } = F.pipe(api.emptyRepoIndex, api.applyBatch(config, [42]))
assert.equal(rejected[0]?.code, 'not-an-object')
const actions = F.pipe(api.emptyRelayIndex, api.diff(F.pipe(index, api.deriveTargets(config))))
assert.deepEqual(actions, [{ _tag: 'SpawnRelay', relay: 'wss://bootstrap.example', repos: [], rootEvents: {} }])
console.log(`smoke: plain node imported nip34-sync (${Object.keys(api).length} exports) and planned ${actions.length} action`)
