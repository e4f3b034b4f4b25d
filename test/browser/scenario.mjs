// @ts-check
// One scenario run in Node and in headless Chromium; both must print the same summary. It is the
// card's pipeline (README: applyBatch → deriveTargets → diff → applyActions, planActions for the
// wire) and one engine step, on real signed NIP-34 events (so signatures are verified for real).

/**
 * @param {typeof import('nip34-sync')} api the package, as the environment loads it
 * @param {typeof import('fp-ts').function} F fp-ts' function module
 * @param {ReadonlyArray<unknown>} events nostr events, as a relay would send them
 */
export const runScenario = (api, F, events) => {
  const config = { ownRelays: ['wss://relay.ngit.dev'], bootstrapRelays: ['wss://relay.damus.io'] }
  const { index, rejected } = F.pipe(api.emptyRepoIndex, api.applyBatch(config, events))
  const desired = F.pipe(index, api.deriveTargets(config))
  const actions = F.pipe(api.emptyRelayIndex, api.diff(desired))
  const wire = F.pipe(api.emptyRelayIndex, api.planActions(actions))
  const applied = F.pipe(api.emptyRelayIndex, api.applyActions(actions))
  const forged = { .../** @type {object} */ (events[0]), sig: '0'.repeat(128) } // a signature that does not verify
  const forgedRejected = F.pipe(api.emptyRepoIndex, api.applyBatch(config, [forged])).rejected.map((r) => r.code)
  const stepped = api.step({ _tag: 'Events', events, now: 1_765_000_000 })(api.syncEngine(config))
  return {
    repos: api.repoRefs(index).length,
    rejected: rejected.map((r) => r.code),
    forgedRejected,
    actions,
    wire: wire.map((b) => ({ relay: b.relay, connection: b.connection, messages: b.messages })),
    converged: api.eqRelayIndex.equals(applied, desired),
    engine: stepped.batches.map((b) => ({ relay: b.relay, socket: b.socket, messages: b.messages.length }))
  }
}
