/**
 * What the executor's options make (internal): the engine's configuration, with every relay the
 * operator named trusted by the relay policy; the kinds the engine reads; the network, where
 * bootstrap relays are trusted for their URL as written but not for where their names resolve.
 */
import {
  ANNOUNCEMENT_KIND,
  DEFAULT_RECONNECT_WINDOW,
  DEFAULT_ROOT_KINDS,
  DELETION_KIND,
  GRASP_LIST_KIND,
  trustRelays,
  type RelayPolicy,
  type SyncConfig
} from '../index.js'
import { canonicalRelay } from '../model/RelayUrl.js'
import { discoveryOn } from './grasp01.js'
import { makeNet, type Net } from './net.js'
import { int, type Resolved } from './options.js'

export interface Setup {
  /** The relay read from and written to: `storeRelay`, else the first own relay. */
  readonly storeUrl: string | undefined
  readonly config: SyncConfig
  /** The kinds the engine reads (announcements, deletions, root events; GRASP lists with discovery). */
  readonly engineKinds: ReadonlySet<number>
  /** Seconds of overlap of the source's reconnects (the engine's `reconnectWindow`). */
  readonly reconnectWindow: number
  readonly net: Net
}

export const setup = (o: Resolved): Setup => {
  const storeUrl = o.storeRelay ?? o.ownRelays[0]
  const trusted = [...o.ownRelays, ...(storeUrl === undefined ? [] : [storeUrl]), ...o.bootstrapRelays, ...o.allowRelays]
  const policy: Partial<RelayPolicy> = trustRelays(trusted)((o.config['relayPolicy'] as Partial<RelayPolicy> | undefined) ?? {})
  const config = {
    ...o.config,
    ownRelays: o.ownRelays,
    bootstrapRelays: o.bootstrapRelays,
    relayPolicy: policy,
    ...(o.acceptance === undefined ? {} : { acceptance: o.acceptance })
  } as SyncConfig
  const rootKinds = Array.isArray(o.config['rootKinds']) ? (o.config['rootKinds'] as Array<unknown>).filter((k): k is number => Number.isSafeInteger(k)) : DEFAULT_ROOT_KINDS
  const engineKinds = new Set<number>([ANNOUNCEMENT_KIND, DELETION_KIND, ...rootKinds])
  // kind 10317 discovery (off by default): the engine reads the GRASP lists (host/grasp01.ts)
  if (discoveryOn(o.engine)) engineKinds.add(GRASP_LIST_KIND)
  // o.engine is a plain copy (host/options.ts): read here, by discoveryOn and by engineWithSeed alike
  const reconnectWindow = int(o.engine?.reconnectWindow, DEFAULT_RECONNECT_WINDOW, 0, 1e10)
  // bootstrap relays are trusted for their URL as written, not for where their names resolve (a
  // hijacked public name must not reach into the host's network); own, store and allowRelays are trusted exactly
  const exact = [...o.ownRelays, ...(storeUrl === undefined ? [] : [storeUrl]), ...o.allowRelays]
  const exactSet = new Set(exact.map((r) => canonicalRelay(r) ?? r))
  const addressChecked = new Set(o.bootstrapRelays.map((r) => canonicalRelay(r) ?? r).filter((r) => !exactSet.has(r)))
  const addressPolicy = trustRelays(exact)((o.config['relayPolicy'] as Partial<RelayPolicy> | undefined) ?? {})
  const net = makeNet({
    policy,
    WebSocket: o.WebSocket,
    resolve: o.resolve,
    connectTimeoutMs: o.connectTimeoutMs,
    pingMs: o.pingMs,
    maxPayload: 16 * 1024 * 1024,
    addressChecked,
    addressPolicy
  })
  return { storeUrl, config, engineKinds, reconnectWindow, net }
}
