import { AssetId, ProjectionStore } from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { NatsKvProjectionStore } from "@ctxlog/nats"
import { describe, expect, it } from "@effect/vitest"
import { jetstream } from "@nats-io/jetstream"
import { Kvm } from "@nats-io/kv"
import { connect } from "@nats-io/transport-node"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { controllable, uniqueName, useNatsServer } from "../support/nats.js"

const server = useNatsServer()

const storeLayer = (bucketPrefix: string, extra: { requestTimeoutMs?: number } = {}) =>
  Layer.suspend(() =>
    NatsKvProjectionStore.layer({
      servers: server.current.url,
      bucketPrefix,
      reconnectTimeWaitMs: 50,
      ...extra
    })
  )

/** The keys of one of a store's buckets, read with a client of their own. */
const bucketKeys = (bucket: string, filter = ">") =>
  Effect.promise(async () => {
    const nc = await connect({ servers: server.current.url })
    try {
      const kv = await new Kvm(jetstream(nc)).open(bucket)
      const out: Array<string> = []
      for await (const key of await kv.keys(filter)) out.push(key)
      return out.sort()
    } finally {
      await nc.close()
    }
  })

const ids = (views: ReadonlyArray<ProjectionStore.AssetView>) => views.map((v) => v.asset.publicId)

describe("NatsKvProjectionStore", () => {
  it.live("does not project inside appends: the inline flag stays unset", () =>
    Effect.gen(function*() {
      const store = yield* ProjectionStore.ProjectionStore
      expect(store.inline).toBeUndefined()
    }).pipe(Effect.provide(storeLayer(uniqueName("i")))))

  it.live("stores, indexes and finds the longest identity with the longest key and value", () =>
    Effect.gen(function*() {
      const store = yield* ProjectionStore.ProjectionStore
      const worst = AssetId.make({
        cloud: "_".repeat(64),
        resourceType: "video",
        type: `a${"_".repeat(31)}`,
        publicId: "😀".repeat(255)
      })
      const key = "日".repeat(1024)
      const value = "😀".repeat(1024)
      const view = Fixtures.view(worst, [{ key, value }])
      for (const k of NatsKvProjectionStore.indexKeys(view)) {
        // The longest bucket name: a prefix of 32 characters and `_checkpoints`.
        expect(Buffer.byteLength(`$KV.${"x".repeat(32)}_checkpoints.${k}`)).toBeLessThan(4000)
      }
      yield* store.commit({ projection: "assets", position: 1, upserts: [view], deletes: [] })
      expect(Option.getOrUndefined(yield* store.get(worst))).toEqual(view)
      const scope = { cloud: worst.cloud, limit: 10 }
      expect(ids(yield* store.byContext({ ...scope, key }))).toEqual([worst.publicId])
      expect(ids(yield* store.byContext({ ...scope, key, value }))).toEqual([worst.publicId])
      expect(ids(yield* store.byContext({ ...scope, key, value: `${value}x` }))).toEqual([])
      expect(ids(yield* store.list({ ...scope, type: worst.type }))).toEqual([worst.publicId])
    }).pipe(Effect.provide(storeLayer(uniqueName("w")))))

  it.live("keeps exactly the index entries of the current views as values change", () =>
    Effect.gen(function*() {
      const prefix = uniqueName("x")
      yield* Effect.gen(function*() {
        const store = yield* ProjectionStore.ProjectionStore
        const a = Fixtures.asset("a")
        const b = Fixtures.asset("b")
        const commit = (position: number, ...upserts: Array<ProjectionStore.AssetView>) =>
          store.commit({ projection: "assets", position, upserts, deletes: [] })
        yield* commit(1, Fixtures.view(a, [{ key: "color", value: "red" }]), Fixtures.view(b, []))
        yield* commit(
          2,
          Fixtures.view(a, [{ key: "color", value: "blue" }, { key: "size", value: "L" }], {
            revision: 2,
            position: 2
          })
        )
        yield* commit(3, Fixtures.view(b, [{ key: "size", value: "L" }], { revision: 2 }))
        yield* store.commit({ projection: "assets", position: 4, upserts: [], deletes: [b] })
      }).pipe(Effect.provide(storeLayer(prefix)))
      expect(yield* bucketKeys(`${prefix}_index`)).toEqual([
        "k.demo.color.image.upload.a",
        "k.demo.size.image.upload.a",
        "v.demo.color.blue.image.upload.a",
        "v.demo.size.L.image.upload.a"
      ])
      expect(yield* bucketKeys(`${prefix}_views`)).toEqual(["demo.image.upload.a"])
    }))

  it.live("answers only what the views hold, whatever stray entries the index has", () =>
    Effect.gen(function*() {
      const prefix = uniqueName("s")
      const a = Fixtures.asset("a")
      const stray = yield* Effect.gen(function*() {
        const store = yield* ProjectionStore.ProjectionStore
        yield* store.commit({
          projection: "assets",
          position: 1,
          upserts: [Fixtures.view(a, [{ key: "color", value: "blue" }])],
          deletes: []
        })
        // What a torn commit or a hash collision could leave: entries no view backs.
        yield* Effect.promise(async () => {
          const nc = await connect({ servers: server.current.url })
          const kv = await new Kvm(jetstream(nc)).open(`${prefix}_index`)
          await kv.put("v.demo.color.green.image.upload.a", "")
          await kv.put("k.demo.size.image.upload.a", "")
          await kv.put("k.demo.color.image.upload.ghost", "")
          await nc.close()
        })
        const scope = { cloud: "demo", limit: 10 }
        return [
          ids(yield* store.byContext({ ...scope, key: "color", value: "green" })),
          ids(yield* store.byContext({ ...scope, key: "size" })),
          ids(yield* store.byContext({ ...scope, key: "color" }))
        ]
      }).pipe(Effect.provide(storeLayer(prefix)))
      expect(stray).toEqual([[], [], ["a"]])
    }))

  it.live("pages through hundreds of assets under one key in identity order", () =>
    Effect.gen(function*() {
      const store = yield* ProjectionStore.ProjectionStore
      const names = Array.from({ length: 300 }, (_, i) => `p${(i * 7919) % 1000}-${i}`)
      yield* store.commit({
        projection: "assets",
        position: 1,
        upserts: names.map((n) => Fixtures.view(Fixtures.asset(n), [{ key: "k", value: "v" }])),
        deletes: []
      })
      const seen: Array<string> = []
      let after: AssetId.AssetId | undefined
      for (;;) {
        const page = yield* store.byContext({
          cloud: "demo",
          key: "k",
          value: "v",
          after,
          limit: 64
        })
        if (page.length === 0) break
        seen.push(...ids(page))
        after = page[page.length - 1]!.asset
      }
      expect(seen).toEqual([...names].sort(AssetId.compareCodePoints))
    }).pipe(Effect.provide(storeLayer(uniqueName("g")))))

  it.live("refuses a bucket prefix that is not a bucket name", () =>
    Effect.gen(function*() {
      const result = yield* Layer.build(storeLayer("no.dots")).pipe(Effect.scoped, Effect.either)
      expect(Either.isLeft(result) && result.left).toMatchObject({
        _tag: "ProjectionStoreError",
        operation: "open"
      })
    }))

  it.live.runIf(controllable)(
    "repairs a commit torn by a killed server when the commit is replayed",
    () => {
      const prefix = uniqueName("t")
      const n = 2000
      const assets = Array.from({ length: n }, (_, i) => Fixtures.asset(`a${i}`))
      const colored = (value: string, revision: number) =>
        assets.map((a) => Fixtures.view(a, [{ key: "color", value }], { revision, position: 2 }))
      const first = { projection: "assets", position: 1, upserts: colored("red", 1), deletes: [] }
      // What the projector computes again after the crash: a view the torn commit wrote is at
      // the replayed events' revision, so folding them onto it gives the same view.
      const second = { projection: "assets", position: 2, upserts: colored("blue", 2), deletes: [] }

      /** Kills the server as soon as the first view of the second commit is written. */
      const killOnFirstView = Effect.promise(async () => {
        const nc = await connect({ servers: server.current.url, reconnect: false })
        const kv = await new Kvm(jetstream(nc)).open(`${prefix}_views`)
        const updates = await kv.watch({ include: "updates" })
        return {
          killed: (async () => {
            for await (const entry of updates) {
              if (entry.json<{ revision: number }>().revision === 2) break
            }
            server.current.kill("SIGKILL")
            await nc.close().catch(() => undefined)
          })()
        }
      })

      return Effect.gen(function*() {
        const store = yield* ProjectionStore.ProjectionStore
        yield* store.commit(first)
        const { killed } = yield* killOnFirstView
        const torn = yield* Effect.fork(store.commit(second))
        yield* Effect.promise(() => killed)
        const exit = yield* Fiber.await(torn)
        expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain(
          "ProjectionStoreError"
        )
        yield* Effect.promise(() => server.current.restart())

        const retried = { schedule: Schedule.spaced("50 millis"), times: 200 }
        expect(yield* Effect.retry(store.checkpoint("assets"), retried)).toBe(1)
        const between = yield* Effect.retry(store.list({ cloud: "demo", limit: 10 * n }), retried)
        expect(between.some((v) => v.revision === 2)).toBe(true)
        yield* Effect.retry(store.commit(second), retried)
        expect(yield* store.checkpoint("assets")).toBe(2)
        const query = { cloud: "demo", key: "color", limit: 10 * n }
        expect((yield* store.byContext({ ...query, value: "red" })).length).toBe(0)
        const blue = yield* store.byContext({ ...query, value: "blue" })
        expect(blue.length).toBe(n)
        expect(blue.every((v) => v.revision === 2)).toBe(true)
        expect((yield* bucketKeys(`${prefix}_index`, "v.demo.color.red.>")).length).toBe(0)
        expect((yield* bucketKeys(`${prefix}_index`)).length).toBe(2 * n)
      }).pipe(Effect.provide(storeLayer(prefix, { requestTimeoutMs: 1000 })))
    },
    60_000
  )
})
