// @ts-check
// The main job of `npm start`: plan proactive sync (GRASP-02) for a bundled sample of NIP-34
// events, as a GRASP server at wss://relay.ngit.dev would, in two batches, and print the actions.
//
//   batch 1: real signed announcements and a patch (examples/sample/real-nip34-events.jsonl)
//            plus synthetic repositories, patches, a pull request and issues
//   batch 2: an announcement update that drops and adds relays, and new root events
import { readFileSync } from 'node:fs'
import { function as F } from 'fp-ts'
import {
  applyActions,
  applyBatch,
  deriveTargets,
  diff,
  emptyRelayIndex,
  emptyRepoIndex,
  planActions,
  relayTargets
} from '../dist/index.js'

const config = {
  ownRelays: ['wss://relay.ngit.dev'],
  bootstrapRelays: ['wss://relay.damus.io']
}

/** @param {string} name */
const readJsonl = (name) =>
  readFileSync(new URL(`./sample/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line))

const real = readJsonl('real-nip34-events.jsonl')
const synthetic = readJsonl('synthetic-events.jsonl')
const batches = [
  [...real, ...synthetic.filter((x) => x.batch === 1).map((x) => x.event)],
  synthetic.filter((x) => x.batch === 2).map((x) => x.event)
]

const short = (/** @type {string} */ s) => s.replace(/\b([0-9a-f]{8})[0-9a-f]{56}\b/g, '$1…')

/** @param {import('../dist/index.js').RelayAction} action */
const describe = (action) => {
  if (action._tag === 'CloseRelay') return `  CloseRelay     ${action.relay}`
  const roots = Object.entries(action.rootEvents)
    .map(([repo, ids]) => `\n                   ${short(repo)} roots: ${ids.map(short).join(', ')}`)
    .join('')
  const repos = action.repos.length === 0 ? '' : `\n                   repos: ${action.repos.map(short).join(', ')}`
  return `  ${action._tag.padEnd(14)} ${action.relay}${repos}${roots}`
}

let repoIndex = emptyRepoIndex
let applied = emptyRelayIndex
batches.forEach((events, i) => {
  const { index, rejected } = F.pipe(repoIndex, applyBatch(config, events))
  repoIndex = index
  const desired = F.pipe(repoIndex, deriveTargets(config))
  const actions = F.pipe(applied, diff(desired))
  const wire = F.pipe(applied, planActions(actions)) // the REQ/CLOSE messages that carry them out
  applied = F.pipe(applied, applyActions(actions))

  console.log(`\n== batch ${i + 1}: ${events.length} events, ${rejected.length} rejected, ${actions.length} actions`)
  for (const r of rejected) console.log(`  rejected #${r.position ?? '-'} ${r.code}${r.partial ? ' (partial)' : ''}: ${r.message}`)
  for (const action of actions) console.log(describe(action))
  console.log('  -- on the wire (NIP-01 messages; unchanged subscriptions are not re-sent)')
  for (const batch of wire) {
    const reqs = batch.messages.filter((m) => m[0] === 'REQ')
    const closes = batch.messages.filter((m) => m[0] === 'CLOSE')
    console.log(`  ${batch.relay.padEnd(32)} ${batch.connection.padEnd(5)} ${reqs.length} REQ, ${closes.length} CLOSE: ${batch.messages.map((m) => `${m[0]} ${m[1]}`).join(', ')}`)
  }
  const first = wire[0]?.messages.filter((m) => m[0] === 'REQ').at(-1)
  if (i === 0 && first !== undefined) console.log(`  e.g. ${short(JSON.stringify(first))}`)
})

console.log('\n== applied targets after both batches')
for (const t of relayTargets(applied))
  console.log(`  ${t.relay}: ${t.repos.length} repos, ${Object.values(t.rootEvents).flat().length} root events`)
