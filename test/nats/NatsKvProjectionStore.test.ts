import { AssetId, ProjectionStore } from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { NatsKvProjectionStore } from "@ctxlog/nats"
import { describe, expect, it } from "@effect/vitest"
import { jetstream } from "@nats-io/jetstream"
import { Kvm } from "@nats-io/kv"
import { connect } from "@nats-io/transport-node"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { controllable, uniqueName, useNatsServer } from "../support/nats.js"

const server = useNatsServer()

const storeLayer = (
  bucketPrefix: string,
  extra: { requestTimeoutMs?: number; concurrency?: number } = {}
) =>
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

/** A store with a connection of its own, as another process opens it; closed with the scope. */
const openStore = (bucketPrefix: string, extra: { concurrency?: number } = {}) =>
  Layer.build(storeLayer(bucketPrefix, extra)).pipe(
    Effect.map(Context.get(ProjectionStore.ProjectionStore))
  )

/**
 * Moves the projection's checkpoint back, with a client of its own. A commit checks the
 * checkpoint once, as it starts, so a commit made after this is the one a writer makes that read
 * the checkpoint before another writer moved it on and is only now getting to its writes.
 */
const rewind = (bucketPrefix: string, position: number) =>
  Effect.promise(async () => {
    const nc = await connect({ servers: server.current.url })
    try {
      const kv = await new Kvm(jetstream(nc)).open(`${bucketPrefix}_checkpoints`)
      await kv.put("assets", String(position))
    } finally {
      await nc.close()
    }
  })

/** Resolves `written` once a view of the revision is written to the buckets of the prefix. */
const viewWritten = (bucketPrefix: string, revision: number) =>
  Effect.promise(async () => {
    const nc = await connect({ servers: server.current.url })
    const kv = await new Kvm(jetstream(nc)).open(`${bucketPrefix}_views`)
    const updates = await kv.watch({ include: "updates" })
    return {
      written: (async () => {
        for await (const entry of updates) {
          if (
            entry.operation === "PUT" && entry.json<{ revision: number }>().revision === revision
          ) {
            break
          }
        }
        await nc.close()
      })()
    }
  })

/** The commit of one view, at the view's position. */
const upsert = (view: ProjectionStore.AssetView): ProjectionStore.Commit => ({
  projection: "assets",
  position: view.position,
  upserts: [view],
  deletes: []
})

const palette = ["red", "green", "blue", "black"]

/**
 * A made-up log over `n` assets, in rounds: in round r every asset gets its revision r, at
 * position (r - 1) * n + i + 1 for the i-th. An asset is deleted at each revision r > 1 with
 * (r + i) % 11 = 0 and uploaded again at the next; every other revision moves its color and its
 * step, and adds or drops its `odd` key.
 */
const roundsLog = (n: number) => {
  const assets = Array.from(
    { length: n },
    (_, i) => Fixtures.asset(`w${String(i).padStart(2, "0")}`)
  )
  const viewAt = (i: number, r: number): ProjectionStore.AssetView | undefined =>
    r > 1 && (r + i) % 11 === 0 ? undefined : Fixtures.view(assets[i]!, [
      { key: "color", value: palette[(r + i) % palette.length]! },
      { key: "step", value: `s${r % 3}` },
      ...(r % 2 === 1 ? [{ key: "odd", value: "yes" }] : [])
    ], { revision: r, position: (r - 1) * n + i + 1 })
  /** What a projector that has folded the log up to round r commits. */
  const commitAt = (r: number): ProjectionStore.Commit => {
    const upserts: Array<ProjectionStore.AssetView> = []
    const deletes: Array<AssetId.AssetId> = []
    assets.forEach((asset, i) => {
      const view = viewAt(i, r)
      if (view === undefined) deletes.push(asset)
      else upserts.push(view)
    })
    return { projection: "assets", position: r * n, upserts, deletes }
  }
  return { n, assets, viewAt, commitAt }
}

/**
 * Asserts that a store answers what the views of a round imply, and that the index holds every
 * entry of those views: exactly those when `exact`, else maybe extras too.
 */
const expectRound = (
  store: ProjectionStore.ProjectionStoreShape,
  bucketPrefix: string,
  log: ReturnType<typeof roundsLog>,
  r: number,
  exact: boolean
) =>
  Effect.gen(function*() {
    const views = log.assets.map((_, i) => log.viewAt(i, r))
    for (const [i, asset] of log.assets.entries()) {
      expect(Option.getOrUndefined(yield* store.get(asset))).toEqual(views[i])
    }
    const current = views.filter((v): v is ProjectionStore.AssetView => v !== undefined)
    const having = (key: string, value?: string) =>
      ids(current.filter((v) =>
        v.context.some((p) => p.key === key && (value === undefined || p.value === value))
      ))
    const scope = { cloud: "demo", limit: 1000 }
    expect(ids(yield* store.list(scope))).toEqual(ids(current))
    const values: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
      ["color", palette],
      ["step", ["s0", "s1", "s2"]],
      ["odd", ["yes"]]
    ]
    for (const [key, each] of values) {
      expect(ids(yield* store.byContext({ ...scope, key }))).toEqual(having(key))
      for (const value of each) {
        expect(ids(yield* store.byContext({ ...scope, key, value }))).toEqual(having(key, value))
      }
    }
    const wanted = current.flatMap((v) =>
      NatsKvProjectionStore.indexKeys(v)
    ).sort()
    const held = yield* bucketKeys(`${bucketPrefix}_index`)
    if (exact) expect(held).toEqual(wanted)
    else expect(wanted.filter((key) => !held.includes(key))).toEqual([])
    expect(yield* bucketKeys(`${bucketPrefix}_views`)).toEqual(
      current.map((v) => NatsKvProjectionStore.viewKey(v.asset)).sort()
    )
  })

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

  describe("with several writers on the same buckets", () => {
    it.live("a lagging writer replaying old commits takes back no view, delete or upload", () => {
      const prefix = uniqueName("l")
      const log = roundsLog(6)
      const rounds = 50
      const lag = 7
      return Effect.gen(function*() {
        const fast = yield* openStore(prefix)
        const slow = yield* openStore(prefix)
        let replayed = 0
        /** The slow writer folds the log up to round `to` in commits of two rounds. */
        const catchUp = (to: number) =>
          Effect.gen(function*() {
            while (replayed < to) {
              const from = replayed
              replayed = Math.min(to, replayed + 2)
              yield* rewind(prefix, from * log.n)
              yield* slow.commit(log.commitAt(replayed))
            }
          })
        for (let r = 1; r <= rounds; r++) {
          yield* fast.commit(log.commitAt(r))
          if (r % 5 === 0) {
            yield* catchUp(r - lag)
            yield* expectRound(slow, prefix, log, r, true)
          }
        }
        yield* catchUp(rounds)
        expect(yield* slow.checkpoint("assets")).toBe(rounds * log.n)
        yield* expectRound(slow, prefix, log, rounds, true)
        yield* expectRound(fast, prefix, log, rounds, true)
      }).pipe(Effect.scoped)
    }, 60_000)

    it.live("two writers committing the same assets at once keep the newest views indexed", () => {
      const prefix = uniqueName("r")
      const log = roundsLog(24)
      const rounds = 40
      return Effect.gen(function*() {
        const ahead = yield* openStore(prefix)
        const behind = yield* openStore(prefix)
        // Both start each step from the same checkpoint, so both get past it and race asset by
        // asset: one writes round 2s while the other, a round behind, writes round 2s - 1.
        for (let s = 1; 2 * s <= rounds; s++) {
          yield* Effect.all([
            behind.commit(log.commitAt(2 * s - 1)),
            ahead.commit(log.commitAt(2 * s))
          ], { concurrency: "unbounded", discard: true })
        }
        expect(yield* behind.checkpoint("assets")).toBe(rounds * log.n)
        yield* expectRound(behind, prefix, log, rounds, false)
        yield* expectRound(ahead, prefix, log, rounds, false)
      }).pipe(Effect.scoped)
    }, 60_000)

    it.live("a slow writer's removals leave the entries that a newer view put back", () => {
      const prefix = uniqueName("u")
      const a = Fixtures.asset("a")
      const pairs = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: "v" }))
      const full = (revision: number) => Fixtures.view(a, pairs, { revision, position: revision })
      const emptied = Fixtures.view(a, [], { revision: 2, position: 2 })

      return Effect.gen(function*() {
        // One removal at a time, so that the other writer overtakes it.
        const slow = yield* openStore(prefix, { concurrency: 1 })
        const fast = yield* openStore(prefix)
        yield* fast.commit(upsert(full(1)))
        // Once the emptied view is written, its writer removes the pairs one by one.
        const { written } = yield* viewWritten(prefix, 2)
        const emptying = yield* Effect.fork(slow.commit(upsert(emptied)))
        yield* Effect.promise(() => written)
        yield* fast.commit(upsert(full(3)))
        expect(Option.isNone(yield* Fiber.poll(emptying))).toBe(true)
        yield* Fiber.join(emptying)

        expect(Option.getOrUndefined(yield* fast.get(a))).toEqual(full(3))
        expect(yield* bucketKeys(`${prefix}_index`)).toEqual(
          [...NatsKvProjectionStore.indexKeys(full(3))].sort()
        )
        const found = yield* fast.byContext({ cloud: "demo", key: "k999", value: "v", limit: 10 })
        expect(ids(found)).toEqual(["a"])
      }).pipe(Effect.scoped)
    })

    it.live("a writer stopped between its view and its removals leaves them to the next", () => {
      const a = Fixtures.asset("a")
      const pairs = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: "v" }))
      const emptied = Fixtures.view(a, [], { revision: 2, position: 2 })
      /** Index keys after a writer that dies once its emptied view is written, then `next`. */
      const after = (next: ProjectionStore.AssetView) => {
        const prefix = uniqueName("i")
        return Effect.gen(function*() {
          const dying = yield* openStore(prefix, { concurrency: 1 })
          const other = yield* openStore(prefix)
          yield* other.commit(upsert(Fixtures.view(a, pairs, { revision: 1, position: 1 })))
          const { written } = yield* viewWritten(prefix, 2)
          const emptying = yield* Effect.fork(dying.commit(upsert(emptied)))
          yield* Effect.promise(() => written)
          // What a crash leaves: the interruption stops the removals between two requests.
          yield* Fiber.interrupt(emptying)
          const left = (yield* bucketKeys(`${prefix}_index`)).length
          yield* other.commit(upsert(next))
          expect(Option.getOrUndefined(yield* other.get(a))).toEqual(next)
          return { left, keys: yield* bucketKeys(`${prefix}_index`) }
        }).pipe(Effect.scoped)
      }
      return Effect.gen(function*() {
        // The same view replayed: the writer finds it applied and finishes the removals.
        const replayed = yield* after(emptied)
        expect(replayed.left).toBeGreaterThan(0)
        expect(replayed.keys).toEqual([])
        // A newer view: its writer takes the unfinished removals over along with its own.
        const newer = Fixtures.view(a, [{ key: "other", value: "x" }], { revision: 3, position: 3 })
        const replaced = yield* after(newer)
        expect(replaced.left).toBeGreaterThan(0)
        expect(replaced.keys).toEqual([...NatsKvProjectionStore.indexKeys(newer)].sort())
      })
    })

    it.live("an asset deleted and uploaded again outlives late replays of its history", () => {
      const prefix = uniqueName("d")
      const d = Fixtures.asset("d")
      const colored = (value: string, revision: number) =>
        Fixtures.view(d, [{ key: "color", value }], { revision, position: revision })
      const remove = (position: number): ProjectionStore.Commit => ({
        projection: "assets",
        position,
        upserts: [],
        deletes: [d]
      })
      return Effect.gen(function*() {
        const fast = yield* openStore(prefix)
        const slow = yield* openStore(prefix)
        const scope = { cloud: "demo", limit: 10 }
        const answers = Effect.gen(function*() {
          return {
            view: Option.getOrUndefined(yield* slow.get(d)),
            byKey: ids(yield* slow.byContext({ ...scope, key: "color" })),
            listed: ids(yield* slow.list(scope)),
            index: yield* bucketKeys(`${prefix}_index`)
          }
        })

        // The log: uploaded red (1), changed to blue (2), deleted (3), uploaded green (4).
        yield* fast.commit(upsert(colored("red", 1)))
        yield* fast.commit(upsert(colored("blue", 2)))
        yield* fast.commit(remove(3))
        yield* fast.commit(upsert(colored("green", 4)))
        yield* rewind(prefix, 1)
        yield* slow.commit(upsert(colored("blue", 2)))
        yield* rewind(prefix, 2)
        yield* slow.commit(remove(3))
        const green = colored("green", 4)
        expect(yield* answers).toEqual({
          view: green,
          byKey: ["d"],
          listed: ["d"],
          index: [...NatsKvProjectionStore.indexKeys(green)].sort()
        })
        expect(ids(yield* slow.byContext({ ...scope, key: "color", value: "green" }))).toEqual([
          "d"
        ])

        // Deleted again (5): a late replay of the upload at 4, or of the first one, is refused.
        yield* fast.commit(remove(5))
        yield* rewind(prefix, 3)
        yield* slow.commit(upsert(green))
        yield* rewind(prefix, 0)
        yield* slow.commit(upsert(colored("red", 1)))
        expect(yield* answers).toEqual({ view: undefined, byKey: [], listed: [], index: [] })
        expect(yield* bucketKeys(`${prefix}_views`)).toEqual([])

        // Uploaded again (6), after which every replay changes nothing.
        const black = colored("black", 6)
        yield* fast.commit(upsert(black))
        const replays: ReadonlyArray<readonly [number, ProjectionStore.Commit]> = [
          [0, upsert(colored("red", 1))],
          [2, remove(3)],
          [4, remove(5)]
        ]
        for (const [checkpoint, commit] of replays) {
          yield* rewind(prefix, checkpoint)
          yield* slow.commit(commit)
        }
        expect(yield* answers).toEqual({
          view: black,
          byKey: ["d"],
          listed: ["d"],
          index: [...NatsKvProjectionStore.indexKeys(black)].sort()
        })

        // Another asset uploaded (7) and deleted (8) within one commit: the store never held its
        // view, yet a late replay of the upload is refused.
        const e = Fixtures.asset("e")
        yield* fast.commit({ projection: "assets", position: 8, upserts: [], deletes: [e] })
        yield* rewind(prefix, 6)
        yield* slow.commit(upsert(Fixtures.view(e, [{ key: "color", value: "red" }], {
          revision: 1,
          position: 7
        })))
        expect(Option.isNone(yield* slow.get(e))).toBe(true)
        expect(yield* answers).toMatchObject({ byKey: ["d"], listed: ["d"] })
      }).pipe(Effect.scoped)
    })
  })
})
