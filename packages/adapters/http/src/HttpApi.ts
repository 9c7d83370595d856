/**
 * The HTTP application: it decodes the path, authenticates the caller, hands the request to the
 * API it belongs to, and renders the answer or the error. Every request is logged once, at Info,
 * with its method, path (never its query, which may hold a signature), status and duration.
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as AdminApi from "./AdminApi.js"
import type * as ApiEnv from "./ApiEnv.js"
import * as ApiError from "./ApiError.js"
import * as Body from "./Body.js"
import * as ChangeStream from "./ChangeStream.js"
import * as Console from "./Console.js"
import * as ConsoleSessions from "./ConsoleSessions.js"
import * as Credentials from "./Credentials.js"
import * as NativeApi from "./NativeApi.js"
import * as OpenApi from "./OpenApi.js"
import * as SearchApi from "./SearchApi.js"
import * as UploadApi from "./UploadApi.js"
import * as WebhookApi from "./WebhookApi.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends ChangeStream.Options {
  /** The built console to serve at `/console`; a page saying it is not built when absent. */
  readonly console?: Console.Files | undefined
  /** The console's sessions; kept in the environment's settings when absent. */
  readonly sessions?: ConsoleSessions.ConsoleSessions | undefined
}

const CLOUD = /^[a-z0-9_-]{1,64}$/

const segmentsOf = (pathname: string): Either.Either<ReadonlyArray<string>, ApiError.ApiError> => {
  const out: Array<string> = []
  for (const raw of pathname.split("/")) {
    if (raw === "") continue
    try {
      out.push(decodeURIComponent(raw))
    } catch {
      return Either.left(
        ApiError.badRequest(`the path segment ${raw} is not valid percent-encoding`)
      )
    }
  }
  return Either.right(out)
}

const json = (body: unknown) => HttpServerResponse.unsafeJson(body, { status: 200 })

const fromEither = <A>(either: Either.Either<A, ApiError.ApiError>) =>
  Either.match(either, { onLeft: Effect.fail, onRight: Effect.succeed })

const checkCloud = (cloud: string | undefined) =>
  cloud !== undefined && CLOUD.test(cloud)
    ? Effect.succeed(cloud)
    : Effect.fail(ApiError.notFound(`unknown cloud ${JSON.stringify(cloud ?? "")}`))

const route = (
  env: ApiEnv.ApiEnv,
  options: Options,
  files: Console.Files,
  sessions: ConsoleSessions.ConsoleSessions,
  request: HttpServerRequest.HttpServerRequest,
  url: URL
): Effect.Effect<HttpServerResponse.HttpServerResponse, ApiError.ApiError> =>
  Effect.gen(function*() {
    const segments = yield* fromEither(segmentsOf(url.pathname))
    const method = request.method
    const basic = (cloud: string) =>
      fromEither(Credentials.basic(env.credentials, request.headers.authorization, cloud))
    /**
     * The caller, by HTTP Basic or by a console session. A session sees only its own cloud,
     * and anything but a read must carry its CSRF token, so that another site cannot make a
     * signed-in browser change context; what a session changes is recorded as from the UI.
     */
    const authenticate = (cloud: string) =>
      Effect.gen(function*() {
        const cookie = ConsoleSessions.cookieValue(request.headers.cookie, ConsoleSessions.COOKIE)
        if (request.headers.authorization !== undefined || cookie === undefined) {
          return { principal: yield* basic(cloud), ui: false }
        }
        const session = yield* sessions.find(env.credentials, cookie)
        if (Option.isNone(session)) {
          return yield* ApiError.unauthorized("the console session has ended; sign in again")
        }
        const principal = session.value.principal
        if (principal.cloud !== cloud) {
          return yield* ApiError.forbidden(`the session belongs to cloud ${principal.cloud}`)
        }
        if (method !== "GET" && method !== "HEAD") {
          if (Console.fromOtherSite(request.headers)) {
            return yield* ApiError.forbidden("the request comes from another site")
          }
          if (!sessions.checkCsrf(session.value, request.headers["x-csrf-token"])) {
            return yield* ApiError.forbidden("the request has no valid X-CSRF-Token header")
          }
        }
        return { principal, ui: true }
      })
    const [head, ...tail] = segments
    if (head === "console") {
      return yield* Console.handle(files, sessions, env.credentials, env.ctxlog.limits, {
        method,
        rest: tail,
        headers: request.headers,
        body: Body.read(request, env.limits),
        client: Option.getOrElse(request.remoteAddress, () => "unknown")
      })
    }
    if (head === "openapi.json" && tail.length === 0 && method === "GET") {
      return json(OpenApi.document)
    }
    if (head === "health" && tail.length === 0 && method === "GET") {
      const position = yield* env.ctxlog.head.pipe(Effect.mapError(ApiError.fromCore))
      return json({ status: "ok", position })
    }
    if (head === "v1_1") {
      const cloud = yield* checkCloud(tail[0])
      // The SDK encodes `resources/search` as one segment; split a leading segment like that.
      const rest = tail.slice(1).flatMap((s, i) => i === 0 ? s.split("/") : [s])
      if (rest[0] === "resources") {
        const { principal } = yield* authenticate(cloud)
        const body = yield* Body.read(request, env.limits)
        if (rest[1] === "search" && rest.length === 2) {
          if (method !== "POST" && method !== "GET") {
            return yield* ApiError.notFound(`${method} is not served here`)
          }
          return json(yield* SearchApi.handle(env, cloud, body))
        }
        return json(
          yield* AdminApi.handle(env, cloud, method, rest.slice(1), principal.apiKey, body)
        )
      }
      if (rest[0] === "context" && rest[1] === "stream" && rest.length === 2 && method === "GET") {
        // EventSource cannot send headers, so a browser may sign the query instead.
        const query = Object.fromEntries(url.searchParams)
        yield* request.headers.authorization === undefined && query.signature !== undefined
          ? fromEither(Credentials.signed(env.credentials, query, cloud, { now: env.now() }))
          : authenticate(cloud)
        return yield* ChangeStream.handle(
          env.ctxlog,
          cloud,
          url,
          request.headers["last-event-id"],
          options
        )
      }
      if (rest.length === 2 && method === "POST") {
        const body = yield* Body.read(request, env.limits)
        return json(
          yield* UploadApi.handle(
            env,
            cloud,
            rest[0]!,
            rest[1]!,
            body,
            request.headers["content-range"]
          )
        )
      }
    }
    if (head === "api" && tail[0] === "v1") {
      const cloud = yield* checkCloud(tail[1])
      const { principal, ui } = yield* authenticate(cloud)
      const body = yield* Body.read(request, env.limits)
      const rest = tail.slice(2)
      if (rest[0] === "webhooks" && rest.length <= 2) {
        return json(
          yield* WebhookApi.handle(env, cloud, method, rest[1], body)
        )
      }
      return json(
        yield* NativeApi.handle(
          env,
          cloud,
          method,
          rest,
          principal.apiKey,
          request.headers["idempotency-key"],
          body,
          ui ? "ui" : undefined
        )
      )
    }
    return yield* ApiError.notFound(`${method} ${url.pathname} is not served here`)
  })

/**
 * The application on `env`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  env: ApiEnv.ApiEnv,
  options: Options = {}
): HttpApp.Default<never, HttpServerRequest.HttpServerRequest> => {
  const files = options.console ?? Console.load(undefined)
  const sessions = options.sessions ?? ConsoleSessions.make({ settings: env.settings })
  return Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = new URL(request.url, "http://localhost")
    const [took, response] = yield* route(env, options, files, sessions, request, url).pipe(
      Effect.catchTag("ApiError", (error) => Effect.succeed(ApiError.toResponse(error))),
      Effect.catchAllCause((cause) =>
        Effect.logError("a request failed unexpectedly", Cause.pretty(cause)).pipe(
          Effect.as(
            HttpServerResponse.unsafeJson({ error: { message: "internal error" } }, { status: 500 })
          )
        )
      ),
      Effect.timed
    )
    yield* Effect.logInfo(
      `${request.method} ${url.pathname} ${response.status} ${Duration.toMillis(took).toFixed(1)}ms`
    ).pipe(Effect.annotateLogs({ method: request.method, status: response.status }))
    return response
  })
}
