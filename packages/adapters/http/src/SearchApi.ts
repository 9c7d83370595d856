/**
 * `POST /v1_1/<cloud>/resources/search`, for the expressions this server understands so far:
 * terms `context.<key>=<value>` (exact) and `context.<key>:<value>` (case-insensitive, the whole
 * value or one of its words), joined by `AND`. The first term is answered by the key/value
 * index and the others are checked on its results.
 *
 * @since 0.1.0
 */
import type { ProjectionStore } from "@ctxlog/core"
import { AssetId, Context } from "@ctxlog/core"
import * as Effect from "effect/Effect"
import type * as ApiEnv from "./ApiEnv.js"
import * as ApiError from "./ApiError.js"
import * as Body from "./Body.js"
import * as Resource from "./Resource.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Term {
  readonly key: string
  readonly operator: "=" | ":"
  readonly value: string
}

const unsupported = (at: number, what: string) =>
  ApiError.badRequest(
    `search expression at position ${at}: ${what}; this server supports ` +
      "context.<key>=<value> and context.<key>:<value> terms joined by AND"
  )

/**
 * Reads an expression into its terms; an empty expression has none and matches every asset.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (expression: string): Effect.Effect<ReadonlyArray<Term>, ApiError.ApiError> =>
  Effect.suspend(() => {
    const terms: Array<Term> = []
    let i = 0
    const skipSpace = () => {
      while (i < expression.length && /\s/.test(expression[i]!)) i++
    }
    const word = () => {
      let out = ""
      if (expression[i] === "\"") {
        const start = i++
        while (i < expression.length && expression[i] !== "\"") {
          if (expression[i] === "\\" && i + 1 < expression.length) i++
          out += expression[i++]
        }
        if (expression[i] !== "\"") return Effect.fail(unsupported(start, "an unclosed quote"))
        i++
        return Effect.succeed(out)
      }
      while (i < expression.length && !/[\s=:()]/.test(expression[i]!)) {
        if (expression[i] === "\\" && i + 1 < expression.length) i++
        out += expression[i++]
      }
      return Effect.succeed(out)
    }
    return Effect.gen(function*() {
      skipSpace()
      while (i < expression.length) {
        if (terms.length > 0) {
          const rest = expression.slice(i)
          const and = /^(AND\b|&&)/.exec(rest)
          if (and === null) return yield* unsupported(i, "expected AND between terms")
          i += and[0].length
          skipSpace()
        }
        const start = i
        if (!expression.startsWith("context.", i)) {
          return yield* unsupported(i, "a term must name a context key as context.<key>")
        }
        i += "context.".length
        const key = yield* word()
        if (key === "") return yield* unsupported(i, "the context key is missing")
        const operator = expression[i]
        if (operator !== "=" && operator !== ":") {
          return yield* unsupported(i, "expected = or : after the key")
        }
        i++
        const value = yield* word()
        if (value === "") return yield* unsupported(start, "the value is missing")
        if (value.endsWith("*") || value.includes("*")) {
          return yield* unsupported(start, "wildcards are not supported yet")
        }
        terms.push({ key, operator, value })
        skipSpace()
      }
      return terms
    })
  })

const words = (text: string) => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== "")

/**
 * Whether a context meets a term.
 *
 * @since 0.1.0
 * @category matching
 */
export const matches = (context: Context.Context, term: Term): boolean => {
  const value = Context.get(context, term.key)
  if (value === undefined) return false
  if (term.operator === "=") return value === term.value
  if (value.toLowerCase() === term.value.toLowerCase()) return true
  const wanted = words(term.value)
  const have = words(value)
  if (wanted.length === 0) return false
  for (let s = 0; s + wanted.length <= have.length; s++) {
    if (wanted.every((w, k) => have[s + k] === w)) return true
  }
  return false
}

type Sort = { readonly field: "public_id" | "created_at"; readonly descending: boolean }

const sortOf = (raw: unknown): Effect.Effect<Sort, ApiError.ApiError> => {
  const first = Array.isArray(raw) ? raw[0] : raw
  if (first === undefined || first === null) {
    return Effect.succeed({ field: "created_at", descending: true })
  }
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
  return Effect.succeed({ field, descending: direction === "desc" })
}

const compare = (sort: Sort) => (a: ProjectionStore.AssetView, b: ProjectionStore.AssetView) => {
  const primary = sort.field === "created_at"
    ? a.createdAt.getTime() - b.createdAt.getTime()
    : AssetId.compareCodePoints(a.asset.publicId, b.asset.publicId)
  const order = primary !== 0 ? primary : AssetId.order(a.asset, b.asset)
  return sort.descending ? -order : order
}

// The cursor holds the sort key of the last asset returned, so the next page starts after it
// even when assets were added or removed in between.
const cursorOf = (view: ProjectionStore.AssetView) =>
  Buffer.from(JSON.stringify([
    view.createdAt.getTime(),
    view.asset.resourceType,
    view.asset.type,
    view.asset.publicId
  ])).toString("base64url")

const afterCursor = (cloud: string, cursor: string) =>
  Effect.try({
    try: () => {
      const [at, resourceType, type, publicId] = JSON.parse(
        Buffer.from(cursor, "base64url").toString("utf8")
      ) as [number, AssetId.ResourceType, string, string]
      return {
        createdAt: new Date(at),
        asset: AssetId.make({ cloud, resourceType, type, publicId })
      } as ProjectionStore.AssetView
    },
    catch: () => ApiError.badRequest("next_cursor is not a cursor this server gave")
  })

const PAGE = 500

// Not yet: every asset matching the first term is read to count and sort them, so a search costs
// as much as that term's matches, whatever max_results is. The search expression language and
// its indexed execution belong in the core; this stands in until they are there.
const candidates = (env: ApiEnv.ApiEnv, cloud: string, first: Term | undefined) =>
  Effect.gen(function*() {
    const all: Array<ProjectionStore.AssetView> = []
    let cursor: string | undefined
    do {
      const found = yield* (first === undefined
        ? env.ctxlog.list({ cloud, maxResults: PAGE, cursor })
        : env.ctxlog.byContext({
          cloud,
          key: first.key,
          value: first.operator === "=" ? first.value : undefined,
          maxResults: PAGE,
          cursor
        })).pipe(Effect.mapError(ApiError.fromCore))
      all.push(...found.resources)
      cursor = found.nextCursor
    } while (cursor !== undefined)
    return all
  })

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
    const expression = Body.string(body.fields, "expression") ?? ""
    const terms = yield* parse(expression)
    const rawMax = Body.string(body.fields, "max_results")
    const max = rawMax === undefined || rawMax === "" ? 50 : Number(rawMax)
    if (!Number.isSafeInteger(max) || max < 1 || max > 500) {
      return yield* ApiError.badRequest(`max_results must be 1 to 500, got ${rawMax}`)
    }
    const sort = yield* sortOf(body.json?.sort_by)
    const withFields = Body.strings(body.fields, "with_field")
    const found = (yield* candidates(env, cloud, terms[0]))
      .filter((view) => terms.every((term) => matches(view.context, term)))
      .sort(compare(sort))
    const cursor = Body.string(body.fields, "next_cursor")
    let start = 0
    if (cursor !== undefined && cursor !== "") {
      const after = yield* afterCursor(cloud, cursor)
      const order = compare(sort)
      start = found.findIndex((view) => order(view, after) > 0)
      if (start === -1) start = found.length
    }
    const resources = found.slice(start, start + max)
    const last = resources[resources.length - 1]
    return {
      total_count: found.length,
      time: Date.now() - started,
      resources: resources.map((view) =>
        Resource.render(view, {
          deliveryBase: env.deliveryBase,
          context: withFields.includes("context") ? "flat" : "none"
        })
      ),
      ...(start + max < found.length && last !== undefined ? { next_cursor: cursorOf(last) } : {})
    }
  })
