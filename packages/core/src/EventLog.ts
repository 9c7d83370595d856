/**
 * The event log port: an append-only log of asset streams with a global order.
 *
 * An adapter must honour these rules, which the contract suite of the test kit checks:
 * - `append` writes a batch of per-asset writes atomically, each at its expected revision, and
 *   gives the batch consecutive global positions. If any expectation is stale nothing is written
 *   and the append fails with `RevisionConflict`.
 * - The idempotency key of a batch is remembered: appending with a known key writes nothing and
 *   returns the first result (with `duplicate: true`), even when its expectations are now stale.
 *   A batch with no writes records just its key and receipt.
 * - Positions start at 1 and only grow; revisions of a stream start at 1 with no gaps. Positions
 *   may skip numbers (a networked log can give a number to a write that then did not count), so
 *   a reader counts events, never positions.
 * - `subscribe` delivers every event after the position, in order, first those already written,
 *   then new ones as they are appended, without gaps or repeats.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import type { AssetId } from "./AssetId.js"
import type { EventLogError, RevisionConflict } from "./Errors.js"
import type { PendingEvent, RecordedEvent } from "./Event.js"

/**
 * Events for one asset stream, to be written when the stream is at `expectedRevision`
 * (0: the stream must be empty).
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamWrite {
  readonly asset: AssetId
  readonly expectedRevision: number
  readonly events: ReadonlyArray<PendingEvent>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AppendBatch {
  readonly idempotencyKey: string
  readonly writes: ReadonlyArray<StreamWrite>
  /** Stored with the key and returned to a duplicate; the command service keeps its result here. */
  readonly receipt?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AppendResult {
  /** True when the key was already known and nothing was written. */
  readonly duplicate: boolean
  /** The position of the batch's last event; for an empty batch, the log's head at the time. */
  readonly position: number
  /** Each written stream's revision after the batch. */
  readonly revisions: ReadonlyArray<{ readonly asset: AssetId; readonly revision: number }>
  readonly receipt: string | undefined
  /**
   * True when the log projected the batch into its store's asset views in the same transaction,
   * so that a reader need not wait for the projector.
   */
  readonly projected?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ReadStreamOptions {
  /** Read only events after this revision (a reader that has the state up to it). */
  readonly fromRevision?: number | undefined
  /** Read no further than this revision. */
  readonly toRevision?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ReadAllOptions {
  /** Events after this position; 0 reads from the start. */
  readonly after: number
  /** Stop after this many events. */
  readonly limit?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface EventLogShape {
  readonly append: (batch: AppendBatch) => Effect.Effect<
    AppendResult,
    RevisionConflict | EventLogError
  >
  /** The result recorded under an idempotency key, if the key is known. */
  readonly lookup: (idempotencyKey: string) => Effect.Effect<
    Option.Option<AppendResult>,
    EventLogError
  >
  /** One asset's stream, oldest first; empty when the asset has no events. */
  readonly readStream: (
    asset: AssetId,
    options?: ReadStreamOptions
  ) => Effect.Effect<ReadonlyArray<RecordedEvent>, EventLogError>
  /** What is in the log now, after a position, in order; it ends at the head. */
  readonly readAll: (options: ReadAllOptions) => Stream.Stream<RecordedEvent, EventLogError>
  /** Catches up from a position, then follows the log; it never ends by itself. */
  readonly subscribe: (after: number) => Stream.Stream<RecordedEvent, EventLogError>
  /** The position of the last event; 0 for an empty log. */
  readonly head: Effect.Effect<number, EventLogError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class EventLog extends Context.Tag("@ctxlog/core/EventLog")<EventLog, EventLogShape>() {}
