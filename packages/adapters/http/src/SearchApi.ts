/**
 * `POST /v1_1/<cloud>/resources/search` (and `GET` with the same fields in the query), in
 * Cloudinary's response shape, over the core's search: `{total_count, time, resources,
 * next_cursor?, aggregations?}`, each resource with a flat `context` when `with_field` asks for
 * it.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as ApiEnv from "./ApiEnv.js"
import * as ApiError from "./ApiError.js"
import * as Body from "./Body.js"
import * as Resource from "./Resource.js"

type Sort = {
  readonly sortBy: "public_id" | "created_at"
  readonly direction: "asc" | "desc"
} | undefined

const sortOf = (raw: unknown): Effect.Effect<Sort, ApiError.ApiError> => {
  const first = Array.isArray(raw) ? raw[0] : raw
  if (first === undefined || first === null) return Effect.succeed(undefined)
  if (typeof first !== "object") {
    return Effect.fail(ApiError.badRequest("sort_by must be a list like [{\"public_id\":\"asc\"}]"))
  }
  const [field, direction] = Object.entries(first as Record<string, unknown>)[0] ?? []
  if (field !== "public_id" && field !== "created_at") {
    return Effect.fail(ApiError.badRequest(`sort_by: cannot sort by ${String(field)}`))
  }
  if (direction !== "asc" && direction !== "desc") {
    return Effect.fail(ApiError.badRequest(`sort_by: the direction must be asc or desc`))
  }
  return Effect.succeed({ sortBy: field, direction })
}

const aggregateOf = (fields: ReadonlyArray<string>) => {
  if (fields.length === 0) return Effect.succeed(undefined)
  const [first] = fields
  if (fields.length > 1) {
    return Effect.fail(ApiError.badRequest("aggregate takes one context key at a time"))
  }
  return Effect.succeed(first!.startsWith("context.") ? first!.slice("context.".length) : first!)
}

/**
 * Serves a search for an authenticated caller of `cloud`.
 *
 * @since 0.1.0
 * @category handlers
 */
export const handle = (
  env: ApiEnv.ApiEnv,
  cloud: string,
  body: Body.Body
): Effect.Effect<unknown, ApiError.ApiError> =>
  Effect.gen(function*() {
    const started = Date.now()
    const rawMax = Body.string(body.fields, "max_results")
    const maxResults = rawMax === undefined || rawMax === "" ? undefined : Number(rawMax)
    const sort = yield* sortOf(body.json?.sort_by)
    const aggregateFields = Body.strings(body.fields, "aggregate")
    const aggregate = yield* aggregateOf(aggregateFields)
    const result = yield* env.ctxlog.search({
      cloud,
      expression: Body.string(body.fields, "expression") ?? "",
      maxResults,
      cursor: Body.string(body.fields, "next_cursor"),
      sortBy: sort?.sortBy,
      direction: sort?.direction,
      aggregate
    }).pipe(Effect.mapError(ApiError.fromCore))
    const withContext = Body.strings(body.fields, "with_field").includes("context")
    return {
      total_count: result.totalCount,
      time: Date.now() - started,
      resources: result.resources.map((view) =>
        Resource.render(view, {
          deliveryBase: env.deliveryBase,
          context: withContext ? "flat" : "none"
        })
      ),
      ...(result.nextCursor === undefined ? {} : { next_cursor: result.nextCursor }),
      ...(result.aggregations === undefined ? {} : {
        aggregations: {
          [aggregateFields[0]!]: Object.fromEntries(
            result.aggregations.map(({ count, value }) => [value, count])
          )
        }
      })
    }
  })
