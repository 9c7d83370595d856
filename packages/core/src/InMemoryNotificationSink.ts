/**
 * A notification sink that keeps what it receives in memory, for tests and for hosts that read
 * notifications through the subscription API instead.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Positioned } from "./Notification.js"
import { NotificationSink } from "./NotificationSink.js"

/**
 * What the sink has received, in order.
 *
 * @since 0.1.0
 * @category tags
 */
export class Received extends Context.Tag("@ctxlog/core/InMemoryNotificationSink/Received")<
  Received,
  Effect.Effect<ReadonlyArray<Positioned>>
>() {}

/**
 * Provides the sink and `Received`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<NotificationSink | Received> = Layer.effectContext(
  Effect.sync(() => {
    const received: Array<Positioned> = []
    return Context.make(
      NotificationSink,
      NotificationSink.of({
        name: "memory",
        publish: (n) => Effect.sync(() => void received.push(n))
      })
    ).pipe(Context.add(Received, Effect.sync(() => received.slice())))
  })
)
