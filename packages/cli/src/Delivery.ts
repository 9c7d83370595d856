/**
 * Webhook delivery as `ctx serve` runs it and as `ctx deliver` runs it on its own: the
 * dispatcher's settings from the configuration file and the command line, and the notification
 * URLs the file registers.
 *
 * @since 0.1.0
 */
import type { Errors, EventLog, Notification, ProjectionStore, Settings } from "@ctxlog/core"
import { Ctxlog, Notifier } from "@ctxlog/core"
import type * as Http from "@ctxlog/http"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as AssetOptions from "./AssetOptions.js"
import { UsageError } from "./Errors.js"
import * as GlobalOptions from "./GlobalOptions.js"
import * as Help from "./Help.js"
import * as Keys from "./Keys.js"
import * as Output from "./Output.js"
import * as ServeConfig from "./ServeConfig.js"
import type * as Session from "./Session.js"
import * as Store from "./Store.js"

/**
 * The HTTP adapter, loaded only by the commands that use it.
 *
 * @since 0.1.0
 * @category loading
 */
export const http: Effect.Effect<typeof Http> = Effect.promise(() => import("@ctxlog/http"))

/**
 * `--allow-targets`, shared by `serve` and `deliver`.
 *
 * @since 0.1.0
 * @category options
 */
export const allowTargets = Options.text("allow-targets").pipe(
  Options.withPseudoName("cidr,..."),
  Options.optional,
  Options.withDescription(
    "Address ranges webhooks may be sent to although private or reserved (loopback, 10/8, …); " +
      "by default those are refused."
  )
)

const duration = (text: string, where: string) =>
  Option.match(Duration.decodeUnknown(text), {
    onNone: () =>
      Effect.fail(
        new UsageError({
          detail: `${where}: ${JSON.stringify(text)} is not a duration such as "30 seconds"`
        })
      ),
    onSome: Effect.succeed
  })

/**
 * The dispatcher's settings: allowed targets from the file and the flag, the retry schedule and
 * the time limit of an attempt.
 *
 * @since 0.1.0
 * @category options
 */
export const settings = (
  http: typeof Http,
  file: ServeConfig.File,
  flag: Option.Option<string>
): Effect.Effect<Omit<Http.WebhookDispatcher.Options, "apiSecretOf">, UsageError> =>
  Effect.gen(function*() {
    const texts = [...(file.allow_targets ?? []), ...Option.toArray(flag)].join(",")
    const allowTargets = yield* Either.match(http.WebhookTarget.parseCidrs(texts), {
      onLeft: (why) => Effect.fail(new UsageError({ detail: `--allow-targets: ${why}` })),
      onRight: Effect.succeed
    })
    const schedule = file.retry_schedule === undefined
      ? undefined
      : yield* Effect.forEach(file.retry_schedule, (d) => duration(d, "retry_schedule"))
    if (schedule !== undefined && schedule.length === 0) {
      return yield* new UsageError({ detail: "retry_schedule must have at least one wait" })
    }
    const timeout = file.webhook_timeout === undefined
      ? undefined
      : yield* duration(file.webhook_timeout, "webhook_timeout")
    return { allowTargets, schedule, timeout }
  })

/**
 * Registers the URLs of the configuration file that are not registered yet.
 *
 * @since 0.1.0
 * @category running
 */
export const registerConfigured = (
  http: typeof Http,
  file: ServeConfig.File
): Effect.Effect<
  void,
  UsageError | Errors.SettingsError | Errors.EventLogError,
  Ctxlog.Ctxlog | Settings.Settings
> =>
  Effect.gen(function*() {
    const ctxlog = yield* Ctxlog.Ctxlog
    for (const [cloud, hooks] of Object.entries(file.webhooks ?? {})) {
      for (const hook of hooks) {
        yield* Either.match(http.WebhookTarget.checkUrl(hook.url), {
          onLeft: (e) => Effect.fail(new UsageError({ detail: `webhooks.${cloud}: ${e.message}` })),
          onRight: () => Effect.void
        })
        const types = yield* Either.match(http.WebhookApi.parseTypes(hook.types ?? []), {
          onLeft: (why) => Effect.fail(new UsageError({ detail: `webhooks.${cloud}: ${why}` })),
          onRight: (t) => Effect.succeed<ReadonlyArray<Notification.NotificationType>>(t)
        })
        const known = yield* http.WebhookEndpoints.find(cloud, hook.url).pipe(
          Effect.as(true),
          Effect.catchTag("WebhookNotFound", () => Effect.succeed(false))
        )
        if (!known) {
          const from = yield* ctxlog.head
          yield* http.WebhookEndpoints.add({ cloud, url: hook.url, types, from })
        }
      }
    }
  })

/**
 * Runs, for the lifetime of the scope, the queue sinks the configuration names (a RabbitMQ
 * exchange), each fed from its own checkpoint in the projection store.
 *
 * @since 0.1.0
 * @category running
 */
export const queues = (
  file: ServeConfig.File
): Effect.Effect<
  void,
  UsageError,
  Scope.Scope | EventLog.EventLog | ProjectionStore.ProjectionStore
> =>
  file.rabbitmq === undefined ? Effect.void : Effect.gen(function*() {
    const options = file.rabbitmq!
    const { RabbitMqNotificationSink } = yield* Effect.promise(() => import("@ctxlog/rabbitmq"))
    yield* Layer.build(
      Notifier.layer.pipe(
        Layer.provide(
          RabbitMqNotificationSink.layer({
            url: options.url,
            exchange: options.exchange,
            name: options.name
          }).pipe(
            Layer.mapError((e) => new UsageError({ detail: `rabbitmq: ${e.message}` }))
          )
        )
      )
    )
  })

/**
 * @since 0.1.0
 * @category models
 */
export type Failure =
  | Session.Failure
  | UsageError
  | Errors.SettingsError
  | Errors.EventLogError
  | Errors.InvalidQuery

/**
 * @since 0.1.0
 * @category commands
 */
export const deliver = Command.make(
  "deliver",
  {
    globals: GlobalOptions.options,
    allowTargets,
    config: Options.text("config").pipe(
      Options.withPseudoName("file"),
      Options.optional,
      Options.withDescription(
        "The configuration file of ctx serve: keys, allow_targets, retry_schedule, " +
          "webhook_timeout and webhooks."
      )
    )
  },
  ({ allowTargets, config, globals }): Effect.Effect<void, Failure> =>
    Effect.gen(function*() {
      const cloud = yield* AssetOptions.decodeCloud(globals.cloud)
      const file = Option.isSome(config) ? yield* ServeConfig.read(config.value) : {}
      const configured = yield* Either.match(ServeConfig.configuredKeys(file), {
        onLeft: Effect.fail,
        onRight: Effect.succeed
      })
      const module = yield* http
      const options = yield* settings(module, file, allowTargets)
      const core = Ctxlog.layer().pipe(Layer.provideMerge(Store.layer(globals.store)))
      yield* Effect.gen(function*() {
        const keys = yield* Keys.resolve(configured, cloud)
        yield* registerConfigured(module, file)
        yield* queues(file)
        const ctxlog = yield* Ctxlog.Ctxlog
        yield* Output.errorLine(
          Output.stderr().dim("delivering webhooks; stop with Ctrl-C or SIGTERM")
        )
        yield* Effect.logInfo("delivering webhooks")
        return yield* module.WebhookDispatcher.run(ctxlog, {
          ...options,
          apiSecretOf: module.Credentials.secretOf(keys)
        })
      }).pipe(Effect.scoped, Effect.provide(core), Logger.withMinimumLogLevel(LogLevel.Info))
    })
).pipe(Command.withDescription(Help.describe(
  "Deliver webhooks on its own, for deployments that run it apart from ctx serve (which then " +
    "runs with --no-delivery). Runs until interrupted; what it had not delivered is resumed by " +
    "the next start.",
  [
    ["deliver, allowing a receiver on this machine", "ctx deliver --allow-targets 127.0.0.1"],
    ["with the settings of a serve configuration", "ctx deliver --config ./ctxlog-serve.json"]
  ]
)))
