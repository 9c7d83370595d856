import { AssetId, InMemoryProjectionStore } from "@ctxlog/core"
import type { ProjectionStore } from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"

type View = ProjectionStore.AssetView

/** Public ids whose code point order differs from UTF-16 order, and prefixes of one another. */
const publicIds = ["a", "ab", "a/b", "b", "Z", "\u{e000}x", "😀", "ü"]

const universe: ReadonlyArray<AssetId.AssetId> = [
  ...(["image", "video"] as const).flatMap((resourceType) =>
    ["upload", "private"].flatMap((type) =>
      publicIds.map((publicId) => AssetId.make({ cloud: "demo", resourceType, type, publicId }))
    )
  ),
  ...["a", "b", "c"].map((publicId) => AssetId.make({ cloud: "other", publicId }))
]

const keys = ["k1", "k2", "k3"]
const values = ["x", "y"]

const contextArb = FastCheck.uniqueArray(
  FastCheck.record({
    key: FastCheck.constantFrom(...keys),
    value: FastCheck.constantFrom(...values)
  }),
  { maxLength: 3, selector: (p) => p.key }
)

const idArb = FastCheck.integer({ min: 0, max: universe.length - 1 })

/** Up to 30 changes per commit, so that lists see both a few and many changes between reads. */
const stepArb = FastCheck.record({
  deletes: FastCheck.array(idArb, { maxLength: 30 }),
  upserts: FastCheck.array(FastCheck.tuple(idArb, contextArb), { maxLength: 30 }),
  stale: FastCheck.boolean(),
  read: FastCheck.boolean()
})

const sorted = (views: Iterable<View>) =>
  Array.from(views).sort((a, b) => AssetId.order(a.asset, b.asset))

const after = (id: AssetId.AssetId | undefined) => (v: View) =>
  id === undefined || AssetId.order(v.asset, id) > 0

const scopes = [
  {},
  { resourceType: "video" as const },
  { type: "private" },
  { resourceType: "image" as const, type: "upload" }
]

/** Every listing of the store agrees with a plain filter and sort of the views it should hold. */
const agrees = (store: ProjectionStore.ProjectionStoreShape, model: Map<string, View>) => {
  const run = Effect.runSync
  const inScope = (cloud: string, scope: (typeof scopes)[number]) => (v: View) =>
    v.asset.cloud === cloud &&
    (scope.resourceType === undefined || v.asset.resourceType === scope.resourceType) &&
    (scope.type === undefined || v.asset.type === scope.type)
  const all = sorted(model.values())
  for (const cloud of ["demo", "other"]) {
    for (const scope of scopes) {
      const mine = all.filter(inScope(cloud, scope))
      expect(run(store.list({ cloud, ...scope, limit: 100 }))).toEqual(mine)
      expect(run(store.list({ cloud, ...scope, prefix: "a", limit: 100 }))).toEqual(
        mine.filter((v) => v.asset.publicId.startsWith("a"))
      )
      for (const key of keys) {
        const withKey = mine.filter((v) => v.context.some((p) => p.key === key))
        expect(run(store.byContext({ cloud, ...scope, key, limit: 100 }))).toEqual(withKey)
        for (const value of values) {
          expect(run(store.byContext({ cloud, ...scope, key, value, limit: 100 }))).toEqual(
            withKey.filter((v) => v.context.some((p) => p.key === key && p.value === value))
          )
        }
      }
    }
  }
  // Cursors at identities the store holds and at ones it does not.
  for (const id of universe) {
    expect(run(store.list({ cloud: "demo", after: id, limit: 3 }))).toEqual(
      all.filter((v) => v.asset.cloud === "demo").filter(after(id)).slice(0, 3)
    )
    expect(run(store.byContext({ cloud: "demo", key: "k1", after: id, limit: 2 }))).toEqual(
      all.filter((v) => v.asset.cloud === "demo" && v.context.some((p) => p.key === "k1"))
        .filter(after(id)).slice(0, 2)
    )
  }
}

describe("InMemoryProjectionStore", () => {
  it.prop(
    "listings after any sequence of commits are the views in order, whenever they are read",
    [FastCheck.array(stepArb, { maxLength: 12 })],
    ([steps]) => {
      const store = Effect.runSync(InMemoryProjectionStore.make)
      const model = new Map<string, View>()
      let position = 0
      for (const step of steps) {
        const upserts = step.upserts.map(([i, context]) =>
          Fixtures.view(universe[i]!, context, { revision: position + 1, position: position + 1 })
        )
        const deletes = step.deletes.map((i) => universe[i]!)
        const at = step.stale ? position : position + 1
        Effect.runSync(store.commit({ projection: "assets", position: at, upserts, deletes }))
        if (!step.stale) {
          position = at
          for (const id of deletes) model.delete(id.key)
          for (const v of upserts) model.set(v.asset.key, v)
        }
        if (step.read) agrees(store, model)
      }
      agrees(store, model)
    },
    { fastCheck: { numRuns: 150 } }
  )

  it("assets deleted and uploaded again between two reads are listed once, in their places", () => {
    const store = Effect.runSync(InMemoryProjectionStore.make)
    const ids = Array.from(
      { length: 40 },
      (_, i) => AssetId.make({ cloud: "demo", publicId: `p${String(i).padStart(2, "0")}` })
    )
    const put = (position: number, upserts: ReadonlyArray<View>, deletes: Array<AssetId.AssetId>) =>
      Effect.runSync(store.commit({ projection: "assets", position, upserts, deletes }))
    const listed = () =>
      Effect.runSync(store.list({ cloud: "demo", limit: 100 })).map((v) => v.asset.publicId)
    put(1, ids.map((id) => Fixtures.view(id, [{ key: "k", value: "v" }])), [])
    expect(listed()).toEqual(ids.map((id) => id.publicId))
    // The first asset stays, so the lists outlive the deletions.
    const rest = ids.slice(1)
    put(2, [], rest)
    put(3, rest.slice().reverse().map((id) => Fixtures.view(id, [], { position: 3 })), [])
    expect(listed()).toEqual(ids.map((id) => id.publicId))
    expect(
      Effect.runSync(store.byContext({ cloud: "demo", key: "k", limit: 100 })).map((v) =>
        v.asset.publicId
      )
    ).toEqual(["p00"])
  })
})
