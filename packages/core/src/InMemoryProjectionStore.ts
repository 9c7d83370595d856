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
import { compareCodePoints, order } from "./AssetId.js"
import { lowerBound, SortedSet } from "./internal/SortedSet.js"
import type { AssetView, Commit, ProjectionStoreShape, Scope } from "./ProjectionStore.js"
import { ProjectionStore } from "./ProjectionStore.js"
import * as SearchPlan from "./SearchPlan.js"

const SEP = "\u0000"

/** A term set and the term an index list is for. */
type Term = readonly [set: string, term: string]

/** The widest time a `Date` holds, in milliseconds either side of the epoch. */
const MAX_TIME = 8.64e15

/** A creation time as text that sorts as the time does: 17 digits, from 0 at -MAX_TIME. */
const timeText = (ms: number) => String(ms + MAX_TIME).padStart(17, "0")

/**
 * The bounds of a creation-time range over `time text + SEP + asset key` terms; none when no
 * time can lie in it.
 */
const timeBounds = (
  lower: SearchPlan.TimeBound | undefined,
  upper: SearchPlan.TimeBound | undefined
): readonly [SearchPlan.Bound | undefined, SearchPlan.Bound | undefined] | undefined => {
  if (lower !== undefined && lower.value > MAX_TIME) return undefined
  if (upper !== undefined && upper.value < -MAX_TIME) return undefined
  const from = lower === undefined || lower.value < -MAX_TIME
    ? undefined
    : lower.inclusive
    ? { value: timeText(lower.value), inclusive: true }
    : { value: SearchPlan.successor(timeText(lower.value))!, inclusive: true }
  const to = upper === undefined || upper.value > MAX_TIME
    ? undefined
    : upper.inclusive
    ? { value: SearchPlan.successor(timeText(upper.value))!, inclusive: false }
    : { value: timeText(upper.value), inclusive: false }
  return [from, to]
}

const wordField = (field: SearchPlan.WordField) =>
  field._tag === "PublicId" ? "p" : field._tag === "Context" ? `c${SEP}${field.key}` : ""

/** The identities of one index list, in `AssetId.order`. */
const idList = () => new SortedSet<AssetId>(order, (id) => id.key)

/** Distinct strings in code point order, for range lookups. */
const termSet = () => new SortedSet<string>(compareCodePoints, (term) => term)

/** Identities after `after` (all when absent), in order. */
function* idsAfter(ids: SortedSet<AssetId>, after: AssetId | undefined): Generator<AssetId> {
  const sorted = ids.items()
  let i = 0
  if (after !== undefined) {
    i = lowerBound(sorted, after, order)
    if (sorted[i]?.key === after.key) i++
  }
  for (; i < sorted.length; i++) yield sorted[i]!
}

/** The terms between the bounds, in order; a missing bound is open. */
function* termsIn(
  terms: SortedSet<string>,
  lower: SearchPlan.Bound | undefined,
  upper: SearchPlan.Bound | undefined
): Generator<string> {
  const sorted = terms.items()
  let i = lower === undefined ? 0 : lowerBound(sorted, lower.value, compareCodePoints)
  for (; i < sorted.length; i++) {
    const term = sorted[i]!
    if (upper !== undefined && !SearchPlan.inRange(term, undefined, upper)) return
    if (SearchPlan.inRange(term, lower, undefined)) yield term
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
  const index = new Map<string, SortedSet<AssetId>>()

  const cloudKey = (view: AssetView) => `c${SEP}${view.asset.cloud}`

  /** Distinct values of a key, words of a field, public ids: the terms of range lookups. */
  const terms = new Map<string, SortedSet<string>>()
  /** Per cloud, `time text + SEP + asset key` of every asset, for ranges of creation times. */
  const created = new Map<string, SortedSet<string>>()

  const createdTerm = (view: AssetView) =>
    `${timeText(view.createdAt.getTime())}${SEP}${view.asset.key}`

  const enterCreated = (view: AssetView) => {
    let set = created.get(view.asset.cloud)
    if (!set) created.set(view.asset.cloud, set = termSet())
    const term = createdTerm(view)
    set.add(term, term)
  }

  const leaveCreated = (view: AssetView) => {
    const term = createdTerm(view)
    created.get(view.asset.cloud)?.remove(term, term)
  }

  /** The views created within a range, in time order. */
  const createdIn = function*(
    cloud: string,
    lower: SearchPlan.TimeBound | undefined,
    upper: SearchPlan.TimeBound | undefined
  ): Generator<AssetView> {
    const bounds = timeBounds(lower, upper)
    const set = created.get(cloud)
    if (bounds === undefined || set === undefined) return
    for (const term of termsIn(set, bounds[0], bounds[1])) {
      yield views.get(term.slice(term.indexOf(SEP) + 1))!
    }
  }

  /**
   * The index lists a view is in, each with the sorted term set that lists the term it is for
   * (when range lookups need one). The cloud's list is left out: an identity never changes, so
   * an upsert never moves an asset between clouds.
   */
  const entriesOf = (view: AssetView): Map<string, Term | undefined> => {
    const cloud = view.asset.cloud
    const out = new Map<string, Term | undefined>()
    const id = view.asset.publicId
    out.set(`p${SEP}${cloud}${SEP}${id}`, [`P${SEP}${cloud}`, id])
    for (const { key, value } of view.context) {
      out.set(`k${SEP}${cloud}${SEP}${key}`, [`K${SEP}${cloud}`, key])
      out.set(`v${SEP}${cloud}${SEP}${key}${SEP}${value}`, [`V${SEP}${cloud}${SEP}${key}`, value])
    }
    for (const [key, word] of SearchPlan.wordsOf(view)) {
      const field = key === undefined ? "p" : `c${SEP}${key}`
      out.set(`w${SEP}${cloud}${SEP}${field}${SEP}${word}`, [`T${SEP}${cloud}${SEP}${field}`, word])
      out.set(`W${SEP}${cloud}${SEP}${word}`, [`T${SEP}${cloud}`, word])
    }
    return out
  }

  const enter = (indexKey: string, asset: AssetId, key: string, term?: Term) => {
    let ids = index.get(indexKey)
    if (!ids) {
      index.set(indexKey, ids = idList())
      if (term !== undefined) {
        let set = terms.get(term[0])
        if (!set) terms.set(term[0], set = termSet())
        set.add(term[1], term[1])
      }
    }
    ids.add(asset, key)
  }

  const leave = (indexKey: string, asset: AssetId, key: string, term?: Term) => {
    const ids = index.get(indexKey)
    if (!ids) return
    ids.remove(asset, key)
    if (ids.size === 0) {
      index.delete(indexKey)
      if (term !== undefined) {
        const set = terms.get(term[0])
        set?.remove(term[1], term[1])
        if (set?.size === 0) terms.delete(term[0])
      }
    }
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
    const next = entriesOf(view)
    if (old === undefined || old.createdAt.getTime() !== view.createdAt.getTime()) {
      if (old !== undefined) leaveCreated(old)
      enterCreated(view)
    }
    if (old === undefined) {
      enter(cloudKey(view), view.asset, key)
      for (const [k, term] of next) enter(k, view.asset, key, term)
      return
    }
    const prev = entriesOf(old)
    for (const [k, term] of prev) if (!next.has(k)) leave(k, old.asset, key, term)
    for (const [k, term] of next) if (!prev.has(k)) enter(k, view.asset, key, term)
  }

  const drop = (asset: AssetId) => {
    const key = asset.key
    const old = views.get(key)
    if (!old) return
    leave(cloudKey(old), old.asset, key)
    leaveCreated(old)
    for (const [k, term] of entriesOf(old)) leave(k, old.asset, key, term)
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
    for (const id of idsAfter(ids, after)) {
      if (scope.resourceType !== undefined && id.resourceType !== scope.resourceType) continue
      if (scope.type !== undefined && id.type !== scope.type) continue
      const view = views.get(id.key)!
      if (!keep(view)) continue
      out.push(view)
      if (out.length >= limit) break
    }
    return out
  }

  const listed = (indexKey: string, out: Map<string, AssetView>) => {
    const ids = index.get(indexKey)
    if (ids) { for (const id of ids.items()) out.set(id.key, views.get(id.key)!) }
  }

  /** Every list whose term lies in a range of one term set, united. */
  const ranged = (
    setKey: string,
    listKey: (term: string) => string,
    lower: SearchPlan.Bound | undefined,
    upper: SearchPlan.Bound | undefined,
    out: Map<string, AssetView>
  ) => {
    const set = terms.get(setKey)
    if (set) { for (const term of termsIn(set, lower, upper)) listed(listKey(term), out) }
  }

  const prefixBounds = (prefix: string) => {
    const upper = SearchPlan.successor(prefix)
    return [
      { value: prefix, inclusive: true },
      upper === undefined ? undefined : { value: upper, inclusive: false }
    ] as const
  }

  /** Beyond this many terms in a range, its size is taken to be its key's or cloud's. */
  const COUNTED = 1000

  /** The assets in the lists of a range's terms, counted up to `COUNTED` terms. */
  const rangeSize = (
    setKey: string,
    listKey: (term: string) => string,
    bounds: readonly [SearchPlan.Bound | undefined, SearchPlan.Bound | undefined],
    otherwise: number
  ) => {
    let n = 0
    let seen = 0
    const set = terms.get(setKey)
    if (!set) return 0
    for (const term of termsIn(set, bounds[0], bounds[1])) {
      if (++seen > COUNTED) return otherwise
      n += index.get(listKey(term))?.size ?? 0
    }
    return n
  }

  /**
   * How many assets a plan may hold at most, known without reading them, to choose the part of
   * a conjunction that is read while the other parts only check what it gave.
   */
  const estimate = (cloud: string, plan: SearchPlan.Plan): number => {
    const sizeOf = (indexKey: string) => index.get(indexKey)?.size ?? 0
    const all = sizeOf(`c${SEP}${cloud}`)
    switch (plan._tag) {
      case "Value":
        return sizeOf(`v${SEP}${cloud}${SEP}${plan.key}${SEP}${plan.value}`)
      case "Key":
        return sizeOf(`k${SEP}${cloud}${SEP}${plan.key}`)
      case "Range":
        return rangeSize(
          `V${SEP}${cloud}${SEP}${plan.key}`,
          (value) => `v${SEP}${cloud}${SEP}${plan.key}${SEP}${value}`,
          [plan.lower, plan.upper],
          sizeOf(`k${SEP}${cloud}${SEP}${plan.key}`)
        )
      case "Word": {
        const { listKey, setKey } = wordKeys(cloud, plan.field)
        return plan.prefix
          ? rangeSize(setKey, listKey, prefixBounds(plan.word), all)
          : sizeOf(listKey(plan.word))
      }
      case "PublicId":
        return plan.prefix
          ? rangeSize(
            `P${SEP}${cloud}`,
            (id) => `p${SEP}${cloud}${SEP}${id}`,
            prefixBounds(plan.value),
            all
          )
          : sizeOf(`p${SEP}${cloud}${SEP}${plan.value}`)
      case "CreatedAt": {
        let n = 0
        for (const _ of createdIn(cloud, plan.lower, plan.upper)) if (++n > COUNTED) return all
        return n
      }
      case "And":
        return Math.min(...plan.plans.map((p) => estimate(cloud, p)))
      case "Or":
        return plan.plans.reduce((n, p) => n + estimate(cloud, p), 0)
    }
  }

  /** The lists of a word field's words, and the set of those words. */
  const wordKeys = (cloud: string, field: SearchPlan.WordField) => {
    const scope = field._tag === "Any" ? "" : `${SEP}${wordField(field)}`
    return {
      setKey: `T${SEP}${cloud}${scope}`,
      listKey: (word: string) =>
        field._tag === "Any"
          ? `W${SEP}${cloud}${SEP}${word}`
          : `w${SEP}${cloud}${scope}${SEP}${word}`
    }
  }

  const search = (cloud: string, plan: SearchPlan.Plan): Map<string, AssetView> => {
    const out = new Map<string, AssetView>()
    switch (plan._tag) {
      case "Value":
        listed(`v${SEP}${cloud}${SEP}${plan.key}${SEP}${plan.value}`, out)
        break
      case "Key":
        listed(`k${SEP}${cloud}${SEP}${plan.key}`, out)
        break
      case "Range": {
        const valueKey = (value: string) => `v${SEP}${cloud}${SEP}${plan.key}${SEP}${value}`
        ranged(`V${SEP}${cloud}${SEP}${plan.key}`, valueKey, plan.lower, plan.upper, out)
        break
      }
      case "Word": {
        const { listKey, setKey } = wordKeys(cloud, plan.field)
        if (!plan.prefix) listed(listKey(plan.word), out)
        else ranged(setKey, listKey, ...prefixBounds(plan.word), out)
        break
      }
      case "PublicId": {
        const listKey = (id: string) => `p${SEP}${cloud}${SEP}${id}`
        if (!plan.prefix) listed(listKey(plan.value), out)
        else ranged(`P${SEP}${cloud}`, listKey, ...prefixBounds(plan.value), out)
        break
      }
      case "CreatedAt":
        for (const view of createdIn(cloud, plan.lower, plan.upper)) out.set(view.asset.key, view)
        break
      case "Or":
        for (const p of plan.plans) for (const [k, v] of search(cloud, p)) out.set(k, v)
        break
      case "And": {
        // Read the narrowest part; the others only check the views it gave.
        // An empty conjunction holds every asset.
        if (plan.plans.length === 0) {
          listed(`c${SEP}${cloud}`, out)
          break
        }
        const sizes = plan.plans.map((part) => estimate(cloud, part))
        const least = plan.plans[sizes.indexOf(Math.min(...sizes))]!
        const rest = plan.plans.filter((part) => part !== least)
        for (const [k, v] of search(cloud, least)) {
          if (rest.every((p) => SearchPlan.matches(p, v))) out.set(k, v)
        }
        break
      }
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
    search: (q) => Effect.sync(() => Array.from(search(q.cloud, q.plan).values())),
    keys: (q) =>
      Effect.sync(() => {
        const out: Array<string> = []
        const set = terms.get(`K${SEP}${q.cloud}`)
        if (!set || q.limit <= 0) return out
        const [lower, upper] = prefixBounds(q.prefix ?? "")
        const from = q.after !== undefined && compareCodePoints(q.after, lower.value) >= 0
          ? { value: q.after, inclusive: false }
          : lower
        for (const key of termsIn(set, from, q.prefix === undefined ? undefined : upper)) {
          out.push(key)
          if (out.length >= q.limit) break
        }
        return out
      }),
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
        terms.clear()
        created.clear()
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
