// @ts-check
// The main job of `npm start`: run the sync engine (GRASP-02 proactive sync) on a bundled sample of
// NIP-34 events, as a GRASP server at wss://relay.ngit.dev would, in two batches, and print the
// actions and the REQ/CLOSE messages (live and history) per relay connection.
//
//   batch 1: real signed announcements and a patch (examples/sample/real-nip34-events.jsonl)
//            plus synthetic repositories, patches, a pull request and issues
//   batch 2: an announcement update that drops and adds relays, and new root events
import { readFileSync } from 'node:fs'
import { engineApplied, isSettled, relayTargets, step, syncEngine } from '../dist/index.js'

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

// The engine owns all sync state; the host feeds it events and relay feedback, and sends what it says.
let engine = syncEngine(config)
let now = 1_765_000_000 // the host's clock, in unix seconds (fixed here, after the sample's newest event)
/** @type {Array<{ relay: string, socket: number, id: string }>} */
let waiting = []

/** @param {import('../dist/index.js').EngineInput} input */
const feed = (input) => {
  const result = step(input)(engine)
  engine = result.engine
  for (const b of result.batches) for (const m of b.messages) if (m[0] === 'REQ') waiting.push({ relay: b.relay, socket: b.socket, id: m[1] })
  return result
}

/** Stands in for the relays: every REQ is answered with EOSE (history pages hold nothing here). */
const answerAll = () => {
  let messages = 0
  for (let round = 0; round < 100 && waiting.length > 0; round++) {
    const now_ = waiting
    waiting = []
    for (const w of now_) messages += feed({ _tag: 'Eose', relay: w.relay, socket: w.socket, id: w.id, events: [], now }).batches.reduce((n, b) => n + b.messages.length, 0)
  }
  return messages
}

batches.forEach((events, i) => {
  now += 60
  const { batches: wire, rejected } = feed({ _tag: 'Events', events, now })
  const actions = wire.flatMap((b) => b.actions)

  console.log(`\n== batch ${i + 1}: ${events.length} events, ${rejected.length} rejected, ${actions.length} actions`)
  for (const r of rejected) console.log(`  rejected #${r.position ?? '-'} ${r.code}${r.partial ? ' (partial)' : ''}: ${r.message}`)
  for (const action of actions) console.log(describe(action))
  console.log('  -- on the wire (NIP-01 messages per relay connection; live n34l…, history n34h…; unchanged subscriptions are not re-sent)')
  for (const batch of wire) {
    const reqs = batch.messages.filter((m) => m[0] === 'REQ')
    const history = reqs.filter((m) => m[1].startsWith('n34h'))
    const closes = batch.messages.filter((m) => m[0] === 'CLOSE')
    console.log(`  ${batch.relay.padEnd(32)} #${batch.socket} ${batch.connection.padEnd(5)} ${reqs.length - history.length} live REQ, ${history.length} history REQ, ${closes.length} CLOSE`)
  }
  const first = wire[0]?.messages.filter((m) => m[0] === 'REQ').at(-1)
  if (i === 0 && first !== undefined) console.log(`  e.g. ${short(JSON.stringify(first))}`)
  const after = answerAll()
  console.log(`  -- relays answered (EOSE): ${after} more messages (history CLOSEs); settled: ${isSettled(engine)}`)
})

console.log('\n== applied targets after both batches')
for (const t of relayTargets(engineApplied(engine)))
  console.log(`  ${t.relay}: ${t.repos.length} repos, ${Object.values(t.rootEvents).flat().length} root events`)
