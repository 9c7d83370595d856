/**
 * Who may call the API: api keys, each with its secret and the one cloud it belongs to. A key
 * authenticates Upload-API requests by signature and Admin-API requests by HTTP Basic; it never
 * opens another cloud.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { timingSafeEqual } from "node:crypto"
import * as ApiError from "./ApiError.js"
import * as Signature from "./Signature.js"

/**
 * One api key. The secret is `Redacted` so that logging a key, by mistake or on purpose, never
 * prints it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Key {
  readonly cloud: string
  readonly apiKey: string
  readonly apiSecret: Redacted.Redacted<string>
}

/**
 * The caller a request was authenticated as.
 *
 * @since 0.1.0
 * @category models
 */
export interface Principal {
  readonly cloud: string
  readonly apiKey: string
  readonly apiSecret: Redacted.Redacted<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CredentialsShape {
  readonly keys: ReadonlyArray<Key>
  /** The key, if any cloud has it. */
  readonly find: (apiKey: string) => Option.Option<Key>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Credentials extends Context.Tag("@ctxlog/http/Credentials")<
  Credentials,
  CredentialsShape
>() {}

/**
 * @since 0.1.0
 * @category errors
 */
export class DuplicateKey extends Schema.TaggedError<DuplicateKey>()("DuplicateKey", {
  apiKey: Schema.String,
  clouds: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `the api key ${this.apiKey} is configured for more than one cloud ` +
      `(${this.clouds.join(", ")}); a key belongs to one cloud`
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (keys: ReadonlyArray<Key>): Either.Either<CredentialsShape, DuplicateKey> => {
  const byKey = new Map<string, Key>()
  for (const key of keys) {
    const known = byKey.get(key.apiKey)
    if (known !== undefined && known.cloud !== key.cloud) {
      return Either.left(new DuplicateKey({ apiKey: key.apiKey, clouds: [known.cloud, key.cloud] }))
    }
    byKey.set(key.apiKey, key)
  }
  return Either.right({ keys: [...byKey.values()], find: (k) => Option.fromNullable(byKey.get(k)) })
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (keys: ReadonlyArray<Key>): Layer.Layer<Credentials, DuplicateKey> =>
  Layer.effect(Credentials, make(keys))

/**
 * The api secret of a cloud's first key: what signs that cloud's outgoing webhooks.
 *
 * @since 0.1.0
 * @category accessors
 */
export const secretOf = (keys: ReadonlyArray<Key>) => (cloud: string): string | undefined => {
  const key = keys.find((k) => k.cloud === cloud)
  return key === undefined ? undefined : Redacted.value(key.apiSecret)
}

/**
 * Whether two texts are equal, in a time that tells nothing of where they differ.
 *
 * @since 0.1.0
 * @category authenticating
 */
export const constantTimeEquals = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "utf8")
  const right = Buffer.from(b, "utf8")
  // Comparing against itself when the lengths differ keeps the time independent of the secret.
  return left.length === right.length
    ? timingSafeEqual(left, right)
    : (timingSafeEqual(left, left), false)
}

const belongs = (key: Key, cloud: string): Either.Either<Principal, ApiError.ApiError> =>
  key.cloud === cloud
    ? Either.right(key)
    : Either.left(ApiError.forbidden(`the api key ${key.apiKey} does not belong to cloud ${cloud}`))

/**
 * Authenticates an Admin-API request by its `Authorization: Basic` header.
 *
 * @since 0.1.0
 * @category authenticating
 */
export const basic = (
  credentials: CredentialsShape,
  authorization: string | undefined,
  cloud: string
): Either.Either<Principal, ApiError.ApiError> => {
  if (authorization === undefined || authorization === "") {
    return Either.left(ApiError.unauthorized("the request has no Authorization header"))
  }
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization)
  if (match === null) {
    return Either.left(ApiError.unauthorized("the Authorization header is not HTTP Basic"))
  }
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  if (colon === -1) {
    return Either.left(ApiError.unauthorized("the Basic credentials are not api_key:api_secret"))
  }
  return Either.flatMap(
    verify(credentials, decoded.slice(0, colon), decoded.slice(colon + 1)),
    (key) => belongs(key, cloud)
  )
}

/**
 * The key whose secret `secret` is, of whichever cloud.
 *
 * @since 0.1.0
 * @category authenticating
 */
export const verify = (
  credentials: CredentialsShape,
  apiKey: string,
  secret: string
): Either.Either<Key, ApiError.ApiError> => {
  const key = credentials.find(apiKey)
  if (Option.isNone(key)) {
    // Still compare, so that an unknown key takes as long as a wrong secret.
    constantTimeEquals(secret, secret)
    return Either.left(ApiError.unauthorized(`unknown api key ${apiKey}`))
  }
  if (!constantTimeEquals(secret, Redacted.value(key.value.apiSecret))) {
    return Either.left(ApiError.unauthorized(`wrong api secret for api key ${apiKey}`))
  }
  return Either.right(key.value)
}

/**
 * Authenticates an Upload-API request by the `api_key`, `timestamp` and `signature` among its
 * fields.
 *
 * @since 0.1.0
 * @category authenticating
 */
export const signed = (
  credentials: CredentialsShape,
  fields: Signature.Fields,
  cloud: string,
  options: Signature.VerifyOptions = {}
): Either.Either<Principal, ApiError.ApiError> => {
  const apiKey = fields.api_key
  if (typeof apiKey !== "string" || apiKey === "") {
    return Either.left(ApiError.unauthorized("the request has no api_key"))
  }
  const key = credentials.find(apiKey)
  if (Option.isNone(key)) return Either.left(ApiError.unauthorized(`unknown api key ${apiKey}`))
  return Either.flatMap(
    Either.mapLeft(
      Signature.verify(fields, Redacted.value(key.value.apiSecret), options),
      (error) => ApiError.unauthorized(error.message)
    ),
    () => belongs(key.value, cloud)
  )
}
