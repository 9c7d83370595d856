/**
 * Events: the facts of the log, one stream per asset. Each carries the diff it made, so that no
 * consumer needs the earlier state to know what changed.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AssetId } from "./AssetId.js"
import { Context, Diff, Pair, Removed, Updated } from "./Context.js"

/**
 * The schema version that this release writes. Decoders accept every earlier one.
 *
 * @since 0.1.0
 * @category constants
 */
export const CURRENT_SCHEMA_VERSION = 2

/**
 * An asset was registered, or registered again over an existing one. `context` is its whole
 * context afterwards; the diff is against what it had before (nothing, for a new asset).
 *
 * @since 0.1.0
 * @category events
 */
export class AssetUploaded extends Schema.TaggedClass<AssetUploaded>()("AssetUploaded", {
  context: Context,
  added: Schema.Array(Pair),
  updated: Schema.Array(Updated),
  removed: Schema.Array(Removed)
}) {}

/**
 * @since 0.1.0
 * @category events
 */
export class ContextChanged extends Schema.TaggedClass<ContextChanged>()("ContextChanged", {
  ...Diff.fields
}) {}

/**
 * The asset is gone; `removed` is the context it had. Its history stays in the log.
 *
 * @since 0.1.0
 * @category events
 */
export class AssetDeleted extends Schema.TaggedClass<AssetDeleted>()("AssetDeleted", {
  removed: Schema.Array(Removed)
}) {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const DomainEvent = Schema.Union(AssetUploaded, ContextChanged, AssetDeleted)

/**
 * @since 0.1.0
 * @category models
 */
export type DomainEvent = typeof DomainEvent.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const Source = Schema.Literal("api", "ui")

/**
 * @since 0.1.0
 * @category models
 */
export type Source = typeof Source.Type

/**
 * Where an event sits in the command that wrote it: one command writes at most one event per
 * asset, all in one atomic batch, so `index` and `size` tell a reader when it has seen them all.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BatchPart = Schema.Struct({
  index: Schema.NonNegativeInt,
  size: Schema.Int.pipe(Schema.positive())
})

/**
 * An event before the log has placed it: what the command service hands to `append`.
 *
 * @since 0.1.0
 * @category schemas
 */
export class PendingEvent extends Schema.Class<PendingEvent>("PendingEvent")({
  eventId: Schema.String,
  asset: AssetId,
  commandId: Schema.String,
  source: Source,
  actor: Schema.String,
  timestamp: Schema.DateFromString,
  batch: BatchPart,
  event: DomainEvent
}) {}

/**
 * An event as the log holds it: placed in its asset's stream (`revision`, from 1) and in the
 * whole log (`position`, from 1).
 *
 * @since 0.1.0
 * @category schemas
 */
export class RecordedEvent extends Schema.Class<RecordedEvent>("RecordedEvent")({
  ...PendingEvent.fields,
  revision: Schema.Int.pipe(Schema.positive()),
  position: Schema.Int.pipe(Schema.positive()),
  schemaVersion: Schema.Int.pipe(Schema.positive())
}) {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const record = (
  pending: PendingEvent,
  placement: { readonly revision: number; readonly position: number }
): RecordedEvent =>
  new RecordedEvent({
    ...pending,
    revision: placement.revision,
    position: placement.position,
    schemaVersion: CURRENT_SCHEMA_VERSION
  }, trusted)

/**
 * Constructor options for values built from parts that were validated already: on the write
 * path, checking every field again would cost more than the rest of the work.
 *
 * @since 0.1.0
 * @category constructors
 */
export const trusted = { disableValidation: true } as const

/**
 * The diff an event made, whatever its kind.
 *
 * @since 0.1.0
 * @category getters
 */
export const diffOf = (event: DomainEvent): Diff =>
  event._tag === "AssetDeleted"
    ? { added: [], updated: [], removed: event.removed }
    : { added: event.added, updated: event.updated, removed: event.removed }
