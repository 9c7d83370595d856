/**
 * The options that place a public id: its resource type and delivery type. Commands on assets
 * default to `image/upload`; queries over many assets take them as filters.
 *
 * @since 0.1.0
 */
import { AssetId, Errors } from "@ctxlog/core"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const resourceTypes = ["image", "video", "raw"] as const satisfies ReadonlyArray<
  AssetId.ResourceType
>

const resourceTypeOption = Options.choice("resource-type", resourceTypes).pipe(
  Options.withPseudoName("rt")
)

const typeOption = Options.text("type").pipe(Options.withPseudoName("t"))

/**
 * @since 0.1.0
 * @category options
 */
export const options = {
  resourceType: resourceTypeOption.pipe(
    Options.withDefault("image" as const),
    Options.withDescription("The resource type of the assets: image, video or raw; default image.")
  ),
  type: typeOption.pipe(
    Options.withDefault("upload"),
    Options.withDescription(
      "The delivery type of the assets, e.g. upload, private, authenticated; " +
        "default upload."
    )
  )
} as const

/**
 * @since 0.1.0
 * @category options
 */
export const filters = {
  resourceType: resourceTypeOption.pipe(
    Options.optional,
    Options.withDescription("Only assets of this resource type (image, video or raw).")
  ),
  type: typeOption.pipe(
    Options.optional,
    Options.withDescription("Only assets of this delivery type.")
  )
} as const

/**
 * @since 0.1.0
 * @category models
 */
export interface Placement {
  readonly resourceType: AssetId.ResourceType
  readonly type: string
}

const invalid = (error: ParseResult.ParseError) => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  return new Errors.InvalidQuery({
    path: issue === undefined || issue.path.length === 0 ? "asset" : issue.path.join("."),
    detail: issue?.message ?? error.message
  })
}

/**
 * The identity of an asset named on the command line, for a query.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (
  cloud: string,
  placement: Placement,
  publicId: string
): Effect.Effect<AssetId.AssetId, Errors.InvalidQuery> =>
  AssetId.decode({ cloud, resourceType: placement.resourceType, type: placement.type, publicId })
    .pipe(Effect.mapError(invalid))

/**
 * Checks `--cloud` for a query over many assets.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeCloud = (cloud: string): Effect.Effect<string, Errors.InvalidQuery> =>
  Schema.decodeUnknown(AssetId.Cloud)(cloud).pipe(
    Effect.mapError((error) =>
      new Errors.InvalidQuery({ path: "cloud", detail: invalid(error).detail })
    )
  )
