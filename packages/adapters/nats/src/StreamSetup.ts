/**
 * Creates a JetStream stream that ctxlog needs, or checks the one that is there. An existing
 * stream is never changed: one whose subjects, storage or replicas differ from what this
 * configuration needs is an error that says so, since quietly reconfiguring a stream that others
 * may use (or that holds data written under other rules) is an operator's decision.
 *
 * @since 0.1.0
 */
import type { JetStreamManager, StreamConfig, StreamInfo } from "@nats-io/jetstream"
import { RetentionPolicy, StorageType } from "@nats-io/jetstream"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import {
  apiCode,
  describe,
  isRetryable,
  STREAM_NAME_IN_USE,
  STREAM_NOT_FOUND
} from "./internal/failure.js"
import * as Subject from "./Subject.js"

/**
 * What ctxlog needs of a stream.
 *
 * @since 0.1.0
 * @category models
 */
export interface Spec {
  readonly name: string
  readonly subjects: ReadonlyArray<string>
  readonly replicas: number
  /** How long the server remembers message ids to drop a duplicate publish. */
  readonly duplicateWindow: Duration.Duration
  readonly description?: string | undefined
}

/**
 * An existing stream differs from what this configuration needs.
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamMismatch extends Schema.TaggedError<StreamMismatch>()("StreamMismatch", {
  stream: Schema.String,
  field: Schema.String,
  expected: Schema.String,
  actual: Schema.String
}) {
  override get message(): string {
    return `the stream ${this.stream} exists with ${this.field} ${this.actual}, but this ` +
      `configuration needs ${this.expected}; ctxlog does not change an existing stream: ` +
      `change it on the server, or configure another stream name or prefix`
  }
}

/**
 * The stream could not be read or created.
 *
 * @since 0.1.0
 * @category errors
 */
export class StreamSetupError extends Schema.TaggedError<StreamSetupError>()(
  "StreamSetupError",
  {
    stream: Schema.String,
    detail: Schema.String,
    retryable: Schema.Boolean,
    cause: Schema.optional(Schema.Defect)
  }
) {
  override get message(): string {
    return `cannot set up the stream ${this.stream}: ${this.detail}`
  }
}

const sameSet = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => {
  const x = [...new Set(a)].sort()
  const y = [...new Set(b)].sort()
  return x.length === y.length && x.every((s, i) => s === y[i])
}

/**
 * Compares an existing stream with the spec: the first difference that matters, if any.
 *
 * @since 0.1.0
 * @category checks
 */
export const mismatch = (spec: Spec, config: StreamConfig): StreamMismatch | undefined => {
  const differs = (field: string, expected: string, actual: string) =>
    new StreamMismatch({ stream: spec.name, field, expected, actual })
  const subjects = config.subjects ?? []
  if (!sameSet(subjects, spec.subjects)) {
    return differs("subjects", JSON.stringify(spec.subjects), JSON.stringify(subjects))
  }
  if (config.storage !== StorageType.File) {
    return differs("storage", StorageType.File, String(config.storage))
  }
  const replicas = config.num_replicas ?? 1
  if (replicas !== spec.replicas) {
    return differs("replicas", String(spec.replicas), String(replicas))
  }
  return undefined
}

const toConfig = (spec: Spec): Partial<StreamConfig> & { name: string } => ({
  name: spec.name,
  subjects: [...spec.subjects],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  num_replicas: spec.replicas,
  // Nanoseconds, as the server counts them.
  duplicate_window: Duration.toMillis(spec.duplicateWindow) * 1_000_000,
  allow_direct: true,
  ...(spec.description !== undefined ? { description: spec.description } : {})
})

/**
 * Refuses a subject prefix that is not dot-separated tokens, before any stream is made of it.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkPrefix = (
  prefix: string,
  stream: string
): Effect.Effect<void, StreamSetupError> =>
  Subject.isValidPrefix(prefix) ? Effect.void : Effect.fail(
    new StreamSetupError({
      stream,
      detail: `the prefix ${JSON.stringify(prefix)} is not dot-separated tokens of ` +
        "A-Z, a-z, 0-9, _ and -",
      retryable: false
    })
  )

/**
 * Creates the stream when it is missing; checks it when it is there.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ensure = (
  jsm: JetStreamManager,
  spec: Spec
): Effect.Effect<StreamInfo, StreamMismatch | StreamSetupError> => {
  const fail = (cause: unknown) =>
    new StreamSetupError({
      stream: spec.name,
      detail: describe(cause),
      retryable: isRetryable(cause),
      cause
    })
  const check = (info: StreamInfo) =>
    Effect.gen(function*() {
      const different = mismatch(spec, info.config)
      if (different !== undefined) return yield* different
      const window = (info.config.duplicate_window ?? 0) / 1_000_000
      if (window !== Duration.toMillis(spec.duplicateWindow)) {
        yield* Effect.logWarning("the stream's duplicate window differs from the configured one")
          .pipe(Effect.annotateLogs({
            stream: spec.name,
            configuredMs: Duration.toMillis(spec.duplicateWindow),
            streamMs: window
          }))
      }
      return info
    })
  const read = Effect.tryPromise({
    try: () =>
      jsm.streams.info(spec.name).catch((e: unknown) => {
        if (apiCode(e) === STREAM_NOT_FOUND) return undefined
        throw e
      }),
    catch: fail
  })
  const create = Effect.tryPromise({
    try: () =>
      jsm.streams.add(toConfig(spec)).then(
        (info) => ({ created: true, info }),
        async (e: unknown) => {
          // Another process created it first: check theirs as if it had been there.
          if (apiCode(e) === STREAM_NAME_IN_USE) {
            return { created: false, info: await jsm.streams.info(spec.name) }
          }
          throw e
        }
      ),
    catch: fail
  })
  return Effect.gen(function*() {
    const existing = yield* read
    if (existing !== undefined) return yield* check(existing)
    const made = yield* create
    if (!made.created) return yield* check(made.info)
    yield* Effect.logDebug("created the stream").pipe(Effect.annotateLogs({ stream: spec.name }))
    return made.info
  })
}
