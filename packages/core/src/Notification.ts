/**
 * Notifications: one per command that changed something, in the wire shape Cloudinary sends
 * (`resource_context_changed`), built from the command's events alone. Uploads and deletes have
 * their own types with the same shape.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type { RecordedEvent } from "./Event.js"
import { diffOf, Source } from "./Event.js"
import { stableId } from "./internal/hash.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const NotificationType = Schema.Literal("resource_context_changed", "upload", "delete")

/**
 * @since 0.1.0
 * @category models
 */
export type NotificationType = typeof NotificationType.Type

const Named = Schema.Struct({ name: Schema.String, value: Schema.String })

/**
 * What a command did to one asset.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResourceChange = Schema.Struct({
  resource_type: Schema.String,
  type: Schema.String,
  revision: Schema.Number,
  added: Schema.Array(Named),
  updated: Schema.Array(
    Schema.Struct({ name: Schema.String, value: Schema.String, previous_value: Schema.String })
  ),
  removed: Schema.Array(Named),
  /** The whole context after an upload. */
  context: Schema.optional(Schema.Struct({
    custom: Schema.Record({ key: Schema.String, value: Schema.String })
  }))
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ResourceChange extends Schema.Schema.Type<typeof ResourceChange> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const Notification = Schema.Struct({
  notification_type: NotificationType,
  /** Stable: derived from the cloud and the command id, the same on every delivery attempt. */
  notification_id: Schema.String,
  cloud: Schema.String,
  source: Source,
  timestamp: Schema.String,
  /** The command id. */
  request_id: Schema.String,
  /** Keyed by public id; every asset of one command shares the resource type and type. */
  resources: Schema.Record({ key: Schema.String, value: ResourceChange }),
  notification_context: Schema.Struct({
    triggered_at: Schema.String,
    triggered_by: Schema.Struct({ source: Source, id: Schema.String })
  })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Notification extends Schema.Schema.Type<typeof Notification> {}

/**
 * A notification with the log position of the last event it covers: a subscriber that resumes
 * after that position misses nothing and sees nothing twice.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Positioned = Schema.Struct({ position: Schema.Number, notification: Notification })

/**
 * @since 0.1.0
 * @category models
 */
export interface Positioned extends Schema.Schema.Type<typeof Positioned> {}

/**
 * The id of the notification of a command.
 *
 * @since 0.1.0
 * @category constructors
 */
export const idOf = (cloud: string, commandId: string): string =>
  stableId(`notification\u0000${cloud}\u0000${commandId}`)

const typeOf = (event: RecordedEvent): NotificationType => {
  switch (event.event._tag) {
    case "AssetUploaded":
      return "upload"
    case "AssetDeleted":
      return "delete"
    case "ContextChanged":
      return "resource_context_changed"
  }
}

/**
 * Builds the notification of one command from all of its events (a non-empty batch).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromBatch = (events: ReadonlyArray<RecordedEvent>): Positioned => {
  const first = events[0]!
  const resources: Record<string, ResourceChange> = {}
  let position = 0
  for (const recorded of events) {
    const change = diffOf(recorded.event)
    const resource: ResourceChange = {
      resource_type: recorded.asset.resourceType,
      type: recorded.asset.type,
      revision: recorded.revision,
      added: change.added.map(({ key, value }) => ({ name: key, value })),
      updated: change.updated.map(({ key, previous, value }) => ({
        name: key,
        value,
        previous_value: previous
      })),
      removed: change.removed.map(({ key, previous }) => ({ name: key, value: previous }))
    }
    resources[recorded.asset.publicId] = recorded.event._tag === "AssetUploaded"
      ? {
        ...resource,
        context: {
          custom: Object.fromEntries(recorded.event.context.map((p) => [p.key, p.value]))
        }
      }
      : resource
    position = Math.max(position, recorded.position)
  }
  const at = first.timestamp.toISOString()
  return {
    position,
    notification: {
      notification_type: typeOf(first),
      notification_id: idOf(first.asset.cloud, first.commandId),
      cloud: first.asset.cloud,
      source: first.source,
      timestamp: at,
      request_id: first.commandId,
      resources,
      notification_context: {
        triggered_at: at,
        triggered_by: { source: first.source, id: first.actor }
      }
    }
  }
}
