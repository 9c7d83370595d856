/**
 * Delivers notifications to every registered webhook, each endpoint on a fiber of its own so
 * that a slow or dead endpoint never delays another, nor the commands that caused them.
 *
 * Each endpoint receives its cloud's notifications of the types it wants, in log order, one at a
 * time: a notification is sent until it is delivered, and only then the next, so every asset's
 * changes arrive in order. A failed attempt is retried on a schedule with jitter (by default
 * spanning a day from the notification's time, honouring `Retry-After`); when the schedule runs
 * out, the notification becomes a dead letter and the next one is sent. The position reached
 * and the attempts made are saved after every attempt, so a restart resumes where delivery
 * stood, sending again at most the notification in flight (at-least-once; the `webhook-id` is
 * the same on every attempt, for the receiver to deduplicate). An endpoint that answers 410, or
 * that has failed without a success for too long, is disabled, with the reason recorded.
 *
 * @since 0.1.0
 */
import type { Ctxlog, Errors, Notification } from "@ctxlog/core"
import type { Settings } from "@ctxlog/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as WebhookEndpoints from "./WebhookEndpoints.js"
import * as WebhookSender from "./WebhookSender.js"
import * as WebhookSignature from "./WebhookSignature.js"
import * as WebhookTarget from "./WebhookTarget.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Ranges that are allowed although private or reserved (a loopback receiver, say). */
  readonly allowTargets?: ReadonlyArray<WebhookTarget.Cidr> | undefined
  /** The waits after each failed attempt; by default about a day in all. */
  readonly schedule?: ReadonlyArray<Duration.DurationInput> | undefined
  /** The time limit of one attempt; 15 s unless set. */
  readonly timeout?: Duration.DurationInput | undefined
  /** How long an endpoint may fail without a success before it is disabled; 5 days unless set. */
  readonly disableAfter?: Duration.DurationInput | undefined
  /** How often the registrations are read again; 2 s unless set. */
  readonly refresh?: Duration.DurationInput | undefined
  /** The api secret that signs a cloud's `X-Cld-Signature`. */
  readonly apiSecretOf: (cloud: string) => string | undefined
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultSchedule: ReadonlyArray<Duration.DurationInput> = [
  "5 seconds",
  "30 seconds",
  "2 minutes",
  "10 minutes",
  "30 minutes",
  "1 hour",
  "2 hours",
  "4 hours",
  "8 hours",
  "8 hours"
]

interface Settled {
  readonly schedule: ReadonlyArray<number>
  readonly window: number
  readonly timeout: number
  readonly disableAfter: number
  readonly refresh: number
  readonly allow: ReadonlyArray<WebhookTarget.Cidr>
  readonly apiSecretOf: Options["apiSecretOf"]
}

const settle = (options: Options): Settled => {
  const schedule = (options.schedule ?? defaultSchedule).map((d) => Duration.toMillis(d))
  return {
    schedule,
    window: schedule.reduce((a, b) => a + b, 0),
    timeout: Duration.toMillis(options.timeout ?? "15 seconds"),
    disableAfter: Duration.toMillis(options.disableAfter ?? "5 days"),
    refresh: Duration.toMillis(options.refresh ?? "2 seconds"),
    allow: options.allowTargets ?? [],
    apiSecretOf: options.apiSecretOf
  }
}

// Up to a fifth either way, so that endpoints failing together do not retry together.
const jittered = (ms: number) => Math.round(ms * (0.8 + Math.random() * 0.4))

const wants = (endpoint: WebhookEndpoints.Endpoint, n: Notification.Notification) =>
  n.cloud === endpoint.cloud &&
  (endpoint.types.length === 0 || endpoint.types.includes(n.notification_type))

/**
 * One attempt to send a notification to an endpoint, signed for it.
 *
 * @since 0.1.0
 * @category sending
 */
export const attempt = (
  endpoint: WebhookEndpoints.Endpoint,
  notification: Notification.Notification,
  options: Pick<Settled, "allow" | "timeout" | "apiSecretOf">
): Effect.Effect<WebhookSender.Outcome> =>
  WebhookTarget.resolve(endpoint.url, options.allow).pipe(
    Effect.flatMap((target) => {
      const body = JSON.stringify(notification)
      const headers = WebhookSignature.headers({
        id: notification.notification_id,
        timestamp: Math.floor(Date.now() / 1000),
        body,
        apiSecret: options.apiSecretOf(notification.cloud) ?? "",
        secrets: WebhookEndpoints.signingSecrets(endpoint)
      })
      return WebhookSender.send(target, body, headers, options.timeout)
    }),
    Effect.catchTag("WebhookTargetError", (error) =>
      Effect.succeed<WebhookSender.Outcome>({ _tag: "Failed", error: error.message }))
  )

class Stop {
  readonly _tag = "Stop"
}

const disable = (endpoint: WebhookEndpoints.Endpoint, reason: string) =>
  Effect.gen(function*() {
    yield* Effect.logWarning("webhook endpoint disabled").pipe(
      Effect.annotateLogs({ url: endpoint.url, cloud: endpoint.cloud, reason })
    )
    yield* WebhookEndpoints.save({
      ...endpoint,
      disabled: { at: new Date().toISOString(), reason }
    })
    return yield* Effect.fail(new Stop())
  })

// Sends one notification until it is delivered or given up, and answers the state saved last.
// The registration is not read again per attempt: a change to it restarts the endpoint's fiber.
const deliverOne = (
  endpoint: WebhookEndpoints.Endpoint,
  positioned: Notification.Positioned,
  start: WebhookEndpoints.State,
  settled: Settled
): Effect.Effect<WebhookEndpoints.State, Stop | Errors.SettingsError, Settings.Settings> =>
  Effect.gen(function*() {
    const { notification, position } = positioned
    let state = start
    // A restart resumes the attempts on the notification it was sending.
    let attempts = state.attempts
    // The schedule counts from the notification's time, with room for jitter and for each
    // attempt's time limit; a notification that waited behind others past it gets one attempt.
    const deadline = Date.parse(notification.timestamp) + settled.window * 1.2 +
      (settled.schedule.length + 1) * settled.timeout
    while (true) {
      if (state.nextAttemptAt !== undefined) {
        const wait = Date.parse(state.nextAttemptAt) - Date.now()
        if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
      }
      const outcome = yield* attempt(endpoint, notification, settled)
      const now = Date.now()
      if (outcome._tag === "Delivered") {
        const delivered = { position, attempts: 0 }
        yield* WebhookEndpoints.saveState(endpoint, delivered)
        return delivered
      }
      if (outcome._tag === "Gone") {
        yield* WebhookEndpoints.saveState(endpoint, {
          ...state,
          attempts: attempts + 1,
          nextAttemptAt: undefined,
          lastError: "answered 410 Gone"
        })
        return yield* disable(endpoint, "the endpoint answered 410 Gone")
      }
      attempts++
      const failingSince = state.failingSince ?? new Date(now).toISOString()
      yield* Effect.logInfo("webhook attempt failed").pipe(
        Effect.annotateLogs({ url: endpoint.url, attempts, error: outcome.error })
      )
      if (attempts > settled.schedule.length || now >= deadline) {
        yield* WebhookEndpoints.addDeadLetter({
          endpointId: endpoint.id,
          cloud: endpoint.cloud,
          url: endpoint.url,
          position,
          notificationId: notification.notification_id,
          notificationType: notification.notification_type,
          attempts,
          error: outcome.error,
          failedAt: new Date(now).toISOString()
        })
        yield* Effect.logWarning("webhook notification dead-lettered").pipe(
          Effect.annotateLogs({ url: endpoint.url, notification_id: notification.notification_id })
        )
        const given = { position, attempts: 0, lastError: outcome.error, failingSince }
        yield* WebhookEndpoints.saveState(endpoint, given)
        if (now - Date.parse(failingSince) >= settled.disableAfter) {
          return yield* disable(endpoint, `failing since ${failingSince}: ${outcome.error}`)
        }
        return given
      }
      const delay = Math.max(
        jittered(settled.schedule[attempts - 1]!),
        outcome.retryAfterMs ?? 0
      )
      state = {
        position: state.position,
        attempts,
        nextAttemptAt: new Date(now + delay).toISOString(),
        lastError: outcome.error,
        failingSince
      }
      yield* WebhookEndpoints.saveState(endpoint, state)
      if (now - Date.parse(failingSince) >= settled.disableAfter) {
        return yield* disable(endpoint, `failing since ${failingSince}: ${outcome.error}`)
      }
    }
  })

const runEndpoint = (
  ctxlog: Ctxlog.CtxlogShape,
  endpoint: WebhookEndpoints.Endpoint,
  settled: Settled
) =>
  Effect.gen(function*() {
    // Read once: from here on the fiber keeps the state it saves.
    let state = yield* WebhookEndpoints.state(endpoint)
    yield* ctxlog.notifications(state.position).pipe(
      Stream.filter(({ notification }) => wants(endpoint, notification)),
      Stream.runForEach((positioned) =>
        deliverOne(endpoint, positioned, state, settled).pipe(
          Effect.map((next) => {
            state = next
          })
        )
      )
    )
  }).pipe(
    Effect.catchTag("Stop", () => Effect.void),
    Effect.tapErrorCause((cause) =>
      Effect.logWarning("webhook delivery stopped; it restarts shortly").pipe(
        Effect.annotateLogs({ url: endpoint.url, cause: String(cause) })
      )
    ),
    Effect.ignore
  )

/**
 * Runs delivery until interrupted: reads the registrations every `refresh`, starts a fiber for
 * each enabled endpoint, and restarts one that stopped on an error.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  ctxlog: Ctxlog.CtxlogShape,
  options: Options
): Effect.Effect<never, never, Settings.Settings> =>
  Effect.gen(function*() {
    const settled = settle(options)
    // Each fiber with the registration it started from: a changed registration (its types,
    // its secrets) restarts it, which resumes from the saved state.
    const running = new Map<string, { fiber: Fiber.RuntimeFiber<void>; seen: string }>()
    const tick = Effect.gen(function*() {
      const endpoints = yield* WebhookEndpoints.list()
      const wanted = new Set<string>()
      for (const endpoint of endpoints) {
        if (endpoint.disabled !== undefined) continue
        wanted.add(endpoint.id)
        const seen = JSON.stringify(endpoint)
        const known = running.get(endpoint.id)
        if (known !== undefined) {
          const alive = Option.isNone(yield* Fiber.poll(known.fiber))
          if (alive && known.seen === seen) continue
          if (alive) yield* Fiber.interrupt(known.fiber)
        }
        const fiber = yield* Effect.forkDaemon(runEndpoint(ctxlog, endpoint, settled))
        running.set(endpoint.id, { fiber, seen })
      }
      for (const [id, { fiber }] of running) {
        if (!wanted.has(id)) {
          yield* Fiber.interrupt(fiber)
          running.delete(id)
        }
      }
    }).pipe(
      Effect.catchAll((error) =>
        Effect.logWarning("webhook registrations could not be read").pipe(
          Effect.annotateLogs({ error: error.message })
        )
      )
    )
    return yield* Effect.forever(
      tick.pipe(Effect.zipRight(Effect.sleep(Duration.millis(settled.refresh))))
    ).pipe(
      Effect.onInterrupt(() =>
        Effect.forEach([...running.values()], ({ fiber }) => Fiber.interrupt(fiber))
      )
    )
  })

/**
 * Sends a cloud's dead letters again, one attempt each; the delivered ones leave the list.
 * `notificationIds` keeps to the letters of those notifications.
 *
 * @since 0.1.0
 * @category running
 */
export const redeliver = (
  ctxlog: Ctxlog.CtxlogShape,
  cloud: string,
  options: Options & {
    readonly since?: Date | undefined
    readonly notificationIds?: ReadonlyArray<string> | undefined
  }
): Effect.Effect<
  {
    readonly delivered: ReadonlyArray<WebhookEndpoints.DeadLetter>
    readonly failed: ReadonlyArray<WebhookEndpoints.DeadLetter>
  },
  Errors.SettingsError | Errors.EventLogError,
  Settings.Settings
> =>
  Effect.gen(function*() {
    const settled = settle(options)
    const wanted = options.notificationIds === undefined || options.notificationIds.length === 0
      ? undefined
      : new Set(options.notificationIds)
    const letters = (yield* WebhookEndpoints.deadLetters(cloud, options.since)).filter((l) =>
      wanted === undefined || wanted.has(l.notificationId)
    )
    const endpoints = new Map((yield* WebhookEndpoints.list(cloud)).map((e) => [e.id, e]))
    const delivered: Array<WebhookEndpoints.DeadLetter> = []
    const failed: Array<WebhookEndpoints.DeadLetter> = []
    for (const letter of letters) {
      const endpoint = endpoints.get(letter.endpointId)
      const found = yield* ctxlog.notifications(letter.position - 1).pipe(
        Stream.filter((n) => n.position >= letter.position),
        Stream.take(1),
        Stream.timeout("5 seconds"),
        Stream.runHead
      )
      if (
        endpoint === undefined || Option.isNone(found) ||
        found.value.notification.notification_id !== letter.notificationId
      ) {
        failed.push({ ...letter, error: "the endpoint or the notification no longer exists" })
        continue
      }
      const outcome = yield* attempt(endpoint, found.value.notification, settled)
      if (outcome._tag === "Delivered") {
        yield* WebhookEndpoints.removeDeadLetter(letter)
        delivered.push(letter)
      } else {
        const updated = {
          ...letter,
          attempts: letter.attempts + 1,
          error: outcome._tag === "Gone" ? "answered 410 Gone" : outcome.error,
          failedAt: new Date().toISOString()
        }
        yield* WebhookEndpoints.addDeadLetter(updated)
        failed.push(updated)
      }
    }
    return { delivered, failed }
  })
