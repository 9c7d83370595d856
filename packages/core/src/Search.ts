/**
 * Running a search expression over a cloud's assets: the candidates are what the projection
 * store's indexes give for the expression's plan (`SearchPlan`), each is checked with
 * `SearchExpression.matches`; the matches are sorted and paged with a cursor that holds the
 * sort key of the last one returned, so pages stay correct while assets change.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import type { ResourceType } from "./AssetId.js"
import * as AssetId from "./AssetId.js"
import * as Context from "./Context.js"
import type { ProjectionStoreError } from "./Errors.js"
import { InvalidQuery } from "./Errors.js"
import type { AssetView, ProjectionStoreShape } from "./ProjectionStore.js"
import * as SearchExpression from "./SearchExpression.js"
import * as SearchPlan from "./SearchPlan.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface SearchOptions {
  readonly cloud: string
  readonly expression: string
  readonly sortBy?: "public_id" | "created_at" | undefined
  readonly direction?: "asc" | "desc" | undefined
  readonly maxResults?: number | undefined
  readonly cursor?: string | undefined
  /** A context key whose values are counted over every match. */
  readonly aggregate?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SearchResult {
  readonly totalCount: number
  readonly resources: ReadonlyArray<AssetView>
  readonly nextCursor?: string | undefined
  /** Values of the aggregated key, most frequent first. */
  readonly aggregations?: ReadonlyArray<{ readonly value: string; readonly count: number }>
}

/**
 * @since 0.1.0
 * @category constants
 */
export const MAX_RESULTS = 500

const PAGE = 500

/**
 * The assets that may match: the store's answer to the expression's plan, or every asset of
 * the cloud when the expression has none (a bare `NOT`, or only terms on `type` and
 * `resource_type` or an exact `created_at`, which no store indexes).
 */
const candidates = (
  store: ProjectionStoreShape,
  cloud: string,
  plan: SearchPlan.Plan | undefined
) =>
  plan !== undefined ? store.search({ cloud, plan }) : Effect.gen(function*() {
    const all: Array<AssetView> = []
    let after: AssetId.AssetId | undefined
    while (true) {
      const page = yield* store.list({ cloud, after, limit: PAGE })
      all.push(...page)
      if (page.length < PAGE) return all
      after = page[page.length - 1]!.asset
    }
  })

const compareViews =
  (sortBy: "public_id" | "created_at", descending: boolean) => (a: AssetView, b: AssetView) => {
    const primary = sortBy === "created_at"
      ? a.createdAt.getTime() - b.createdAt.getTime()
      : AssetId.compareCodePoints(a.asset.publicId, b.asset.publicId)
    const order = primary !== 0 ? Math.sign(primary) : AssetId.order(a.asset, b.asset)
    return descending ? -order : order
  }

const encodeCursor = (expression: string, view: AssetView) =>
  Encoding.encodeBase64Url(JSON.stringify({
    e: expression,
    t: view.createdAt.getTime(),
    r: view.asset.resourceType,
    y: view.asset.type,
    p: view.asset.publicId
  }))

const decodeCursor = (cloud: string, expression: string, cursor: string) =>
  Either.match(Encoding.decodeBase64UrlString(cursor), {
    onLeft: () => Either.left("it is not a cursor this search gave"),
    onRight: (text) => {
      try {
        const c = JSON.parse(text) as {
          e: string
          t: number
          r: ResourceType
          y: string
          p: string
        }
        if (c.e !== expression) return Either.left("it belongs to another expression")
        return Either.right({
          createdAt: new Date(c.t),
          asset: AssetId.make({ cloud, resourceType: c.r, type: c.y, publicId: c.p })
        } as AssetView)
      } catch {
        return Either.left("it is not a cursor this search gave")
      }
    }
  })

/**
 * Runs a search on a projection store.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  store: ProjectionStoreShape,
  options: SearchOptions,
  now = Date.now()
): Effect.Effect<SearchResult, InvalidQuery | ProjectionStoreError> =>
  Effect.gen(function*() {
    const expression = yield* Either.match(SearchExpression.parse(options.expression), {
      onLeft: (error) =>
        Effect.fail(new InvalidQuery({ path: "expression", detail: error.message })),
      onRight: Effect.succeed
    })
    const max = options.maxResults ?? 50
    if (!Number.isSafeInteger(max) || max < 1 || max > MAX_RESULTS) {
      return yield* new InvalidQuery({
        path: "max_results",
        detail: `must be a whole number from 1 to ${MAX_RESULTS}, got ${max}`
      })
    }
    const sortBy = options.sortBy ?? "created_at"
    const descending = (options.direction ?? (sortBy === "created_at" ? "desc" : "asc")) === "desc"
    const order = compareViews(sortBy, descending)
    const found = (yield* candidates(store, options.cloud, SearchPlan.of(expression, now)))
      .filter((view) => SearchExpression.matches(expression, view, now))
      .sort(order)
    let start = 0
    if (options.cursor !== undefined && options.cursor !== "") {
      const after = yield* Either.match(
        decodeCursor(options.cloud, options.expression, options.cursor),
        {
          onLeft: (why) => Effect.fail(new InvalidQuery({ path: "next_cursor", detail: why })),
          onRight: Effect.succeed
        }
      )
      start = found.findIndex((view) => order(view, after) > 0)
      if (start === -1) start = found.length
    }
    const resources = found.slice(start, start + max)
    const last = resources[resources.length - 1]
    const aggregations = options.aggregate === undefined ? undefined : (() => {
      const counts = new Map<string, number>()
      for (const view of found) {
        const value = Context.get(view.context, options.aggregate!)
        if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1)
      }
      return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) =>
        b.count - a.count || AssetId.compareCodePoints(a.value, b.value)
      )
    })()
    return {
      totalCount: found.length,
      resources,
      ...(start + max < found.length && last !== undefined
        ? { nextCursor: encodeCursor(options.expression, last) }
        : {}),
      ...(aggregations === undefined ? {} : { aggregations })
    }
  })
