/**
 * Builders of identities and events for the contract suites and for adapter tests.
 *
 * @since 0.1.0
 */
import * as AssetId from "../AssetId.js"
import type * as Ctx from "../Context.js"
import * as Event from "../Event.js"
import type * as Notification from "../Notification.js"
import { AssetView } from "../ProjectionStore.js"

/**
 * @since 0.1.0
 * @category fixtures
 */
export const asset = (
  publicId: string,
  options: { cloud?: string; resourceType?: AssetId.ResourceType; type?: string } = {}
): AssetId.AssetId =>
  AssetId.make({
    cloud: options.cloud ?? "demo",
    publicId,
    resourceType: options.resourceType,
    type: options.type
  })

/**
 * Public ids that break naive encodings: wildcards and separators of subjects and paths, SQL
 * pattern characters, quotes, unicode outside the BMP, and the longest allowed id.
 *
 * @since 0.1.0
 * @category fixtures
 */
export const awkwardIds: ReadonlyArray<string> = [
  "folder/sub id",
  "a.b.c",
  "*",
  ">",
  "a*b>c",
  "100%_off",
  "quote\"and'apostrophe",
  "back\\slash",
  "ünïcödé/日本語",
  "emoji😀",
  "tab\tand space ",
  "_underscore_",
  "x".repeat(255)
]

const at = new Date("2026-12-03T08:00:00.123Z")

/**
 * A pending `ContextChanged` adding the given pairs.
 *
 * @since 0.1.0
 * @category fixtures
 */
export const added = (
  target: AssetId.AssetId,
  pairs: ReadonlyArray<Ctx.Pair>,
  options: { commandId?: string; index?: number; size?: number; timestamp?: Date } = {}
): Event.PendingEvent =>
  pending(target, new Event.ContextChanged({ added: pairs, updated: [], removed: [] }), options)

/**
 * @since 0.1.0
 * @category fixtures
 */
export const uploaded = (
  target: AssetId.AssetId,
  context: Ctx.Context,
  options: { commandId?: string; index?: number; size?: number; timestamp?: Date } = {}
): Event.PendingEvent =>
  pending(
    target,
    new Event.AssetUploaded({ context, added: context, updated: [], removed: [] }),
    options
  )

let counter = 0

/**
 * @since 0.1.0
 * @category fixtures
 */
export const pending = (
  target: AssetId.AssetId,
  event: Event.DomainEvent,
  options: { commandId?: string; index?: number; size?: number; timestamp?: Date } = {}
): Event.PendingEvent =>
  new Event.PendingEvent({
    eventId: `evt-${++counter}`,
    asset: target,
    commandId: options.commandId ?? `cmd-${counter}`,
    source: "api",
    actor: "contract",
    timestamp: options.timestamp ?? at,
    batch: { index: options.index ?? 0, size: options.size ?? 1 },
    event
  })

/**
 * @since 0.1.0
 * @category fixtures
 */
export const view = (
  target: AssetId.AssetId,
  context: Ctx.Context,
  options: { revision?: number; position?: number } = {}
): AssetView =>
  new AssetView({
    asset: target,
    revision: options.revision ?? 1,
    position: options.position ?? 1,
    context,
    createdAt: at,
    updatedAt: at
  })

/**
 * A notification for tests of a sink alone, numbered `n`: its position is `n * 10`.
 *
 * @since 0.1.0
 * @category fixtures
 */
export const notification = (n: number, cloud = "demo"): Notification.Positioned => ({
  position: n * 10,
  notification: {
    notification_type: "resource_context_changed",
    notification_id: `nid-${cloud}-${n}`,
    cloud,
    source: "api",
    timestamp: "2026-12-03T08:00:00.000Z",
    request_id: `cmd-${n}`,
    resources: {
      [`shirt${n}`]: {
        resource_type: "image",
        type: "upload",
        revision: 2,
        added: [{ name: "k", value: String(n) }],
        updated: [],
        removed: []
      }
    },
    notification_context: {
      triggered_at: "2026-12-03T08:00:00.000Z",
      triggered_by: { source: "api", id: "test" }
    }
  }
})
