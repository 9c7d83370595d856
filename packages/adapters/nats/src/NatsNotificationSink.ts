/**
 * A notification sink that publishes to JetStream: each notification as JSON on
 * `<prefix>.notifications.<cloud>`, with its log position in the `Ctxlog-Position` header and its
 * `notification_id` as the message id. The notifier delivers at least once; the server drops a
 * second publish of the same id inside the stream's duplicate window, so subscribers see each
 * notification once as long as a redelivery comes within that window.
 *
 * @since 0.1.0
 */
import type { Notification } from "@ctxlog/core"
import { Errors, NotificationSink } from "@ctxlog/core"
import { headers } from "@nats-io/transport-node"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { describe, isRetryable } from "./internal/failure.js"
import * as NatsConnection from "./NatsConnection.js"
import * as StreamSetup from "./StreamSetup.js"
import * as Subject from "./Subject.js"

/**
 * The header that carries the notification's log position.
 *
 * @since 0.1.0
 * @category constants
 */
export const POSITION_HEADER = "Ctxlog-Position"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The first tokens of every subject; `ctxlog` unless set. */
  readonly prefix?: string | undefined
  /** The stream of `<prefix>.notifications.>`; `<prefix>_notifications` (dots as `_`) if unset. */
  readonly stream?: string | undefined
  /** 1 on a single server; 3 on a cluster, for notifications that survive a lost machine. */
  readonly replicas?: 1 | 3 | undefined
  /** How long a repeated notification id is dropped; two minutes unless set. */
  readonly duplicateWindow?: Duration.DurationInput | undefined
  /** Names the sink in logs and in its checkpoint; `nats` unless set. */
  readonly name?: string | undefined
}

const resolve = (options: Options) => {
  const prefix = options.prefix ?? Subject.defaultPrefix
  return {
    prefix,
    name: options.name ?? "nats",
    spec: {
      name: options.stream ?? `${prefix.replaceAll(".", "_")}_notifications`,
      subjects: [Subject.notificationsWildcard(prefix)],
      replicas: options.replicas ?? 1,
      duplicateWindow: Duration.decode(options.duplicateWindow ?? "2 minutes"),
      description: "ctxlog notifications, one per command that changed something"
    } satisfies StreamSetup.Spec
  }
}

/**
 * The sink on a connection; creates or checks its stream first.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  NotificationSink.NotificationSinkShape,
  StreamSetup.StreamMismatch | StreamSetup.StreamSetupError,
  NatsConnection.NatsConnection
> =>
  Effect.gen(function*() {
    const { name, prefix, spec } = resolve(options)
    yield* StreamSetup.checkPrefix(prefix, spec.name)
    const { js, jsm } = yield* NatsConnection.NatsConnection
    yield* StreamSetup.ensure(jsm, spec)

    const publish = (positioned: Notification.Positioned) =>
      Effect.gen(function*() {
        const n = positioned.notification
        const h = headers()
        h.set(POSITION_HEADER, String(positioned.position))
        const ack = yield* Effect.tryPromise({
          try: () =>
            js.publish(Subject.notificationsSubject(prefix, n.cloud), JSON.stringify(n), {
              msgID: n.notification_id,
              headers: h
            }),
          catch: (cause) =>
            new Errors.NotificationSinkError({
              sink: name,
              detail: `publishing notification ${n.notification_id} failed: ${describe(cause)}`,
              retryable: isRetryable(cause),
              cause
            })
        })
        if (ack.duplicate) {
          yield* Effect.logDebug("the stream had this notification already").pipe(
            Effect.annotateLogs({ notification_id: n.notification_id, seq: ack.seq })
          )
        }
      })

    return NotificationSink.NotificationSink.of({ name, publish })
  })

/**
 * The sink with a connection of its own, closed when the layer is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options & NatsConnection.Options
): Layer.Layer<
  NotificationSink.NotificationSink,
  NatsConnection.NatsConnectionError | StreamSetup.StreamMismatch | StreamSetup.StreamSetupError
> =>
  Layer.effect(NotificationSink.NotificationSink, make(options)).pipe(
    Layer.provide(NatsConnection.layer(options))
  )

/**
 * The sink on a connection the host provides, to share one connection across the adapter.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithConnection = (
  options: Options = {}
): Layer.Layer<
  NotificationSink.NotificationSink,
  StreamSetup.StreamMismatch | StreamSetup.StreamSetupError,
  NatsConnection.NatsConnection
> => Layer.effect(NotificationSink.NotificationSink, make(options))
