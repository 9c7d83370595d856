/**
 * What every handler of the HTTP API works with: the ctxlog service, the keys, and the settings
 * of this server.
 *
 * @since 0.1.0
 */
import type { Command, CommandResult, Context, Ctxlog, Event, Settings } from "@ctxlog/core"
import { AssetId, ContextText } from "@ctxlog/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { randomUUID } from "node:crypto"
import * as ApiError from "./ApiError.js"
import type * as Body from "./Body.js"
import type * as Credentials from "./Credentials.js"
import type * as WebhookDispatcher from "./WebhookDispatcher.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ApiEnv {
  readonly ctxlog: Ctxlog.CtxlogShape
  readonly credentials: Credentials.CredentialsShape
  /** Where delivery URLs in responses point. */
  readonly deliveryBase: string
  readonly limits: Body.Limits
  /** Unix seconds; the clock, unless a test sets it. */
  readonly now: () => number
  /** Where registrations and delivery state are kept: the store's settings. */
  readonly settings: Settings.SettingsShape
  /** How webhooks are delivered, for redeliveries asked through the API. */
  readonly delivery: WebhookDispatcher.Options
}

/**
 * The fields every command carries, for a caller authenticated by `apiKey`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const meta = (
  apiKey: string,
  commandId?: string | undefined,
  source: Event.Source = "api"
): {
  readonly commandId: string
  readonly source: Event.Source
  readonly actor: string
  readonly timestamp: Date
} => ({ commandId: commandId ?? randomUUID(), source, actor: apiKey, timestamp: new Date() })

const RESOURCE_TYPES: ReadonlyArray<string> = ["image", "video", "raw"]

/**
 * The resource type of a path segment.
 *
 * @since 0.1.0
 * @category parsing
 */
export const resourceType = (
  segment: string
): Effect.Effect<AssetId.ResourceType, ApiError.ApiError> =>
  RESOURCE_TYPES.includes(segment)
    ? Effect.succeed(segment as AssetId.ResourceType)
    : Effect.fail(
      ApiError.notFound(`unknown resource type ${JSON.stringify(segment)}; use image, video or raw`)
    )

/**
 * An asset identity from request parts, refused with a 400 that names the part that is wrong.
 *
 * @since 0.1.0
 * @category parsing
 */
export const asset = (input: {
  readonly cloud: string
  readonly resourceType: AssetId.ResourceType
  readonly type?: string | undefined
  readonly publicId: string
}): Effect.Effect<AssetId.AssetId, ApiError.ApiError> =>
  AssetId.decode({
    cloud: input.cloud,
    resourceType: input.resourceType,
    type: input.type === undefined || input.type === "" ? "upload" : input.type,
    publicId: input.publicId
  }).pipe(
    Effect.mapError((error) => {
      const text = error.message.split("\n").filter((l) => l.trim() !== "").slice(-1)[0]
      return ApiError.badRequest(
        `invalid asset ${JSON.stringify(input.publicId)}: ${text?.trim() ?? error.message}`
      )
    })
  )

/**
 * Runs a command, with core errors turned into API errors.
 *
 * @since 0.1.0
 * @category running
 */
export const execute = (
  env: ApiEnv,
  command: Command.Command
): Effect.Effect<CommandResult.CommandResult, ApiError.ApiError> =>
  env.ctxlog.execute(command).pipe(Effect.mapError(ApiError.fromCore))

/**
 * Context text as the SDK sends it (`k=v|k2=v2`), as pairs.
 *
 * @since 0.1.0
 * @category parsing
 */
export const pairs = (
  text: string,
  field = "context"
): Effect.Effect<Context.Context, ApiError.ApiError> =>
  Either.match(ContextText.parse(text), {
    onLeft: (error) => Effect.fail(ApiError.badRequest(`${field}: ${error.message}`)),
    onRight: Effect.succeed
  })
