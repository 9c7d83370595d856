/**
 * Live changes as server-sent events: `GET /v1_1/<cloud>/context/stream`. Each event is one
 * notification of the caller's cloud; its id is the log position of the command's last event,
 * so a client that reconnects with `Last-Event-ID` (or `?from=<position>`) continues right after
 * the last notification it saw, with nothing missed and nothing repeated.
 *
 * @since 0.1.0
 */
import type { Ctxlog, Notification } from "@ctxlog/core"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as ApiError from "./ApiError.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How often a comment is sent when nothing happens, to keep proxies from closing. */
  readonly heartbeat?: Duration.DurationInput | undefined
  /** Completes when the server shuts down: open streams end then, so that it can stop. */
  readonly closing?: Effect.Effect<void> | undefined
}

const TYPES: ReadonlyArray<string> = ["resource_context_changed", "upload", "delete"]

const encoder = new TextEncoder()

/**
 * One notification in the event-stream format.
 *
 * @since 0.1.0
 * @category rendering
 */
export const frame = (positioned: Notification.Positioned): string =>
  `id: ${positioned.position}\nevent: ${positioned.notification.notification_type}\n` +
  `data: ${JSON.stringify(positioned.notification)}\n\n`

const startOf = (
  ctxlog: Ctxlog.CtxlogShape,
  lastEventId: string | undefined,
  from: string | null
): Effect.Effect<number, ApiError.ApiError> => {
  const given = lastEventId ?? from ?? undefined
  if (given === undefined || given === "") {
    return ctxlog.head.pipe(Effect.mapError(ApiError.fromCore))
  }
  const position = Number(given)
  return Number.isSafeInteger(position) && position >= 0
    ? Effect.succeed(position)
    : Effect.fail(
      ApiError.badRequest(
        `${lastEventId === undefined ? "from" : "Last-Event-ID"} must be a log position, got ` +
          JSON.stringify(given)
      )
    )
}

/**
 * The response that streams a cloud's notifications; `url` may narrow them with
 * `types=upload,delete`.
 *
 * @since 0.1.0
 * @category handlers
 */
export const handle = (
  ctxlog: Ctxlog.CtxlogShape,
  cloud: string,
  url: URL,
  lastEventId: string | undefined,
  options: Options = {}
): Effect.Effect<HttpServerResponse.HttpServerResponse, ApiError.ApiError> =>
  Effect.gen(function*() {
    const after = yield* startOf(ctxlog, lastEventId, url.searchParams.get("from"))
    const wanted = (url.searchParams.get("types") ?? "").split(",").filter((t) => t !== "")
    const unknown = wanted.find((t) => !TYPES.includes(t))
    if (unknown !== undefined) {
      return yield* ApiError.badRequest(
        `unknown notification type ${unknown}; use ${TYPES.join(", ")}`
      )
    }
    const notifications = ctxlog.notifications(after).pipe(
      Stream.filter(({ notification }) =>
        notification.cloud === cloud &&
        (wanted.length === 0 || wanted.includes(notification.notification_type))
      ),
      Stream.map(frame),
      // A failing log ends the response; the client reconnects from the last id it has.
      Stream.catchAll((error) =>
        Stream.fromEffect(
          Effect.logWarning("the change stream stopped").pipe(
            Effect.annotateLogs({ cause: error.message }),
            Effect.as(`event: error\ndata: ${JSON.stringify({ message: error.message })}\n\n`)
          )
        )
      )
    )
    const heartbeat = Stream.fromSchedule(
      Schedule.spaced(Duration.decode(options.heartbeat ?? "15 seconds"))
    ).pipe(Stream.as(": keep-alive\n\n"))
    const body = Stream.concat(
      Stream.make(`retry: 2000\n: after ${after}\n\n`),
      Stream.merge(notifications, heartbeat, { haltStrategy: "left" })
    ).pipe(
      Stream.interruptWhen(options.closing ?? Effect.never),
      Stream.map((text) => encoder.encode(text))
    )
    return HttpServerResponse.stream(body, {
      contentType: "text/event-stream",
      headers: {
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
        // The connection served the stream only; closing it when the stream ends lets a
        // stopping server release its port at once instead of waiting for the client.
        connection: "close"
      }
    })
  })
