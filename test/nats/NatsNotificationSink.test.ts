import type { Notification } from "@ctxlog/core"
import { NotificationSink } from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { NatsConnection, NatsNotificationSink } from "@ctxlog/nats"
import { describe, expect, it } from "@effect/vitest"
import type { JetStreamManager } from "@nats-io/jetstream"
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { controllable, uniqueName, useNatsCluster, useNatsServer } from "../support/nats.js"

const server = useNatsServer()

const notification = Fixtures.notification

interface Read {
  readonly subject: string
  readonly position: string | undefined
  readonly msgId: string | undefined
  readonly body: unknown
}

/**
 * Every message of a stream, read with an ordered consumer. Just after a node of a cluster is
 * lost, creating the consumer can time out until the cluster marks the node offline, so the read
 * is tried again, as any client would.
 */
const readStream = (servers: string | ReadonlyArray<string>, stream: string) =>
  Effect.tryPromise(async () => {
    const nc = await connect({ servers: typeof servers === "string" ? servers : [...servers] })
    try {
      const js = jetstream(nc, { timeout: 1000 })
      const jsm = await jetstreamManager(nc, { timeout: 1000 })
      const total = (await jsm.streams.info(stream)).state.messages
      const consumer = await js.consumers.get(stream)
      const out: Array<Read> = []
      while (out.length < total) {
        const m = await consumer.next({ expires: 2000 })
        if (m === null) throw new Error(`the stream ended after ${out.length} of ${total}`)
        out.push({
          subject: m.subject,
          position: m.headers?.get(NatsNotificationSink.POSITION_HEADER),
          msgId: m.headers?.get("Nats-Msg-Id"),
          body: m.json()
        })
      }
      return out
    } finally {
      await nc.close()
    }
  }).pipe(
    Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 100 }),
    Effect.orDie
  )

const withManager = <A>(f: (jsm: JetStreamManager) => Promise<A>) =>
  Effect.promise(async () => {
    const nc = await connect({ servers: server.current.url })
    try {
      return await f(await jetstreamManager(nc))
    } finally {
      await nc.close()
    }
  })

const publishAll = (all: ReadonlyArray<Notification.Positioned>) =>
  Effect.flatMap(
    NotificationSink.NotificationSink,
    (sink) => Effect.forEach(all, sink.publish, { discard: true })
  )

describe("NatsNotificationSink", () => {
  it.live("publishes each notification once, in order, on its cloud's subject", () =>
    Effect.gen(function*() {
      const prefix = uniqueName("p")
      const stream = uniqueName("N")
      const sent = [notification(1), notification(2, "other_cloud"), notification(3)]
      yield* publishAll([...sent, sent[1]!]).pipe(
        Effect.provide(NatsNotificationSink.layer({ servers: server.current.url, prefix, stream }))
      )
      const read = yield* readStream(server.current.url, stream)
      expect(read.map((m) => m.subject)).toEqual([
        `${prefix}.notifications.demo`,
        `${prefix}.notifications.other_5Fcloud`,
        `${prefix}.notifications.demo`
      ])
      expect(read.map((m) => m.body)).toEqual(sent.map((n) => n.notification))
      expect(read.map((m) => m.position)).toEqual(["10", "20", "30"])
      expect(read.map((m) => m.msgId)).toEqual(sent.map((n) => n.notification.notification_id))
    }))

  it.live("creates a file stream with the configured duplicate window", () =>
    Effect.gen(function*() {
      const prefix = uniqueName("p")
      const stream = uniqueName("N")
      yield* Layer.build(
        NatsNotificationSink.layer({
          servers: server.current.url,
          prefix,
          stream,
          duplicateWindow: "30 seconds"
        })
      ).pipe(Effect.scoped)
      const info = yield* withManager((jsm) => jsm.streams.info(stream))
      expect(info.config.subjects).toEqual([`${prefix}.notifications.>`])
      expect(info.config.storage).toBe(StorageType.File)
      expect(info.config.num_replicas).toBe(1)
      expect(info.config.duplicate_window).toBe(30_000_000_000)
    }))

  it.live("refuses an existing stream whose subjects or storage differ, and changes nothing", () =>
    Effect.gen(function*() {
      const prefix = uniqueName("p")
      const byStorage = uniqueName("N")
      const bySubjects = uniqueName("N")
      yield* withManager(async (jsm) => {
        await jsm.streams.add({
          name: byStorage,
          subjects: [`${prefix}.notifications.>`],
          storage: StorageType.Memory
        })
        await jsm.streams.add({ name: bySubjects, subjects: [`${prefix}x.elsewhere.>`] })
      })
      const open = (stream: string, p: string) =>
        Layer.build(NatsNotificationSink.layer({ servers: server.current.url, prefix: p, stream }))
          .pipe(Effect.scoped, Effect.either)

      const storage = yield* open(byStorage, prefix)
      expect(Either.isLeft(storage) && storage.left).toMatchObject({
        _tag: "StreamMismatch",
        stream: byStorage,
        field: "storage",
        expected: "file",
        actual: "memory"
      })
      const subjects = yield* open(bySubjects, `${prefix}x`)
      expect(Either.isLeft(subjects) && subjects.left).toMatchObject({
        _tag: "StreamMismatch",
        field: "subjects"
      })
      expect(Either.isLeft(subjects) && subjects.left.message).toContain(
        "ctxlog does not change an existing stream"
      )
      const after = yield* withManager((jsm) => jsm.streams.info(byStorage))
      expect(after.config.storage).toBe(StorageType.Memory)
    }))

  it.live("fails with NatsConnectionError when no server listens", () =>
    Effect.gen(function*() {
      const exit = yield* Layer.build(
        NatsNotificationSink.layer({ servers: "127.0.0.1:1", connectTimeoutMs: 1000 })
      ).pipe(Effect.scoped, Effect.exit)
      expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("NatsConnectionError")
    }))

  const faultStream = uniqueName("N")
  it.live.runIf(controllable)(
    "fails with retryable errors while the server is down, and publishes again once it is back",
    () =>
      Effect.gen(function*() {
        const sink = yield* NotificationSink.NotificationSink
        yield* sink.publish(notification(1))
        server.current.kill("SIGKILL")
        const down = yield* Effect.flip(sink.publish(notification(2)))
        expect(down._tag).toBe("NotificationSinkError")
        expect(down.retryable).toBe(true)
        yield* Effect.promise(() => server.current.restart())
        // The caller retries, as the notifier does; the sink itself only reports.
        yield* sink.publish(notification(2)).pipe(
          Effect.retry({ while: (e) => e.retryable, schedule: Schedule.spaced("50 millis") }),
          Effect.timeout("20 seconds")
        )
        const read = yield* readStream(server.current.url, faultStream)
        expect(read.map((m) => m.msgId)).toEqual(["nid-demo-1", "nid-demo-2"])
      }).pipe(
        Effect.provide(Layer.suspend(() =>
          NatsNotificationSink.layer({
            servers: server.current.url,
            prefix: uniqueName("p"),
            stream: faultStream,
            requestTimeoutMs: 500,
            reconnectTimeWaitMs: 50
          })
        ))
      )
  )
})

describe("NatsNotificationSink on a three-node cluster", () => {
  const cluster = useNatsCluster()

  it.live(
    "keeps every notification once when the stream leader is killed",
    () =>
      Effect.gen(function*() {
        const stream = uniqueName("N")
        const conn = NatsConnection.layer({
          servers: cluster.current.servers,
          requestTimeoutMs: 1000,
          reconnectTimeWaitMs: 50
        })
        const deliver = (all: ReadonlyArray<Notification.Positioned>) =>
          Effect.flatMap(NotificationSink.NotificationSink, (sink) =>
            Effect.forEach(all, (n) =>
              sink.publish(n).pipe(
                Effect.retry({
                  while: (e) =>
                    e.retryable,
                  schedule: Schedule.spaced("100 millis")
                })
              ), { discard: true }))
        const sent = [1, 2, 3, 4].map((n) =>
          notification(n)
        )
        yield* Effect.gen(function*() {
          yield* deliver(sent.slice(0, 2))
          const leader = yield* Effect.promise(() => cluster.current.leaderOf(stream))
          leader.kill("SIGKILL")
          // Sent again, as a notifier that lost its acknowledgement would.
          yield* deliver(sent.slice(1))
          const next = yield* Effect.promise(() =>
            cluster.current.awaitLeader(stream, { not: leader.name })
          )
          expect(next.name).not.toBe(leader.name)
        }).pipe(
          Effect.provide(
            NatsNotificationSink.layerWithConnection({ stream, replicas: 3 }).pipe(
              Layer.provide(conn)
            )
          )
        )
        const read = yield* readStream(cluster.current.servers, stream)
        expect(read.map((m) => m.msgId)).toEqual(sent.map((n) => n.notification.notification_id))
      }),
    60_000
  )
})
