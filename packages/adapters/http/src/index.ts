/**
 * ctxlog over HTTP.
 *
 * @since 0.1.0
 */
export * as Signature from "./Signature.js"
