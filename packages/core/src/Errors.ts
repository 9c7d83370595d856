/**
 * The typed failures of ctxlog that are not about a limit or the text format (those live beside
 * the policy and the parser). Each says what was wrong and where.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category errors
 */
export class AssetNotFound extends Schema.TaggedError<AssetNotFound>()("AssetNotFound", {
  cloud: Schema.String,
  asset: Schema.String,
  detail: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return this.detail ?? `asset ${this.asset} does not exist in cloud ${this.cloud}`
  }
}

/**
 * An append whose expected revision is not the stream's current one: somebody else wrote first.
 *
 * @since 0.1.0
 * @category errors
 */
export class RevisionConflict extends Schema.TaggedError<RevisionConflict>()("RevisionConflict", {
  asset: Schema.String,
  expected: Schema.Number,
  actual: Schema.Number
}) {
  override get message(): string {
    return `revision conflict on ${this.asset}: expected revision ${this.expected}, ` +
      `the stream is at ${this.actual}`
  }
}

/**
 * A command that is not well formed (an invalid id, assets from different clouds, a missing
 * field). `path` names the field.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCommand extends Schema.TaggedError<InvalidCommand>()("InvalidCommand", {
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return this.path === "" ? this.detail : `${this.path}: ${this.detail}`
  }
}

/**
 * @since 0.1.0
 * @category errors
 */
export class InvalidQuery extends Schema.TaggedError<InvalidQuery>()("InvalidQuery", {
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.path}: ${this.detail}`
  }
}

/**
 * A failure of the storage behind the event log (I/O, a corrupt record, a lost connection).
 *
 * @since 0.1.0
 * @category errors
 */
export class EventLogError extends Schema.TaggedError<EventLogError>()("EventLogError", {
  operation: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `event log ${this.operation} failed: ${this.detail}`
  }
}

/**
 * @since 0.1.0
 * @category errors
 */
export class ProjectionStoreError extends Schema.TaggedError<ProjectionStoreError>()(
  "ProjectionStoreError",
  {
    operation: Schema.String,
    detail: Schema.String,
    cause: Schema.optional(Schema.Defect)
  }
) {
  override get message(): string {
    return `projection store ${this.operation} failed: ${this.detail}`
  }
}

/**
 * @since 0.1.0
 * @category errors
 */
export class NotificationSinkError extends Schema.TaggedError<NotificationSinkError>()(
  "NotificationSinkError",
  {
    sink: Schema.String,
    detail: Schema.String,
    retryable: Schema.Boolean,
    cause: Schema.optional(Schema.Defect)
  }
) {
  override get message(): string {
    return `notification sink ${this.sink} failed: ${this.detail}`
  }
}

/**
 * A setting that cannot be read or written: a name or value the port refuses, or a failure of
 * the storage behind it.
 *
 * @since 0.1.0
 * @category errors
 */
export class SettingsError extends Schema.TaggedError<SettingsError>()("SettingsError", {
  operation: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `settings ${this.operation} failed: ${this.detail}`
  }
}
