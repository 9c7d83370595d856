/**
 * Signed Upload-API requests, as Cloudinary's SDKs sign them: the request's own fields, sorted
 * and joined, with the api secret appended, digested with SHA-1 or SHA-256.
 *
 * Signature version 2 (the SDKs' default) writes every `&` inside a `key=value` pair as `%26`,
 * so that a value cannot forge a pair boundary; version 1 does not. The request does not say
 * which digest it used: a SHA-1 signature has 40 hex digits and a SHA-256 one 64.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { createHash, timingSafeEqual } from "node:crypto"

/**
 * @since 0.1.0
 * @category models
 */
export type Algorithm = "sha1" | "sha256"

/**
 * A field of a request as it arrived: text, a number, a flag, a list, or nothing.
 *
 * @since 0.1.0
 * @category models
 */
export type Value =
  | string
  | number
  | boolean
  | ReadonlyArray<string | number | boolean>
  | null
  | undefined

/**
 * @since 0.1.0
 * @category models
 */
export type Fields = Readonly<Record<string, Value>>

/**
 * Fields that are never signed: the file itself, and what identifies the caller or the route.
 *
 * @since 0.1.0
 * @category constants
 */
export const UNSIGNED: ReadonlyArray<string> = [
  "file",
  "api_key",
  "resource_type",
  "cloud_name",
  "signature"
]

/**
 * How old a signed request may be, in seconds, before it is refused.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_AGE_SECONDS = 3600

/**
 * Why a signed request was refused.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignatureError extends Schema.TaggedError<SignatureError>()("SignatureError", {
  reason: Schema.Literal("missing", "malformed", "mismatch", "stale", "future"),
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

const text = (value: Exclude<Value, null | undefined>): string =>
  Array.isArray(value) ? value.map(String).join(",") : String(value)

/**
 * The text that is signed: the signed fields without empty values, sorted by key, as
 * `key=value` joined with `&` (lists joined with `,` under the bare key).
 *
 * @since 0.1.0
 * @category signing
 */
export const toSign = (fields: Fields, version: 1 | 2 = 2): string => {
  const pairs: Array<readonly [string, string]> = []
  for (const [raw, value] of Object.entries(fields)) {
    // A form field named `public_ids[]` is the list `public_ids`.
    const key = raw.endsWith("[]") ? raw.slice(0, -2) : raw
    if (UNSIGNED.includes(key) || value === null || value === undefined) continue
    const written = text(value)
    if (written === "") continue
    pairs.push([key, written])
  }
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return pairs
    .map(([key, value]) => {
      const pair = `${key}=${value}`
      return version === 2 ? pair.replaceAll("&", "%26") : pair
    })
    .join("&")
}

/**
 * The signature of a request's fields under a secret, as hex.
 *
 * @since 0.1.0
 * @category signing
 */
export const sign = (
  fields: Fields,
  secret: string,
  algorithm: Algorithm = "sha1",
  version: 1 | 2 = 2
): string => createHash(algorithm).update(toSign(fields, version) + secret).digest("hex")

const HEX = /^[0-9a-f]+$/i

/**
 * @since 0.1.0
 * @category models
 */
export interface VerifyOptions {
  /** Now, in Unix seconds; the clock unless given. */
  readonly now?: number | undefined
  /** How old a request may be; an hour unless set. */
  readonly maxAgeSeconds?: number | undefined
  /** The signature version the caller signs with; 2 unless set. */
  readonly version?: 1 | 2 | undefined
}

/**
 * Checks a signed request: its signature (compared in constant time) and its `timestamp`,
 * which may be at most `maxAgeSeconds` old, or as far ahead for a caller whose clock is fast.
 *
 * @since 0.1.0
 * @category verifying
 */
export const verify = (
  fields: Fields,
  secret: string,
  options: VerifyOptions = {}
): Either.Either<void, SignatureError> => {
  const fail = (reason: SignatureError["reason"], detail: string) =>
    Either.left(new SignatureError({ reason, detail }))
  const signature = fields.signature
  if (typeof signature !== "string" || signature === "") {
    return fail("missing", "the request has no signature")
  }
  const algorithm: Algorithm | undefined = signature.length === 40
    ? "sha1"
    : signature.length === 64
    ? "sha256"
    : undefined
  if (algorithm === undefined || !HEX.test(signature)) {
    return fail(
      "malformed",
      `the signature is not 40 (SHA-1) or 64 (SHA-256) hex digits: it has ${signature.length} ` +
        "characters"
    )
  }
  const raw = fields.timestamp
  const timestamp = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw) : NaN
  if (raw === undefined || raw === null || raw === "") {
    return fail("missing", "the request has no timestamp")
  }
  if (!Number.isSafeInteger(timestamp)) {
    return fail("malformed", `the timestamp ${JSON.stringify(raw)} is not Unix seconds`)
  }
  const expected = sign(fields, secret, algorithm, options.version ?? 2)
  const given = Buffer.from(signature.toLowerCase(), "utf8")
  if (!timingSafeEqual(given, Buffer.from(expected, "utf8"))) {
    return fail("mismatch", "the signature does not match the request's fields")
  }
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const maxAge = options.maxAgeSeconds ?? MAX_AGE_SECONDS
  if (now - timestamp > maxAge) {
    return fail(
      "stale",
      `the request was signed ${now - timestamp} s ago; the limit is ${maxAge} s`
    )
  }
  if (timestamp - now > maxAge) {
    return fail("future", `the request's timestamp is ${timestamp - now} s ahead of this server`)
  }
  return Either.void
}
