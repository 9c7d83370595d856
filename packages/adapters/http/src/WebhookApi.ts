/**
 * The native API of notification URLs, under `/api/v1/<cloud>/webhooks`: list, register (the
 * answer carries the `whsec_` secret), remove, rotate the secret, list dead letters and send
 * them again.
 *
 * @since 0.1.0
 */
import type { Notification } from "@ctxlog/core"
import { Settings } from "@ctxlog/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as ApiEnv from "./ApiEnv.js"
import * as ApiError from "./ApiError.js"
import * as Body from "./Body.js"
import * as WebhookDispatcher from "./WebhookDispatcher.js"
import * as WebhookEndpoints from "./WebhookEndpoints.js"
import * as WebhookTarget from "./WebhookTarget.js"

const TYPES: ReadonlyArray<Notification.NotificationType> = [
  "resource_context_changed",
  "upload",
  "delete"
]

/**
 * Reads a list of notification types; `all` or nothing means every type.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseTypes = (
  raw: ReadonlyArray<string>
): Either.Either<ReadonlyArray<Notification.NotificationType>, string> => {
  const items = raw.flatMap((t) => t.split(",")).map((t) => t.trim()).filter((t) => t !== "")
  if (items.length === 0 || items.includes("all")) return Either.right([])
  const unknown = items.find((t) => !(TYPES as ReadonlyArray<string>).includes(t))
  return unknown === undefined
    ? Either.right([...new Set(items)] as Array<Notification.NotificationType>)
    : Either.left(`unknown notification type ${unknown}; use ${TYPES.join(", ")} or all`)
}

/**
 * An endpoint as the API shows it; `secret` only when asked (at registration and rotation).
 *
 * @since 0.1.0
 * @category rendering
 */
export const render = (endpoint: WebhookEndpoints.Endpoint, withSecret = false) => ({
  url: endpoint.url,
  types: endpoint.types.length === 0 ? ["all"] : endpoint.types,
  created_at: endpoint.createdAt,
  ...(endpoint.disabled === undefined
    ? { enabled: true }
    : {
      enabled: false,
      disabled_at: endpoint.disabled.at,
      disabled_reason: endpoint.disabled.reason
    }),
  ...(withSecret ? { secret: endpoint.secrets[0]!.secret } : {})
})

const renderLetter = (l: WebhookEndpoints.DeadLetter) => ({
  url: l.url,
  position: l.position,
  notification_id: l.notificationId,
  notification_type: l.notificationType,
  attempts: l.attempts,
  error: l.error,
  failed_at: l.failedAt
})

const settingsError = (e: { readonly message: string }) =>
  new ApiError.ApiError({ status: 500, detail: e.message })

/**
 * Serves `/api/v1/<cloud>/webhooks[/<action>]`.
 *
 * @since 0.1.0
 * @category handlers
 */
export const handle = (
  env: ApiEnv.ApiEnv,
  cloud: string,
  method: string,
  action: string | undefined,
  body: Body.Body
): Effect.Effect<unknown, ApiError.ApiError> => {
  const url = () => {
    const value = Body.string(body.fields, "url")
    return value === undefined || value === ""
      ? Effect.fail(ApiError.badRequest("Missing required parameter - url"))
      : Effect.succeed(value)
  }
  const notFound = (e: WebhookEndpoints.WebhookNotFound) => ApiError.notFound(e.message)
  const effect = Effect.gen(function*() {
    if (action === undefined && method === "GET") {
      return { webhooks: (yield* WebhookEndpoints.list(cloud)).map((e) => render(e)) }
    }
    if (action === undefined && method === "POST") {
      const target = yield* url()
      yield* Either.match(WebhookTarget.checkUrl(target), {
        onLeft: (e) => Effect.fail(ApiError.badRequest(e.message)),
        onRight: () => Effect.void
      })
      const types = yield* Either.match(parseTypes(Body.strings(body.fields, "types")), {
        onLeft: (e) => Effect.fail(ApiError.badRequest(e)),
        onRight: Effect.succeed
      })
      const from = yield* env.ctxlog.head.pipe(Effect.mapError(ApiError.fromCore))
      const { created, endpoint } = yield* WebhookEndpoints.add({ cloud, url: target, types, from })
      return { ...render(endpoint, true), created }
    }
    if (action === undefined && method === "DELETE") {
      const removed = yield* WebhookEndpoints.remove(cloud, yield* url()).pipe(
        Effect.mapError((e) => e._tag === "WebhookNotFound" ? notFound(e) : settingsError(e))
      )
      return { removed: render(removed) }
    }
    if (action === "rotate" && method === "POST") {
      const raw = Body.string(body.fields, "overlap_seconds")
      const overlap = raw === undefined || raw === "" ? 86_400 : Number(raw)
      if (!Number.isSafeInteger(overlap) || overlap < 0) {
        return yield* ApiError.badRequest("overlap_seconds must be a whole number from 0")
      }
      const rotated = yield* WebhookEndpoints.rotate(cloud, yield* url(), overlap * 1000).pipe(
        Effect.mapError((e) => e._tag === "WebhookNotFound" ? notFound(e) : settingsError(e))
      )
      return render(rotated, true)
    }
    if (action === "failed" && method === "GET") {
      return { failed: (yield* WebhookEndpoints.deadLetters(cloud)).map(renderLetter) }
    }
    if (action === "redeliver" && method === "POST") {
      const raw = Body.string(body.fields, "since")
      const since = raw === undefined || raw === "" ? undefined : new Date(raw)
      if (since !== undefined && Number.isNaN(since.getTime())) {
        return yield* ApiError.badRequest(`since must be an ISO 8601 time, got ${raw}`)
      }
      const result = yield* WebhookDispatcher.redeliver(env.ctxlog, cloud, {
        ...env.delivery,
        since,
        notificationIds: Body.strings(body.fields, "notification_id")
      })
        .pipe(Effect.mapError((e) => new ApiError.ApiError({ status: 500, detail: e.message })))
      return {
        redelivered: result.delivered.map(renderLetter),
        failed: result.failed.map(renderLetter)
      }
    }
    return yield* ApiError.notFound(`${method} /api/v1/${cloud}/webhooks is not served here`)
  })
  return effect.pipe(
    Effect.catchTag("SettingsError", (e) => Effect.fail(settingsError(e))),
    Effect.provideService(Settings.Settings, env.settings)
  )
}
