import { AssetId, Event, EventLog } from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { NatsConnection, NatsEventLog, StreamSetup, Subject } from "@ctxlog/nats"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { uniqueName, useNatsServer } from "../support/nats.js"

const server = useNatsServer()

const asset = (publicId: string) => AssetId.make({ cloud: "demo", publicId })

/** A log on a prefix of its own, and the raw connection under it. */
const fresh = (options: NatsEventLog.Options = {}) => {
  const prefix = uniqueName("t")
  const connection = NatsConnection.layer({ servers: server.current.url })
  return {
    prefix,
    stream: `${prefix}_events`,
    layer: Layer.provideMerge(
      NatsEventLog.layerWithConnection({ prefix, undecidedGrace: "100 millis", ...options }),
      connection
    )
  }
}

const one = (publicId: string, expectedRevision: number, key: string, n = 0) => ({
  idempotencyKey: key,
  writes: [{
    asset: asset(publicId),
    expectedRevision,
    events: [Fixtures.added(asset(publicId), [{ key: `k${n}`, value: "v" }])]
  }]
})

const all = Effect.flatMap(
  EventLog.EventLog,
  (log) => Stream.runCollect(log.readAll({ after: 0 })).pipe(Effect.map(Chunk.toReadonlyArray))
)

/** Publishes the first part of a two-event batch by hand, as a writer that died after it. */
const strandedPart = (prefix: string, key: string) =>
  Effect.gen(function*() {
    const { js } = yield* NatsConnection.NatsConnection
    const pending = Fixtures.added(asset("x"), [{ key: "stranded", value: "1" }])
    const event = Event.record(pending, { revision: 1, position: 0 })
    const data = JSON.stringify({
      v: 1,
      key,
      prev: 0,
      part: { id: `${key}#0`, index: 0, size: 2 },
      event
    })
    return yield* Effect.promise(() =>
      js.publish(Subject.encode(prefix, asset("x")), data, { msgID: `${key}#0#0` })
    )
  })

describe("NATS event log", () => {
  it.live("keeps every awkward public id in its own stream and reads it back", () => {
    const { layer } = fresh()
    return Effect.gen(function*() {
      const log = yield* EventLog.EventLog
      const ids = ["a.b", "*", ">", "a b", "日本語/ü", "_5F", "x".repeat(255), "a.*.>"]
      for (const [i, id] of ids.entries()) yield* log.append(one(id, 0, `k${i}`))
      for (const id of ids) {
        const events = yield* log.readStream(asset(id))
        expect(events.map((e) => e.asset.publicId)).toEqual([id])
      }
      expect((yield* all).map((e) => e.position)).toEqual(ids.map((_, i) => i + 1))
    }).pipe(Effect.provide(layer))
  })

  it.live("reads a long stream in full, past the backward walk", () => {
    const { layer } = fresh()
    return Effect.gen(function*() {
      const log = yield* EventLog.EventLog
      for (let i = 0; i < 40; i++) yield* log.append(one("long", i, `k${i}`, i))
      const events = yield* log.readStream(asset("long"))
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
      const tail = yield* log.readStream(asset("long"), { fromRevision: 35, toRevision: 38 })
      expect(tail.map((e) => e.revision)).toEqual([36, 37, 38])
    }).pipe(Effect.provide(layer))
  })

  it.live("lets exactly one of many racing appends at one revision win", () => {
    const { layer } = fresh()
    return Effect.gen(function*() {
      const log = yield* EventLog.EventLog
      const results = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) => Effect.either(log.append(one("race", 0, `r${i}`)))),
        { concurrency: "unbounded" }
      )
      expect(results.filter((r) => r._tag === "Right").length).toBe(1)
      for (const r of results) if (r._tag === "Left") expect(r.left._tag).toBe("RevisionConflict")
      expect((yield* log.readStream(asset("race"))).length).toBe(1)
    }).pipe(Effect.provide(layer))
  })

  it.live("keeps multi-asset batches whole while other writers append between them", () => {
    const { layer } = fresh()
    return Effect.gen(function*() {
      const log = yield* EventLog.EventLog
      const batches = Array.from({ length: 10 }, (_, i) => ({
        idempotencyKey: `batch${i}`,
        writes: ["p", "q", "r"].map((id) => ({
          asset: asset(`${id}${i}`),
          expectedRevision: 0,
          events: [Fixtures.added(asset(`${id}${i}`), [{ key: "k", value: String(i) }])]
        }))
      }))
      const singles = Array.from({ length: 60 }, (_, i) => one(`s${i}`, 0, `single${i}`))
      yield* Effect.all(
        [...batches, ...singles].map((b) => log.append(b)),
        { concurrency: "unbounded", discard: true }
      )
      const events = yield* all
      expect(events.length).toBe(90)
      // Each batch's three events sit at consecutive positions, in order.
      const at = new Map(events.map((e) => [e.asset.publicId, e.position]))
      for (let i = 0; i < 10; i++) {
        const positions = ["p", "q", "r"].map((id) => at.get(`${id}${i}`)!)
        expect(positions).toEqual([positions[0]!, positions[0]! + 1, positions[0]! + 2])
      }
      // Whatever was voided on the way, revisions have no gaps.
      for (const e of events) expect(e.revision).toBe(1)
    }).pipe(Effect.provide(layer))
  })

  it.live("treats a batch its writer left unfinished as void once sealed", () => {
    const { layer, prefix } = fresh()
    return Effect.gen(function*() {
      const log = yield* EventLog.EventLog
      yield* strandedPart(prefix, "dead-writer")
      // The stranded part is the tail: a reader that must decide waits, seals and passes over.
      expect(yield* log.readStream(asset("x"))).toEqual([])
      expect(yield* log.head).toBe(0)
      const written = yield* log.append(one("x", 0, "next"))
      expect(written.revisions[0]!.revision).toBe(1)
      const events = yield* all
      expect(events.map((e) => [e.asset.publicId, e.revision])).toEqual([["x", 1]])
      expect(events[0]!.position).toBe(3)
    }).pipe(Effect.provide(layer))
  })

  it.live("lets a subscriber pass over a void run and deliver what follows", () => {
    const { layer, prefix } = fresh()
    return Effect.gen(function*() {
      const log = yield* EventLog.EventLog
      const fiber = yield* log.subscribe(0).pipe(Stream.take(2), Stream.runCollect, Effect.fork)
      yield* log.append(one("before", 0, "b"))
      yield* strandedPart(prefix, "dead-writer")
      yield* log.append(one("after", 0, "a"))
      const seen = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      expect(seen.map((e) => [e.asset.publicId, e.position])).toEqual([["before", 1], ["after", 3]])
    }).pipe(Effect.provide(layer))
  })

  it.live("answers a repeat as a duplicate even when the command index lost its key", () => {
    const { layer, stream } = fresh()
    return Effect.gen(function*() {
      const log = yield* EventLog.EventLog
      const first = yield* log.append({ ...one("d", 0, "same"), receipt: "r1" })
      // As if the writer had died before the index entry was stored.
      const { js } = yield* NatsConnection.NatsConnection
      yield* Effect.promise(async () => {
        const { Kvm } = await import("@nats-io/kv")
        const kv = await new Kvm(js).open(`${stream}_commands`)
        await kv.purge(await firstKey(kv))
      })
      expect(Option.isNone(yield* log.lookup("same"))).toBe(true)
      const again = yield* log.append({ ...one("d", 0, "same"), receipt: "r2" })
      expect([again.duplicate, again.position, again.receipt]).toEqual([true, first.position, "r1"])
      expect((yield* log.readStream(asset("d"))).length).toBe(1)
    }).pipe(Effect.provide(layer))
  })

  it.live("finds a command by its key in the index after the append", () => {
    const { layer } = fresh()
    return Effect.gen(function*() {
      const log = yield* EventLog.EventLog
      const first = yield* log.append({ ...one("i", 0, "indexed"), receipt: "kept" })
      const found = yield* log.lookup("indexed").pipe(
        Effect.repeat({ until: Option.isSome, times: 50 })
      )
      expect(Option.map(found, (r) => [r.position, r.receipt, r.duplicate])).toEqual(
        Option.some([first.position, "kept", true])
      )
    }).pipe(Effect.provide(layer))
  })

  it.live("refuses an existing stream that differs, naming the difference", () => {
    const prefix = uniqueName("m")
    const connection = NatsConnection.layer({ servers: server.current.url })
    return Effect.gen(function*() {
      const { jsm } = yield* NatsConnection.NatsConnection
      yield* Effect.promise(() =>
        jsm.streams.add({
          name: `${prefix}_events`,
          subjects: [Subject.eventsWildcard(prefix)],
          allow_direct: false
        })
      )
      const error = yield* Effect.flip(NatsEventLog.make({ prefix }))
      expect(error).toBeInstanceOf(StreamSetup.StreamMismatch)
      expect(error.message).toContain("allow_direct")
    }).pipe(Effect.provide(connection))
  })
})

const firstKey = async (kv: { keys: () => Promise<AsyncIterable<string>> }) => {
  for await (const key of await kv.keys()) return key
  throw new Error("the command index is empty")
}
