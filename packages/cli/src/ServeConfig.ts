/**
 * The configuration of `ctx serve`: a JSON file, the environment and the command line, in that
 * order of precedence from lowest to highest.
 *
 * The file:
 *
 * ```json
 * {
 *   "port": 8080,
 *   "host": "127.0.0.1",
 *   "delivery_base": "https://res.cloudinary.com",
 *   "max_body_bytes": 1048576,
 *   "max_file_bytes": 104857600,
 *   "clouds": { "demo": { "keys": [{ "api_key": "123", "api_secret": "abc" }] } }
 * }
 * ```
 *
 * Keys may also come from `CTXLOG_KEYS`: `cloudinary://<key>:<secret>@<cloud>` URLs separated
 * by spaces or commas. A key in both places must have the same secret.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Fs from "node:fs/promises"
import { UsageError } from "./Errors.js"

/**
 * @since 0.1.0
 * @category constants
 */
export const KEYS_ENV_VAR = "CTXLOG_KEYS"

const Port = Schema.Int.pipe(Schema.between(0, 65535))

const Bytes = Schema.Int.pipe(Schema.positive())

/**
 * @since 0.1.0
 * @category schemas
 */
export const File = Schema.Struct({
  port: Schema.optional(Port),
  host: Schema.optional(Schema.NonEmptyTrimmedString),
  delivery_base: Schema.optional(Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/))),
  max_body_bytes: Schema.optional(Bytes),
  max_file_bytes: Schema.optional(Bytes),
  /** CIDR ranges webhooks may target although private or reserved. */
  allow_targets: Schema.optional(Schema.Array(Schema.String)),
  /** The waits between webhook attempts, such as "5 seconds" or "2 hours". */
  retry_schedule: Schema.optional(Schema.Array(Schema.String)),
  /** The time limit of one webhook attempt, such as "15 seconds". */
  webhook_timeout: Schema.optional(Schema.String),
  /** A RabbitMQ exchange that receives every notification, with publisher confirms. */
  rabbitmq: Schema.optional(Schema.Struct({
    url: Schema.String.pipe(Schema.pattern(/^amqps?:\/\/\S+$/)),
    exchange: Schema.optional(Schema.NonEmptyTrimmedString),
    /** Names the sink: its checkpoint, its logs and its connection on the broker. */
    name: Schema.optional(Schema.NonEmptyTrimmedString)
  })),
  /** Notification URLs registered at start, per cloud; types default to all. */
  webhooks: Schema.optional(Schema.Record({
    key: Schema.String.pipe(Schema.pattern(/^[a-z0-9_-]{1,64}$/)),
    value: Schema.Array(Schema.Struct({
      url: Schema.String,
      types: Schema.optional(Schema.Array(Schema.String))
    }))
  })),
  clouds: Schema.optional(Schema.Record({
    key: Schema.String.pipe(Schema.pattern(/^[a-z0-9_-]{1,64}$/)),
    value: Schema.Struct({
      keys: Schema.Array(Schema.Struct({
        api_key: Schema.NonEmptyTrimmedString,
        api_secret: Schema.NonEmptyTrimmedString
      }))
    })
  }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type File = typeof File.Type

/**
 * A key as the server holds it; the secret is `Redacted`, so printing a key never shows it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Key {
  readonly cloud: string
  readonly apiKey: string
  readonly apiSecret: Redacted.Redacted<string>
}

const decodeFile = Schema.decodeUnknownEither(Schema.parseJson(File), {
  onExcessProperty: "error",
  errors: "first"
})

/**
 * Reads a configuration file's text; `path` is named in the error.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseFile = (text: string, path: string): Either.Either<File, UsageError> =>
  Either.mapLeft(decodeFile(text), (error) => {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
    const where = issue === undefined || issue.path.length === 0
      ? ""
      : ` at ${issue.path.join(".")}`
    return new UsageError({
      detail: `the configuration file ${path} is invalid${where}: ${
        issue?.message ?? error.message
      }`
    })
  })

/**
 * The keys of a configuration file.
 *
 * @since 0.1.0
 * @category parsing
 */
export const keysOfFile = (file: File): ReadonlyArray<Key> =>
  Object.entries(file.clouds ?? {}).flatMap(([cloud, { keys }]) =>
    keys.map((k) => ({ cloud, apiKey: k.api_key, apiSecret: Redacted.make(k.api_secret) }))
  )

/**
 * The keys of `CTXLOG_KEYS`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const keysOfEnv = (
  value: string | undefined
): Either.Either<ReadonlyArray<Key>, UsageError> => {
  const keys: Array<Key> = []
  for (const item of (value ?? "").split(/[\s,]+/).filter((s) => s !== "")) {
    // The secret is never echoed back: only the position of the bad entry is.
    const match = /^cloudinary:\/\/([^:@/]+):([^@/]+)@([a-z0-9_-]{1,64})$/.exec(item)
    if (match === null) {
      return Either.left(
        new UsageError({
          detail: `${KEYS_ENV_VAR} entry ${keys.length + 1} is not ` +
            "cloudinary://<api_key>:<api_secret>@<cloud>"
        })
      )
    }
    keys.push({
      cloud: match[3]!,
      apiKey: decodeURIComponent(match[1]!),
      apiSecret: Redacted.make(decodeURIComponent(match[2]!))
    })
  }
  return Either.right(keys)
}

/**
 * Keys from several sources, refused when one api key is given two clouds or two secrets.
 *
 * @since 0.1.0
 * @category combining
 */
export const mergeKeys = (
  ...sources: ReadonlyArray<ReadonlyArray<Key>>
): Either.Either<ReadonlyArray<Key>, UsageError> => {
  const byKey = new Map<string, Key>()
  for (const key of sources.flat()) {
    const known = byKey.get(key.apiKey)
    if (known === undefined) {
      byKey.set(key.apiKey, key)
    } else if (
      known.cloud !== key.cloud || Redacted.value(known.apiSecret) !== Redacted.value(key.apiSecret)
    ) {
      return Either.left(
        new UsageError({
          detail: `the api key ${key.apiKey} is configured twice, with different ` +
            (known.cloud !== key.cloud ? `clouds (${known.cloud}, ${key.cloud})` : "secrets")
        })
      )
    }
  }
  return Either.right([...byKey.values()])
}

/**
 * Reads and checks a configuration file.
 *
 * @since 0.1.0
 * @category reading
 */
export const read = (path: string): Effect.Effect<File, UsageError> =>
  Effect.tryPromise({
    try: () => Fs.readFile(path, "utf8"),
    catch: (cause) =>
      new UsageError({
        detail: `cannot read the configuration file ${path}: ${
          cause instanceof Error ? cause.message : String(cause)
        }`
      })
  }).pipe(
    Effect.flatMap((text) =>
      Either.match(parseFile(text, path), { onLeft: Effect.fail, onRight: Effect.succeed })
    )
  )

/**
 * The keys of a configuration file and of `CTXLOG_KEYS` together.
 *
 * @since 0.1.0
 * @category combining
 */
export const configuredKeys = (
  file: File,
  env: string | undefined = process.env[KEYS_ENV_VAR]
): Either.Either<ReadonlyArray<Key>, UsageError> =>
  Either.flatMap(keysOfEnv(env), (fromEnv) => mergeKeys(keysOfFile(file), fromEnv))
