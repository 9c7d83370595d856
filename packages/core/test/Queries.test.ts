import { AssetId, Ctxlog } from "@ctxlog/core"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { add, remove, replace, upload } from "./support/commands.js"
import { memory } from "./support/memory.js"

const demo = (publicId: string, type?: string) => AssetId.make({ cloud: "demo", publicId, type })
const shirt = demo("shirt1")

const exec = (command: Parameters<Ctxlog.CtxlogShape["execute"]>[0]) =>
  Effect.flatMap(Ctxlog.Ctxlog, (c) => c.execute(command))
const ctxlog = Ctxlog.Ctxlog

const t = (minute: number) => new Date(Date.UTC(2026, 11, 3, 8, minute))

describe("Queries", () => {
  describe("get", () => {
    it.live("gives the current context and revision", () =>
      Effect.gen(function*() {
        yield* exec(upload(shirt, { a: "1" }))
        yield* exec(add([shirt], { b: "2" }))
        const view = yield* (yield* ctxlog).get(shirt)
        expect(view.revision).toBe(2)
        expect(view.context).toEqual([{ key: "a", value: "1" }, { key: "b", value: "2" }])
      }).pipe(Effect.provide(memory())))

    it.live("fails with AssetNotFound for an unknown or deleted asset", () =>
      Effect.gen(function*() {
        const c = yield* ctxlog
        expect((yield* Effect.flip(c.get(shirt)))._tag).toBe("AssetNotFound")
        yield* exec(upload(shirt))
        yield* exec(remove([shirt]))
        const error = yield* Effect.flip(c.get(shirt))
        expect(error.message).toBe("asset image/upload/shirt1 does not exist in cloud demo")
      }).pipe(Effect.provide(memory())))

    it.live("travels in time, by revision and by time", () =>
      Effect.gen(function*() {
        const c = yield* ctxlog
        yield* exec(upload(shirt, { caption: "Old" }, { timestamp: t(0) }))
        yield* exec(replace(shirt, { caption: "New" }, { timestamp: t(10) }))
        yield* exec(remove([shirt], { timestamp: t(20) }))
        expect((yield* c.get(shirt, { revision: 1 })).context).toEqual([{
          key: "caption",
          value: "Old"
        }])
        expect((yield* c.get(shirt, { revision: 2 })).context).toEqual([{
          key: "caption",
          value: "New"
        }])
        expect((yield* c.get(shirt, { time: t(5) })).context).toEqual([{
          key: "caption",
          value: "Old"
        }])
        expect((yield* c.get(shirt, { time: t(10) })).revision).toBe(2)
        const deleted = yield* Effect.flip(c.get(shirt, { revision: 3 }))
        expect(deleted.message).toBe("asset image/upload/shirt1 did not exist at revision 3")
        const before = yield* Effect.flip(c.get(shirt, { time: t(-1) }))
        expect(before._tag).toBe("AssetNotFound")
        const beyond = yield* Effect.flip(c.get(shirt, { revision: 9 }))
        expect(beyond.message).toBe("as_of: image/upload/shirt1 has 3 revisions; 9 is beyond them")
      }).pipe(Effect.provide(memory())))
  })

  it.live("reads as of a time the prefix up to the last revision stamped before it", () =>
    Effect.gen(function*() {
      const c = yield* ctxlog
      yield* exec(upload(shirt, { a: "1" }, { timestamp: t(10) }))
      // A writer whose clock runs behind stamps a later revision with an earlier time.
      yield* exec(add([shirt], { b: "2" }, { timestamp: t(5) }))
      yield* exec(add([shirt], { c: "3" }, { timestamp: t(20) }))
      expect((yield* c.get(shirt, { time: t(12) })).revision).toBe(2)
      expect((yield* c.get(shirt, { time: t(12) })).context.map((p) => p.key)).toEqual(["a", "b"])
      expect((yield* Effect.flip(c.get(shirt, { time: t(1) })))._tag).toBe("AssetNotFound")
    }).pipe(Effect.provide(memory())))

  describe("history", () => {
    it.live("lists who changed what, when and from where", () =>
      Effect.gen(function*() {
        yield* exec(upload(shirt, { a: "1" }, { timestamp: t(0) }))
        yield* exec(add([shirt], { a: "2", b: "3" }, { timestamp: t(1), source: "ui" }))
        const history = yield* (yield* ctxlog).history(shirt)
        expect(
          history.map((
            e
          ) => [e.revision, e.source, e.actor, e.timestamp.toISOString(), e.event._tag])
        ).toEqual([
          [1, "api", "tester", "2026-12-03T08:00:00.000Z", "AssetUploaded"],
          [2, "ui", "tester", "2026-12-03T08:01:00.000Z", "ContextChanged"]
        ])
        const change = history[1]!.event
        expect(change._tag === "ContextChanged" && change.updated).toEqual([{
          key: "a",
          value: "2",
          previous: "1"
        }])
      }).pipe(Effect.provide(memory())))

    it.live("keeps the history of a deleted asset and fails for one never seen", () =>
      Effect.gen(function*() {
        yield* exec(upload(shirt))
        yield* exec(remove([shirt]))
        const c = yield* ctxlog
        expect((yield* c.history(shirt)).length).toBe(2)
        expect((yield* Effect.flip(c.history(demo("never"))))._tag).toBe("AssetNotFound")
      }).pipe(Effect.provide(memory())))
  })

  describe("byContext", () => {
    it.live("pages through the assets with a key, or a key and value, with a cursor", () =>
      Effect.gen(function*() {
        const c = yield* ctxlog
        for (let i = 0; i < 7; i++) {
          yield* exec(upload(demo(`p${i}`), { product: i % 2 === 0 ? "shirt" : "pants" }))
        }
        yield* exec(upload(demo("other"), { color: "red" }))
        const first = yield* c.byContext({ cloud: "demo", key: "product", maxResults: 3 })
        expect(first.resources.map((v) => v.asset.publicId)).toEqual(["p0", "p1", "p2"])
        const second = yield* c.byContext({
          cloud: "demo",
          key: "product",
          maxResults: 3,
          cursor: first.nextCursor
        })
        expect(second.resources.map((v) => v.asset.publicId)).toEqual(["p3", "p4", "p5"])
        const third = yield* c.byContext({
          cloud: "demo",
          key: "product",
          maxResults: 3,
          cursor: second.nextCursor
        })
        expect(third.resources.map((v) => v.asset.publicId)).toEqual(["p6"])
        expect(third.nextCursor).toBeUndefined()
        const shirts = yield* c.byContext({
          cloud: "demo",
          key: "product",
          value: "shirt",
          maxResults: 500
        })
        expect(shirts.resources.map((v) => v.asset.publicId)).toEqual(["p0", "p2", "p4", "p6"])
      }).pipe(Effect.provide(memory())))

    it.live("keeps a cursor correct while assets are added and removed", () =>
      Effect.gen(function*() {
        const c = yield* ctxlog
        for (const id of ["a", "c", "e", "g"]) yield* exec(upload(demo(id), { k: "v" }))
        const first = yield* c.byContext({ cloud: "demo", key: "k", maxResults: 2 })
        yield* exec(upload(demo("b"), { k: "v" }))
        yield* exec(upload(demo("d"), { k: "v" }))
        yield* exec(remove([demo("c")]))
        const next = yield* c.byContext({
          cloud: "demo",
          key: "k",
          maxResults: 10,
          cursor: first.nextCursor
        })
        expect(next.resources.map((v) => v.asset.publicId)).toEqual(["d", "e", "g"])
      }).pipe(Effect.provide(memory())))

    it.live("refuses max_results outside 1 to 500, an empty key and a foreign cursor", () =>
      Effect.gen(function*() {
        const c = yield* ctxlog
        for (const id of ["a", "b"]) yield* exec(upload(demo(id), { k: "v" }))
        const tooMany = yield* Effect.flip(
          c.byContext({ cloud: "demo", key: "k", maxResults: 501 })
        )
        expect(tooMany.message).toBe("max_results: must be a whole number from 1 to 500, got 501")
        expect((yield* Effect.flip(c.byContext({ cloud: "demo", key: "" })))._tag).toBe(
          "InvalidQuery"
        )
        const page = yield* c.byContext({ cloud: "demo", key: "k", maxResults: 1 })
        const foreign = yield* Effect.flip(
          c.byContext({ cloud: "demo", key: "other", cursor: page.nextCursor })
        )
        expect(foreign.message).toBe("next_cursor: the cursor belongs to another query")
        const garbage = yield* Effect.flip(c.byContext({ cloud: "demo", key: "k", cursor: "%%%" }))
        expect(garbage.message).toBe("next_cursor: not a cursor this server made")
      }).pipe(Effect.provide(memory())))

    it.live("filters by type and keeps clouds apart", () =>
      Effect.gen(function*() {
        const c = yield* ctxlog
        yield* exec(upload(demo("a"), { k: "v" }))
        yield* exec(upload(demo("b", "private"), { k: "v" }))
        yield* exec(upload(AssetId.make({ cloud: "other", publicId: "c" }), { k: "v" }))
        const privates = yield* c.byContext({ cloud: "demo", key: "k", type: "private" })
        expect(privates.resources.map((v) => v.asset.publicId)).toEqual(["b"])
        const all = yield* c.byContext({ cloud: "demo", key: "k" })
        expect(all.resources.map((v) => v.asset.publicId)).toEqual(["b", "a"])
      }).pipe(Effect.provide(memory())))
  })

  describe("list", () => {
    it.live("lists by public id prefix, paged", () =>
      Effect.gen(function*() {
        const c = yield* ctxlog
        for (const id of ["shoes/1", "shoes/2", "shoes/3", "shirts/1"]) {
          yield* exec(upload(demo(id)))
        }
        const page = yield* c.list({ cloud: "demo", prefix: "shoes/", maxResults: 2 })
        expect(page.resources.map((v) => v.asset.publicId)).toEqual(["shoes/1", "shoes/2"])
        const rest = yield* c.list({
          cloud: "demo",
          prefix: "shoes/",
          maxResults: 2,
          cursor: page.nextCursor
        })
        expect(rest.resources.map((v) => v.asset.publicId)).toEqual(["shoes/3"])
      }).pipe(Effect.provide(memory())))
  })
})
