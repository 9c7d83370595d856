/**
 * What a command did: the assets it applied to (those that exist, changed or not), those it
 * changed, and those it skipped because they do not exist.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AssetId } from "./AssetId.js"

/**
 * @since 0.1.0
 * @category models
 */
export class CommandResult extends Schema.Class<CommandResult>("CommandResult")({
  commandId: Schema.String,
  applied: Schema.Array(AssetId),
  changed: Schema.Array(AssetId),
  notFound: Schema.Array(AssetId),
  /** The log position of the command's last event; the head at the time for a no-op. */
  position: Schema.Number,
  /** The revision of each changed asset after the command. */
  revisions: Schema.Array(Schema.Struct({ asset: AssetId, revision: Schema.Number })),
  /** True when the command id was seen before and this is the first result, returned again. */
  duplicate: Schema.Boolean,
  /** True when the store's views already reflect the command (they were written with it). */
  projected: Schema.optional(Schema.Boolean)
}) {}

/**
 * The part of a result that the log keeps with the command's idempotency key.
 *
 * @since 0.1.0
 * @category models
 */
export const Receipt = Schema.parseJson(Schema.Struct({
  applied: Schema.Array(AssetId),
  changed: Schema.Array(AssetId),
  notFound: Schema.Array(AssetId)
}))
