/**
 * The Admin API, authenticated by HTTP Basic: reading, listing, updating and deleting
 * resources under `/v1_1/<cloud>/resources/`.
 *
 * @since 0.1.0
 */
import type { Queries } from "@ctxlog/core"
import { Command } from "@ctxlog/core"
import * as Effect from "effect/Effect"
import * as ApiEnv from "./ApiEnv.js"
import * as ApiError from "./ApiError.js"
import * as Body from "./Body.js"
import * as Resource from "./Resource.js"

const flag = (fields: Body.Body["fields"], name: string) => {
  const value = Body.string(fields, name)
  return value === "true" || value === "1"
}

const maxResults = (fields: Body.Body["fields"]) => {
  const raw = Body.string(fields, "max_results")
  if (raw === undefined || raw === "") return Effect.succeed(undefined)
  const n = Number(raw)
  return Number.isSafeInteger(n)
    ? Effect.succeed(n)
    : Effect.fail(ApiError.badRequest(`max_results must be a whole number, got ${raw}`))
}

const page = (
  env: ApiEnv.ApiEnv,
  found: Queries.ResultPage,
  withContext: boolean
) => ({
  resources: found.resources.map((view) =>
    Resource.render(view, {
      deliveryBase: env.deliveryBase,
      context: withContext ? "custom" : "none"
    })
  ),
  ...(found.nextCursor === undefined ? {} : { next_cursor: found.nextCursor })
})

const byContext = (env: ApiEnv.ApiEnv, cloud: string, rt: string, body: Body.Body) =>
  Effect.gen(function*() {
    const key = Body.string(body.fields, "key")
    if (key === undefined || key === "") {
      return yield* ApiError.badRequest("Missing required parameter - key")
    }
    const value = Body.string(body.fields, "value")
    const found = yield* env.ctxlog.byContext({
      cloud,
      key,
      // The SDK sends `value=` when a caller passes options but no value: that means any value.
      value: value === "" ? undefined : value,
      resourceType: yield* ApiEnv.resourceType(rt),
      type: Body.string(body.fields, "type") || undefined,
      maxResults: yield* maxResults(body.fields),
      cursor: Body.string(body.fields, "next_cursor")
    }).pipe(Effect.mapError(ApiError.fromCore))
    return page(env, found, flag(body.fields, "context"))
  })

const list = (
  env: ApiEnv.ApiEnv,
  cloud: string,
  rt: string,
  type: string | undefined,
  body: Body.Body
) =>
  Effect.gen(function*() {
    const resourceType = yield* ApiEnv.resourceType(rt)
    const withContext = flag(body.fields, "context")
    const ids = Body.strings(body.fields, "public_ids")
    if (ids.length > 0) {
      const views = yield* Effect.forEach(ids, (publicId) =>
        ApiEnv.asset({ cloud, resourceType, type, publicId }).pipe(
          Effect.flatMap((asset) =>
            env.ctxlog.get(asset).pipe(
              Effect.asSome,
              Effect.catchTag("AssetNotFound", () =>
                Effect.succeedNone),
              Effect.mapError(ApiError.fromCore)
            )
          )
        ), { concurrency: 16 })
      return page(env, {
        resources: views.flatMap((v) =>
          v._tag === "Some" ? [v.value] : []
        )
      }, withContext)
    }
    const found = yield* env.ctxlog.list({
      cloud,
      resourceType,
      type,
      prefix: Body.string(body.fields, "prefix") || undefined,
      maxResults: yield* maxResults(body.fields),
      cursor: Body.string(body.fields, "next_cursor")
    }).pipe(Effect.mapError(ApiError.fromCore))
    return page(env, found, withContext)
  })

const remove = (
  env: ApiEnv.ApiEnv,
  cloud: string,
  rt: string,
  type: string,
  apiKey: string,
  body: Body.Body
) =>
  Effect.gen(function*() {
    const resourceType = yield* ApiEnv.resourceType(rt)
    const ids = Body.strings(body.fields, "public_ids")
    if (ids.length === 0) {
      return yield* ApiError.badRequest(
        "Missing required parameter - public_ids (deleting by prefix or all is not supported)"
      )
    }
    const assets = yield* Effect.forEach(ids, (publicId) =>
      ApiEnv.asset({ cloud, resourceType, type, publicId }))
    const result = yield* ApiEnv.execute(
      env,
      new Command.DeleteAssets({ ...ApiEnv.meta(apiKey), assets })
    )
    const deleted: Record<string, string> = {}
    const counts: Record<string, unknown> = {}
    for (const a of result.applied) {
      deleted[a.publicId] = "deleted"
      counts[a.publicId] = { original: 1, derived: 0 }
    }
    for (const a of result.notFound) {
      deleted[a.publicId] = "not_found"
    }
    return { deleted, deleted_counts: counts, partial: false }
  })

const read = (
  env: ApiEnv.ApiEnv,
  cloud: string,
  rt: string,
  type: string,
  publicId: string
) =>
  Effect.gen(function*() {
    const asset = yield* ApiEnv.asset({
      cloud,
      resourceType: yield* ApiEnv.resourceType(rt),
      type,
      publicId
    })
    const view = yield* env.ctxlog.get(asset).pipe(
      Effect.mapError((error) =>
        error._tag === "AssetNotFound"
          ? ApiError.notFound(`Resource not found - ${publicId}`)
          : ApiError.fromCore(error)
      )
    )
    return Resource.render(view, { deliveryBase: env.deliveryBase, context: "custom" })
  })

const update = (
  env: ApiEnv.ApiEnv,
  cloud: string,
  rt: string,
  type: string,
  publicId: string,
  apiKey: string,
  body: Body.Body
) =>
  Effect.gen(function*() {
    const text = Body.string(body.fields, "context")
    if (text !== undefined) {
      const asset = yield* ApiEnv.asset({
        cloud,
        resourceType: yield* ApiEnv.resourceType(rt),
        type,
        publicId
      })
      const context = yield* ApiEnv.pairs(text)
      yield* ApiEnv.execute(
        env,
        new Command.ReplaceContext({ ...ApiEnv.meta(apiKey), asset, context })
      ).pipe(
        Effect.mapError((error) =>
          error.status === 404 ? ApiError.notFound(`Resource not found - ${publicId}`) : error
        )
      )
    }
    return yield* read(env, cloud, rt, type, publicId)
  })

/**
 * Serves `/v1_1/<cloud>/resources/<rest>` for an authenticated caller; `rest` are the decoded
 * path segments after `resources`.
 *
 * @since 0.1.0
 * @category handlers
 */
export const handle = (
  env: ApiEnv.ApiEnv,
  cloud: string,
  method: string,
  rest: ReadonlyArray<string>,
  apiKey: string,
  body: Body.Body
): Effect.Effect<unknown, ApiError.ApiError> => {
  const [rt, type, ...id] = rest
  const publicId = id.join("/")
  if (rt === undefined) {
    return Effect.fail(ApiError.notFound("name a resource type: /resources/<resource_type>"))
  }
  if (type === undefined) {
    return method === "GET"
      ? list(env, cloud, rt, undefined, body)
      : Effect.fail(methodNotAllowed(method))
  }
  if (id.length === 0) {
    if (type === "context" && method === "GET") return byContext(env, cloud, rt, body)
    if (method === "GET") return list(env, cloud, rt, type, body)
    if (method === "DELETE") return remove(env, cloud, rt, type, apiKey, body)
    return Effect.fail(methodNotAllowed(method))
  }
  if (method === "GET") return read(env, cloud, rt, type, publicId)
  if (method === "POST") return update(env, cloud, rt, type, publicId, apiKey, body)
  if (method === "DELETE") {
    return remove(env, cloud, rt, type, apiKey, { fields: { public_ids: [publicId] } })
  }
  return Effect.fail(methodNotAllowed(method))
}

const methodNotAllowed = (method: string) =>
  new ApiError.ApiError({ status: 404, detail: `${method} is not served here` })
