import {
  AssetId,
  Command,
  Ctxlog,
  Decider,
  Event,
  EventLog,
  InMemoryEventLog,
  InMemoryProjectionStore,
  ProjectionStore,
  Projector
} from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import { add, remove, removeAll, removeKeys, replace, upload } from "./support/commands.js"

const ids = ["a", "b", "c"].map((publicId) => AssetId.make({ cloud: "demo", publicId }))

/** Commands over three assets and three keys, so that they collide often. */
const commandArb: FastCheck.Arbitrary<Command.Command> = (() => {
  const asset = FastCheck.constantFrom(...ids)
  const assets = FastCheck.uniqueArray(asset, {
    minLength: 1,
    maxLength: 3,
    selector: (a) => a.key
  })
  const key = FastCheck.constantFrom("k1", "k2", "k3")
  const value = FastCheck.constantFrom("", "x", "y", "a=b|c")
  const record = FastCheck.dictionary(key, value, { maxKeys: 3 })
  return FastCheck.oneof(
    FastCheck.tuple(asset, record).map(([a, r]) =>
      upload(a, Object.fromEntries(Object.entries(r).filter(([, v]) => v !== "")))
    ),
    FastCheck.tuple(assets, record).map(([a, r]) => add(a, r)),
    assets.map((a) => removeAll(a)),
    FastCheck.tuple(asset, record).map(([a, r]) =>
      replace(a, Object.fromEntries(Object.entries(r).filter(([, v]) => v !== "")))
    ),
    FastCheck.tuple(assets, FastCheck.uniqueArray(key, { minLength: 1 })).map(([a, k]) =>
      removeKeys(a, k)
    ),
    assets.map((a) => remove(a))
  )
})()

const snapshot = Effect.gen(function*() {
  const store = yield* ProjectionStore.ProjectionStore
  const views = yield* store.list({ cloud: "demo", limit: 100 })
  return views.map((v) => ({ id: v.asset.publicId, revision: v.revision, context: v.context }))
})

const shared = Effect.gen(function*() {
  const log = yield* InMemoryEventLog.make
  const store = yield* InMemoryProjectionStore.make
  return Layer.merge(
    Layer.succeed(EventLog.EventLog, log),
    Layer.succeed(ProjectionStore.ProjectionStore, store)
  )
})

/**
 * Rebuilds a log of 81 events over 40 assets onto a store whose reads wait for the scheduler, as
 * reads over a network wait for their replies; gives the most reads the rebuild had in flight.
 */
const rebuildCountingReads = (inline: boolean) =>
  Effect.gen(function*() {
    const log = yield* InMemoryEventLog.make
    const base = yield* InMemoryProjectionStore.make
    let inFlight = 0
    let most = 0
    const store: ProjectionStore.ProjectionStoreShape = {
      ...base,
      inline,
      get: (asset) =>
        Effect.sync(() => {
          most = Math.max(most, ++inFlight)
        }).pipe(
          Effect.zipRight(Effect.yieldNow()),
          Effect.zipRight(base.get(asset)),
          Effect.ensuring(Effect.sync(() => inFlight--))
        )
    }
    const assets = Array.from(
      { length: 40 },
      (_, i) => AssetId.make({ cloud: "demo", publicId: `r${String(i).padStart(2, "0")}` })
    )
    for (const asset of assets) {
      const events = [Fixtures.uploaded(asset, [{ key: "k", value: asset.publicId }])]
      yield* log.append({
        idempotencyKey: `up-${asset.publicId}`,
        writes: [{ asset, expectedRevision: 0, events }]
      })
    }
    yield* log.append({
      idempotencyKey: "all",
      writes: assets.map((asset) => ({
        asset,
        expectedRevision: 1,
        events: [Fixtures.added(asset, [{ key: "n", value: "1" }])]
      }))
    })
    // A delete last, so that a run whose reads overlap must still fold each asset in order.
    yield* log.append({
      idempotencyKey: "gone",
      writes: [{
        asset: assets[39]!,
        expectedRevision: 2,
        events: [Fixtures.pending(
          assets[39]!,
          new Event.AssetDeleted({
            removed: [{ key: "k", previous: "r39" }, { key: "n", previous: "1" }]
          })
        )]
      }]
    })
    const adapters = Layer.merge(
      Layer.succeed(EventLog.EventLog, log),
      Layer.succeed(ProjectionStore.ProjectionStore, store)
    )
    return yield* Effect.gen(function*() {
      const projector = yield* Projector.Projector
      expect(yield* projector.awaitPosition(81)).toBe(true)
      most = 0
      const summary = yield* projector.rebuild()
      const views = yield* base.list({ cloud: "demo", limit: 100 })
      return { most, summary, views, checkpoint: yield* base.checkpoint("assets") }
    }).pipe(Effect.provide(Projector.layer().pipe(Layer.provide(adapters))))
  })

describe("Projector", () => {
  it.live("a rebuilt projection equals the live one", () =>
    Effect.gen(function*() {
      const adapters = yield* shared
      yield* Effect.gen(function*() {
        const c = yield* Ctxlog.Ctxlog
        yield* c.execute(upload(ids[0]!, { a: "1" }))
        yield* c.execute(upload(ids[1]!, { b: "2" }))
        yield* c.execute(add([ids[0]!, ids[1]!], { c: "3" }))
        yield* c.execute(remove([ids[1]!]))
        const live = yield* snapshot
        const summary = yield* c.rebuild()
        expect(summary.events).toBe(5)
        expect(summary.assets).toBe(2)
        expect(yield* snapshot).toEqual(live)
        yield* c.execute(add([ids[0]!], { d: "4" }))
        expect((yield* c.get(ids[0]!)).revision).toBe(3)
      }).pipe(Effect.provide(Ctxlog.layer().pipe(Layer.provideMerge(adapters))))
    }))

  it.live("resumes from its checkpoint when restarted on the same store", () =>
    Effect.gen(function*() {
      const adapters = yield* shared
      const app = Ctxlog.layer().pipe(Layer.provideMerge(adapters))
      yield* Ctxlog.Ctxlog.pipe(
        Effect.flatMap((c) => c.execute(upload(ids[0]!, { a: "1" }))),
        Effect.provide(app)
      )
      // Written while no projector runs: the next start must catch up on it, and only on it.
      const log = yield* EventLog.EventLog.pipe(Effect.provide(adapters))
      yield* log.append({
        idempotencyKey: "offline",
        writes: [{
          asset: ids[0]!,
          expectedRevision: 1,
          events: [Fixtures.added(ids[0]!, [{ key: "b", value: "2" }])]
        }]
      })
      const store = yield* ProjectionStore.ProjectionStore.pipe(Effect.provide(adapters))
      expect(yield* store.checkpoint("assets")).toBe(1)
      const view = yield* Ctxlog.Ctxlog.pipe(
        Effect.flatMap((c) =>
          c.execute(add([ids[0]!], { c: "3" })).pipe(Effect.zipRight(c.get(ids[0]!)))
        ),
        Effect.provide(app)
      )
      expect(view.context.map((p) => p.key)).toEqual(["a", "b", "c"])
    }))

  it.live.prop(
    "replaying any command sequence gives the state and views that applying it live gave",
    [FastCheck.array(commandArb, { maxLength: 30 })],
    ([commands]) =>
      Effect.gen(function*() {
        const adapters = yield* shared
        yield* Effect.gen(function*() {
          const c = yield* Ctxlog.Ctxlog
          const log = yield* EventLog.EventLog
          const decider = Decider.make()
          const live = new Map(ids.map((id) => [id.key, decider.initialState(id)]))
          for (const command of commands) {
            const outcome = yield* Effect.either(c.execute(command))
            // The live model: decide and evolve each asset the same way, in memory.
            for (const id of Command.assetsOf(command)) {
              const state = live.get(id.key)!
              const decision = decider.decide(command, state)
              if (Either.isRight(decision) && Either.isRight(outcome)) {
                live.set(id.key, decision.right.reduce(decider.evolve, state))
              }
            }
          }
          for (const id of ids) {
            const replayed = Decider.fold(id, (yield* log.readStream(id)).map((e) => e.event))
            expect(replayed).toEqual(live.get(id.key))
          }
          const views = yield* snapshot
          yield* c.rebuild()
          expect(yield* snapshot).toEqual(views)
          const fromState = ids.flatMap((id) => {
            const s = live.get(id.key)!
            return s.exists ? [{ id: id.publicId, revision: s.revision, context: s.context }] : []
          })
          expect(views).toEqual(fromState)
        }).pipe(Effect.provide(Ctxlog.layer().pipe(Layer.provideMerge(adapters))))
      }),
    { fastCheck: { numRuns: 60 } }
  )

  it.live.prop(
    "concurrent writers on one asset lose no update",
    [FastCheck.integer({ min: 2, max: 40 }), FastCheck.integer({ min: 1, max: 3 })],
    ([writers, assets]) =>
      Effect.gen(function*() {
        const c = yield* Ctxlog.Ctxlog
        const targets = ids.slice(0, assets)
        for (const id of targets) yield* c.execute(upload(id))
        yield* Effect.all(
          Array.from({ length: writers }, (_, i) => c.execute(add(targets, { [`w${i}`]: "1" }))),
          { concurrency: "unbounded" }
        )
        for (const id of targets) {
          const view = yield* c.get(id)
          expect(view.context.map((p) => p.key).sort()).toEqual(
            Array.from({ length: writers }, (_, i) => `w${i}`).sort()
          )
          expect(view.revision).toBe(writers + 1)
        }
      }).pipe(
        Effect.provide(
          Ctxlog.layerMemory({ limits: { maxContextLength: 10_000 }, maxAttempts: 100 })
        )
      ),
    { fastCheck: { numRuns: 25 } }
  )

  it.live("projects a long log in slices and catches up from any checkpoint", () =>
    Effect.gen(function*() {
      const c = yield* Ctxlog.Ctxlog
      for (let i = 0; i < 2500; i++) {
        yield* c.execute(upload(AssetId.make({ cloud: "demo", publicId: `bulk${i}` })))
      }
      const summary = yield* c.rebuild()
      expect([summary.events, summary.position, summary.assets]).toEqual([2500, 2500, 2500])
      const page = yield* c.list({ cloud: "demo", maxResults: 500 })
      expect(page.resources.length).toBe(500)
    }).pipe(Effect.provide(Ctxlog.layerMemory())))

  it.live("reads the views of a run a bounded number at a time from a store not inline", () =>
    Effect.gen(function*() {
      const { checkpoint, most, summary, views } = yield* rebuildCountingReads(false)
      expect(most).toBeGreaterThan(1)
      expect(most).toBeLessThanOrEqual(16)
      expect([summary.events, summary.position, summary.assets, checkpoint]).toEqual([
        81,
        81,
        40,
        81
      ])
      expect(views.map((v) => [v.asset.publicId, v.revision, v.context.map((p) => p.key)]))
        .toEqual(Array.from({ length: 39 }, (_, i) => [`r${String(i).padStart(2, "0")}`, 2, [
          "k",
          "n"
        ]]))
    }))

  it.live("reads the views one at a time from a store that projects inline", () =>
    Effect.gen(function*() {
      const { checkpoint, most, views } = yield* rebuildCountingReads(true)
      expect(most).toBe(1)
      expect([views.length, checkpoint]).toEqual([39, 81])
    }))
})
