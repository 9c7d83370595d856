/**
 * The notification sink port: where notifications go once their command's events are in the log.
 * Delivery is at least once, so a sink deduplicates by `notification_id` if it must.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { NotificationSinkError } from "./Errors.js"
import type { Positioned } from "./Notification.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface NotificationSinkShape {
  /** Names the sink in logs and in its checkpoint. */
  readonly name: string
  readonly publish: (notification: Positioned) => Effect.Effect<void, NotificationSinkError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class NotificationSink extends Context.Tag("@ctxlog/core/NotificationSink")<
  NotificationSink,
  NotificationSinkShape
>() {}
