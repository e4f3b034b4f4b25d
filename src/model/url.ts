/**
 * The WHATWG URL parser without throwing (internal; shared by `RelayUrl.ts` and the relay policy
 * in `config/policy/`).
 */

/** Parses any string with the WHATWG parser, without throwing. */
export const parseUrl = (input: string): URL | undefined => {
  try {
    return new URL(input)
  } catch {
    return undefined
  }
}
