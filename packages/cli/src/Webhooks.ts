/**
 * `ctx webhooks`: the notification URLs of a cloud, and the notifications they never took.
 *
 * @since 0.1.0
 */
import { Ctxlog } from "@ctxlog/core"
import type { WebhookEndpoints } from "@ctxlog/http"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as AssetOptions from "./AssetOptions.js"
import * as Delivery from "./Delivery.js"
import { UsageError } from "./Errors.js"
import * as GlobalOptions from "./GlobalOptions.js"
import * as Help from "./Help.js"
import * as Keys from "./Keys.js"
import * as Output from "./Output.js"
import * as ServeConfig from "./ServeConfig.js"
import * as Store from "./Store.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Failure = Delivery.Failure | WebhookEndpoints.WebhookNotFound

const ACTIONS = ["add", "list", "remove", "rotate", "failed", "redeliver"] as const

const needsUrl = (action: string, url: Option.Option<string>) =>
  Option.match(url, {
    onNone: () => Effect.fail(new UsageError({ detail: `webhooks ${action} needs a URL` })),
    onSome: Effect.succeed
  })

/**
 * @since 0.1.0
 * @category commands
 */
export const webhooks = Command.make(
  "webhooks",
  {
    globals: GlobalOptions.options,
    action: Args.choice(ACTIONS.map((a) => [a, a] as const), { name: "action" }).pipe(
      Args.withDescription(ACTIONS.join(", "))
    ),
    url: Args.text({ name: "url" }).pipe(Args.optional),
    types: Options.text("types").pipe(
      Options.withPseudoName("t1,t2"),
      Options.optional,
      Options.withDescription(
        "For add: resource_context_changed, upload, delete, or all (the default)."
      )
    ),
    since: Options.text("since").pipe(
      Options.withPseudoName("time"),
      Options.optional,
      Options.withDescription("For redeliver: only what failed at or after this ISO 8601 time.")
    ),
    overlap: Options.text("overlap").pipe(
      Options.withPseudoName("duration"),
      Options.optional,
      Options.withDescription("For rotate: how long the old secret keeps signing (24 hours).")
    ),
    allowTargets: Delivery.allowTargets,
    config: Options.text("config").pipe(
      Options.withPseudoName("file"),
      Options.optional,
      Options.withDescription("For redeliver: the configuration of ctx serve (keys, targets).")
    )
  },
  ({ action, allowTargets, config, globals, overlap, since, types, url }): Effect.Effect<
    void,
    Failure
  > =>
    Effect.gen(function*() {
      const cloud = yield* AssetOptions.decodeCloud(globals.cloud)
      const http = yield* Delivery.http
      const { WebhookApi, WebhookEndpoints } = http
      const core = Ctxlog.layer().pipe(Layer.provideMerge(Store.layer(globals.store)))
      const print = (json: unknown, text: ReadonlyArray<string>) =>
        globals.json ? Output.json(json) : Effect.forEach(text, Output.line, { discard: true })
      const run = Effect.gen(function*() {
        const ctxlog = yield* Ctxlog.Ctxlog
        switch (action) {
          case "add": {
            const target = yield* needsUrl(action, url)
            yield* Either.match(http.WebhookTarget.checkUrl(target), {
              onLeft: (e) => Effect.fail(new UsageError({ detail: e.message })),
              onRight: () => Effect.void
            })
            const wanted = yield* Either.match(WebhookApi.parseTypes(Option.toArray(types)), {
              onLeft: (why) => Effect.fail(new UsageError({ detail: `--types: ${why}` })),
              onRight: Effect.succeed
            })
            const from = yield* ctxlog.head
            const { created, endpoint } = yield* WebhookEndpoints.add({
              cloud,
              url: target,
              types: wanted,
              from
            })
            const shown = WebhookApi.render(endpoint, true)
            return yield* print({ ...shown, created }, [
              `${created ? "registered" : "updated"} ${target} for cloud ${cloud} ` +
              `(${shown.types.join(", ")})`,
              `signing secret (Standard Webhooks): ${shown.secret}`
            ])
          }
          case "list": {
            const all = (yield* WebhookEndpoints.list(cloud)).map((e) => WebhookApi.render(e))
            return yield* print(
              all,
              all.length === 0 ? [`no webhooks in cloud ${cloud}`] : Output.table([
                ["URL", "TYPES", "STATUS"],
                ...all.map((e) => [
                  e.url,
                  e.types.join(","),
                  "disabled_at" in e ? `disabled ${e.disabled_at}: ${e.disabled_reason}` : "enabled"
                ])
              ])
            )
          }
          case "remove": {
            const removed = yield* WebhookEndpoints.remove(cloud, yield* needsUrl(action, url))
            return yield* print(WebhookApi.render(removed), [`removed ${removed.url}`])
          }
          case "rotate": {
            const text = Option.getOrElse(overlap, () => "24 hours")
            const ms = yield* Option.match(Duration.decodeUnknown(text), {
              onNone: () =>
                Effect.fail(new UsageError({ detail: `--overlap: ${text} is not a duration` })),
              onSome: (d) => Effect.succeed(Duration.toMillis(d))
            })
            const rotated = yield* WebhookEndpoints.rotate(cloud, yield* needsUrl(action, url), ms)
            const shown = WebhookApi.render(rotated, true)
            return yield* print(shown, [
              `new signing secret: ${shown.secret} (the old one signs too for ${text})`
            ])
          }
          case "failed": {
            const letters = yield* WebhookEndpoints.deadLetters(cloud)
            return yield* print(
              letters,
              letters.length === 0 ? ["no failed deliveries"] : Output.table([
                ["FAILED_AT", "URL", "POSITION", "TYPE", "ATTEMPTS", "ERROR"],
                ...letters.map((l) => [
                  l.failedAt,
                  l.url,
                  String(l.position),
                  l.notificationType,
                  String(l.attempts),
                  l.error
                ])
              ])
            )
          }
          case "redeliver": {
            const after = Option.isNone(since) ? undefined : new Date(since.value)
            if (after !== undefined && Number.isNaN(after.getTime())) {
              return yield* new UsageError({
                detail: `--since: ${Option.getOrThrow(since)} is not a time`
              })
            }
            const file = Option.isSome(config) ? yield* ServeConfig.read(config.value) : {}
            const configured = yield* Either.match(ServeConfig.configuredKeys(file), {
              onLeft: Effect.fail,
              onRight: Effect.succeed
            })
            const keys = yield* Keys.resolve(configured, cloud)
            const options = yield* Delivery.settings(http, file, allowTargets)
            const result = yield* http.WebhookDispatcher.redeliver(ctxlog, cloud, {
              ...options,
              apiSecretOf: http.Credentials.secretOf(keys),
              since: after
            })
            return yield* print(
              { redelivered: result.delivered.length, failed: result.failed.length },
              [`redelivered ${result.delivered.length}, still failing ${result.failed.length}`]
            )
          }
        }
      })
      yield* Effect.provide(run, core)
    })
).pipe(Command.withDescription(Help.describe(
  "Manage the notification URLs of the cloud: add one (printing the whsec_ secret its " +
    "Standard Webhooks signatures use), list them with their status, remove one, rotate its " +
    "secret, list the notifications given up on, and send those again.",
  [
    [
      "register a URL for context changes",
      "ctx webhooks add https://example.com/hook --types resource_context_changed"
    ],
    ["see what failed, and send it again", "ctx webhooks failed && ctx webhooks redeliver"]
  ]
)))
