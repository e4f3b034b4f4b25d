/**
 * A `RepoRef` names one repository announcement: the NIP-01 address `30617:<pubkey>:<d>` of a
 * NIP-34 repository announcement, as it appears in the `a` tags of patches, pull requests and
 * issues.
 *
 * The `d` identifier may itself contain `:`, so an address is split at its first two colons only:
 * `30617:<pubkey>:org:project` has the identifier `org:project`. The pubkey must be 64 lower-case
 * hex characters (the form every NIP-01 event uses), and the identifier must not be empty.
 *
 * @since 0.1.0
 */
import { either as E, eq as Eq, ord as Ord, string as S } from 'fp-ts'
import { cut, show } from '../util/text.js'

/**
 * A valid repository address `30617:<64 lower-case hex pubkey>:<d>`. Make one with
 * {@link repoRef} or {@link makeRepoRef}.
 *
 * @category model
 * @since 0.1.0
 */
export type RepoRef = string & { readonly RepoRef: unique symbol }

/**
 * Why a string is not a repository address.
 *
 * @category model
 * @since 0.1.0
 */
export interface RepoRefError {
  readonly _tag: 'RepoRefError'
  readonly input: string
  readonly reason: string
}

/**
 * The kind of a repository announcement (NIP-34).
 *
 * @example
 * import { ANNOUNCEMENT_KIND } from 'nip34-sync'
 *
 * assert.strictEqual(ANNOUNCEMENT_KIND, 30617)
 *
 * @category constants
 * @since 0.1.0
 */
export const ANNOUNCEMENT_KIND = 30617

const HEX64 = /^[0-9a-f]{64}$/

/**
 * Tests for 64 lower-case hex characters (an event id or a pubkey).
 *
 * @example
 * import { isHex64 } from 'nip34-sync'
 *
 * assert.strictEqual(isHex64('a'.repeat(64)), true)
 * assert.strictEqual(isHex64('A'.repeat(64)), false)
 *
 * @category refinements
 * @since 0.1.0
 */
export const isHex64 = (s: unknown): s is string => typeof s === 'string' && HEX64.test(s)

const fail = (input: string, reason: string): E.Either<RepoRefError, never> =>
  E.left({ _tag: 'RepoRefError', input: cut(input), reason })

/**
 * The three parts of a repository address.
 *
 * @category model
 * @since 0.1.0
 */
export interface RepoRefParts {
  readonly kind: typeof ANNOUNCEMENT_KIND
  readonly pubkey: string
  readonly identifier: string
}

/**
 * Parses an `a` tag value into a {@link RepoRef}. Only the first two colons split.
 *
 * @example
 * import { repoRef } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * const pk = 'b'.repeat(64)
 * assert.deepStrictEqual(repoRef(`30617:${pk}:org:project`), E.right(`30617:${pk}:org:project`))
 * assert.strictEqual(E.isLeft(repoRef(`1617:${pk}:x`)), true)
 *
 * @category constructors
 * @since 0.1.0
 */
export const repoRef = (input: string): E.Either<RepoRefError, RepoRef> => {
  if (typeof input !== 'string') return fail(show(input), 'not a string')
  const first = input.indexOf(':')
  if (first < 0) return fail(input, 'no ":" separator')
  const second = input.indexOf(':', first + 1)
  if (second < 0) return fail(input, 'fewer than three parts')
  const kind = input.slice(0, first)
  if (kind !== String(ANNOUNCEMENT_KIND)) return fail(input, `kind "${kind}" is not ${ANNOUNCEMENT_KIND}`)
  const pubkey = input.slice(first + 1, second)
  if (!HEX64.test(pubkey)) return fail(input, 'pubkey is not 64 lower-case hex characters')
  if (second + 1 >= input.length) return fail(input, 'empty d identifier')
  return E.right(input as RepoRef)
}

/**
 * Builds the address of the announcement by `pubkey` with identifier `d`.
 *
 * @example
 * import { makeRepoRef } from 'nip34-sync'
 * import { either as E } from 'fp-ts'
 *
 * assert.deepStrictEqual(makeRepoRef('c'.repeat(64), 'my:repo'), E.right(`30617:${'c'.repeat(64)}:my:repo`))
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeRepoRef = (pubkey: string, d: string): E.Either<RepoRefError, RepoRef> =>
  typeof pubkey === 'string' && typeof d === 'string'
    ? repoRef(`${ANNOUNCEMENT_KIND}:${pubkey}:${d}`)
    : fail(`${show(pubkey)}:${show(d)}`, 'pubkey and identifier must be strings')

/**
 * Splits a {@link RepoRef} into kind, pubkey and identifier (the identifier keeps its colons).
 *
 * @example
 * import { repoRef, repoRefParts } from 'nip34-sync'
 * import { either as E, function as F } from 'fp-ts'
 *
 * const pk = 'd'.repeat(64)
 * const parts = F.pipe(repoRef(`30617:${pk}:a:b`), E.map(repoRefParts))
 * assert.deepStrictEqual(parts, E.right({ kind: 30617, pubkey: pk, identifier: 'a:b' }))
 *
 * @category destructors
 * @since 0.1.0
 */
export const repoRefParts = (ref: RepoRef): RepoRefParts => {
  if (typeof ref !== 'string') return { kind: ANNOUNCEMENT_KIND, pubkey: '', identifier: '' }
  const first = ref.indexOf(':')
  const second = ref.indexOf(':', first + 1)
  return { kind: ANNOUNCEMENT_KIND, pubkey: ref.slice(first + 1, second), identifier: ref.slice(second + 1) }
}

/**
 * Equality of repository addresses.
 *
 * @example
 * import { eqRepoRef, type RepoRef } from 'nip34-sync'
 *
 * const r = `30617:${'a'.repeat(64)}:x` as RepoRef
 * assert.strictEqual(eqRepoRef.equals(r, r), true)
 *
 * @category instances
 * @since 0.1.0
 */
export const eqRepoRef: Eq.Eq<RepoRef> = S.Eq

/**
 * Order of repository addresses (code-unit order of the strings).
 *
 * @example
 * import { ordRepoRef, type RepoRef } from 'nip34-sync'
 *
 * const pk = 'a'.repeat(64)
 * assert.strictEqual(ordRepoRef.compare(`30617:${pk}:a` as RepoRef, `30617:${pk}:b` as RepoRef), -1)
 *
 * @category instances
 * @since 0.1.0
 */
export const ordRepoRef: Ord.Ord<RepoRef> = S.Ord
