import {
  AssetId,
  Ctxlog,
  Errors,
  EventLog,
  InMemoryEventLog,
  InMemoryNotificationSink,
  InMemoryProjectionStore,
  Notification,
  NotificationSink,
  Notifier,
  ProjectionStore
} from "@ctxlog/core"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { add, remove, removeAll, upload } from "./support/commands.js"
import { memory } from "./support/memory.js"

const demo = (publicId: string) => AssetId.make({ cloud: "demo", publicId })
const exec = (command: Parameters<Ctxlog.CtxlogShape["execute"]>[0]) =>
  Effect.flatMap(Ctxlog.Ctxlog, (c) => c.execute(command))
const take = (after: number, n: number) =>
  Effect.flatMap(
    Ctxlog.Ctxlog,
    (c) =>
      c.notifications(after).pipe(
        Stream.take(n),
        Stream.runCollect,
        Effect.map(Chunk.toReadonlyArray)
      )
  )

/** Polls a sink that has no way to announce arrivals. */
const eventually = <A, R>(effect: Effect.Effect<A, never, R>, done: (a: A) => boolean) =>
  effect.pipe(
    Effect.filterOrFail(done),
    Effect.retry(Schedule.spaced("5 millis")),
    Effect.timeout("10 seconds"),
    Effect.orDie
  )

const at = new Date("2026-12-03T08:00:00.000Z")

describe("Notifier", () => {
  it.live("emits one resource_context_changed per command, covering every asset it changed", () =>
    Effect.gen(function*() {
      yield* exec(upload(demo("shirt1"), { product: "pants", old: "x" }))
      yield* exec(upload(demo("shirt2"), { caption: "New" }))
      const result = yield* exec(add(
        [demo("shirt1"), demo("shirt2"), demo("missing")],
        [{ key: "caption", value: "New" }, { key: "product", value: "shirt" }, {
          key: "old",
          value: ""
        }],
        { commandId: "cmd-42", timestamp: at }
      ))
      const [n] = yield* take(2, 1)
      expect(n!.position).toBe(result.position)
      expect(n!.notification).toEqual({
        notification_type: "resource_context_changed",
        notification_id: Notification.idOf("demo", "cmd-42"),
        cloud: "demo",
        source: "api",
        timestamp: "2026-12-03T08:00:00.000Z",
        request_id: "cmd-42",
        resources: {
          shirt1: {
            resource_type: "image",
            type: "upload",
            revision: 2,
            added: [{ name: "caption", value: "New" }],
            updated: [{ name: "product", value: "shirt", previous_value: "pants" }],
            removed: [{ name: "old", value: "x" }]
          },
          shirt2: {
            resource_type: "image",
            type: "upload",
            revision: 2,
            added: [{ name: "product", value: "shirt" }],
            updated: [],
            removed: []
          }
        },
        notification_context: {
          triggered_at: "2026-12-03T08:00:00.000Z",
          triggered_by: { source: "api", id: "tester" }
        }
      })
    }).pipe(Effect.provide(memory())))

  it.live("emits nothing for a no-op or a command that found no asset", () =>
    Effect.gen(function*() {
      yield* exec(upload(demo("a"), { k: "v" }))
      yield* exec(add([demo("a")], { k: "v" }))
      yield* exec(removeAll([demo("missing")]))
      yield* exec(add([demo("a")], { k: "w" }, { commandId: "real" }))
      const seen = yield* take(0, 2)
      expect(seen.map((n) => n.notification.request_id)[1]).toBe("real")
      const received = yield* eventually(
        Effect.flatten(InMemoryNotificationSink.Received),
        (all) => all.length >= 2
      )
      expect(received.map((n) => n.notification.notification_type)).toEqual([
        "upload",
        "resource_context_changed"
      ])
    }).pipe(Effect.provide(memory())))

  it.live("gives uploads and deletes their own types, with the cloud", () =>
    Effect.gen(function*() {
      yield* exec(upload(demo("a"), { k: "v" }))
      yield* exec(remove([demo("a")]))
      const [up, del] = yield* take(0, 2)
      expect(up!.notification.notification_type).toBe("upload")
      expect(up!.notification.resources.a!.context).toEqual({ custom: { k: "v" } })
      expect(del!.notification.notification_type).toBe("delete")
      expect(del!.notification.resources.a!.removed).toEqual([{ name: "k", value: "v" }])
      expect(del!.notification.cloud).toBe("demo")
    }).pipe(Effect.provide(memory())))

  it.live("starts from any position, rewinding into a batch to keep its notification whole", () =>
    Effect.gen(function*() {
      for (const id of ["a", "b", "c"]) yield* exec(upload(demo(id)))
      yield* exec(add([demo("a"), demo("b"), demo("c")], { k: "v" }, { commandId: "three" }))
      const fromMiddle = yield* take(4, 1)
      expect(fromMiddle[0]!.position).toBe(6)
      expect(Object.keys(fromMiddle[0]!.notification.resources)).toEqual(["a", "b", "c"])
      const fromStart = yield* take(0, 4)
      expect(fromStart.map((n) => n.position)).toEqual([1, 2, 3, 6])
      expect(fromStart[3]!.notification.notification_id).toBe(
        fromMiddle[0]!.notification.notification_id
      )
    }).pipe(Effect.provide(memory())))

  it.live("follows live changes after catching up", () =>
    Effect.gen(function*() {
      yield* exec(upload(demo("a")))
      const fiber = yield* Effect.fork(take(1, 2))
      yield* exec(add([demo("a")], { k: "1" }))
      yield* exec(add([demo("a")], { k: "2" }))
      const seen = yield* fiber.await.pipe(Effect.flatten)
      expect(seen.map((n) => n.notification.resources.a!.revision)).toEqual([2, 3])
    }).pipe(Effect.provide(memory())))

  describe("delivery to a sink", () => {
    it.live("retries a retryable failure and resumes from its checkpoint after a restart", () =>
      Effect.gen(function*() {
        const log = yield* InMemoryEventLog.make
        const store = yield* InMemoryProjectionStore.make
        const received = yield* Ref.make<Array<string>>([])
        const failures = yield* Ref.make(2)
        const sink = Layer.succeed(NotificationSink.NotificationSink, {
          name: "flaky",
          publish: (n) =>
            Ref.getAndUpdate(failures, (f) => f - 1).pipe(
              Effect.flatMap((left) =>
                left > 0
                  ? Effect.fail(
                    new Errors.NotificationSinkError({
                      sink: "flaky",
                      detail: "503",
                      retryable: true
                    })
                  )
                  : Ref.update(received, (all) => [...all, n.notification.request_id])
              )
            )
        })
        const adapters = Layer.merge(
          Layer.succeed(EventLog.EventLog, log),
          Layer.succeed(ProjectionStore.ProjectionStore, store)
        )
        const app = Layer.merge(Ctxlog.layer(), Notifier.layer.pipe(Layer.provide(sink))).pipe(
          Layer.provide(adapters)
        )
        const waitFor = (n: number) => eventually(Ref.get(received), (all) => all.length >= n)

        yield* Effect.scoped(Effect.gen(function*() {
          const ctx = yield* Layer.build(app)
          const c = Ctxlog.Ctxlog.pipe(Effect.provide(ctx))
          yield* Effect.flatMap(c, (x) => x.execute(upload(demo("a"), {}, { commandId: "first" })))
          yield* Effect.flatMap(
            c,
            (x) => x.execute(add([demo("a")], { k: "v" }, { commandId: "second" }))
          )
          yield* waitFor(2)
        }))
        expect(yield* Ref.get(received)).toEqual(["first", "second"])
        expect(yield* store.checkpoint(Notifier.checkpointOf("flaky"))).toBe(2)

        yield* Effect.scoped(Effect.gen(function*() {
          const ctx = yield* Layer.build(app)
          const c = Ctxlog.Ctxlog.pipe(Effect.provide(ctx))
          yield* Effect.flatMap(
            c,
            (x) => x.execute(add([demo("a")], { k: "w" }, { commandId: "third" }))
          )
          yield* waitFor(3)
        }))
        expect(yield* Ref.get(received)).toEqual(["first", "second", "third"])
      }))
  })
})
