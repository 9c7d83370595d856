/**
 * The HTTP server: the application on a Node server with bounded headers, request times and
 * bodies, and a graceful stop: open change streams end, requests in flight finish (within a
 * drain time), then the port is released.
 *
 * @since 0.1.0
 */
import { Ctxlog, Settings } from "@ctxlog/core"
import type * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as Etag from "@effect/platform/Etag"
import type * as HttpPlatform from "@effect/platform/HttpPlatform"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Http from "node:http"
import type * as ApiEnv from "./ApiEnv.js"
import * as Body from "./Body.js"
import * as Console from "./Console.js"
import { Credentials, secretOf } from "./Credentials.js"
import * as HttpApi from "./HttpApi.js"
import * as WebhookDispatcher from "./WebhookDispatcher.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly port?: number | undefined
  readonly host?: string | undefined
  /** Where delivery URLs in responses point; `https://res.cloudinary.com` unless set. */
  readonly deliveryBase?: string | undefined
  readonly limits?: Partial<Body.Limits> | undefined
  /** How long a client may take to send its headers; 10 s unless set. */
  readonly headersTimeout?: Duration.DurationInput | undefined
  /** How long a client may take to send its whole request; 120 s unless set. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** The largest header block, in bytes; 16 KiB unless set. */
  readonly maxHeaderBytes?: number | undefined
  /** How long a stop waits for requests in flight before it closes their connections. */
  readonly drainTimeout?: Duration.DurationInput | undefined
  readonly heartbeat?: Duration.DurationInput | undefined
  /** Unix seconds, for tests that need another clock. */
  readonly now?: (() => number) | undefined
  /** How webhooks are delivered; see `WebhookDispatcher.Options`. */
  readonly webhooks?: Omit<WebhookDispatcher.Options, "apiSecretOf"> | undefined
  /** The folder of the built web console, served at `/console`. */
  readonly consoleDirectory?: string | undefined
  /** Whether this server delivers webhooks itself; true unless a separate `deliver` does. */
  readonly deliver?: boolean | undefined
}

/**
 * The server, listening once the layer is built; it provides `HttpServer` so that its address
 * can be read (a port of 0 picks a free one).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  HttpServer.HttpServer | HttpPlatform.HttpPlatform | Etag.Generator | NodeContext.NodeContext,
  HttpServerError.ServeError,
  Ctxlog.Ctxlog | Credentials | Settings.Settings
> => {
  let server: Http.Server | undefined
  const create = () => {
    const headersTimeout = Duration.toMillis(options.headersTimeout ?? "10 seconds")
    const requestTimeout = Duration.toMillis(options.requestTimeout ?? "120 seconds")
    server = Http.createServer({
      headersTimeout,
      requestTimeout,
      // Node checks the two timeouts only this often; a fraction of the shorter one keeps a
      // slow client from holding a connection much past its limit.
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(30_000, Math.min(headersTimeout, requestTimeout) / 4)
      ),
      maxHeaderSize: options.maxHeaderBytes ?? 16 * 1024
    })
    return server
  }
  const serve = Layer.scopedDiscard(
    Effect.gen(function*() {
      const closing = yield* Deferred.make<void>()
      const credentials = yield* Credentials
      const settings = yield* Settings.Settings
      const delivery: WebhookDispatcher.Options = {
        ...options.webhooks,
        apiSecretOf: secretOf(credentials.keys)
      }
      const env: ApiEnv.ApiEnv = {
        ctxlog: yield* Ctxlog.Ctxlog,
        credentials,
        settings,
        delivery,
        deliveryBase: options.deliveryBase ?? "https://res.cloudinary.com",
        limits: { ...Body.defaultLimits, ...options.limits },
        now: options.now ?? (() => Math.floor(Date.now() / 1000))
      }
      const app = HttpApi.make(env, {
        console: Console.load(options.consoleDirectory),
        heartbeat: options.heartbeat,
        closing: Deferred.await(closing)
      })
      // Runs before the server is closed: change streams end, idle connections are dropped,
      // and whatever is still open after the drain time is cut.
      yield* Effect.addFinalizer(() =>
        Effect.gen(function*() {
          yield* Deferred.succeed(closing, undefined)
          server?.closeIdleConnections()
          const drain = Duration.toMillis(options.drainTimeout ?? "10 seconds")
          const timer = setTimeout(() => server?.closeAllConnections(), drain)
          timer.unref()
        })
      )
      if (options.deliver !== false) {
        yield* WebhookDispatcher.run(env.ctxlog, delivery).pipe(
          Effect.provideService(Settings.Settings, settings),
          Effect.forkScoped
        )
      }
      yield* HttpServer.serveEffect(app)
    })
  )
  return serve.pipe(
    Layer.provideMerge(
      NodeHttpServer.layer(create, {
        port: options.port ?? 8080,
        host: options.host ?? "127.0.0.1"
      })
    )
  )
}

/**
 * Where the server listens.
 *
 * @since 0.1.0
 * @category accessors
 */
export const address: Effect.Effect<
  { readonly host: string; readonly port: number },
  never,
  HttpServer.HttpServer
> = Effect.map(HttpServer.HttpServer, (server) =>
  server.address._tag === "TcpAddress"
    ? { host: server.address.hostname, port: server.address.port }
    : { host: server.address.path, port: 0 })
