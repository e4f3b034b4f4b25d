/**
 * Signature verification backends.
 *
 * With `verify` on (the default), the decoder checks every event's id and Schnorr signature.
 * It does so synchronously, with nostr-tools' JavaScript path (@noble/curves) unless the host
 * opts into the WebAssembly path once, at start-up, with {@link enableWasmVerification}: nostr-tools'
 * `wasm` module over nostr-wasm (libsecp256k1 compiled to WebAssembly, its binary embedded in
 * the package, so it loads the same way in Node and in browsers, with no fetch).
 *
 * The two paths give the same verdicts (both refuse an id that is not the event's hash); only
 * the cost differs (see docs/benchmarks.md). Where WebAssembly cannot load (a Content Security
 * Policy without `'wasm-unsafe-eval'`, a runtime without WebAssembly, nostr-wasm missing), the
 * JS path stays in use and {@link enableWasmVerification} resolves to `false`. Events too large
 * for nostr-wasm's fixed 1 MiB heap are verified by the JS path either way.
 *
 * The choice is process-wide (one setting for every `applyBatch`), the only state the library
 * keeps; it changes no result, so the core stays a function of its inputs.
 *
 * @since 0.2.0
 */
import { currentBackend, loadWasm, useJs } from './verifyBackend.js'

/**
 * Which implementation checks signatures: `'js'` (nostr-tools/pure, the default) or `'wasm'`
 * (nostr-tools/wasm over nostr-wasm, after {@link enableWasmVerification} succeeded).
 *
 * @since 0.2.0
 * @category verification
 */
export type VerificationBackend = 'js' | 'wasm'

/**
 * Loads nostr-wasm and verifies signatures with it from then on. Resolves to `true` when the
 * WASM verifier is in use, `false` when it could not load (the JS path stays) or when
 * {@link disableWasmVerification} was called while it loaded (the last call wins). Never rejects;
 * calling it again is cheap (the module loads once) and retries after a failure. The loaded
 * verifier must pass a self-test on a known event (one valid, one tampered, one forged) before
 * it is used.
 *
 * @example
 * import { enableWasmVerification, verificationBackend, disableWasmVerification } from 'nip34-sync'
 * const ok = await enableWasmVerification()
 * assert.equal(verificationBackend(), ok ? 'wasm' : 'js')
 * disableWasmVerification()
 * assert.equal(verificationBackend(), 'js')
 *
 * @since 0.2.0
 * @category verification
 */
export const enableWasmVerification = (): Promise<boolean> =>
  loadWasm(async () => {
    const { initNostrWasm } = await import('nostr-wasm')
    return initNostrWasm()
  })

/**
 * Goes back to the JS verifier (nostr-tools/pure). {@link enableWasmVerification} switches to
 * WASM again without reloading it.
 *
 * @example
 * import { disableWasmVerification, verificationBackend } from 'nip34-sync'
 * disableWasmVerification()
 * assert.equal(verificationBackend(), 'js')
 *
 * @since 0.2.0
 * @category verification
 */
export const disableWasmVerification = (): void => useJs()

/**
 * The verifier in use: `'wasm'` after {@link enableWasmVerification} resolved to `true`,
 * `'js'` otherwise.
 *
 * @example
 * import { verificationBackend } from 'nip34-sync'
 * assert.ok(['js', 'wasm'].includes(verificationBackend()))
 *
 * @since 0.2.0
 * @category verification
 */
export const verificationBackend = (): VerificationBackend => currentBackend()
