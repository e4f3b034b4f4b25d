/**
 * The engine as plain JSON and back (re-exported by `types.ts` and `Engine.ts`, the public face):
 * what `encodeEngine` gives and `decodeEngine` reads, refuses, and restores with.
 *
 * @internal
 */
import type { RelayLimits } from '../config/Limits.js'
import type { SyncConfig } from '../config/Config.js'
import type { RepoIndex } from '../repo/RepoIndex.js'
import type { EngineOptions } from './optionTypes.js'

/**
 * An engine as plain JSON ({@link encodeEngine}): per relay the time of its last `EOSE`, the
 * limits it announced and the caps its refusals taught; the repositories in purgatory; the time.
 * What is in flight is not kept (sockets do not survive a restart), nor the repository index
 * (`encodeRepoIndex` keeps it).
 *
 * @category model
 * @since 0.3.0
 */
export interface EngineSnapshot {
  readonly format: 'nip34-sync/Engine'
  readonly version: 1
  readonly now: number
  readonly held: ReadonlyArray<string>
  readonly relays: ReadonlyArray<{
    readonly relay: string
    readonly lastEose?: number
    readonly limits?: RelayLimits
    readonly learned?: { readonly maxSubscriptions?: number; readonly maxFiltersPerReq?: number; readonly maxMessageBytes?: number }
    /** What it taught about NIP-77 negentropy, when anything. @since 0.3.0 */
    readonly negentropy?: { readonly support: 'unknown' | 'yes' | 'no'; readonly hinted: boolean; readonly failures: number; readonly until: number; readonly sessions: number }
    /** Its health when not healthy: failures in a row, and the park it is in until when. @since 0.3.0 */
    readonly health?: {
      readonly failures: number
      readonly park?: 'backoff' | 'cooling' | 'dead' | 'naughty' | 'auth-failed'
      readonly until?: number
      readonly reason?: string
      readonly auth?: 'required' | 'ok' | 'failed'
    }
  }>
  /** Fetch by id: the ids the own relay refused (with until when) and the values asked for (with when), oldest first. @since 0.3.0 */
  readonly fetch?: { readonly refused: ReadonlyArray<readonly [string, number]>; readonly asked: ReadonlyArray<readonly [string, number]> }
}

/**
 * Why {@link decodeEngine} refused a value: `not-json` (a string that does not parse), `format`
 * (not an engine snapshot, or another version), `invalid` (a field that does not have its shape,
 * or an `index` that is not a `RepoIndex`), with a message naming the field.
 *
 * @category model
 * @since 0.3.0
 */
export interface EngineSnapshotError {
  readonly code: 'not-json' | 'format' | 'invalid'
  readonly message: string
}

/**
 * What {@link decodeEngine} restores an engine with: the configuration and options (as for
 * `syncEngine`) and the repository index (default: empty).
 *
 * @category model
 * @since 0.3.0
 */
export interface EngineRestore {
  readonly config: SyncConfig
  readonly options?: EngineOptions
  readonly index?: RepoIndex
}
