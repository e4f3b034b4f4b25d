// @ts-check
// The seed's algorithm (docs: ../shared/reference/seed-state-structure-redesign-proposal.md),
// written plainly with mutable JS Maps and Sets, as the baseline the card pipeline is measured
// against. One step: apply the batch to the mutable index, derive every relay's target from the
// whole index, diff the whole target against the previous one, apply the actions.
//
// - Index: address → { announcement (id, created_at, accepted, relays minus own), root ids }.
//   Addressable rule: the greatest created_at wins, ties go to the lowest id. GRASP-01: accepted
//   when the announcement lists an own relay in `relays` and an own host in an http(s) `clone`.
// - Targets: relay → { repos: Set<address>, roots: Set<id> } over accepted announcements only.
// - Diff: SpawnRelay / AddFilters / RemoveFilters / CloseRelay, removals included.

const ROOT_KINDS = new Set([1617, 1618, 1619, 1621])

/**
 * @typedef {{ id: string, createdAt: number, accepted: boolean, relays: string[] }} SeedAnnouncement
 * @typedef {{ ann: SeedAnnouncement | undefined, roots: Set<string> }} SeedRepo
 * @typedef {Map<string, SeedRepo>} SeedIndex
 * @typedef {{ repos: Set<string>, roots: Set<string> }} SeedTarget
 * @typedef {Map<string, SeedTarget>} SeedTargets
 * @typedef {{ tag: 'SpawnRelay' | 'AddFilters' | 'RemoveFilters' | 'CloseRelay', relay: string, repos: string[], roots: string[] }} SeedAction
 */

/** @param {string[]} ownRelays */
export const seedConfig = (ownRelays) => {
  const own = new Set(ownRelays)
  const hosts = new Set(ownRelays.map((u) => new URL(u).host))
  return { own, hosts }
}

/** @returns {SeedIndex} */
export const seedEmpty = () => new Map()

const cloneHost = /^https?:\/\/([^/?#]+)/

/**
 * Applies a batch to the mutable index.
 * @param {ReturnType<typeof seedConfig>} cfg @param {SeedIndex} index @param {ReadonlyArray<any>} batch
 */
export const seedApply = (cfg, index, batch) => {
  for (const ev of batch) {
    if (ev.kind === 30617) {
      let d = ''
      /** @type {string[]} */
      const relays = []
      let listsOwn = false
      let clonesOwn = false
      for (const tag of ev.tags) {
        if (tag[0] === 'd' && d === '') d = tag[1] ?? ''
        else if (tag[0] === 'relays') {
          for (let k = 1; k < tag.length; k++) {
            const u = tag[k]
            if (cfg.own.has(u)) listsOwn = true
            else if (!relays.includes(u)) relays.push(u)
          }
        } else if (tag[0] === 'clone') {
          for (let k = 1; k < tag.length; k++) {
            const m = cloneHost.exec(tag[k])
            if (m !== null && cfg.hosts.has(/** @type {string} */ (m[1]))) clonesOwn = true
          }
        }
      }
      const address = `30617:${ev.pubkey}:${d}`
      let repo = index.get(address)
      if (repo === undefined) index.set(address, (repo = { ann: undefined, roots: new Set() }))
      const old = repo.ann
      if (old === undefined || ev.created_at > old.createdAt || (ev.created_at === old.createdAt && ev.id < old.id))
        repo.ann = { id: ev.id, createdAt: ev.created_at, accepted: listsOwn && clonesOwn, relays }
    } else if (ROOT_KINDS.has(ev.kind)) {
      for (const tag of ev.tags) {
        if (tag[0] !== 'a' || typeof tag[1] !== 'string' || !tag[1].startsWith('30617:')) continue
        let repo = index.get(tag[1])
        if (repo === undefined) index.set(tag[1], (repo = { ann: undefined, roots: new Set() }))
        repo.roots.add(ev.id)
      }
    }
  }
}

/** Full derive. @param {SeedIndex} index @returns {SeedTargets} */
export const seedDerive = (index) => {
  /** @type {SeedTargets} */
  const targets = new Map()
  for (const [address, repo] of index) {
    if (repo.ann === undefined || !repo.ann.accepted) continue
    for (const relay of repo.ann.relays) {
      let t = targets.get(relay)
      if (t === undefined) targets.set(relay, (t = { repos: new Set(), roots: new Set() }))
      t.repos.add(address)
      for (const id of repo.roots) t.roots.add(id)
    }
  }
  return targets
}

/** @param {Set<string>} a @param {Set<string>} b @returns {string[]} a minus b */
const minus = (a, b) => {
  const out = []
  for (const x of a) if (!b.has(x)) out.push(x)
  return out
}

/** Full diff. @param {SeedTargets} desired @param {SeedTargets} applied @returns {SeedAction[]} */
export const seedDiff = (desired, applied) => {
  /** @type {SeedAction[]} */
  const actions = []
  for (const [relay, t] of desired) {
    const a = applied.get(relay)
    if (a === undefined) {
      actions.push({ tag: 'SpawnRelay', relay, repos: [...t.repos], roots: [...t.roots] })
      continue
    }
    const addRepos = minus(t.repos, a.repos), addRoots = minus(t.roots, a.roots)
    const delRepos = minus(a.repos, t.repos), delRoots = minus(a.roots, t.roots)
    if (addRepos.length + addRoots.length > 0) actions.push({ tag: 'AddFilters', relay, repos: addRepos, roots: addRoots })
    if (delRepos.length + delRoots.length > 0) actions.push({ tag: 'RemoveFilters', relay, repos: delRepos, roots: delRoots })
  }
  for (const relay of applied.keys()) if (!desired.has(relay)) actions.push({ tag: 'CloseRelay', relay, repos: [], roots: [] })
  return actions
}

/** Applies actions to the mutable applied targets. @param {SeedTargets} applied @param {SeedAction[]} actions */
export const seedApplyActions = (applied, actions) => {
  for (const a of actions) {
    if (a.tag === 'SpawnRelay') applied.set(a.relay, { repos: new Set(a.repos), roots: new Set(a.roots) })
    else if (a.tag === 'CloseRelay') applied.delete(a.relay)
    else {
      const t = applied.get(a.relay)
      if (t === undefined) continue
      if (a.tag === 'AddFilters') {
        for (const x of a.repos) t.repos.add(x)
        for (const x of a.roots) t.roots.add(x)
      } else {
        for (const x of a.repos) t.repos.delete(x)
        for (const x of a.roots) t.roots.delete(x)
      }
    }
  }
}
