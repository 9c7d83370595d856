/**
 * The failures the command line adds to the core's: wrong usage, a store this build cannot open,
 * and assets that a multi-asset command did not find.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * The command line is wrong: an unknown store URL, a malformed `--as-of`, a missing command.
 * The process exits with status 2.
 *
 * @since 0.1.0
 * @category errors
 */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * A store URL that names a store this build does not include.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  url: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * Some assets named by a multi-asset command do not exist; the command applied to the others.
 *
 * @since 0.1.0
 * @category errors
 */
export class AssetsNotFound extends Schema.TaggedError<AssetsNotFound>()("AssetsNotFound", {
  cloud: Schema.String,
  assets: Schema.Array(Schema.String)
}) {
  override get message(): string {
    const list = this.assets.join(", ")
    return this.assets.length === 1
      ? `asset ${list} does not exist in cloud ${this.cloud}`
      : `${this.assets.length} assets do not exist in cloud ${this.cloud}: ${list}`
  }
}

/**
 * `ctx serve` could not listen where it was asked to.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerUnavailable extends Schema.TaggedError<ServerUnavailable>()(
  "ServerUnavailable",
  { address: Schema.String, detail: Schema.String }
) {
  override get message(): string {
    return `cannot serve on ${this.address}: ${this.detail}`
  }
}
