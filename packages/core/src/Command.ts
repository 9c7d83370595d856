/**
 * The six commands. Each carries an id (its idempotency key), a source, an actor and a timestamp;
 * a single-asset command may also carry the revision its caller expects the asset to be at.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AssetId } from "./AssetId.js"
import { Context, Pair } from "./Context.js"
import { Source } from "./Event.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const CommandId = Schema.String.pipe(
  Schema.filter((s) =>
    (s.length > 0 && s.length <= 200 && s.isWellFormed()) ||
    "a command id is 1 to 200 characters of well-formed Unicode"
  )
)

const meta = {
  commandId: CommandId,
  source: Source,
  actor: Schema.String,
  timestamp: Schema.DateFromString
}

const expectation = {
  /** The revision the caller has read; a different current revision is a conflict. */
  expectedRevision: Schema.optional(Schema.NonNegativeInt)
}

const Assets = Schema.Array(AssetId).pipe(Schema.minItems(1, {
  message: () => "a command names at least one asset"
}))

/**
 * Registers an asset, or registers it again; its context becomes exactly `context`.
 *
 * @since 0.1.0
 * @category commands
 */
export class Upload extends Schema.TaggedClass<Upload>()("Upload", {
  ...meta,
  ...expectation,
  asset: AssetId,
  context: Context
}) {}

/**
 * Merges pairs into each asset's context; an empty value removes its key.
 *
 * @since 0.1.0
 * @category commands
 */
export class AddContext extends Schema.TaggedClass<AddContext>()("AddContext", {
  ...meta,
  assets: Assets,
  pairs: Schema.Array(Pair)
}) {}

/**
 * @since 0.1.0
 * @category commands
 */
export class RemoveAllContext extends Schema.TaggedClass<RemoveAllContext>()("RemoveAllContext", {
  ...meta,
  assets: Assets
}) {}

/**
 * Sets the whole context of one asset that exists.
 *
 * @since 0.1.0
 * @category commands
 */
export class ReplaceContext extends Schema.TaggedClass<ReplaceContext>()("ReplaceContext", {
  ...meta,
  ...expectation,
  asset: AssetId,
  context: Context
}) {}

/**
 * @since 0.1.0
 * @category commands
 */
export class RemoveKeys extends Schema.TaggedClass<RemoveKeys>()("RemoveKeys", {
  ...meta,
  assets: Assets,
  keys: Schema.Array(Schema.String).pipe(Schema.minItems(1, {
    message: () => "remove_keys names at least one key"
  }))
}) {}

/**
 * Deletes assets; their history stays in the log.
 *
 * @since 0.1.0
 * @category commands
 */
export class DeleteAssets extends Schema.TaggedClass<DeleteAssets>()("DeleteAssets", {
  ...meta,
  assets: Assets
}) {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const Command = Schema.Union(
  Upload,
  AddContext,
  RemoveAllContext,
  ReplaceContext,
  RemoveKeys,
  DeleteAssets
)

/**
 * @since 0.1.0
 * @category models
 */
export type Command = typeof Command.Type

/**
 * The assets a command names, in its order.
 *
 * @since 0.1.0
 * @category getters
 */
export const assetsOf = (command: Command): ReadonlyArray<AssetId> =>
  "assets" in command ? command.assets : [command.asset]

/**
 * @since 0.1.0
 * @category getters
 */
export const expectedRevisionOf = (command: Command): number | undefined =>
  "expectedRevision" in command ? command.expectedRevision : undefined
