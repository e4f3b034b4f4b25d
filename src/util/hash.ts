/**
 * Hashing and byte counting for the wire layer: SHA-256 (from `@noble/hashes`, the audited
 * implementation nostr-tools itself uses) in hex, and the UTF-8 length of a string without
 * allocating it.
 *
 * @internal
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'

/** SHA-256 of the UTF-8 bytes of `s`, as 64 lower-case hex characters. */
export const sha256Hex = (s: string): string => bytesToHex(sha256(utf8ToBytes(s)))

/** The number of bytes of `s` encoded as UTF-8 (a lone surrogate counts as U+FFFD, 3 bytes). */
export const utf8Length = (s: string): number => {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4
        i++
      } else n += 3
    } else n += 3
  }
  return n
}

/**
 * The JSON text of a value; `undefined` when it has none (`undefined`, a function, a symbol) or
 * cannot be serialised (a `BigInt`, a cycle, a throwing `toJSON`). Never throws.
 */
export const jsonText = (u: unknown): string | undefined => {
  try {
    return JSON.stringify(u)
  } catch {
    return undefined
  }
}

/** The number of UTF-8 bytes of the JSON text of a value (0 when it has none; see {@link jsonText}). */
export const jsonBytes = (u: unknown): number => utf8Length(jsonText(u) ?? '')

/** Bit `i` (0 = most significant) of a lower-case hex string. */
export const hexBit = (hex: string, i: number): number => {
  const nibble = parseInt(hex.charAt(i >> 2), 16)
  return Number.isNaN(nibble) ? 0 : (nibble >> (3 - (i & 3))) & 1
}
