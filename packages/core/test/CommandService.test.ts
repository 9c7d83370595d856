import {
  AssetId,
  CommandService,
  Ctxlog,
  EventLog,
  InMemoryEventLog,
  InMemoryProjectionStore,
  Policy
} from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { add, remove, removeAll, replace, upload } from "./support/commands.js"
import { memory } from "./support/memory.js"

const a = AssetId.make({ cloud: "demo", publicId: "a" })
const b = AssetId.make({ cloud: "demo", publicId: "b" })
const missing = AssetId.make({ cloud: "demo", publicId: "missing" })

const exec = (command: Parameters<Ctxlog.CtxlogShape["execute"]>[0]) =>
  Effect.flatMap(Ctxlog.Ctxlog, (c) => c.execute(command))
const contextOf = (asset: AssetId.AssetId) =>
  Effect.flatMap(Ctxlog.Ctxlog, (c) => c.get(asset)).pipe(Effect.map((v) => v.context))
const head = Effect.flatMap(Ctxlog.Ctxlog, (c) => c.head)

describe("CommandService", () => {
  it.live("makes a write visible to the next read", () =>
    Effect.gen(function*() {
      const result = yield* exec(upload(a, { caption: "New" }))
      expect(result.changed.map(String)).toEqual(["demo:image/upload/a"])
      expect(result.revisions.map((r) => r.revision)).toEqual([1])
      expect(yield* contextOf(a)).toEqual([{ key: "caption", value: "New" }])
    }).pipe(Effect.provide(memory())))

  it.live("applies a multi-asset command to the assets that exist and reports the missing", () =>
    Effect.gen(function*() {
      yield* exec(upload(a, { x: "1" }))
      yield* exec(upload(b, { caption: "New" }))
      const result = yield* exec(add([a, missing, b], { caption: "New" }))
      expect(result.applied.map((x) => x.publicId)).toEqual(["a", "b"])
      expect(result.changed.map((x) => x.publicId)).toEqual(["a"])
      expect(result.notFound.map((x) => x.publicId)).toEqual(["missing"])
      expect(yield* contextOf(a)).toEqual([{ key: "x", value: "1" }, {
        key: "caption",
        value: "New"
      }])
    }).pipe(Effect.provide(memory())))

  it.live("applies a repeated public id once", () =>
    Effect.gen(function*() {
      yield* exec(upload(a))
      const result = yield* exec(add([a, a], { k: "v" }))
      expect(result.applied.length).toBe(1)
      expect(yield* head).toBe(2)
    }).pipe(Effect.provide(memory())))

  it.live("refuses the whole command when it names too many public ids, changing nothing", () =>
    Effect.gen(function*() {
      yield* exec(upload(a))
      yield* exec(upload(b))
      const error = yield* Effect.flip(exec(add([a, b, missing], { k: "v" })))
      expect(error._tag).toBe("PolicyViolation")
      expect(error.message).toBe("the command names 3 public ids; the limit is 2")
      expect(yield* head).toBe(2)
    }).pipe(Effect.provide(memory({ limits: { maxPublicIdsPerCommand: 2 } }))))

  it.live("refuses the whole command when one asset would break a limit, changing nothing", () =>
    Effect.gen(function*() {
      yield* exec(upload(a))
      yield* exec(upload(b, { long: "x".repeat(240) }))
      const error = yield* Effect.flip(exec(add([a, b], { more: "0123456789" })))
      expect(error.message).toBe(
        "context of image/upload/b would be 261 characters; the limit is 255"
      )
      expect(yield* contextOf(a)).toEqual([])
      expect(yield* head).toBe(2)
    }).pipe(Effect.provide(memory())))

  it.live("refuses a command whose assets are in different clouds or types", () =>
    Effect.gen(function*() {
      const other = AssetId.make({ cloud: "other", publicId: "a" })
      const error = yield* Effect.flip(exec(add([a, other], { k: "v" })))
      expect(error._tag).toBe("InvalidCommand")
      expect(error.message).toContain("assets.1: every asset of one command shares its cloud")
    }).pipe(Effect.provide(memory())))

  it.live("refuses a replace of an asset that does not exist", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(exec(replace(missing, { k: "v" })))
      expect(error._tag).toBe("AssetNotFound")
    }).pipe(Effect.provide(memory())))

  describe("idempotency", () => {
    it.live("returns the first result for a command id seen before, and writes nothing", () =>
      Effect.gen(function*() {
        yield* exec(upload(a, { k: "1" }))
        const first = yield* exec(add([a, missing], { k: "2" }, { commandId: "once" }))
        yield* exec(add([a], { k: "3" }))
        const again = yield* exec(add([a, missing], { k: "2" }, { commandId: "once" }))
        expect(again.duplicate).toBe(true)
        expect(again.position).toBe(first.position)
        expect(again.applied).toEqual(first.applied)
        expect(again.notFound).toEqual(first.notFound)
        expect(yield* contextOf(a)).toEqual([{ key: "k", value: "3" }])
        expect(yield* head).toBe(3)
      }).pipe(Effect.provide(memory())))

    it.live("remembers a command that changed nothing", () =>
      Effect.gen(function*() {
        yield* exec(upload(a, { k: "1" }))
        const noop = yield* exec(add([a], { k: "1" }, { commandId: "noop" }))
        expect(noop.changed).toEqual([])
        yield* exec(remove([a]))
        const again = yield* exec(add([a], { k: "1" }, { commandId: "noop" }))
        expect([again.duplicate, again.applied.length, again.notFound.length]).toEqual([true, 1, 0])
      }).pipe(Effect.provide(memory())))

    it.live("returns the first result to a repeat that the current state would refuse", () =>
      Effect.gen(function*() {
        yield* exec(upload(a, { k: "1" }))
        const first = yield* exec(
          replace(a, { k: "2" }, { commandId: "guarded", expectedRevision: 1 })
        )
        // The stated revision has passed, and then the asset is gone: deciding again would fail.
        const again = yield* exec(
          replace(a, { k: "2" }, { commandId: "guarded", expectedRevision: 1 })
        )
        expect([again.duplicate, again.position]).toEqual([true, first.position])
        yield* exec(remove([a]))
        const late = yield* exec(
          replace(a, { k: "2" }, { commandId: "guarded", expectedRevision: 1 })
        )
        expect([late.duplicate, late.position]).toEqual([true, first.position])
        const fresh = yield* Effect.flip(exec(replace(a, { k: "3" }, { expectedRevision: 1 })))
        expect(fresh._tag).toBe("RevisionConflict")
      }).pipe(Effect.provide(memory())))

    it.live("scopes command ids to their cloud", () =>
      Effect.gen(function*() {
        const other = AssetId.make({ cloud: "other", publicId: "a" })
        yield* exec(upload(a, {}, { commandId: "same" }))
        const result = yield* exec(upload(other, {}, { commandId: "same" }))
        expect(result.duplicate).toBe(false)
        expect(yield* head).toBe(2)
      }).pipe(Effect.provide(memory())))
  })

  describe("concurrency", () => {
    it.live("honours an expected revision from the caller", () =>
      Effect.gen(function*() {
        yield* exec(upload(a, { k: "1" }))
        yield* exec(replace(a, { k: "2" }, { expectedRevision: 1 }))
        const error = yield* Effect.flip(exec(replace(a, { k: "3" }, { expectedRevision: 1 })))
        expect(error._tag).toBe("RevisionConflict")
        expect(error.message).toBe(
          "revision conflict on demo:image/upload/a: expected revision 1, the stream is at 2"
        )
        expect(yield* contextOf(a)).toEqual([{ key: "k", value: "2" }])
      }).pipe(Effect.provide(memory())))

    /** A log that lets a competing writer in just before the first append it sees. */
    const interleaved = Layer.effect(
      EventLog.EventLog,
      Effect.gen(function*() {
        const inner = yield* InMemoryEventLog.make
        const competed = yield* Ref.make(false)
        return EventLog.EventLog.of({
          ...inner,
          append: (batch) =>
            Effect.gen(function*() {
              const write = batch.writes[0]
              if (write && write.expectedRevision > 0 && !(yield* Ref.getAndSet(competed, true))) {
                yield* inner.append({
                  idempotencyKey: "competitor",
                  writes: [{
                    asset: write.asset,
                    expectedRevision: write.expectedRevision,
                    events: [Fixtures.added(write.asset, [{ key: "theirs", value: "1" }])]
                  }]
                })
              }
              return yield* inner.append(batch)
            })
        })
      })
    )

    it.live("decides again on fresh state when another writer comes first", () =>
      Effect.gen(function*() {
        yield* exec(upload(a))
        const result = yield* exec(add([a], { mine: "1" }))
        expect(result.revisions.map((r) => r.revision)).toEqual([3])
        expect(yield* contextOf(a)).toEqual([{ key: "theirs", value: "1" }, {
          key: "mine",
          value: "1"
        }])
      }).pipe(
        Effect.provide(
          Ctxlog.layer().pipe(
            Layer.provideMerge(Layer.merge(interleaved, InMemoryProjectionStore.layer))
          )
        )
      ))

    it.live("gives up with RevisionConflict after the configured number of attempts", () =>
      Effect.gen(function*() {
        const attempts = yield* Ref.make(0)
        const conflicting = Layer.effect(
          EventLog.EventLog,
          Effect.gen(function*() {
            const inner = yield* InMemoryEventLog.make
            return EventLog.EventLog.of({
              ...inner,
              append: (batch) =>
                batch.writes.length === 0 || batch.writes[0]!.expectedRevision === 0
                  ? inner.append(batch)
                  : Ref.update(attempts, (n) => n + 1).pipe(
                    Effect.zipRight(
                      inner.append({
                        ...batch,
                        writes: batch.writes.map((w) => ({
                          ...w,
                          expectedRevision: w.expectedRevision + 1
                        }))
                      })
                    )
                  )
            })
          })
        )
        const error = yield* Effect.gen(function*() {
          yield* exec(upload(a))
          return yield* Effect.flip(exec(add([a], { k: "v" })))
        }).pipe(
          Effect.provide(
            Ctxlog.layer({ maxAttempts: 4 }).pipe(
              Layer.provideMerge(Layer.merge(conflicting, InMemoryProjectionStore.layer))
            )
          )
        )
        expect(error._tag).toBe("RevisionConflict")
        expect(yield* Ref.get(attempts)).toBe(4)
      }))

    it.live("checks a remembered state that another writer has passed before trusting it", () =>
      Effect.gen(function*() {
        // Two services on one log, as two processes: each remembers the states it has seen.
        const mine = yield* CommandService.make()
        const theirs = yield* CommandService.make()
        const log = yield* EventLog.EventLog
        const c = AssetId.make({ cloud: "demo", publicId: "c" })
        yield* mine.execute(upload(a, { x: "1" }))
        yield* theirs.execute(add([a], { y: "2" }))
        // A write decided on the stale state is refused by the log and decided again.
        const merged = yield* mine.execute(add([a], { z: "3" }))
        expect(merged.revisions.map((r) => r.revision)).toEqual([3])
        yield* theirs.execute(remove([a]))
        const afterDelete = yield* mine.execute(add([a], { w: "4" }))
        expect(afterDelete.notFound.map(String)).toEqual([a.toString()])
        // A refusal on a remembered state (c missing) is not believed without a fresh read.
        expect((yield* mine.execute(add([c], { k: "v" }))).notFound.length).toBe(1)
        yield* theirs.execute(upload(c))
        const applied = yield* mine.execute(add([c], { k: "v" }))
        expect(applied.changed.map(String)).toEqual([c.toString()])
        // An upload guesses a stream it does not remember is new; the log corrects the guess.
        const e = AssetId.make({ cloud: "demo", publicId: "e" })
        yield* theirs.execute(upload(e, { x: "1" }))
        const over = yield* mine.execute(upload(e, { y: "2" }))
        expect(over.revisions.map((r) => r.revision)).toEqual([2])
        expect((yield* log.readStream(e))[1]!.event).toMatchObject({
          added: [{ key: "y", value: "2" }],
          removed: [{ key: "x", previous: "1" }]
        })
        const events = yield* log.readStream(a)
        expect(events.map((e) => e.revision)).toEqual([1, 2, 3, 4])
        expect(events[2]!.event).toMatchObject({ added: [{ key: "z", value: "3" }] })
      }).pipe(
        Effect.provide(Layer.merge(InMemoryEventLog.layer, Policy.layer()))
      ))

    it.live("loses no update when many writers change one asset at once", () =>
      Effect.gen(function*() {
        yield* exec(upload(a))
        yield* Effect.all(
          Array.from({ length: 50 }, (_, i) => exec(add([a], { [`k${i}`]: String(i) }))),
          { concurrency: "unbounded" }
        )
        const context = yield* contextOf(a)
        expect(context.length).toBe(50)
        expect(new Set(context.map((p) => p.key)).size).toBe(50)
        expect(yield* head).toBe(51)
      }).pipe(Effect.provide(memory({ limits: { maxContextLength: 10_000 } }))))

    it.live("serialises deletes and adds on one asset", () =>
      Effect.gen(function*() {
        yield* exec(upload(a, { k: "v" }))
        const results = yield* Effect.all([
          Effect.either(exec(removeAll([a]))),
          Effect.either(exec(remove([a]))),
          Effect.either(exec(add([a], { z: "1" })))
        ], { concurrency: "unbounded" })
        expect(results.every((r) => r._tag === "Right")).toBe(true)
        const history = yield* Effect.flatMap(Ctxlog.Ctxlog, (c) => c.history(a))
        expect(history.map((e) => e.revision)).toEqual(history.map((_, i) => i + 1))
      }).pipe(Effect.provide(memory())))
  })
})
