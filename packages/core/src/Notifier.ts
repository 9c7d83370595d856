/**
 * Notifications derived from the log: a stream of them from any position, and a runner that
 * delivers them to the notification sink at least once, resuming from its checkpoint.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { EventLogError } from "./Errors.js"
import type { RecordedEvent } from "./Event.js"
import { EventLog } from "./EventLog.js"
import type { EventLogShape } from "./EventLog.js"
import * as Notification from "./Notification.js"
import { NotificationSink } from "./NotificationSink.js"
import { ProjectionStore } from "./ProjectionStore.js"

const batchKey = (e: RecordedEvent) => `${e.asset.cloud}\u0000${e.commandId}`

/**
 * Groups events into their commands' batches and turns each complete batch into its
 * notification.
 *
 * @since 0.1.0
 * @category combinators
 */
export const fromEvents = <E, R>(
  events: Stream.Stream<RecordedEvent, E, R>
): Stream.Stream<Notification.Positioned, E, R> =>
  events.pipe(
    Stream.mapAccum(
      new Map<string, Array<RecordedEvent>>(),
      (
        open,
        event
      ): readonly [Map<string, Array<RecordedEvent>>, Array<Notification.Positioned>] => {
        const key = batchKey(event)
        const batch = open.get(key) ?? []
        batch.push(event)
        if (batch.length < event.batch.size) {
          open.set(key, batch)
          return [open, []]
        }
        open.delete(key)
        return [open, [Notification.fromBatch(batch)]]
      }
    ),
    Stream.flattenIterables
  )

/**
 * Every notification whose command completed after `after`, then new ones as they happen. A
 * position inside a batch is rewound to the batch's start, so that its notification is whole.
 *
 * @since 0.1.0
 * @category streams
 */
export const stream = (
  log: EventLogShape,
  after: number
): Stream.Stream<Notification.Positioned, EventLogError> =>
  Stream.unwrap(
    log.readAll({ after, limit: 1 }).pipe(
      Stream.runHead,
      Effect.map((first) => {
        // Batches occupy consecutive positions, so the first event of a batch is `index` back.
        const from = Option.match(first, {
          onNone: () => after,
          onSome: (e) => Math.max(0, e.position - 1 - e.batch.index)
        })
        return fromEvents(log.subscribe(from)).pipe(
          Stream.filter((n) => n.position > after)
        )
      })
    )
  )

/**
 * The checkpoint name of the runner that feeds a sink.
 *
 * @since 0.1.0
 * @category constants
 */
export const checkpointOf = (sink: string) => `notify:${sink}`

/**
 * Delivers notifications to the sink in log order. A retryable failure is retried with
 * exponential backoff until it succeeds; a permanent one is logged and skipped, since holding the
 * line for it would stop every later notification.
 *
 * @since 0.1.0
 * @category runners
 */
export const run = Effect.gen(function*() {
  const log = yield* EventLog
  const store = yield* ProjectionStore
  const sink = yield* NotificationSink
  const name = checkpointOf(sink.name)

  const deliver = (n: Notification.Positioned) =>
    sink.publish(n).pipe(
      Effect.retry({
        while: (error) => error.retryable,
        schedule: Schedule.exponential("100 millis").pipe(
          Schedule.either(Schedule.spaced("30 seconds"))
        )
      }),
      Effect.catchAll((error) =>
        Effect.logError("notification not delivered").pipe(
          Effect.annotateLogs({
            sink: sink.name,
            notification_id: n.notification.notification_id,
            error: error.message
          })
        )
      ),
      Effect.zipRight(store.saveCheckpoint(name, n.position))
    )

  return yield* store.checkpoint(name).pipe(
    Effect.flatMap((from) => stream(log, from).pipe(Stream.runForEach(deliver))),
    Effect.tapError((error) =>
      Effect.logWarning("notification delivery stopped; retrying").pipe(
        Effect.annotateLogs({ sink: sink.name, error: error.message })
      )
    ),
    Effect.retry(
      Schedule.exponential("50 millis").pipe(Schedule.either(Schedule.spaced("5 seconds")))
    )
  )
})

/**
 * Runs the delivery to the provided sink for the lifetime of the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<never, never, EventLog | ProjectionStore | NotificationSink> = Layer
  .scopedDiscard(Effect.forkScoped(run))
