/**
 * A projection store in process memory, with sorted indexes so that listings page without
 * scanning every asset.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { AssetId } from "./AssetId.js"
import { SortedIds } from "./internal/sortedIds.js"
import type { AssetView, Commit, ProjectionStoreShape, Scope } from "./ProjectionStore.js"
import { ProjectionStore } from "./ProjectionStore.js"

const SEP = "\u0000"

/**
 * Synchronous access to the store, for a log that projects inside its append.
 *
 * @since 0.1.0
 * @category models
 */
export interface Inline {
  readonly get: (asset: AssetId) => AssetView | undefined
  readonly commit: (commit: Commit) => void
  readonly checkpoint: (projection: string) => number
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<ProjectionStoreShape> = Effect.sync(() => makeSync().store)

/**
 * The store with its synchronous operations, for an in-memory log that projects inline.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSync = (): { readonly store: ProjectionStoreShape; readonly sync: Inline } => {
  const views = new Map<string, AssetView>()
  const checkpoints = new Map<string, number>()
  /** Every asset of a cloud; by key; by key and value. */
  const index = new Map<string, SortedIds>()

  const indexKeys = (view: AssetView): Array<string> => {
    const cloud = view.asset.cloud
    const out = [`c${SEP}${cloud}`]
    for (const { key, value } of view.context) {
      out.push(`k${SEP}${cloud}${SEP}${key}`, `v${SEP}${cloud}${SEP}${key}${SEP}${value}`)
    }
    return out
  }

  const unindex = (view: AssetView) => {
    for (const k of indexKeys(view)) {
      const ids = index.get(k)
      if (!ids) continue
      ids.remove(view.asset)
      if (ids.size === 0) index.delete(k)
    }
  }

  const reindex = (view: AssetView) => {
    for (const k of indexKeys(view)) {
      let ids = index.get(k)
      if (!ids) index.set(k, ids = new SortedIds())
      ids.add(view.asset)
    }
  }

  const scan = (
    indexKey: string,
    scope: Scope,
    after: AssetId | undefined,
    limit: number,
    keep: (view: AssetView) => boolean = () => true
  ): ReadonlyArray<AssetView> => {
    const out: Array<AssetView> = []
    const ids = index.get(indexKey)
    if (!ids || limit <= 0) return out
    for (const id of ids.from(after)) {
      if (scope.resourceType !== undefined && id.resourceType !== scope.resourceType) continue
      if (scope.type !== undefined && id.type !== scope.type) continue
      const view = views.get(id.key)!
      if (!keep(view)) continue
      out.push(view)
      if (out.length >= limit) break
    }
    return out
  }

  const commit = (c: Commit) => {
    if (c.position <= (checkpoints.get(c.projection) ?? 0)) return
    for (const asset of c.deletes) {
      const old = views.get(asset.key)
      if (!old) continue
      unindex(old)
      views.delete(asset.key)
    }
    for (const view of c.upserts) {
      const old = views.get(view.asset.key)
      if (old) unindex(old)
      views.set(view.asset.key, view)
      reindex(view)
    }
    checkpoints.set(c.projection, c.position)
  }

  const sync: Inline = {
    get: (asset) => views.get(asset.key),
    commit,
    checkpoint: (projection) => checkpoints.get(projection) ?? 0
  }

  const store = ProjectionStore.of({
    get: (asset) => Effect.sync(() => Option.fromNullable(views.get(asset.key))),
    byContext: (q) =>
      Effect.sync(() =>
        q.value === undefined
          ? scan(`k${SEP}${q.cloud}${SEP}${q.key}`, q, q.after, q.limit)
          : scan(`v${SEP}${q.cloud}${SEP}${q.key}${SEP}${q.value}`, q, q.after, q.limit)
      ),
    list: (q) =>
      Effect.sync(() =>
        scan(
          `c${SEP}${q.cloud}`,
          q,
          q.after,
          q.limit,
          q.prefix === undefined ? undefined : (view) => view.asset.publicId.startsWith(q.prefix!)
        )
      ),
    commit: (c) => Effect.sync(() => commit(c)),
    checkpoint: (projection) => Effect.sync(() => checkpoints.get(projection) ?? 0),
    saveCheckpoint: (projection, position) =>
      Effect.sync(() => {
        if (position > (checkpoints.get(projection) ?? 0)) checkpoints.set(projection, position)
      }),
    reset: (projection) =>
      Effect.sync(() => {
        views.clear()
        index.clear()
        checkpoints.delete(projection)
      })
  })
  return { store, sync }
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<ProjectionStore> = Layer.effect(ProjectionStore, make)
