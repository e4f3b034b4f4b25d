// @ts-check
// The mutable baseline of the cold build (bench/run.js, section 2): the same parsed batches,
// decoded by the library's own decoder (decodeNip34Event, the same checks applyBatch makes), then
// kept in mutable Maps with a simplified index (the latest announcement per address, root events
// by id once, each repository's set of root ids, the ids deletions name). applyBatch does more:
// live-announcement ids, address deletions and tombstones, removing stored roots that a later
// deletion names, several authors per id, the per-author deletion bound, shared strings, and
// persistence (every batch gives a new immutable version that shares the rest). So this baseline
// is stricter than "applyBatch without persistence".
import { decodeNip34Event } from '../dist/index.js'

/**
 * @typedef {{ id: string, createdAt: number }} Ann
 * @typedef {{ addrs: Map<string, Ann>, roots: Map<string, string[]>, byRepo: Map<string, Set<string>>, deleted: Map<string, string> }} DecodedMaps
 */

/** @returns {DecodedMaps} */
export const decodedMapsEmpty = () => ({ addrs: new Map(), roots: new Map(), byRepo: new Map(), deleted: new Map() })

/**
 * Decodes a batch with the library's decoder and applies it to the mutable Maps.
 * @param {object} config @param {DecodedMaps} m @param {ReadonlyArray<unknown>} batch
 */
export const decodedMapsApply = (config, m, batch) => {
  const decode = decodeNip34Event(/** @type {any} */ (config))
  for (let i = 0; i < batch.length; i++) {
    const ev = /** @type {any} */ (decode(batch[i], i).event)
    if (ev === undefined) continue
    if (ev._tag === 'Announcement') {
      const old = m.addrs.get(ev.ref)
      if (old === undefined || ev.createdAt > old.createdAt || (ev.createdAt === old.createdAt && ev.id < old.id)) m.addrs.set(ev.ref, ev)
    } else if (ev._tag === 'RootEvent') {
      if (m.roots.has(ev.id) || m.deleted.get(ev.id) === ev.pubkey) continue
      m.roots.set(ev.id, ev.repos)
      for (const r of ev.repos) {
        let s = m.byRepo.get(r)
        if (s === undefined) m.byRepo.set(r, (s = new Set()))
        s.add(ev.id)
      }
    } else for (const id of ev.eventIds) m.deleted.set(id, ev.pubkey)
  }
}
