/**
 * The part of the projection store contract that concerns search plans: for generated assets
 * and plans, a store's `search` gives exactly the views that `SearchPlan.matches` holds, after
 * writes, rewrites and deletions. Each case expects a fresh, empty store.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as AssetId from "../AssetId.js"
import type * as Ctx from "../Context.js"
import type { AssetView } from "../ProjectionStore.js"
import * as ProjectionStore from "../ProjectionStore.js"
import * as SearchPlan from "../SearchPlan.js"
import { type ContractCase, equal } from "./Expect.js"
import { asset, view } from "./fixtures.js"

const P = "assets"

/** A small deterministic generator, so that a failure names a case that reproduces. */
const random = (seed: number) => {
  let s = seed >>> 0
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <A>(items: ReadonlyArray<A>): A => items[int(items.length)]!
  return { next, int, pick }
}

/** Keys and values chosen to collide often and to hold case, word and code point edges. */
const KEYS = ["color", "sku", "size", "Note", "a.b"]
const VALUES = [
  "red",
  "Red",
  "dark red",
  "red-dark",
  "blue",
  "ABC123",
  "ABC-9",
  "abc",
  "abd",
  "x y z",
  "10",
  "9",
  "100",
  "Straße",
  "日本 語",
  "emoji😀",
  "\uffff",
  "quote\"s",
  "%_*"
]
const IDS = ["shirt", "Shirt red", "bag/red", "shoe-10", "日本", "abc", "x"]
const WORDS = ["red", "dark", "abc", "abc123", "ab", "a", "10", "1", "shirt", "日本", "x", "straße"]

const contextOf = (r: ReturnType<typeof random>): Ctx.Context => {
  const pairs = new Map<string, string>()
  const n = r.int(4)
  for (let i = 0; i < n; i++) pairs.set(r.pick(KEYS), r.pick(VALUES))
  return Array.from(pairs, ([key, value]) => ({ key, value }))
}

const assets = (r: ReturnType<typeof random>, count: number): ReadonlyArray<AssetId.AssetId> =>
  Array.from({ length: count }, (_, i) =>
    asset(`${r.pick(IDS)}${i % 3 === 0 ? "" : ` ${i}`}`, {
      cloud: i % 7 === 0 ? "other" : "demo",
      resourceType: i % 5 === 0 ? "video" : "image",
      type: i % 11 === 0 ? "private" : "upload"
    })).filter((id, i, all) => all.findIndex((o) => o.key === id.key) === i)

/** Creation times a few hours apart around a fixed day, and bounds that fall on them. */
const DAY = Date.parse("2026-12-03T00:00:00.000Z")
const timeAt = (r: ReturnType<typeof random>) => DAY + r.int(48) * 1_800_000

const leaf = (r: ReturnType<typeof random>): SearchPlan.Plan => {
  const key = r.pick(KEYS)
  const value = r.pick(VALUES)
  switch (r.int(8)) {
    case 0:
      return { _tag: "Value", key, value }
    case 1:
      return { _tag: "Key", key }
    case 2:
      return SearchPlan.prefixRange(key, value.slice(0, 1 + r.int(2)))
    case 3: {
      const bound = () => ({ value: r.pick(VALUES), inclusive: r.next() < 0.5 })
      const lower = r.next() < 0.7 ? bound() : undefined
      const upper = r.next() < 0.7 ? bound() : undefined
      return { _tag: "Range", key, lower, upper }
    }
    case 4: {
      const field = r.pick<SearchPlan.WordField>([
        { _tag: "Context", key },
        { _tag: "PublicId" },
        { _tag: "Any" }
      ])
      return { _tag: "Word", field, word: r.pick(WORDS), prefix: r.next() < 0.4 }
    }
    case 6: {
      const bound = () => ({ value: timeAt(r), inclusive: r.next() < 0.5 })
      return {
        _tag: "CreatedAt",
        lower: r.next() < 0.7 ? bound() : undefined,
        upper: r.next() < 0.7 ? bound() : undefined
      }
    }
    case 5: {
      const id = r.pick(IDS)
      return r.next() < 0.5
        ? { _tag: "PublicId", value: id.slice(0, 1 + r.int(3)), prefix: true }
        : { _tag: "PublicId", value: id, prefix: false }
    }
    default:
      return { _tag: "Word", field: { _tag: "Any" }, word: r.pick(WORDS), prefix: false }
  }
}

const plan = (r: ReturnType<typeof random>, depth: number): SearchPlan.Plan => {
  if (depth === 0 || r.next() < 0.4) return leaf(r)
  const plans = Array.from({ length: 2 + r.int(2) }, () => plan(r, depth - 1))
  return r.next() < 0.5 ? { _tag: "And", plans } : { _tag: "Or", plans }
}

const createdAt = (v: AssetView, at: number): AssetView =>
  new ProjectionStore.AssetView({ ...v, createdAt: new Date(at), updatedAt: new Date(at) })

const keysOf = (views: ReadonlyArray<AssetView>) => views.map((v) => v.asset.key).sort()

const agree = (
  label: string,
  cloud: string,
  plans: ReadonlyArray<SearchPlan.Plan>,
  all: ReadonlyArray<AssetView>
) =>
  Effect.gen(function*() {
    const store = yield* ProjectionStore.ProjectionStore
    for (const [n, p] of plans.entries()) {
      const got = yield* store.search({ cloud, plan: p })
      const expected = all.filter((v) => v.asset.cloud === cloud && SearchPlan.matches(p, v))
      yield* equal(keysOf(got), keysOf(expected), `${label}, plan ${n} ${JSON.stringify(p)}`)
    }
  })

const c = (
  name: string,
  run: Effect.Effect<void, unknown, ProjectionStore.ProjectionStore>
): ContractCase<ProjectionStore.ProjectionStore> => ({ name, run })

/**
 * @since 0.1.0
 * @category contract
 */
export const cases: ReadonlyArray<ContractCase<ProjectionStore.ProjectionStore>> = [
  c(
    "search gives the views a plan holds, in its cloud, after writes, rewrites and deletes",
    Effect.gen(function*() {
      const store = yield* ProjectionStore.ProjectionStore
      const r = random(20261203)
      const ids = assets(r, 150)
      const current = new Map<string, AssetView>()
      const first = ids.map((id) =>
        createdAt(view(id, contextOf(r), { revision: 1, position: 1 }), timeAt(r))
      )
      yield* store.commit({ projection: P, position: 1, upserts: first, deletes: [] })
      for (const v of first) current.set(v.asset.key, v)
      const plans = Array.from({ length: 150 }, () => plan(r, 2))
      yield* agree("after the first commit", "demo", plans, [...current.values()])

      // A rewrite keeps the creation time, except where an asset was deleted and uploaded again.
      const rewritten = ids.filter((_, i) => i % 3 === 0).map((id, i) =>
        createdAt(
          view(id, contextOf(r), { revision: 2, position: 2 }),
          i % 2 === 0 ? current.get(id.key)!.createdAt.getTime() : timeAt(r)
        )
      )
      const deleted = ids.filter((_, i) => i % 5 === 1 && i % 3 !== 0)
      yield* store.commit({ projection: P, position: 2, upserts: rewritten, deletes: deleted })
      for (const v of rewritten) current.set(v.asset.key, v)
      for (const id of deleted) current.delete(id.key)
      yield* agree("after rewrites and deletes", "demo", plans, [...current.values()])
      yield* agree("in the other cloud", "other", plans.slice(0, 40), [...current.values()])
    })
  ),

  c(
    "search plans are answered exactly at their edges",
    Effect.gen(function*() {
      const store = yield* ProjectionStore.ProjectionStore
      const views = [
        view(asset("Red Shirt 1"), [{ key: "color", value: "dark red" }]),
        view(asset("shirt-2"), [{ key: "color", value: "Red" }, { key: "sku", value: "ABC-9" }]),
        view(asset("bag"), [{ key: "sku", value: "ABC123" }, { key: "note", value: "emoji😀" }]),
        view(asset("hat"), [{ key: "sku", value: "abd" }, { key: "note", value: "\uffff" }]),
        view(asset("bag", { resourceType: "raw" }), [{ key: "sku", value: "ABC" }])
      ].map((v, i) => createdAt(v, DAY + (i % 3) * 1_800_001))
      // The creation time that two of the views share, to the millisecond.
      const at = DAY + 1_800_001
      yield* store.commit({ projection: P, position: 1, upserts: views, deletes: [] })
      const plans: ReadonlyArray<SearchPlan.Plan> = [
        SearchPlan.prefixRange("sku", "ABC"),
        SearchPlan.prefixRange("note", "\uffff"),
        SearchPlan.prefixRange("note", "emoji"),
        { _tag: "Range", key: "sku", lower: { value: "ABC", inclusive: false } },
        { _tag: "Range", key: "sku", upper: { value: "ABC123", inclusive: true } },
        { _tag: "Range", key: "note", lower: { value: "\uffff", inclusive: true } },
        { _tag: "Word", field: { _tag: "Any" }, word: "red", prefix: false },
        { _tag: "Word", field: { _tag: "PublicId" }, word: "shirt", prefix: false },
        { _tag: "Word", field: { _tag: "Context", key: "color" }, word: "re", prefix: true },
        { _tag: "Word", field: { _tag: "Any" }, word: "abc", prefix: false },
        { _tag: "PublicId", value: "bag", prefix: false },
        { _tag: "PublicId", value: "shirt", prefix: true },
        { _tag: "And", plans: [{ _tag: "Key", key: "sku" }, { _tag: "Key", key: "note" }] },
        {
          _tag: "Or",
          plans: [{ _tag: "Value", key: "sku", value: "abd" }, { _tag: "Key", key: "color" }]
        },
        // Empty: every asset, and none.
        { _tag: "And", plans: [] },
        { _tag: "Or", plans: [] },
        { _tag: "CreatedAt", lower: { value: -9e15, inclusive: true } },
        { _tag: "CreatedAt", upper: { value: 9e15, inclusive: false } },
        { _tag: "CreatedAt", lower: { value: 9e15, inclusive: true } },
        { _tag: "CreatedAt", upper: { value: -9e15, inclusive: true } },
        { _tag: "CreatedAt", lower: { value: at, inclusive: false } },
        {
          _tag: "CreatedAt",
          lower: { value: at, inclusive: true },
          upper: { value: at, inclusive: true }
        },
        { _tag: "CreatedAt", upper: { value: at, inclusive: false } },
        {
          _tag: "And",
          plans: [{ _tag: "Key", key: "sku" }, {
            _tag: "CreatedAt",
            upper: { value: at, inclusive: true }
          }]
        }
      ]
      yield* agree("edges", "demo", plans, views)
      yield* equal(
        (yield* store.search({ cloud: "nobody", plan: plans[0]! })).length,
        0,
        "no cloud"
      )
    })
  )
]
