/**
 * A notification sink that publishes to a RabbitMQ exchange (AMQP 0-9-1) on a confirm channel.
 * Each notification is one persistent JSON message with routing key `<cloud>.<notification_type>`
 * and its `notification_id` as the message id. A publish succeeds only once the broker confirms
 * the message, so the notifier's checkpoint never passes a notification the broker has not taken
 * responsibility for.
 *
 * The connection is opened by the first publish, and again by the first publish after the broker
 * dropped it; a publish that finds no connection, or loses it before the confirm, fails retryably
 * and the notifier tries it again. A message whose confirm was lost may have reached the broker,
 * so delivery is at least once: consumers deduplicate by message id.
 *
 * @since 0.1.0
 */
import type { Notification } from "@ctxlog/core"
import { Errors, NotificationSink } from "@ctxlog/core"
import type { ChannelModel, ConfirmChannel, Options as AmqpOptions } from "amqplib"
import { connect } from "amqplib"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"

/**
 * The header that carries the notification's log position.
 *
 * @since 0.1.0
 * @category constants
 */
export const POSITION_HEADER = "ctxlog-position"

/**
 * The header that carries the notification's cloud, for headers exchanges.
 *
 * @since 0.1.0
 * @category constants
 */
export const CLOUD_HEADER = "ctxlog-cloud"

/**
 * The header that carries the notification type, for headers exchanges.
 *
 * @since 0.1.0
 * @category constants
 */
export const TYPE_HEADER = "ctxlog-notification-type"

/**
 * @since 0.1.0
 * @category models
 */
export type ExchangeType = "topic" | "direct" | "fanout" | "headers"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * `amqp://user:pass@host:port/vhost` or `amqps://…`; query parameters such as `heartbeat` (in
   * seconds) and `frameMax` go to the client as they are.
   */
  readonly url: string
  /** Declared durable once connected; `ctxlog.notifications` unless set. */
  readonly exchange?: string | undefined
  /** `topic` unless set. */
  readonly exchangeType?: ExchangeType | undefined
  /** Names the sink in logs, in its checkpoint and on the broker; `rabbitmq` unless set. */
  readonly name?: string | undefined
  /** How long connecting, opening the channel and declaring the exchange may take; 10 s. */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** How long a publish waits for the broker's confirm; 10 seconds unless set. */
  readonly confirmTimeout?: Duration.DurationInput | undefined
}

/**
 * An option the sink cannot work with; found before any connection is made, since every
 * publish would fail the same way.
 *
 * @since 0.1.0
 * @category errors
 */
export class RabbitMqOptionsError extends Schema.TaggedError<RabbitMqOptionsError>()(
  "RabbitMqOptionsError",
  {
    option: Schema.String,
    detail: Schema.String
  }
) {
  override get message(): string {
    return `invalid RabbitMQ sink option ${this.option}: ${this.detail}`
  }
}

/**
 * The routing key of a notification: `<cloud>.<notification_type>`. Cloud names are `a-z 0-9 _ -`,
 * so the cloud is always exactly one word of a topic key.
 *
 * @since 0.1.0
 * @category encoding
 */
export const routingKeyOf = (notification: Notification.Notification): string =>
  `${notification.cloud}.${notification.notification_type}`

const EXCHANGE_TYPES: ReadonlyArray<string> = ["topic", "direct", "fanout", "headers"]

/** The url as logs may show it: without its password. */
const redact = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return "(unparsable url)"
  }
}

const positive = (option: string, input: Duration.DurationInput | undefined, fallback: number) => {
  if (input === undefined) return Effect.succeed(fallback)
  const millis = Duration.toMillis(Duration.decode(input))
  return millis > 0 && Number.isFinite(millis)
    ? Effect.succeed(millis)
    : Effect.fail(new RabbitMqOptionsError({ option, detail: "must be a positive duration" }))
}

const resolve = (options: Options) =>
  Effect.gen(function*() {
    const invalid = (option: string, detail: string) =>
      Effect.fail(new RabbitMqOptionsError({ option, detail }))
    let protocol: string
    try {
      protocol = new URL(options.url).protocol
    } catch {
      return yield* invalid("url", `${JSON.stringify(redact(options.url))} is not a url`)
    }
    if (protocol !== "amqp:" && protocol !== "amqps:") {
      return yield* invalid("url", `the scheme is ${protocol}, expected amqp: or amqps:`)
    }
    const exchange = options.exchange ?? "ctxlog.notifications"
    if (exchange === "" || Buffer.byteLength(exchange) > 255) {
      return yield* invalid("exchange", "an exchange name is 1 to 255 bytes")
    }
    if (exchange.startsWith("amq.")) {
      return yield* invalid("exchange", "names starting with amq. are reserved by the broker")
    }
    const exchangeType = options.exchangeType ?? "topic"
    if (!EXCHANGE_TYPES.includes(exchangeType)) {
      return yield* invalid("exchangeType", `expected one of ${EXCHANGE_TYPES.join(", ")}`)
    }
    return {
      url: options.url,
      exchange,
      exchangeType,
      name: options.name ?? "rabbitmq",
      connectMillis: yield* positive("connectTimeout", options.connectTimeout, 10_000),
      confirmMillis: yield* positive("confirmTimeout", options.confirmTimeout, 10_000)
    }
  })

/** The error's message, with the messages inside an AggregateError (one per address tried). */
const describe = (error: unknown): string => {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(describe).join("; ")
  }
  if (!(error instanceof Error)) return String(error)
  return error.message === "" ? error.name : error.message
}

/** The AMQP reply code of a channel or connection closed by the broker. */
const replyCode = (error: unknown): unknown =>
  error instanceof Error ? (error as { readonly code?: unknown }).code : undefined

/** How long a close may wait for the broker's answer before the socket is dropped. */
const CLOSE_WAIT_MS = 2000

/** One connection with its confirm channel; both are dropped together. */
interface Link {
  readonly model: ChannelModel
  /** Set before `ready`. */
  channel: ConfirmChannel | undefined
  /** Set once the exchange is declared and publishes may use it. */
  ready: boolean
  /** Set once the link is given up, by a close from either side. */
  retired: boolean
  /** The first error reported on the link, which explains its close. */
  reason: string | undefined
}

/**
 * Closes the connection, waiting a bounded time for the broker: a broker that stopped answering
 * never sends the close-ok, and amqplib offers no other way to let go of the socket.
 */
const closeModel = (model: ChannelModel): Promise<void> =>
  new Promise<void>((done) => {
    const timer = setTimeout(() => {
      const socket = (model.connection as unknown as { readonly stream?: { destroy?: () => void } })
        .stream
      socket?.destroy?.()
      done()
    }, CLOSE_WAIT_MS)
    model.close().catch(() => undefined).finally(() => {
      clearTimeout(timer)
      done()
    })
  })

/**
 * The sink; it connects on the first publish and closes its connection when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<NotificationSink.NotificationSinkShape, RabbitMqOptionsError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* resolve(options)
    const { confirmMillis, connectMillis, exchange, exchangeType, name, url } = settings
    const annotations = { sink: name, broker: redact(url), exchange }
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    // amqplib reports through events, outside any fiber.
    const report = (log: Effect.Effect<void>) => {
      runFork(Effect.annotateLogs(log, annotations))
    }
    const fail = (detail: string, retryable: boolean, cause?: unknown) =>
      new Errors.NotificationSinkError({ sink: name, detail, retryable, cause })

    const lock = yield* Effect.makeSemaphore(1)
    let current: Link | undefined
    /** A link was lost or could not be opened, and none has been opened since. */
    let down = false
    /** Set after the first failed attempt to open a link, so that repeats log quietly. */
    let failing = false
    let released = false

    const retire = (link: Link) => {
      if (link.retired) return false
      link.retired = true
      if (current === link) current = undefined
      void closeModel(link.model)
      return true
    }

    /** A close that neither the sink nor its scope asked for. */
    const lost = (link: Link) => {
      if (!retire(link) || !link.ready || released) return
      down = true
      // The connection's own close event, which carries the broker's reason, follows the
      // channel's in the same tick.
      queueMicrotask(() =>
        report(
          Effect.logWarning("lost the connection to RabbitMQ; reconnecting on the next publish")
            .pipe(Effect.annotateLogs({ error: link.reason ?? "closed without a reason" }))
        )
      )
    }

    const watch = (model: ChannelModel): Link => {
      const link: Link = {
        model,
        channel: undefined,
        ready: false,
        retired: false,
        reason: undefined
      }
      // Without a listener, an `error` event would throw out of the socket's callback.
      model.on("error", (error: unknown) => {
        link.reason ??= describe(error)
      })
      model.on("close", (error: unknown) => {
        if (error !== undefined) link.reason ??= describe(error)
        lost(link)
      })
      model.on("blocked", (reason: unknown) =>
        report(
          Effect.logWarning("RabbitMQ blocked publishing; confirms wait until it unblocks").pipe(
            Effect.annotateLogs({ reason: String(reason) })
          )
        ))
      model.on("unblocked", () => report(Effect.logInfo("RabbitMQ unblocked publishing")))
      return link
    }

    const open = Effect.gen(function*() {
      const model = yield* Effect.tryPromise({
        try: (signal) =>
          connect(url, {
            timeout: connectMillis,
            clientProperties: { connection_name: `ctxlog ${name}` }
          }).then((model) => {
            // Given up on while the handshake finished.
            if (signal.aborted) void closeModel(model)
            return model
          }),
        catch: (cause) => fail(`cannot connect to RabbitMQ: ${describe(cause)}`, true, cause)
      })
      const link = watch(model)
      return yield* Effect.gen(function*() {
        const channel = yield* Effect.tryPromise({
          try: () => model.createConfirmChannel(),
          catch: (cause) => fail(`cannot open a confirm channel: ${describe(cause)}`, true, cause)
        })
        link.channel = channel
        channel.on("error", (error: unknown) => {
          link.reason ??= describe(error)
        })
        channel.on("close", () => lost(link))
        yield* Effect.tryPromise({
          try: () => channel.assertExchange(exchange, exchangeType, { durable: true }),
          catch: (cause) =>
            fail(
              `cannot declare the exchange ${exchange} (${exchangeType}, durable): ` +
                describe(cause) +
                (replyCode(cause) === 406
                  ? "; it exists with other settings, and ctxlog does not change an existing " +
                    "exchange: delete it or configure another name"
                  : ""),
              true,
              cause
            )
        })
        if (link.retired) {
          return yield* fail(
            `the connection closed while it was set up: ${link.reason ?? "no reason given"}`,
            true
          )
        }
        link.ready = true
        return link
      }).pipe(
        Effect.onExit((exit) =>
          Exit.isSuccess(exit) ? Effect.void : Effect.sync(() => retire(link))
        )
      )
    }).pipe(
      Effect.timeoutFail({
        duration: connectMillis,
        onTimeout: () =>
          fail(`RabbitMQ did not finish the connection setup within ${connectMillis} ms`, true)
      })
    )

    // Retryable, so that a publish racing the release can never move a checkpoint past it.
    const closed = () => fail("the sink is closed", true)

    const acquire = lock.withPermits(1)(Effect.suspend(() => {
      if (released) return Effect.fail(closed())
      if (current !== undefined) return Effect.succeed(current)
      return open.pipe(
        Effect.tapError((error) => {
          const first = !failing
          failing = true
          down = true
          return (first ? Effect.logWarning : Effect.logDebug)(
            "cannot publish to RabbitMQ; notifications wait and are retried"
          ).pipe(Effect.annotateLogs({ ...annotations, error: error.detail }))
        }),
        Effect.flatMap((link) => {
          if (released) {
            retire(link)
            return Effect.fail(closed())
          }
          current = link
          const recovered = down
          down = false
          failing = false
          return (recovered ? Effect.logInfo("reconnected to RabbitMQ") : Effect.logDebug(
            "connected to RabbitMQ"
          )).pipe(Effect.annotateLogs(annotations), Effect.as(link))
        })
      )
    }))

    const confirm = (link: Link, positioned: Notification.Positioned) =>
      Effect.async<void, Errors.NotificationSinkError>((resume) => {
        const n = positioned.notification
        const id = n.notification_id
        let settled = false
        const settle = (outcome: Effect.Effect<void, Errors.NotificationSinkError>) => {
          if (settled) return
          settled = true
          resume(outcome)
        }
        const at = Date.parse(n.timestamp)
        const properties: AmqpOptions.Publish = {
          persistent: true,
          contentType: "application/json",
          messageId: id,
          type: n.notification_type,
          appId: "ctxlog",
          headers: {
            [POSITION_HEADER]: positioned.position,
            [CLOUD_HEADER]: n.cloud,
            [TYPE_HEADER]: n.notification_type
          },
          ...(Number.isFinite(at) ? { timestamp: Math.floor(at / 1000) } : {})
        }
        try {
          // The write buffer's fullness is not checked: each publish waits for its confirm, so
          // a notifier keeps at most one message in it.
          // Not yet: `mandatory` is not set, so a notification no queue is bound for is
          // confirmed and dropped by the broker, unnoticed; bind queues before publishing.
          link.channel!.publish(
            exchange,
            routingKeyOf(n),
            Buffer.from(JSON.stringify(n)),
            properties,
            (error: unknown) => {
              if (error === null || error === undefined) return settle(Effect.void)
              // Not yet: a message the broker refuses for its size closes the channel like an
              // outage does, so it is retried forever and holds back every later notification.
              const detail = describe(error) === "message nacked"
                ? `the broker refused notification ${id} (nack)`
                : `the connection was lost before the broker confirmed notification ${id}: ` +
                  (link.reason ?? describe(error))
              settle(Effect.fail(fail(detail, true, error)))
            }
          )
        } catch (error) {
          // The channel closed between the check and the write.
          settle(
            Effect.fail(fail(`publishing notification ${id} failed: ${describe(error)}`, true))
          )
        }
        return Effect.sync(() => {
          settled = true
        })
      })

    const publish = (positioned: Notification.Positioned) =>
      Effect.flatMap(acquire, (link) =>
        confirm(link, positioned).pipe(
          Effect.timeoutFail({
            duration: confirmMillis,
            onTimeout: () => {
              // A connection that cannot confirm in time may be half open; the next publish
              // starts on a fresh one rather than wait for the heartbeat to notice.
              if (retire(link)) down = true
              const id = positioned.notification.notification_id
              return fail(
                `RabbitMQ did not confirm notification ${id} within ${confirmMillis} ms`,
                true
              )
            }
          }),
          Effect.tapError((error) =>
            Effect.logDebug("publishing a notification failed").pipe(
              Effect.annotateLogs({ ...annotations, error: error.detail })
            )
          )
        ))

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        released = true
        return lock.withPermits(1)(Effect.suspend(() => {
          const link = current
          if (link === undefined) return Effect.void
          link.retired = true
          current = undefined
          return Effect.promise(() => closeModel(link.model)).pipe(
            Effect.zipRight(
              Effect.logDebug("closed the connection to RabbitMQ").pipe(
                Effect.annotateLogs(annotations)
              )
            )
          )
        }))
      })
    )

    return NotificationSink.NotificationSink.of({ name, publish })
  })

/**
 * The sink with a connection of its own, opened on the first publish and closed when the layer
 * is released. Only the options are checked when the layer is built.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<NotificationSink.NotificationSink, RabbitMqOptionsError> =>
  Layer.scoped(NotificationSink.NotificationSink, make(options))
