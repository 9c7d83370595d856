/**
 * Reads: an asset now or at a point of its history, its history, and assets by context or by
 * public id prefix, paged with cursors.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { AssetId, DeliveryType, ResourceType } from "./AssetId.js"
import * as AssetProjection from "./AssetProjection.js"
import * as Cursor from "./Cursor.js"
import type { EventLogError, ProjectionStoreError } from "./Errors.js"
import { AssetNotFound, InvalidQuery } from "./Errors.js"
import type { RecordedEvent } from "./Event.js"
import { EventLog } from "./EventLog.js"
import type { AssetView, Page } from "./ProjectionStore.js"
import { ProjectionStore } from "./ProjectionStore.js"
import * as Search from "./Search.js"
import * as Transformation from "./Transformation.js"

/**
 * A point of an asset's history: a revision, or a time (the last event at or before it).
 *
 * @since 0.1.0
 * @category models
 */
export type AsOf = { readonly revision: number } | { readonly time: Date }

/**
 * @since 0.1.0
 * @category models
 */
export interface PageOptions {
  /** 1 to 500; 10 when absent, as in Cloudinary. */
  readonly maxResults?: number | undefined
  readonly cursor?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ByContextOptions extends PageOptions {
  readonly cloud: string
  readonly key: string
  readonly value?: string | undefined
  readonly resourceType?: ResourceType | undefined
  readonly type?: DeliveryType | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ListOptions extends PageOptions {
  readonly cloud: string
  readonly resourceType?: ResourceType | undefined
  readonly type?: DeliveryType | undefined
  readonly prefix?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ResultPage {
  readonly resources: ReadonlyArray<AssetView>
  readonly nextCursor?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type QueryError = AssetNotFound | InvalidQuery | EventLogError | ProjectionStoreError

/**
 * @since 0.1.0
 * @category models
 */
export interface QueriesShape {
  readonly get: (asset: AssetId, asOf?: AsOf) => Effect.Effect<AssetView, QueryError>
  readonly history: (asset: AssetId) => Effect.Effect<ReadonlyArray<RecordedEvent>, QueryError>
  readonly byContext: (options: ByContextOptions) => Effect.Effect<ResultPage, QueryError>
  readonly list: (options: ListOptions) => Effect.Effect<ResultPage, QueryError>
  /** The effective transformation of an asset: its context decides the conditional parts. */
  readonly transform: (asset: AssetId, transformation: string) => Effect.Effect<string, QueryError>
  /** Assets of a cloud that meet a search expression, sorted and paged. */
  readonly search: (options: Search.SearchOptions) => Effect.Effect<Search.SearchResult, QueryError>
  /** The context keys in use in a cloud, in code point order: for suggestions. */
  readonly keys: (options: KeysOptions) => Effect.Effect<ReadonlyArray<string>, QueryError>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface KeysOptions {
  readonly cloud: string
  readonly prefix?: string | undefined
  readonly after?: string | undefined
  /** At most this many, from 1 to 500; 100 unless set. */
  readonly limit?: number | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Queries extends Context.Tag("@ctxlog/core/Queries")<Queries, QueriesShape>() {}

/**
 * @since 0.1.0
 * @category constants
 */
export const MAX_RESULTS = 500

const pageSize = (maxResults: number | undefined) =>
  maxResults === undefined
    ? Effect.succeed(10)
    : Number.isSafeInteger(maxResults) && maxResults >= 1 && maxResults <= MAX_RESULTS
    ? Effect.succeed(maxResults)
    : Effect.fail(
      new InvalidQuery({
        path: "max_results",
        detail: `must be a whole number from 1 to ${MAX_RESULTS}, got ${maxResults}`
      })
    )

const paged = (
  binding: string,
  options: PageOptions,
  fetch: (page: Page) => Effect.Effect<ReadonlyArray<AssetView>, ProjectionStoreError>
) =>
  Effect.gen(function*() {
    const limit = yield* pageSize(options.maxResults)
    const after = options.cursor === undefined || options.cursor === ""
      ? undefined
      : yield* Cursor.decode(binding, options.cursor)
    const found = yield* fetch({ after, limit: limit + 1 })
    const resources = found.slice(0, limit)
    const last = resources[resources.length - 1]
    return found.length > limit && last !== undefined
      ? { resources, nextCursor: Cursor.encode(binding, last.asset) }
      : { resources }
  })

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const log = yield* EventLog
  const store = yield* ProjectionStore

  const notFound = (asset: AssetId, detail?: string) =>
    new AssetNotFound({ cloud: asset.cloud, asset: asset.path, detail })

  const asOfView = (asset: AssetId, asOf: AsOf) =>
    Effect.gen(function*() {
      const events = yield* log.readStream(asset)
      let upTo: ReadonlyArray<RecordedEvent>
      let point: string
      if ("revision" in asOf) {
        const { revision } = asOf
        point = `revision ${revision}`
        if (!Number.isSafeInteger(revision) || revision < 1) {
          return yield* new InvalidQuery({
            path: "as_of",
            detail: `a revision is a whole number from 1, got ${revision}`
          })
        }
        if (revision > events.length) {
          return yield* new InvalidQuery({
            path: "as_of",
            detail: `${asset.path} has ${events.length} revisions; ${revision} is beyond them`
          })
        }
        upTo = events.slice(0, revision)
      } else {
        if (Number.isNaN(asOf.time.getTime())) {
          return yield* new InvalidQuery({ path: "as_of", detail: "the time is not a valid date" })
        }
        point = asOf.time.toISOString()
        // The point is the last revision stamped at or before the time. Timestamps come from the
        // commands, so they need not rise with revisions; the state is still a prefix of the log.
        const at = asOf.time.getTime()
        let last = -1
        events.forEach((e, i) => {
          if (e.timestamp.getTime() <= at) last = i
        })
        upTo = events.slice(0, last + 1)
      }
      let view: AssetView | undefined
      for (const e of upTo) view = AssetProjection.evolve(view, e)
      if (view === undefined) {
        return yield* notFound(asset, `asset ${asset.path} did not exist at ${point}`)
      }
      return view
    })

  const get: QueriesShape["get"] = (asset, asOf) =>
    asOf === undefined
      ? store.get(asset).pipe(
        Effect.flatMap(Option.match({
          onNone: () => Effect.fail(notFound(asset)),
          onSome: Effect.succeed
        }))
      )
      : asOfView(asset, asOf)

  const history: QueriesShape["history"] = (asset) =>
    log.readStream(asset).pipe(
      Effect.filterOrFail((events) => events.length > 0, () => notFound(asset))
    )

  const byContext: QueriesShape["byContext"] = (options) =>
    options.key === ""
      ? Effect.fail(new InvalidQuery({ path: "key", detail: "a context key must not be empty" }))
      : paged(
        JSON.stringify([
          "byContext",
          options.cloud,
          options.key,
          options.value ?? null,
          options.resourceType ?? null,
          options.type ?? null
        ]),
        options,
        (page) => store.byContext({ ...options, ...page })
      )

  const list: QueriesShape["list"] = (options) =>
    paged(
      JSON.stringify([
        "list",
        options.cloud,
        options.resourceType ?? null,
        options.type ?? null,
        options.prefix ?? null
      ]),
      options,
      (page) => store.list({ ...options, ...page })
    )

  const search: QueriesShape["search"] = (options) => Search.run(store, options)

  const transform: QueriesShape["transform"] = (asset, transformation) =>
    Effect.flatMap(
      get(asset),
      (view) =>
        Either.match(Transformation.resolve(transformation, view.context), {
          onLeft: (error) =>
            Effect.fail(new InvalidQuery({ path: "transformation", detail: error.message })),
          onRight: Effect.succeed
        })
    )

  const keys: QueriesShape["keys"] = (options) => {
    const limit = options.limit ?? 100
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 500) {
      return Effect.fail(
        new InvalidQuery({
          path: "limit",
          detail: `must be a whole number from 1 to 500, got ${limit}`
        })
      )
    }
    return store.keys({ ...options, limit })
  }

  return Queries.of({ get, history, byContext, list, search, transform, keys })
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Queries, never, EventLog | ProjectionStore> = Layer.effect(
  Queries,
  make
)
