// CommonJS users: `require('nip34-sync')` loads the ESM build (Node >= 20.19 and >= 22.12 load ES
// modules without top-level await through require). Run in this repository (self-reference) and by
// test/smoke/package.mjs in a project that installed the packed tarball.
const assert = require('node:assert/strict')
const api = require('nip34-sync')
const { function: F } = require('fp-ts')

const config = { ownRelays: ['wss://grasp.example.com'], bootstrapRelays: ['wss://bootstrap.example'] }
const { index, rejected } = F.pipe(api.emptyRepoIndex, api.applyBatch(config, [42]))
assert.equal(rejected[0]?.code, 'not-an-object')
const actions = F.pipe(api.emptyRelayIndex, api.diff(F.pipe(index, api.deriveTargets(config))))
assert.deepEqual(actions, [{ _tag: 'SpawnRelay', relay: 'wss://bootstrap.example', repos: [], rootEvents: {} }])
const [batch] = F.pipe(api.emptyRelayIndex, api.planActions(actions))
assert.equal(batch?.messages[0]?.[0], 'REQ')
const host = require('nip34-sync/host')
assert.equal(typeof host.createExecutor, 'function')
console.log(`require: require('nip34-sync') gave ${Object.keys(api).length} exports and planned ${batch?.messages.length} message(s); require('nip34-sync/host') gave createExecutor`)
