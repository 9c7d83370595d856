import type { EventLog, Notification } from "@ctxlog/core"
import {
  AssetId,
  Command,
  Ctxlog,
  InMemoryStore,
  NotificationSink,
  Notifier,
  ProjectionStore
} from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { RabbitMqNotificationSink } from "@ctxlog/rabbitmq"
import { SqliteStore } from "@ctxlog/sqlite"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { join } from "node:path"
import { tempDir } from "../support/tmp.js"
import type { Listener, Message } from "./support/broker.js"
import {
  brokerAddress,
  brokerUrl,
  listen,
  uniqueName,
  urlVia,
  useBroker,
  withChannel
} from "./support/broker.js"
import type { Proxy } from "./support/proxy.js"
import { startProxy } from "./support/proxy.js"

useBroker()

const { CLOUD_HEADER, POSITION_HEADER } = RabbitMqNotificationSink

/** A log line as the tests look at it. */
interface Line {
  readonly level: string
  readonly message: string
}

/** Replaces the default logger with one that keeps the lines, so that tests can read them. */
const captureLogs = () => {
  const lines: Array<Line> = []
  const logger = Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ logLevel, message }) => {
      const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
      lines.push({ level: logLevel.label, message: text })
    })
  )
  const count = (level: string, message: string) =>
    lines.filter((l) => l.level === level && l.message.startsWith(message)).length
  return { lines, logger, count }
}

const names = () => ({ exchange: uniqueName("ctxlog.test"), queue: uniqueName("ctxlog.test.q") })

/** A queue bound to a fresh exchange, deleted with the exchange when the scope closes. */
const listening = (
  options: Parameters<typeof listen>[0]
): Effect.Effect<Listener, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => listen(options)),
    (listener) => Effect.promise(() => listener.close())
  )

const proxied = (): Effect.Effect<Proxy, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startProxy(brokerAddress())),
    (proxy) => Effect.promise(() => proxy.close())
  )

const awaitDistinct = (listener: Listener, n: number) =>
  Effect.promise(() => listener.awaitDistinct(n))

const CLOUDS = ["demo", "shop-eu", "archive_2"] as const
const ASSETS = 25
const start = Date.UTC(2026, 11, 3, 8)

/**
 * Command `i` of a workload over 25 assets in three clouds: in rounds of 25 commands, each asset
 * is uploaded, changed six times, deleted, and uploaded again, so that every command notifies
 * and every notification type occurs.
 */
const command = (i: number): Command.Command => {
  const index = i % ASSETS
  const round = Math.floor(i / ASSETS)
  const asset = AssetId.make({ cloud: CLOUDS[index % CLOUDS.length]!, publicId: `asset${index}` })
  const meta = {
    commandId: `cmd-${i}`,
    source: "api" as const,
    actor: "tester",
    timestamp: new Date(start + i * 1000)
  }
  const pairs = [{ key: "round", value: String(round) }]
  switch (round % 8) {
    case 0:
      return new Command.Upload({ ...meta, asset, context: pairs })
    case 7:
      return new Command.DeleteAssets({ ...meta, assets: [asset] })
    default:
      return new Command.AddContext({ ...meta, assets: [asset], pairs })
  }
}

const runCommands = (from: number, to: number) =>
  Effect.flatMap(Ctxlog.Ctxlog, (ctx) =>
    Effect.forEach(
      Array.from({ length: to - from }, (_, k) => from + k),
      (i) => ctx.execute(command(i)),
      { discard: true }
    ))

/** The first `n` notifications of the log, as the core derives them. */
const logNotifications = (n: number) =>
  Effect.flatMap(Ctxlog.Ctxlog, (ctx) =>
    ctx.notifications(0).pipe(
      Stream.take(n),
      Stream.runCollect,
      Effect.map(Chunk.toReadonlyArray)
    ))

const checkpointOf = (sink: string) =>
  Effect.flatMap(
    ProjectionStore.ProjectionStore,
    (store) => store.checkpoint(Notifier.checkpointOf(sink))
  )

/** Polls the checkpoint, which announces nothing, until it reaches the log's head. */
const awaitCheckpointAtHead = (sink: string) =>
  Effect.gen(function*() {
    const head = yield* Effect.flatMap(Ctxlog.Ctxlog, (ctx) => ctx.head)
    yield* checkpointOf(sink).pipe(
      Effect.filterOrFail((at) => at >= head),
      Effect.retry(Schedule.spaced("20 millis")),
      Effect.timeout("20 seconds")
    )
    return head
  })

/** The core service on a store, with the notifier feeding the sink. */
const app = <E1, E2>(
  store: Layer.Layer<EventLog.EventLog | ProjectionStore.ProjectionStore, E1>,
  sink: Layer.Layer<NotificationSink.NotificationSink, E2>
) => {
  const core = Ctxlog.layer().pipe(Layer.provideMerge(store))
  return Layer.merge(core, Notifier.layer.pipe(Layer.provide(sink), Layer.provide(core)))
}

/** What a message says, next to what the notification it stands for should make it say. */
const seen = (m: Message) => ({
  routingKey: m.fields.routingKey,
  deliveryMode: m.properties.deliveryMode,
  contentType: m.properties.contentType,
  messageId: m.properties.messageId,
  type: m.properties.type,
  timestamp: m.properties.timestamp,
  position: m.properties.headers?.[POSITION_HEADER],
  cloud: m.properties.headers?.[CLOUD_HEADER],
  body: JSON.parse(m.content.toString("utf8")) as unknown
})

const wanted = (p: Notification.Positioned) => ({
  routingKey: `${p.notification.cloud}.${p.notification.notification_type}`,
  deliveryMode: 2,
  contentType: "application/json",
  messageId: p.notification.notification_id,
  type: p.notification.notification_type,
  timestamp: Math.floor(Date.parse(p.notification.timestamp) / 1000),
  position: p.position,
  cloud: p.notification.cloud,
  body: p.notification
})

const ids = (all: ReadonlyArray<Notification.Positioned>) =>
  all.map((p) => p.notification.notification_id)

const notification = Fixtures.notification

const sinkOf = (options: RabbitMqNotificationSink.Options) =>
  Effect.map(
    Layer.build(RabbitMqNotificationSink.layer(options)),
    Context.get(NotificationSink.NotificationSink)
  )

describe("RabbitMqNotificationSink", () => {
  it.live("delivers each notification of a ctxlog once, in log order, as persistent JSON", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const { exchange, queue } = names()
      const listener = yield* listening({ exchange, queue })
      const sink = RabbitMqNotificationSink.layer({ url: brokerUrl, exchange, name: "rmq" })
      const ctx = yield* Layer.build(app(InMemoryStore.layer, sink))
      const total = 200
      yield* Effect.gen(function*() {
        yield* runCommands(0, total)
        const expected = yield* logNotifications(total)
        yield* awaitDistinct(listener, total)
        yield* awaitCheckpointAtHead("rmq")

        expect(listener.received().map(seen)).toEqual(expected.map(wanted))
        const keys = new Set(listener.received().map((m) => m.fields.routingKey))
        expect([...keys].sort()).toEqual(
          CLOUDS.flatMap((c) =>
            ["delete", "resource_context_changed", "upload"].map((t) => `${c}.${t}`)
          ).sort()
        )
      }).pipe(Effect.provide(ctx))
      expect(logs.lines.filter((l) => l.level === "WARN" || l.level === "ERROR")).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(logs.logger))
  })

  it.live("reconnects after the broker drops the connection, losing nothing", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const { exchange, queue } = names()
      const listener = yield* listening({ exchange, queue })
      const proxy = yield* proxied()
      const sink = RabbitMqNotificationSink.layer({
        url: urlVia(proxy.port),
        exchange,
        name: "rmq",
        confirmTimeout: "2 seconds"
      })
      const ctx = yield* Layer.build(app(InMemoryStore.layer, sink))
      const total = 200
      const drops = [50, 100, 150]
      // Each drop comes as the listener sees a mark, while later notifications are still due.
      const dropping = yield* Effect.forEach(
        drops,
        (mark) => awaitDistinct(listener, mark).pipe(Effect.tap(() => proxy.drop()))
      ).pipe(Effect.fork)
      yield* Effect.gen(function*() {
        yield* runCommands(0, total)
        const expected = yield* logNotifications(total)
        yield* awaitDistinct(listener, total)
        yield* dropping.await
        const head = yield* awaitCheckpointAtHead("rmq")

        expect(listener.distinct()).toEqual(ids(expected))
        const byId = new Map(expected.map((p) => [p.notification.notification_id, p]))
        for (const message of listener.received()) {
          expect(seen(message)).toEqual(wanted(byId.get(String(message.properties.messageId))!))
        }
        expect(listener.received().length).toBeGreaterThanOrEqual(total)
        expect(yield* checkpointOf("rmq")).toBe(head)
        expect(proxy.accepted()).toBe(drops.length + 1)
      }).pipe(Effect.provide(ctx))
      expect(logs.count("WARN", "lost the connection to RabbitMQ")).toBe(drops.length)
      expect(logs.count("INFO", "reconnected to RabbitMQ")).toBe(drops.length)
    }).pipe(Effect.scoped, Effect.provide(logs.logger))
  })

  it.live("resumes from its checkpoint after a restart, with nothing missing or repeated", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const { exchange, queue } = names()
      const listener = yield* listening({ exchange, queue })
      const store = SqliteStore.layer({ filename: join(tempDir("ctxlog-rabbitmq-"), "ctxlog.db") })
      const sink = () => RabbitMqNotificationSink.layer({ url: brokerUrl, exchange, name: "rmq" })
      const before = 40
      const reached = yield* Deferred.make<void>()
      // The first runtime stops while notification 41 is being published, and it never is.
      const stopping = Layer.effect(
        NotificationSink.NotificationSink,
        Effect.gen(function*() {
          const inner = yield* NotificationSink.NotificationSink
          let published = 0
          return NotificationSink.NotificationSink.of({
            name: inner.name,
            publish: (n) =>
              Effect.suspend(() =>
                published < before
                  ? Effect.tap(inner.publish(n), () => {
                    published++
                  })
                  : Effect.zipRight(Deferred.succeed(reached, undefined), Effect.never)
              )
          })
        })
      ).pipe(Layer.provide(sink()))

      const first = yield* Effect.scoped(Effect.gen(function*() {
        const ctx = yield* Layer.build(app(store, stopping))
        return yield* Effect.gen(function*() {
          yield* runCommands(0, 100)
          const expected = yield* logNotifications(100)
          yield* Deferred.await(reached)
          return { expected, checkpoint: yield* checkpointOf("rmq") }
        }).pipe(Effect.provide(ctx))
      }))
      expect(first.checkpoint).toBe(first.expected[before - 1]!.position)
      yield* awaitDistinct(listener, before)
      expect(listener.distinct()).toEqual(ids(first.expected.slice(0, before)))

      yield* Effect.scoped(Effect.gen(function*() {
        const ctx = yield* Layer.build(app(store, sink()))
        yield* Effect.gen(function*() {
          yield* runCommands(100, 150)
          const expected = yield* logNotifications(150)
          yield* awaitDistinct(listener, 150)
          yield* awaitCheckpointAtHead("rmq")
          expect(listener.received().map(seen)).toEqual(expected.map(wanted))
        }).pipe(Effect.provide(ctx))
      }))
    }).pipe(Effect.scoped, Effect.provide(logs.logger))
  })

  it.live("connects on first use, declares a durable exchange, closes when released", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const { exchange } = names()
      const proxy = yield* proxied()
      yield* Effect.addFinalizer(() =>
        Effect.promise(() => withChannel((ch) => ch.deleteExchange(exchange)))
      )
      yield* Effect.scoped(Effect.gen(function*() {
        const sink = yield* sinkOf({ url: urlVia(proxy.port), exchange })
        expect(proxy.accepted()).toBe(0)
        yield* sink.publish(notification(1))
        expect(proxy.open()).toBe(1)
      }))
      yield* Effect.promise(() => proxy.idle())
      expect(proxy.accepted()).toBe(1)

      const redeclared = (durable: boolean) =>
        Effect.promise(() =>
          withChannel((ch) => ch.assertExchange(exchange, "topic", { durable })).then(
            () => "accepted",
            (error: unknown) => String(error)
          )
        )
      expect(yield* redeclared(true)).toBe("accepted")
      expect(yield* redeclared(false)).toContain("PRECONDITION_FAILED")
    }).pipe(Effect.scoped, Effect.provide(logs.logger))
  })

  it.live("fails retryably while the broker refuses connections, and recovers", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const { exchange, queue } = names()
      const listener = yield* listening({ exchange, queue })
      const proxy = yield* proxied()
      const sink = yield* sinkOf({ url: urlVia(proxy.port), exchange, name: "rmq" })
      proxy.refuse()
      for (const _ of [1, 2]) {
        const down = yield* Effect.flip(sink.publish(notification(1)))
        expect(down).toMatchObject({ _tag: "NotificationSinkError", sink: "rmq", retryable: true })
        expect(down.detail).toContain("cannot connect to RabbitMQ")
      }
      proxy.pass()
      yield* sink.publish(notification(1))
      yield* awaitDistinct(listener, 1)
      expect(listener.distinct()).toEqual(["nid-demo-1"])
      expect(logs.count("WARN", "cannot publish to RabbitMQ")).toBe(1)
      expect(logs.count("INFO", "reconnected to RabbitMQ")).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(logs.logger))
  })

  it.live("fails retryably when the broker nacks a message", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const { exchange, queue } = names()
      // A full queue that rejects new messages makes the broker nack them.
      yield* listening({
        exchange,
        queue,
        consume: false,
        queueArguments: { "x-max-length": 1, "x-overflow": "reject-publish" }
      })
      const sink = yield* sinkOf({ url: brokerUrl, exchange })
      yield* sink.publish(notification(1))
      const refused = yield* Effect.flip(sink.publish(notification(2)))
      expect(refused.retryable).toBe(true)
      expect(refused.detail).toBe("the broker refused notification nid-demo-2 (nack)")
    }).pipe(Effect.scoped, Effect.provide(logs.logger))
  })

  it.live("fails retryably on a late confirm, then publishes on a fresh connection", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const { exchange, queue } = names()
      const listener = yield* listening({ exchange, queue })
      const proxy = yield* proxied()
      const sink = yield* sinkOf({ url: urlVia(proxy.port), exchange, confirmTimeout: 300 })
      yield* sink.publish(notification(1))
      proxy.stall()
      const late = yield* Effect.flip(sink.publish(notification(2)))
      expect(late.retryable).toBe(true)
      expect(late.detail).toBe("RabbitMQ did not confirm notification nid-demo-2 within 300 ms")
      proxy.pass()
      yield* sink.publish(notification(2))
      yield* awaitDistinct(listener, 2)
      expect(listener.distinct()).toEqual(["nid-demo-1", "nid-demo-2"])
      expect(proxy.accepted()).toBe(2)
    }).pipe(Effect.scoped, Effect.provide(logs.logger))
  })

  it.live("fails retryably, saying why, when the exchange exists with another type", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const { exchange, queue } = names()
      yield* listening({ exchange, queue, exchangeType: "fanout", consume: false })
      const sink = yield* sinkOf({ url: brokerUrl, exchange })
      const refused = yield* Effect.flip(sink.publish(notification(1)))
      expect(refused.retryable).toBe(true)
      expect(refused.detail).toContain(`cannot declare the exchange ${exchange} (topic, durable)`)
      expect(refused.detail).toContain("ctxlog does not change an existing exchange")
      const kept = yield* Effect.promise(() =>
        withChannel((ch) => ch.assertExchange(exchange, "fanout", { durable: true }))
      )
      expect(kept).toMatchObject({ exchange })
    }).pipe(Effect.scoped, Effect.provide(logs.logger))
  })

  it.live("refuses options it cannot work with before connecting", () =>
    Effect.gen(function*() {
      const build = (options: RabbitMqNotificationSink.Options) =>
        Layer.build(RabbitMqNotificationSink.layer(options)).pipe(Effect.scoped, Effect.either)
      const wrong = [
        { url: "http://127.0.0.1:5672" },
        { url: brokerUrl, exchange: "amq.ctxlog" },
        { url: brokerUrl, exchange: "" },
        { url: brokerUrl, confirmTimeout: 0 }
      ]
      const options = []
      for (const o of wrong) {
        const result = yield* build(o)
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isLeft(result)) options.push(result.left.option)
      }
      expect(options).toEqual(["url", "exchange", "exchange", "confirmTimeout"])
    }))
})
