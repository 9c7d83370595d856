/**
 * `ctx serve`: the Cloudinary-compatible HTTP API, the native API and the change stream, on the
 * same store as every other command.
 *
 * @since 0.1.0
 */
import * as ConsoleFiles from "@ctxlog/console"
import type { Errors } from "@ctxlog/core"
import { Ctxlog } from "@ctxlog/core"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AssetOptions from "./AssetOptions.js"
import * as Delivery from "./Delivery.js"
import { ServerUnavailable, UsageError } from "./Errors.js"
import * as GlobalOptions from "./GlobalOptions.js"
import * as Help from "./Help.js"
import * as Keys from "./Keys.js"
import * as Output from "./Output.js"
import * as ServeConfig from "./ServeConfig.js"
import type * as Session from "./Session.js"
import * as Store from "./Store.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Failure =
  | Session.Failure
  | UsageError
  | ServerUnavailable
  | Errors.SettingsError
  | Errors.InvalidQuery
  | Errors.EventLogError

const fromEither = <A, E>(either: Either.Either<A, E>) =>
  Either.match(either, { onLeft: Effect.fail, onRight: Effect.succeed })

const urlHost = (host: string) =>
  host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host

/**
 * @since 0.1.0
 * @category commands
 */
export const serve = Command.make(
  "serve",
  {
    globals: GlobalOptions.options,
    port: Options.integer("port").pipe(
      Options.optional,
      Options.withDescription("The TCP port; 0 picks a free one. Default: 8080.")
    ),
    host: Options.text("host").pipe(
      Options.optional,
      Options.withDescription("The address to listen on. Default: 127.0.0.1 (this machine only).")
    ),
    allowTargets: Delivery.allowTargets,
    noDelivery: Options.boolean("no-delivery").pipe(
      Options.withDescription("Do not deliver webhooks here: a ctx deliver process does.")
    ),
    config: Options.text("config").pipe(
      Options.withPseudoName("file"),
      Options.optional,
      Options.withDescription(
        "A JSON file with port, host, delivery_base, max_body_bytes, max_file_bytes and the " +
          "api keys of each cloud (clouds.<cloud>.keys[].api_key/api_secret)."
      )
    )
  },
  ({ allowTargets, config, globals, host, noDelivery, port }): Effect.Effect<void, Failure> =>
    Effect.gen(function*() {
      const cloud = yield* AssetOptions.decodeCloud(globals.cloud)
      const file = Option.isSome(config) ? yield* ServeConfig.read(config.value) : {}
      const configured = yield* fromEither(ServeConfig.configuredKeys(file))
      const listenPort = Option.getOrUndefined(port) ?? file.port ?? 8080
      if (!Number.isSafeInteger(listenPort) || listenPort < 0 || listenPort > 65535) {
        return yield* new UsageError({ detail: `--port must be 0 to 65535, got ${listenPort}` })
      }
      const listenHost = Option.getOrUndefined(host) ?? file.host ?? "127.0.0.1"
      const http = yield* Delivery.http
      const { Credentials, Server } = http
      const webhooks = yield* Delivery.settings(http, file, allowTargets)
      const store = Store.layer(globals.store)
      const core = Ctxlog.layer().pipe(Layer.provideMerge(store))
      yield* Effect.gen(function*() {
        const keys = yield* Keys.resolve(configured, cloud)
        yield* Delivery.registerConfigured(http, file)
        const server = Server.layer({
          port: listenPort,
          host: listenHost,
          deliveryBase: file.delivery_base,
          consoleDirectory: ConsoleFiles.directory,
          webhooks,
          deliver: !noDelivery,
          limits: {
            ...(file.max_body_bytes === undefined ? {} : { maxFieldBytes: file.max_body_bytes }),
            ...(file.max_file_bytes === undefined ? {} : { maxFileBytes: file.max_file_bytes })
          }
        }).pipe(
          Layer.provide(Credentials.layer(keys).pipe(Layer.orDie)),
          Layer.mapError((error) =>
            new ServerUnavailable({
              address: `${listenHost}:${listenPort}`,
              detail: String((error.cause as { message?: string } | undefined)?.message ?? error)
            })
          )
        )
        yield* Effect.scoped(Effect.gen(function*() {
          if (!noDelivery) yield* Delivery.queues(file)
          const address = yield* Layer.build(server).pipe(
            Effect.flatMap((context) => Effect.provide(Server.address, context))
          )
          const origin = `http://${urlHost(address.host)}:${address.port}`
          const key = keys.find((k) => k.cloud === cloud) ?? keys[0]!
          const cloudinaryUrl = `cloudinary://${encodeURIComponent(key.apiKey)}:` +
            `${encodeURIComponent(Redacted.value(key.apiSecret))}@${key.cloud}` +
            `?upload_prefix=${origin}`
          if (globals.json) {
            yield* Output.json({
              address: origin,
              cloud: key.cloud,
              cloudinary_url: cloudinaryUrl,
              console: `${origin}/console`
            })
          } else {
            yield* Output.line(`ctxlog serving on ${origin}`)
            yield* Output.line(`CLOUDINARY_URL=${cloudinaryUrl}`)
            yield* Output.line(`console: ${origin}/console (sign in with the key and secret above)`)
          }
          yield* Effect.logInfo(`listening on ${origin}`).pipe(
            Effect.annotateLogs({ store: globals.store.replace(/\/\/[^@/]*@/, "//***@") })
          )
          return yield* Effect.never.pipe(
            Effect.onInterrupt(() => Effect.logInfo("stopping: finishing requests in flight"))
          )
        }))
      }).pipe(
        Effect.provide(core),
        Logger.withMinimumLogLevel(LogLevel.Info)
      )
    })
).pipe(Command.withDescription(Help.describe(
  "Serve the Cloudinary-compatible HTTP API (Upload and Admin APIs, search), the native JSON " +
    "API (/api/v1, described at /openapi.json), live changes as server-sent events " +
    "(/v1_1/<cloud>/context/stream) and the web console (/console), on the store of " +
    "--store. Keys come from --config and " +
    `${ServeConfig.KEYS_ENV_VAR} (cloudinary://<key>:<secret>@<cloud>, space-separated); ` +
    "without any, a key for --cloud is made once and kept in the store. Prints the address " +
    "and a ready-to-use CLOUDINARY_URL, logs each request on stderr, and stops gracefully on " +
    "SIGTERM or Ctrl-C.",
  [
    ["serve on port 8080 of this machine", "ctx serve"],
    ["any free port, on the NATS store", "ctx serve --port 0 --store nats://127.0.0.1:4222"],
    ["keys from a file", "ctx serve --config ./ctxlog-serve.json"]
  ]
)))
