/**
 * The contract every projection store adapter passes, unchanged. Each case expects a fresh, empty
 * store.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AssetId from "../AssetId.js"
import { ProjectionStore } from "../ProjectionStore.js"
import type { AssetView } from "../ProjectionStore.js"
import { type ContractCase, equal } from "./Expect.js"
import { asset, awkwardIds, view } from "./fixtures.js"
import * as SearchPlanContract from "./SearchPlanContract.js"

const P = "assets"

const c = (
  name: string,
  run: Effect.Effect<void, unknown, ProjectionStore>
): ContractCase<ProjectionStore> => ({ name, run })

const ids = (views: ReadonlyArray<AssetView>) => views.map((v) => v.asset.publicId)

const put = (position: number, ...views: ReadonlyArray<AssetView>) =>
  Effect.flatMap(
    ProjectionStore,
    (s) => s.commit({ projection: P, position, upserts: views, deletes: [] })
  )

/**
 * @since 0.1.0
 * @category contract
 */
export const cases: ReadonlyArray<ContractCase<ProjectionStore>> = [
  c(
    "an empty store has no views and checkpoint 0",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      yield* equal(Option.isNone(yield* store.get(asset("a"))), true, "get")
      yield* equal(yield* store.checkpoint(P), 0, "checkpoint")
      yield* equal((yield* store.list({ cloud: "demo", limit: 10 })).length, 0, "list")
    })
  ),

  c(
    "a commit writes its views and its checkpoint",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      const v = view(asset("a"), [{ key: "z", value: "1" }, { key: "a", value: "2" }, {
        key: "10",
        value: "3"
      }], { revision: 2, position: 7 })
      yield* put(7, v)
      const got = yield* store.get(asset("a"))
      yield* equal(Option.getOrUndefined(got), v, "the view, with its context in order")
      yield* equal(yield* store.checkpoint(P), 7, "checkpoint")
    })
  ),

  c(
    "a commit at or below the checkpoint changes nothing",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      yield* put(5, view(asset("a"), [{ key: "k", value: "new" }], { revision: 2, position: 5 }))
      yield* put(
        5,
        view(asset("a"), [{ key: "k", value: "replayed" }], { revision: 2, position: 5 })
      )
      yield* put(
        3,
        view(asset("a"), [{ key: "k", value: "old" }], { revision: 1, position: 3 }),
        view(asset("b"), [])
      )
      const got = yield* store.get(asset("a"))
      yield* equal(
        Option.map(got, (v) => v.context),
        Option.some([{ key: "k", value: "new" }]),
        "context"
      )
      yield* equal(Option.isNone(yield* store.get(asset("b"))), true, "no view from a stale commit")
      yield* equal(yield* store.checkpoint(P), 5, "checkpoint")
    })
  ),

  c(
    "deleting a view removes it from every index",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      yield* put(1, view(asset("a"), [{ key: "k", value: "v" }]))
      yield* store.commit({ projection: P, position: 2, upserts: [], deletes: [asset("a")] })
      yield* equal(Option.isNone(yield* store.get(asset("a"))), true, "get")
      yield* equal(
        (yield* store.byContext({ cloud: "demo", key: "k", limit: 10 })).length,
        0,
        "by key"
      )
      yield* equal(
        (yield* store.byContext({ cloud: "demo", key: "k", value: "v", limit: 10 })).length,
        0,
        "by value"
      )
      yield* equal((yield* store.list({ cloud: "demo", limit: 10 })).length, 0, "list")
    })
  ),

  c(
    "byContext finds assets by key, and by key and exact value",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      yield* put(
        3,
        view(asset("s1"), [{ key: "product", value: "shirt" }, { key: "caption", value: "New" }]),
        view(asset("s2"), [{ key: "product", value: "shirt" }]),
        view(asset("p1"), [{ key: "product", value: "pants" }]),
        view(asset("n1"), [{ key: "caption", value: "shirt" }]),
        view(asset("u1"), [{ key: "product", value: "Shirt" }])
      )
      yield* equal(ids(yield* store.byContext({ cloud: "demo", key: "product", limit: 10 })), [
        "p1",
        "s1",
        "s2",
        "u1"
      ], "by key")
      yield* equal(
        ids(yield* store.byContext({ cloud: "demo", key: "product", value: "shirt", limit: 10 })),
        ["s1", "s2"],
        "by value, case-sensitive"
      )
      yield* equal(
        ids(yield* store.byContext({ cloud: "demo", key: "missing", limit: 10 })),
        [],
        "unknown key"
      )
    })
  ),

  c(
    "an upsert moves a view in the indexes",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      yield* put(1, view(asset("a"), [{ key: "color", value: "red" }]))
      yield* put(
        2,
        view(asset("a"), [{ key: "color", value: "blue" }], { revision: 2, position: 2 })
      )
      yield* equal(
        ids(yield* store.byContext({ cloud: "demo", key: "color", value: "red", limit: 10 })),
        [],
        "old value"
      )
      yield* equal(
        ids(yield* store.byContext({ cloud: "demo", key: "color", value: "blue", limit: 10 })),
        ["a"],
        "new value"
      )
      yield* put(3, view(asset("a"), [], { revision: 3, position: 3 }))
      yield* equal(
        ids(yield* store.byContext({ cloud: "demo", key: "color", limit: 10 })),
        [],
        "key removed"
      )
      yield* equal(
        ids(yield* store.list({ cloud: "demo", limit: 10 })),
        ["a"],
        "the asset is still listed"
      )
    })
  ),

  c(
    "listings keep clouds apart and filter by resource type and type",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      const kv = [{ key: "k", value: "v" }]
      yield* put(
        1,
        view(asset("a"), kv),
        view(asset("a", { cloud: "other" }), kv),
        view(asset("b", { resourceType: "video" }), kv),
        view(asset("c", { type: "private" }), kv)
      )
      yield* equal(ids(yield* store.byContext({ cloud: "demo", key: "k", limit: 10 })), [
        "c",
        "a",
        "b"
      ], "one cloud, in identity order (private sorts before upload)")
      yield* equal(
        ids(yield* store.byContext({ cloud: "other", key: "k", limit: 10 })),
        ["a"],
        "the other cloud"
      )
      yield* equal(
        ids(yield* store.byContext({ cloud: "demo", key: "k", resourceType: "video", limit: 10 })),
        ["b"],
        "resource type"
      )
      yield* equal(
        ids(
          yield* store.byContext({
            cloud: "demo",
            key: "k",
            resourceType: "image",
            type: "private",
            limit: 10
          })
        ),
        ["c"],
        "type"
      )
      yield* equal(
        ids(yield* store.list({ cloud: "demo", resourceType: "image", type: "upload", limit: 10 })),
        ["a"],
        "list scope"
      )
    })
  ),

  c(
    "pages follow code point order and continue after the last identity",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      const names = ["b", "B", "a", "é", "😀", "\uFFFD", "a b", "a/b", "aa", "Z"]
      yield* put(1, ...names.map((n) => view(asset(n), [{ key: "k", value: "v" }])))
      const sorted = [...names].sort(AssetId.compareCodePoints)
      const pages: Array<string> = []
      let after: AssetId.AssetId | undefined
      for (let i = 0; i < 10; i++) {
        const page = yield* store.byContext({ cloud: "demo", key: "k", after, limit: 3 })
        if (page.length === 0) break
        pages.push(...ids(page))
        after = page[page.length - 1]!.asset
      }
      yield* equal(pages, sorted, "byContext pages")
      const listed = yield* store.list({ cloud: "demo", after: asset("a"), limit: 100 })
      yield* equal(ids(listed), sorted.slice(sorted.indexOf("a") + 1), "list after")
    })
  ),

  c(
    "list filters by public id prefix",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      yield* put(
        1,
        ...["shoes/1", "shoes/2", "shirts/1", "shoes_x", "sh%"].map((n) => view(asset(n), []))
      )
      yield* equal(ids(yield* store.list({ cloud: "demo", prefix: "shoes/", limit: 10 })), [
        "shoes/1",
        "shoes/2"
      ], "prefix")
      yield* equal(
        ids(yield* store.list({ cloud: "demo", prefix: "sh%", limit: 10 })),
        ["sh%"],
        "a prefix with a pattern character"
      )
      yield* equal(ids(yield* store.list({ cloud: "demo", prefix: "shoes_", limit: 10 })), [
        "shoes_x"
      ], "underscore is literal")
    })
  ),

  c(
    "keys and values with pattern characters and unicode are matched exactly",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      yield* put(
        1,
        view(asset("a"), [{ key: "100%", value: "_x_" }]),
        view(asset("b"), [{ key: "100a", value: "axa" }]),
        view(asset("c"), [{ key: "日本", value: "😀\nline" }])
      )
      yield* equal(
        ids(yield* store.byContext({ cloud: "demo", key: "100%", limit: 10 })),
        ["a"],
        "percent key"
      )
      yield* equal(
        ids(yield* store.byContext({ cloud: "demo", key: "100%", value: "_x_", limit: 10 })),
        ["a"],
        "underscore value"
      )
      yield* equal(
        ids(yield* store.byContext({ cloud: "demo", key: "日本", value: "😀\nline", limit: 10 })),
        ["c"],
        "unicode"
      )
    })
  ),

  c(
    "awkward public ids are stored and found as they are",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      yield* put(1, ...awkwardIds.map((n) => view(asset(n), [{ key: "k", value: "v" }])))
      for (const n of awkwardIds) {
        const got = yield* store.get(asset(n))
        yield* equal(
          Option.map(got, (v) => v.asset.publicId),
          Option.some(n),
          `get ${JSON.stringify(n)}`
        )
      }
      yield* equal(
        (yield* store.byContext({ cloud: "demo", key: "k", limit: 100 })).length,
        awkwardIds.length,
        "all indexed"
      )
    })
  ),

  c(
    "checkpoints are kept per projection and never go back",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      yield* store.saveCheckpoint("notify:a", 4)
      yield* store.saveCheckpoint("notify:a", 2)
      yield* store.saveCheckpoint("notify:b", 9)
      yield* equal(yield* store.checkpoint("notify:a"), 4, "a")
      yield* equal(yield* store.checkpoint("notify:b"), 9, "b")
      yield* equal(yield* store.checkpoint(P), 0, "untouched projection")
    })
  ),

  c(
    "reset drops every view and the projection's checkpoint",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      yield* put(4, view(asset("a"), [{ key: "k", value: "v" }]))
      yield* store.saveCheckpoint("notify:a", 4)
      yield* store.reset(P)
      yield* equal(Option.isNone(yield* store.get(asset("a"))), true, "view")
      yield* equal(
        (yield* store.byContext({ cloud: "demo", key: "k", limit: 10 })).length,
        0,
        "index"
      )
      yield* equal(yield* store.checkpoint(P), 0, "checkpoint")
      yield* equal(yield* store.checkpoint("notify:a"), 4, "other checkpoints stay")
      yield* put(1, view(asset("b"), []))
      yield* equal(Option.isSome(yield* store.get(asset("b"))), true, "commits start again from 0")
    })
  ),

  c(
    "keys lists a cloud's context keys once each, in code point order, with prefix and paging",
    Effect.gen(function*() {
      const store = yield* ProjectionStore
      yield* put(
        1,
        view(asset("a"), [{ key: "color", value: "red" }, { key: "sku", value: "1" }]),
        view(asset("b"), [{ key: "color", value: "blue" }, { key: "Size", value: "M" }]),
        view(asset("c"), [{ key: "colour", value: "x" }, { key: "日本", value: "y" }]),
        view(asset("d"), [{ key: "k".repeat(200), value: "long" }]),
        view(asset("e", { cloud: "other" }), [{ key: "secret", value: "1" }])
      )
      const all = ["Size", "color", "colour", "k".repeat(200), "sku", "日本"]
      yield* equal(yield* store.keys({ cloud: "demo", limit: 100 }), all, "all keys")
      yield* equal(
        yield* store.keys({ cloud: "demo", prefix: "col", limit: 100 }),
        ["color", "colour"],
        "by prefix"
      )
      yield* equal(
        yield* store.keys({ cloud: "demo", limit: 2 }),
        ["Size", "color"],
        "the first page"
      )
      yield* equal(
        yield* store.keys({ cloud: "demo", after: "color", limit: 2 }),
        ["colour", "k".repeat(200)],
        "the next page"
      )
      yield* equal(
        yield* store.keys({ cloud: "demo", prefix: "col", after: "color", limit: 5 }),
        ["colour"],
        "a page by prefix"
      )
      yield* equal(yield* store.keys({ cloud: "other", limit: 10 }), ["secret"], "other cloud")
      yield* store.commit({
        projection: P,
        position: 2,
        upserts: [view(asset("c"), [{ key: "日本", value: "z" }], { revision: 2, position: 2 })],
        deletes: [asset("d")]
      })
      yield* equal(
        yield* store.keys({ cloud: "demo", limit: 100 }),
        ["Size", "color", "sku", "日本"],
        "after a key is dropped and an asset deleted"
      )
    })
  ),

  ...SearchPlanContract.cases
]
