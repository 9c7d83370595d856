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
import { order } from "./AssetId.js"
import type { AssetView, Commit, ProjectionStoreShape, Scope } from "./ProjectionStore.js"
import { ProjectionStore } from "./ProjectionStore.js"

const SEP = "\u0000"

/**
 * Up to this many changes since the last read are placed one by one into the sorted array;
 * beyond it, rebuilding the array in one pass moves fewer elements.
 */
const FEW = 16

/** The index of the first identity in `ids` (sorted) not less than `id`. */
const lowerBound = (ids: ReadonlyArray<AssetId>, id: AssetId): number => {
  let lo = 0
  let hi = ids.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (order(ids[mid]!, id) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Two sorted arrays of distinct identities, as one. */
const merge = (a: ReadonlyArray<AssetId>, b: ReadonlyArray<AssetId>): Array<AssetId> => {
  const out = new Array<AssetId>(a.length + b.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) out[k++] = order(a[i]!, b[j]!) < 0 ? a[i++]! : b[j++]!
  while (i < a.length) out[k++] = a[i++]!
  while (j < b.length) out[k++] = b[j++]!
  return out
}

/**
 * The identities of one index list, in `AssetId.order` whenever it is read. Changes are only
 * noted when they happen and the order is restored at the next read: a replay adds thousands of
 * identities between two reads, and inserting each into a sorted array as it came would move
 * half the array every time.
 */
class IdList {
  /** In order, as of the last read; may still hold identities removed since. */
  private sorted: Array<AssetId> = []
  /** The keys of `sorted`. */
  private readonly placed = new Set<string>()
  /** Keys of `sorted` removed since the last read. */
  private readonly removed = new Map<string, AssetId>()
  /** Added since the last read, not in `sorted`. */
  private readonly added = new Map<string, AssetId>()

  get size(): number {
    return this.placed.size - this.removed.size + this.added.size
  }

  /** `key` is `id.key`, passed in so that every list of one asset shares the string. */
  add(id: AssetId, key: string): void {
    if (this.placed.has(key)) this.removed.delete(key)
    else this.added.set(key, id)
  }

  remove(id: AssetId, key: string): void {
    if (this.placed.has(key)) this.removed.set(key, id)
    else this.added.delete(key)
  }

  /** Identities after `after` (all when absent), in order. */
  *from(after: AssetId | undefined): Generator<AssetId> {
    this.settle()
    const ids = this.sorted
    let i = 0
    if (after !== undefined) {
      i = lowerBound(ids, after)
      if (ids[i]?.key === after.key) i++
    }
    for (; i < ids.length; i++) yield ids[i]!
  }

  private settle(): void {
    if (this.removed.size > FEW) {
      this.sorted = this.sorted.filter((id) => !this.removed.has(id.key))
    } else {
      for (const id of this.removed.values()) this.sorted.splice(lowerBound(this.sorted, id), 1)
    }
    for (const key of this.removed.keys()) this.placed.delete(key)
    this.removed.clear()
    if (this.added.size > FEW) {
      this.sorted = merge(this.sorted, Array.from(this.added.values()).sort(order))
    } else {
      for (const id of this.added.values()) {
        this.sorted.splice(lowerBound(this.sorted, id), 0, id)
      }
    }
    for (const key of this.added.keys()) this.placed.add(key)
    this.added.clear()
  }
}

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
  const index = new Map<string, IdList>()

  const cloudKey = (view: AssetView) => `c${SEP}${view.asset.cloud}`

  /**
   * The context's keys, as a set so that two views of one asset can be compared. The cloud's key
   * is left out: an identity never changes, so an upsert never moves an asset between clouds.
   */
  const contextKeys = (view: AssetView): Set<string> => {
    const cloud = view.asset.cloud
    const out = new Set<string>()
    for (const { key, value } of view.context) {
      out.add(`k${SEP}${cloud}${SEP}${key}`)
      out.add(`v${SEP}${cloud}${SEP}${key}${SEP}${value}`)
    }
    return out
  }

  const enter = (indexKey: string, asset: AssetId, key: string) => {
    let ids = index.get(indexKey)
    if (!ids) index.set(indexKey, ids = new IdList())
    ids.add(asset, key)
  }

  const leave = (indexKey: string, asset: AssetId, key: string) => {
    const ids = index.get(indexKey)
    if (!ids) return
    ids.remove(asset, key)
    if (ids.size === 0) index.delete(indexKey)
  }

  /**
   * Touches only the lists whose membership changes. The lists hold identities, which an upsert
   * keeps, so an asset that stays in a list keeps its place there: rewriting a view costs what
   * its context changed, not what the cloud holds.
   */
  const upsert = (view: AssetView) => {
    const key = view.asset.key
    const old = views.get(key)
    views.set(key, view)
    const next = contextKeys(view)
    if (old === undefined) {
      enter(cloudKey(view), view.asset, key)
      for (const k of next) enter(k, view.asset, key)
      return
    }
    const prev = contextKeys(old)
    for (const k of prev) if (!next.has(k)) leave(k, old.asset, key)
    for (const k of next) if (!prev.has(k)) enter(k, view.asset, key)
  }

  const drop = (asset: AssetId) => {
    const key = asset.key
    const old = views.get(key)
    if (!old) return
    leave(cloudKey(old), old.asset, key)
    for (const k of contextKeys(old)) leave(k, old.asset, key)
    views.delete(key)
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
    for (const asset of c.deletes) drop(asset)
    for (const view of c.upserts) upsert(view)
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
