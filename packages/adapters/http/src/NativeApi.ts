/**
 * The native JSON API, under `/api/v1/<cloud>/`, for what Cloudinary has no call for: history,
 * reads as of a revision or a time, removing single keys, expected revisions (409 on conflict)
 * and idempotency keys. Authenticated by HTTP Basic, like the Admin API.
 *
 * @since 0.1.0
 */
import type { AssetId, CommandResult, ProjectionStore, Queries } from "@ctxlog/core"
import { Command, Context, Event, Transformation } from "@ctxlog/core"
import * as Effect from "effect/Effect"
import * as ApiEnv from "./ApiEnv.js"
import * as ApiError from "./ApiError.js"
import * as Body from "./Body.js"

/**
 * The commands `POST /api/v1/<cloud>/commands/<name>` runs.
 *
 * @since 0.1.0
 * @category constants
 */
export const COMMANDS = ["upload", "add", "remove_all", "replace", "remove_keys", "delete"] as const

const view = (v: ProjectionStore.AssetView) => ({
  cloud: v.asset.cloud,
  resource_type: v.asset.resourceType,
  type: v.asset.type,
  public_id: v.asset.publicId,
  revision: v.revision,
  position: v.position,
  context: Context.toRecord(v.context),
  pairs: v.context.map(({ key, value }) => ({ key, value })),
  created_at: v.createdAt.toISOString(),
  updated_at: v.updatedAt.toISOString()
})

const recorded = (e: Event.RecordedEvent) => {
  const change = Event.diffOf(e.event)
  return {
    event_id: e.eventId,
    kind: e.event._tag,
    revision: e.revision,
    position: e.position,
    command_id: e.commandId,
    source: e.source,
    actor: e.actor,
    timestamp: e.timestamp.toISOString(),
    ...(e.event._tag === "AssetUploaded"
      ? { context: e.event.context.map(({ key, value }) => ({ key, value })) }
      : {}),
    added: change.added.map(({ key, value }) => ({ key, value })),
    updated: change.updated.map(({ key, previous, value }) => ({ key, value, previous })),
    removed: change.removed.map(({ key, previous }) => ({ key, previous }))
  }
}

const result = (r: CommandResult.CommandResult) => ({
  command_id: r.commandId,
  duplicate: r.duplicate,
  position: r.position,
  applied: r.applied.map((a) => a.publicId),
  changed: r.changed.map((a) => a.publicId),
  not_found: r.notFound.map((a) => a.publicId),
  revisions: Object.fromEntries(
    r.revisions.map(({ asset, revision }) => [asset.publicId, revision])
  )
})

const asOf = (
  raw: string | undefined
): Effect.Effect<Queries.AsOf | undefined, ApiError.ApiError> => {
  if (raw === undefined || raw === "") return Effect.succeed(undefined)
  if (/^\d+$/.test(raw)) return Effect.succeed({ revision: Number(raw) })
  const time = new Date(raw)
  return Number.isNaN(time.getTime())
    ? Effect.fail(ApiError.badRequest(`as_of must be a revision or an ISO 8601 time, got ${raw}`))
    : Effect.succeed({ time })
}

const assetOf = (cloud: string, rest: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const [rt, type, ...id] = rest
    if (rt === undefined || type === undefined || id.length === 0) {
      return yield* ApiError.notFound("name an asset as <resource_type>/<type>/<public_id>")
    }
    return yield* ApiEnv.asset({
      cloud,
      resourceType: yield* ApiEnv.resourceType(rt),
      type,
      publicId: id.join("/")
    })
  })

const contextOf = (
  raw: unknown,
  field: string
): Effect.Effect<Context.Context, ApiError.ApiError> => {
  if (raw === undefined || raw === null) return Effect.succeed([])
  if (typeof raw === "string") return ApiEnv.pairs(raw, field)
  const bad = (detail: string) => Effect.fail(ApiError.badRequest(`${field}: ${detail}`))
  if (Array.isArray(raw)) {
    const pairs: Array<Context.Pair> = []
    for (const [i, p] of raw.entries()) {
      if (typeof p?.key !== "string" || typeof p?.value !== "string") {
        return bad(`item ${i} must be {"key": string, "value": string}`)
      }
      pairs.push({ key: p.key, value: p.value })
    }
    return Effect.succeed(pairs)
  }
  if (typeof raw === "object") {
    const pairs: Array<Context.Pair> = []
    for (const [key, value] of Object.entries(raw)) {
      if (typeof value !== "string") return bad(`the value of ${key} must be a string`)
      pairs.push({ key, value })
    }
    return Effect.succeed(pairs)
  }
  return bad("must be pipe text, an object of strings, or a list of {key, value}")
}

const idsOf = (json: Readonly<Record<string, unknown>>) => {
  const many = json.public_ids
  const one = json.public_id
  if (Array.isArray(many) && many.every((id) => typeof id === "string")) {
    return Effect.succeed(many as ReadonlyArray<string>)
  }
  if (typeof one === "string") return Effect.succeed([one])
  return Effect.fail(ApiError.badRequest("public_ids (a list of strings) or public_id is required"))
}

const optionalString = (json: Readonly<Record<string, unknown>>, name: string) => {
  const value = json[name]
  return value === undefined || value === null || typeof value === "string"
    ? Effect.succeed(value ?? undefined)
    : Effect.fail(ApiError.badRequest(`${name} must be a string`))
}

const runCommand = (
  env: ApiEnv.ApiEnv,
  cloud: string,
  name: string,
  apiKey: string,
  idempotencyKey: string | undefined,
  body: Body.Body,
  forcedSource: "ui" | undefined
) =>
  Effect.gen(function*() {
    if (!(COMMANDS as ReadonlyArray<string>).includes(name)) {
      return yield* ApiError.notFound(
        `unknown command ${JSON.stringify(name)}; use one of ${COMMANDS.join(", ")}`
      )
    }
    const json = body.json
    if (json === undefined) return yield* ApiError.badRequest("send the command as a JSON object")
    const given = yield* optionalString(json, "command_id")
    if (given !== undefined && idempotencyKey !== undefined && given !== idempotencyKey) {
      return yield* ApiError.badRequest("command_id and the Idempotency-Key header differ")
    }
    const source = forcedSource ?? json.source ?? "api"
    if (source !== "api" && source !== "ui") {
      return yield* ApiError.badRequest(`source must be api or ui, got ${JSON.stringify(source)}`)
    }
    const expected = json.expected_revision
    if (expected !== undefined && !(Number.isSafeInteger(expected) && (expected as number) >= 0)) {
      return yield* ApiError.badRequest("expected_revision must be a whole number from 0")
    }
    const meta = ApiEnv.meta(apiKey, given ?? idempotencyKey, source)
    const resourceType = yield* ApiEnv.resourceType(
      (yield* optionalString(json, "resource_type")) ?? "image"
    ).pipe(Effect.mapError((e) => ApiError.badRequest(`resource_type: ${e.message}`)))
    const type = yield* optionalString(json, "type")
    const assets: ReadonlyArray<AssetId.AssetId> = yield* Effect.flatMap(
      idsOf(json),
      Effect.forEach((publicId) => ApiEnv.asset({ cloud, resourceType, type, publicId }))
    )
    const single = () =>
      assets.length === 1
        ? Effect.succeed(assets[0]!)
        : Effect.fail(ApiError.badRequest(`${name} takes one public_id`))
    const expectation = expected === undefined ? {} : { expectedRevision: expected as number }
    if (expected !== undefined && !["upload", "replace"].includes(name)) {
      return yield* ApiError.badRequest(`expected_revision applies to upload and replace only`)
    }
    let command: Command.Command
    switch (name) {
      case "upload":
        command = new Command.Upload({
          ...meta,
          ...expectation,
          asset: yield* single(),
          context: yield* contextOf(json.context, "context")
        })
        break
      case "replace":
        command = new Command.ReplaceContext({
          ...meta,
          ...expectation,
          asset: yield* single(),
          context: yield* contextOf(json.context, "context")
        })
        break
      case "add":
        if (json.context === undefined) return yield* ApiError.badRequest("context is required")
        command = new Command.AddContext({
          ...meta,
          assets,
          pairs: yield* contextOf(json.context, "context")
        })
        break
      case "remove_all":
        command = new Command.RemoveAllContext({ ...meta, assets })
        break
      case "remove_keys": {
        const keys = json.keys
        if (
          !Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === "string")
        ) {
          return yield* ApiError.badRequest("keys must be a non-empty list of strings")
        }
        command = new Command.RemoveKeys({ ...meta, assets, keys })
        break
      }
      case "delete":
        command = new Command.DeleteAssets({ ...meta, assets })
        break
      default:
        return yield* ApiError.notFound(
          `unknown command ${JSON.stringify(name)}; use one of ${COMMANDS.join(", ")}`
        )
    }
    return result(yield* ApiEnv.execute(env, command))
  })

const search = (env: ApiEnv.ApiEnv, cloud: string, body: Body.Body) =>
  Effect.gen(function*() {
    const fields = body.fields
    const key = Body.string(fields, "key")
    const rt = Body.string(fields, "resource_type")
    const resourceType = rt === undefined ? undefined : yield* ApiEnv.resourceType(rt)
    const raw = Body.string(fields, "max_results")
    const maxResults = raw === undefined ? undefined : Number(raw)
    const common = {
      cloud,
      resourceType,
      type: Body.string(fields, "type"),
      maxResults,
      cursor: Body.string(fields, "next_cursor")
    }
    const found = yield* (key === undefined
      ? env.ctxlog.list({ ...common, prefix: Body.string(fields, "prefix") })
      : env.ctxlog.byContext({ ...common, key, value: Body.string(fields, "value") })).pipe(
        Effect.mapError(ApiError.fromCore)
      )
    return {
      assets: found.resources.map(view),
      ...(found.nextCursor === undefined ? {} : { next_cursor: found.nextCursor })
    }
  })

/**
 * Serves `/api/v1/<cloud>/<rest>` for an authenticated caller.
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
  idempotencyKey: string | undefined,
  body: Body.Body,
  /** Set for a console session: its commands are from the UI, whatever the body says. */
  forcedSource?: "ui" | undefined
): Effect.Effect<unknown, ApiError.ApiError> => {
  const [first, ...tail] = rest
  const get = method === "GET"
  if (first === "head" && tail.length === 0 && get) {
    return env.ctxlog.head.pipe(
      Effect.map((position) => ({ position })),
      Effect.mapError(ApiError.fromCore)
    )
  }
  if (first === "assets" && tail.length === 0 && get) return search(env, cloud, body)
  if (first === "keys" && tail.length === 0 && get) {
    return Effect.gen(function*() {
      const limit = Body.string(body.fields, "limit")
      const keys = yield* env.ctxlog.keys({
        cloud,
        prefix: Body.string(body.fields, "prefix"),
        after: Body.string(body.fields, "after"),
        limit: limit === undefined ? undefined : Number(limit)
      }).pipe(Effect.mapError(ApiError.fromCore))
      return { keys }
    })
  }
  if (first === "assets" && get) {
    return Effect.gen(function*() {
      const asset = yield* assetOf(cloud, tail)
      const at = yield* asOf(Body.string(body.fields, "as_of"))
      return view(yield* env.ctxlog.get(asset, at).pipe(Effect.mapError(ApiError.fromCore)))
    })
  }
  if (first === "transform" && get) {
    return Effect.gen(function*() {
      const asset = yield* assetOf(cloud, tail)
      const wanted = Body.string(body.fields, "transformation")
      if (wanted === undefined) {
        return yield* ApiError.badRequest("Missing required parameter - transformation")
      }
      const transformation = yield* env.ctxlog.transform(asset, wanted).pipe(
        Effect.mapError(ApiError.fromCore)
      )
      return {
        transformation,
        url: Transformation.deliveryUrl(env.deliveryBase, asset, transformation)
      }
    })
  }
  if (first === "history" && get) {
    return Effect.gen(function*() {
      const asset = yield* assetOf(cloud, tail)
      const events = yield* env.ctxlog.history(asset).pipe(Effect.mapError(ApiError.fromCore))
      return { events: events.map(recorded) }
    })
  }
  if (first === "commands" && tail.length === 1 && method === "POST") {
    return runCommand(env, cloud, tail[0]!, apiKey, idempotencyKey, body, forcedSource)
  }
  return Effect.fail(
    ApiError.notFound(`${method} /api/v1/${cloud}/${rest.join("/")} is not served`)
  )
}
