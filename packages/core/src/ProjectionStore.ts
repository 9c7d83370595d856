/**
 * The projection store port: the current view of every asset, the key/value index over their
 * contexts, and the checkpoints of the projections that write them.
 *
 * An adapter must honour these rules, which the contract suite of the test kit checks:
 * - `commit` is atomic: its views, deletions and checkpoint are written together or not at all.
 * - `commit` is idempotent: a commit at or below the projection's checkpoint changes nothing, so a
 *   replay or a redelivery never applies a change twice.
 * - Listings sort by `AssetId.order` (code point order of cloud, resource type, type, public id)
 *   and page with `after`, the last identity of the previous page.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { DeliveryType, ResourceType } from "./AssetId.js"
import { AssetId } from "./AssetId.js"
import * as Ctx from "./Context.js"
import type { ProjectionStoreError } from "./Errors.js"
import type { Plan } from "./SearchPlan.js"

/**
 * The current state of an asset that exists.
 *
 * @since 0.1.0
 * @category models
 */
export class AssetView extends Schema.Class<AssetView>("AssetView")({
  asset: AssetId,
  revision: Schema.Int.pipe(Schema.positive()),
  /** The global position of the last event applied to it. */
  position: Schema.Int.pipe(Schema.positive()),
  context: Ctx.Context,
  createdAt: Schema.DateFromString,
  updatedAt: Schema.DateFromString
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Commit {
  readonly projection: string
  /** The position of the last event this commit reflects; becomes the checkpoint. */
  readonly position: number
  readonly upserts: ReadonlyArray<AssetView>
  readonly deletes: ReadonlyArray<AssetId>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Scope {
  readonly cloud: string
  readonly resourceType?: ResourceType | undefined
  readonly type?: DeliveryType | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Page {
  /** Continue after this identity. */
  readonly after?: AssetId | undefined
  readonly limit: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ByContextQuery extends Scope, Page {
  readonly key: string
  /** Only assets whose value for `key` is exactly this; absent: any value. */
  readonly value?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ListQuery extends Scope, Page {
  /** Only public ids that start with this. */
  readonly prefix?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SearchQuery {
  readonly cloud: string
  readonly plan: Plan
}

/**
 * @since 0.1.0
 * @category models
 */
export interface KeysQuery {
  readonly cloud: string
  /** Only keys that start with this. */
  readonly prefix?: string | undefined
  /** Continue after this key. */
  readonly after?: string | undefined
  readonly limit: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ProjectionStoreShape {
  /**
   * True when the event log that comes with this store updates the asset views inside its own
   * append transaction whenever they are caught up. The projector then only catches up after a
   * lag (a rebuild, a writer that found the views behind) instead of following every event.
   */
  readonly inline?: boolean | undefined
  readonly get: (asset: AssetId) => Effect.Effect<Option.Option<AssetView>, ProjectionStoreError>
  readonly byContext: (
    query: ByContextQuery
  ) => Effect.Effect<ReadonlyArray<AssetView>, ProjectionStoreError>
  readonly list: (query: ListQuery) => Effect.Effect<ReadonlyArray<AssetView>, ProjectionStoreError>
  /**
   * The views of the cloud's assets that a search plan holds (`SearchPlan.matches`), each once,
   * in no particular order. A store answers from its indexes what they can bound and reads
   * what they cannot; its documentation says which.
   */
  readonly search: (
    query: SearchQuery
  ) => Effect.Effect<ReadonlyArray<AssetView>, ProjectionStoreError>
  /** The context keys the cloud's assets have, in code point order, each once. */
  readonly keys: (query: KeysQuery) => Effect.Effect<ReadonlyArray<string>, ProjectionStoreError>
  readonly commit: (commit: Commit) => Effect.Effect<void, ProjectionStoreError>
  /** The last position committed by a projection; 0 when it has committed nothing. */
  readonly checkpoint: (projection: string) => Effect.Effect<number, ProjectionStoreError>
  /** Records progress without changing views (for projections that deliver rather than store). */
  readonly saveCheckpoint: (
    projection: string,
    position: number
  ) => Effect.Effect<void, ProjectionStoreError>
  /** Drops every view and the projection's checkpoint, for a rebuild from position 0. */
  readonly reset: (projection: string) => Effect.Effect<void, ProjectionStoreError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class ProjectionStore extends Context.Tag("@ctxlog/core/ProjectionStore")<
  ProjectionStore,
  ProjectionStoreShape
>() {}
