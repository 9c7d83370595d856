/**
 * The contract every event log adapter passes, unchanged. Each case expects a fresh, empty log.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { EventLog } from "../EventLog.js"
import { type ContractCase, equal, failsWith, isTrue } from "./Expect.js"
import { added, asset, awkwardIds, uploaded } from "./fixtures.js"

const pairs = (n: number, prefix = "k") =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: `v${i}` }))

const appendOne = (publicId: string, expectedRevision: number, key: string) =>
  Effect.flatMap(EventLog, (log) =>
    log.append({
      idempotencyKey: key,
      writes: [{
        asset: asset(publicId),
        expectedRevision,
        events: [added(asset(publicId), pairs(1))]
      }]
    }))

const c = (name: string, run: Effect.Effect<void, unknown, EventLog>): ContractCase<EventLog> => ({
  name,
  run
})

/**
 * @since 0.1.0
 * @category contract
 */
export const cases: ReadonlyArray<ContractCase<EventLog>> = [
  c(
    "an empty log has head 0 and no events",
    Effect.gen(function*() {
      const log = yield* EventLog
      yield* equal(yield* log.head, 0, "head")
      yield* equal(Chunk.size(yield* Stream.runCollect(log.readAll({ after: 0 }))), 0, "readAll")
      yield* equal((yield* log.readStream(asset("nothing"))).length, 0, "readStream")
      yield* equal(Option.isNone(yield* log.lookup("unknown")), true, "lookup of an unknown key")
    })
  ),

  c(
    "an append to a new stream at revision 0 gets revision 1 and position 1",
    Effect.gen(function*() {
      const log = yield* EventLog
      const event = uploaded(asset("shirt1"), [{ key: "caption", value: "New" }])
      const result = yield* log.append({
        idempotencyKey: "k1",
        writes: [{ asset: asset("shirt1"), expectedRevision: 0, events: [event] }],
        receipt: "first"
      })
      yield* equal(result.duplicate, false, "duplicate")
      yield* equal(result.position, 1, "position")
      yield* equal(result.revisions.map((r) => [r.asset.key, r.revision]), [[
        asset("shirt1").key,
        1
      ]], "revisions")
      yield* equal(result.receipt, "first", "receipt")
      const [read] = yield* log.readStream(asset("shirt1"))
      yield* isTrue(read !== undefined, "the event is in the stream")
      yield* equal(read!.revision, 1, "revision of the read event")
      yield* equal(read!.position, 1, "position of the read event")
      yield* equal(read!.eventId, event.eventId, "event id")
      yield* equal(read!.event, event.event, "payload")
      yield* equal(read!.asset.key, event.asset.key, "asset")
      yield* equal(
        read!.timestamp.getTime(),
        event.timestamp.getTime(),
        "timestamp, to the millisecond"
      )
      yield* equal(read!.batch, event.batch, "batch")
      yield* equal([read!.commandId, read!.source, read!.actor], [
        event.commandId,
        event.source,
        event.actor
      ], "metadata")
    })
  ),

  c(
    "revisions count per stream and positions count across the log",
    Effect.gen(function*() {
      const log = yield* EventLog
      yield* appendOne("a", 0, "k1")
      yield* appendOne("b", 0, "k2")
      yield* appendOne("a", 1, "k3")
      const a = yield* log.readStream(asset("a"))
      const b = yield* log.readStream(asset("b"))
      yield* equal(a.map((e) => [e.revision, e.position]), [[1, 1], [2, 3]], "stream a")
      yield* equal(b.map((e) => [e.revision, e.position]), [[1, 2]], "stream b")
      yield* equal(yield* log.head, 3, "head")
    })
  ),

  c(
    "a stale expected revision fails with RevisionConflict and writes nothing",
    Effect.gen(function*() {
      const log = yield* EventLog
      yield* appendOne("a", 0, "k1")
      const error = yield* failsWith(appendOne("a", 0, "k2"), "RevisionConflict", "stale append")
      yield* equal([error.expected, error.actual], [0, 1], "conflict revisions")
      const ahead = yield* failsWith(
        appendOne("a", 5, "k3"),
        "RevisionConflict",
        "append ahead of the stream"
      )
      yield* equal([ahead.expected, ahead.actual], [5, 1], "conflict revisions ahead")
      yield* equal(yield* log.head, 1, "head after the refusals")
      yield* equal(Option.isNone(yield* log.lookup("k2")), true, "a refused key is not remembered")
    })
  ),

  c(
    "a batch over several streams is atomic",
    Effect.gen(function*() {
      const log = yield* EventLog
      yield* appendOne("b", 0, "k0")
      const batch = (key: string, bRevision: number) =>
        log.append({
          idempotencyKey: key,
          writes: [
            {
              asset: asset("a"),
              expectedRevision: 0,
              events: [added(asset("a"), pairs(1), { index: 0, size: 3 })]
            },
            {
              asset: asset("b"),
              expectedRevision: bRevision,
              events: [added(asset("b"), pairs(1), { index: 1, size: 3 })]
            },
            {
              asset: asset("c"),
              expectedRevision: 0,
              events: [added(asset("c"), pairs(1), { index: 2, size: 3 })]
            }
          ]
        })
      yield* failsWith(batch("k1", 0), "RevisionConflict", "a batch with one stale write")
      yield* equal((yield* log.readStream(asset("a"))).length, 0, "nothing written to a")
      yield* equal((yield* log.readStream(asset("c"))).length, 0, "nothing written to c")
      yield* equal(yield* log.head, 1, "head")
      const ok = yield* batch("k2", 1)
      yield* equal(ok.position, 4, "last position of the batch")
      const all = yield* Stream.runCollect(log.readAll({ after: 1 }))
      yield* equal(Chunk.toReadonlyArray(all).map((e) => [e.position, e.asset.publicId]), [
        [2, "a"],
        [3, "b"],
        [4, "c"]
      ], "a batch takes consecutive positions in order")
    })
  ),

  c(
    "a known idempotency key writes nothing and returns the first result",
    Effect.gen(function*() {
      const log = yield* EventLog
      const write = (expectedRevision: number) =>
        log.append({
          idempotencyKey: "same",
          writes: [{ asset: asset("a"), expectedRevision, events: [added(asset("a"), pairs(2))] }],
          receipt: "r1"
        })
      const first = yield* write(0)
      const again = yield* write(0)
      yield* equal(again.duplicate, true, "duplicate")
      yield* equal([again.position, again.receipt], [first.position, "r1"], "first result")
      yield* equal(again.revisions.map((r) => r.revision), [1], "revisions of the first result")
      yield* equal(yield* log.head, 1, "nothing more written")
      const found = yield* log.lookup("same")
      yield* equal(
        Option.map(found, (r) => [r.position, r.receipt]),
        Option.some([1, "r1"]),
        "lookup"
      )
    })
  ),

  c(
    "an empty batch records its key and receipt at the head",
    Effect.gen(function*() {
      const log = yield* EventLog
      yield* appendOne("a", 0, "k1")
      const result = yield* log.append({ idempotencyKey: "noop", writes: [], receipt: "nothing" })
      yield* equal(
        [result.duplicate, result.position, result.revisions.length],
        [false, 1, 0],
        "result"
      )
      const again = yield* log.append({ idempotencyKey: "noop", writes: [], receipt: "other" })
      yield* equal([again.duplicate, again.receipt], [true, "nothing"], "duplicate empty batch")
      yield* equal(yield* log.head, 1, "head")
    })
  ),

  c(
    "several events in one write take consecutive revisions",
    Effect.gen(function*() {
      const log = yield* EventLog
      yield* log.append({
        idempotencyKey: "k",
        writes: [{
          asset: asset("a"),
          expectedRevision: 0,
          events: [added(asset("a"), pairs(1, "x")), added(asset("a"), pairs(1, "y"))]
        }]
      })
      const read = yield* log.readStream(asset("a"))
      yield* equal(read.map((e) => e.revision), [1, 2], "revisions")
    })
  ),

  c(
    "readStream stops at toRevision",
    Effect.gen(function*() {
      const log = yield* EventLog
      for (let i = 0; i < 5; i++) yield* appendOne("a", i, `k${i}`)
      const read = yield* log.readStream(asset("a"), { toRevision: 3 })
      yield* equal(read.map((e) => e.revision), [1, 2, 3], "revisions")
    })
  ),

  c(
    "readStream reads after fromRevision, up to toRevision",
    Effect.gen(function*() {
      const log = yield* EventLog
      for (let i = 0; i < 5; i++) yield* appendOne("a", i, `k${i}`)
      const tail = yield* log.readStream(asset("a"), { fromRevision: 3 })
      yield* equal(tail.map((e) => e.revision), [4, 5], "after revision 3")
      const middle = yield* log.readStream(asset("a"), { fromRevision: 1, toRevision: 3 })
      yield* equal(middle.map((e) => e.revision), [2, 3], "between 1 and 3")
      yield* equal(
        (yield* log.readStream(asset("a"), { fromRevision: 5 })).length,
        0,
        "after the last"
      )
    })
  ),

  c(
    "readAll reads after a position, up to a limit",
    Effect.gen(function*() {
      const log = yield* EventLog
      for (let i = 0; i < 10; i++) yield* appendOne(`a${i}`, 0, `k${i}`)
      const page = yield* Stream.runCollect(log.readAll({ after: 3, limit: 4 }))
      yield* equal(Chunk.toReadonlyArray(page).map((e) => e.position), [4, 5, 6, 7], "positions")
      const rest = yield* Stream.runCollect(log.readAll({ after: 7 }))
      yield* equal(Chunk.toReadonlyArray(rest).map((e) => e.position), [8, 9, 10], "the rest")
    })
  ),

  c(
    "subscribe catches up, then follows new appends without gaps or repeats",
    Effect.gen(function*() {
      const log = yield* EventLog
      for (let i = 0; i < 3; i++) yield* appendOne(`a${i}`, 0, `k${i}`)
      const fiber = yield* log.subscribe(1).pipe(Stream.take(6), Stream.runCollect, Effect.fork)
      for (let i = 3; i < 7; i++) yield* appendOne(`a${i}`, 0, `k${i}`)
      const seen = yield* Fiber.join(fiber).pipe(Effect.timeout("20 seconds"))
      yield* equal(
        Chunk.toReadonlyArray(seen).map((e) => e.position),
        [2, 3, 4, 5, 6, 7],
        "positions"
      )
    })
  ),

  c(
    "subscribe from the head sees only new events",
    Effect.gen(function*() {
      const log = yield* EventLog
      yield* appendOne("a", 0, "k1")
      const fiber = yield* log.subscribe(1).pipe(Stream.take(1), Stream.runCollect, Effect.fork)
      yield* appendOne("b", 0, "k2")
      const seen = yield* Fiber.join(fiber).pipe(Effect.timeout("20 seconds"))
      yield* equal(Chunk.toReadonlyArray(seen).map((e) => e.asset.publicId), ["b"], "the new event")
    })
  ),

  c(
    "of many writers racing on one revision, exactly one wins",
    Effect.gen(function*() {
      const log = yield* EventLog
      const outcomes = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) => Effect.either(appendOne("hot", 0, `race${i}`))),
        { concurrency: "unbounded" }
      )
      const wins = outcomes.filter((o) => o._tag === "Right").length
      yield* equal(wins, 1, "winners")
      yield* equal((yield* log.readStream(asset("hot"))).length, 1, "events in the stream")
    })
  ),

  c(
    "identities that differ in cloud, resource type or type are different streams",
    Effect.gen(function*() {
      const log = yield* EventLog
      const ids = [
        asset("x"),
        asset("x", { cloud: "other" }),
        asset("x", { resourceType: "video" }),
        asset("x", { type: "private" })
      ]
      for (const [i, id] of ids.entries()) {
        yield* log.append({
          idempotencyKey: `k${i}`,
          writes: [{ asset: id, expectedRevision: 0, events: [added(id, pairs(1))] }]
        })
      }
      for (const id of ids) {
        const read = yield* log.readStream(id)
        yield* equal(read.map((e) => e.asset.key), [id.key], `stream of ${id}`)
      }
    })
  ),

  c(
    "public ids with wildcards, separators, quotes and unicode keep their streams apart",
    Effect.gen(function*() {
      const log = yield* EventLog
      for (const [i, id] of awkwardIds.entries()) {
        yield* log.append({
          idempotencyKey: `k${i}`,
          writes: [{
            asset: asset(id),
            expectedRevision: 0,
            events: [added(asset(id), [{ key: "i", value: String(i) }])]
          }]
        })
      }
      for (const [i, id] of awkwardIds.entries()) {
        const read = yield* log.readStream(asset(id))
        yield* equal(read.map((e) => [e.asset.publicId, e.event]), [[
          id,
          added(asset(id), [{ key: "i", value: String(i) }]).event
        ]], `stream of ${JSON.stringify(id)}`)
      }
    })
  ),

  c(
    "contexts with escapes, unicode and newlines survive the round trip",
    Effect.gen(function*() {
      const log = yield* EventLog
      const context = [
        { key: "a=b|c", value: "back\\slash \\= \\|" },
        { key: "日本", value: "emoji 😀\nsecond line" },
        { key: "quote\"", value: "'single'" }
      ]
      yield* log.append({
        idempotencyKey: "k",
        writes: [{
          asset: asset("a"),
          expectedRevision: 0,
          events: [uploaded(asset("a"), context)]
        }]
      })
      const [read] = yield* log.readStream(asset("a"))
      yield* equal(
        read!.event._tag === "AssetUploaded" ? read!.event.context : [],
        context,
        "context"
      )
    })
  )
]
