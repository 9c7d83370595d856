/**
 * The Upload API, signed in the body: `upload`, `explicit` and `context` under
 * `/v1_1/<cloud>/<resource_type>/`.
 *
 * @since 0.1.0
 */
import type { AssetId } from "@ctxlog/core"
import { Command } from "@ctxlog/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { createHash, randomBytes } from "node:crypto"
import * as ApiEnv from "./ApiEnv.js"
import * as ApiError from "./ApiError.js"
import * as Body from "./Body.js"
import * as Credentials from "./Credentials.js"
import * as Resource from "./Resource.js"

const VIDEO_FORMATS: ReadonlyArray<string> = ["mp4", "webm", "mov", "avi", "mkv", "m4v", "ogv"]

const randomPublicId = () => {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
  return [...randomBytes(20)].map((b) => alphabet[b % alphabet.length]).join("")
}

const authenticate = (env: ApiEnv.ApiEnv, body: Body.Body, cloud: string) =>
  Either.match(Credentials.signed(env.credentials, body.fields, cloud, { now: env.now() }), {
    onLeft: Effect.fail,
    onRight: Effect.succeed
  })

const resourceTypeOf = (segment: string, format: string | undefined) =>
  segment === "auto"
    ? Effect.succeed<AssetId.ResourceType>(
      format !== undefined && VIDEO_FORMATS.includes(format) ? "video" : "image"
    )
    : ApiEnv.resourceType(segment)

const required = (body: Body.Body, name: string) => {
  const value = Body.string(body.fields, name)
  return value === undefined || value === ""
    ? Effect.fail(ApiError.badRequest(`Missing required parameter - ${name}`))
    : Effect.succeed(value)
}

// `upload_large` sends a file in parts, each a signed request with `Content-Range`; the asset
// is recorded when the last part arrives, and the parts before it are acknowledged.
const RANGE = /^bytes (\d+)-(\d+)\/(-1|\d+)$/

const upload = (
  env: ApiEnv.ApiEnv,
  cloud: string,
  segment: string,
  body: Body.Body,
  contentRange: string | undefined
) =>
  Effect.gen(function*() {
    const principal = yield* authenticate(env, body, cloud)
    let totalBytes = body.file?.bytes
    if (contentRange !== undefined) {
      const range = RANGE.exec(contentRange)
      if (range === null) {
        return yield* ApiError.badRequest(`Content-Range ${contentRange} is not bytes a-b/total`)
      }
      if (range[3] === "-1") return { done: false, bytes: Number(range[2]) + 1 }
      totalBytes = Number(range[3])
    }
    const url = Body.string(body.fields, "file")
    if (body.file === undefined && (url === undefined || url === "")) {
      return yield* ApiError.badRequest("Missing required parameter - file")
    }
    const format = Resource.formatOf(body.file?.head, body.file?.filename ?? url)
    const resourceType = yield* resourceTypeOf(segment, format)
    const folder = (Body.string(body.fields, "folder") ?? "").replace(/^\/+|\/+$/g, "")
    const given = Body.string(body.fields, "public_id")
    const name = given === undefined || given === "" ? randomPublicId() : given
    const asset = yield* ApiEnv.asset({
      cloud,
      resourceType,
      type: Body.string(body.fields, "type"),
      publicId: folder === "" ? name : `${folder}/${name}`
    })
    const context = yield* ApiEnv.pairs(Body.string(body.fields, "context") ?? "")
    const overwrite = Body.string(body.fields, "overwrite") !== "false"
    let existing = false
    if (!overwrite) {
      existing = yield* env.ctxlog.get(asset).pipe(
        Effect.as(true),
        Effect.catchTag("AssetNotFound", () => Effect.succeed(false)),
        Effect.mapError(ApiError.fromCore)
      )
    }
    if (!existing) {
      yield* ApiEnv.execute(
        env,
        new Command.Upload({ ...ApiEnv.meta(principal.apiKey), asset, context })
      )
    }
    const view = yield* env.ctxlog.get(asset).pipe(Effect.mapError(ApiError.fromCore))
    const resource = Resource.render(view, {
      deliveryBase: env.deliveryBase,
      context: "custom",
      format,
      bytes: totalBytes
    })
    const signature = createHash("sha1")
      .update(`public_id=${asset.publicId}&version=${resource.version}`)
      .update(Redacted.value(principal.apiSecret))
      .digest("hex")
    return {
      ...resource,
      version_id: createHash("md5").update(`${asset.key}\u0000${view.revision}`).digest("hex"),
      signature,
      tags: [],
      etag: createHash("md5").update(`${asset.key}\u0000${view.position}`).digest("hex"),
      placeholder: false,
      existing,
      original_filename: originalName(body.file?.filename ?? url ?? name),
      api_key: principal.apiKey
    }
  })

const originalName = (name: string) => {
  const base = name.replace(/[?#].*$/, "").split("/").pop() ?? name
  const dot = base.lastIndexOf(".")
  return dot > 0 ? base.slice(0, dot) : base
}

const explicit = (env: ApiEnv.ApiEnv, cloud: string, segment: string, body: Body.Body) =>
  Effect.gen(function*() {
    const principal = yield* authenticate(env, body, cloud)
    const asset = yield* ApiEnv.asset({
      cloud,
      resourceType: yield* ApiEnv.resourceType(segment),
      type: Body.string(body.fields, "type"),
      publicId: yield* required(body, "public_id")
    })
    const text = Body.string(body.fields, "context")
    if (text !== undefined) {
      const context = yield* ApiEnv.pairs(text)
      yield* ApiEnv.execute(
        env,
        new Command.ReplaceContext({ ...ApiEnv.meta(principal.apiKey), asset, context })
      )
    }
    const view = yield* env.ctxlog.get(asset).pipe(Effect.mapError(ApiError.fromCore))
    return Resource.render(view, { deliveryBase: env.deliveryBase, context: "custom" })
  })

const contextCommand = (env: ApiEnv.ApiEnv, cloud: string, segment: string, body: Body.Body) =>
  Effect.gen(function*() {
    const principal = yield* authenticate(env, body, cloud)
    const resourceType = yield* ApiEnv.resourceType(segment)
    const ids = Body.strings(body.fields, "public_ids")
    if (ids.length === 0) {
      return yield* ApiError.badRequest("Missing required parameter - public_ids")
    }
    const type = Body.string(body.fields, "type")
    const assets = yield* Effect.forEach(
      ids,
      (publicId) => ApiEnv.asset({ cloud, resourceType, type, publicId })
    )
    const command = Body.string(body.fields, "command")
    const meta = ApiEnv.meta(principal.apiKey)
    let result
    switch (command) {
      case "add": {
        const text = Body.string(body.fields, "context")
        if (text === undefined || text === "") {
          return yield* ApiError.badRequest("Missing required parameter - context")
        }
        const pairs = yield* ApiEnv.pairs(text)
        result = yield* ApiEnv.execute(env, new Command.AddContext({ ...meta, assets, pairs }))
        break
      }
      case "remove_all":
        result = yield* ApiEnv.execute(env, new Command.RemoveAllContext({ ...meta, assets }))
        break
      case undefined:
      case "":
        return yield* ApiError.badRequest("Missing required parameter - command")
      default:
        return yield* ApiError.badRequest(
          `command must be add or remove_all, got ${JSON.stringify(command)}`
        )
    }
    const notFound = result.notFound.map((a) => a.publicId)
    return {
      public_ids: result.applied.map((a) => a.publicId),
      ...(notFound.length === 0 ? {} : { not_found: notFound })
    }
  })

/**
 * Serves `POST /v1_1/<cloud>/<resource_type>/<action>`.
 *
 * @since 0.1.0
 * @category handlers
 */
export const handle = (
  env: ApiEnv.ApiEnv,
  cloud: string,
  segment: string,
  action: string,
  body: Body.Body,
  contentRange?: string | undefined
): Effect.Effect<unknown, ApiError.ApiError> => {
  switch (action) {
    case "upload":
      return upload(env, cloud, segment, body, contentRange)
    case "explicit":
      return explicit(env, cloud, segment, body)
    case "context":
      return contextCommand(env, cloud, segment, body)
    default:
      return Effect.fail(ApiError.notFound(`the Upload API has no action ${action}`))
  }
}
