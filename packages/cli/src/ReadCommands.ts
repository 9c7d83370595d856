/**
 * The commands that read: an asset now or at a point of its history, its history, and the assets
 * that have a context key.
 *
 * @since 0.1.0
 */
import type { Queries } from "@ctxlog/core"
import { Ctxlog } from "@ctxlog/core"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AssetOptions from "./AssetOptions.js"
import { UsageError } from "./Errors.js"
import * as GlobalOptions from "./GlobalOptions.js"
import * as Help from "./Help.js"
import * as Output from "./Output.js"
import * as Render from "./Render.js"
import * as Session from "./Session.js"

/**
 * Why a read command failed.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure = Session.Failure | Queries.QueryError | UsageError

const publicId = Args.text({ name: "public_id" }).pipe(
  Args.withDescription("The public id of the asset.")
)

const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i

/**
 * `--as-of`: a whole number is a revision, an ISO 8601 time is a time; anything else is wrong
 * usage.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseAsOf = (text: string): Effect.Effect<Queries.AsOf, UsageError> => {
  if (/^\d+$/.test(text)) {
    const revision = Number(text)
    return Number.isSafeInteger(revision)
      ? Effect.succeed({ revision })
      : Effect.fail(new UsageError({ detail: `--as-of: revision ${text} is too large` }))
  }
  const time = new Date(text)
  return ISO_TIME.test(text) && !Number.isNaN(time.getTime())
    ? Effect.succeed({ time })
    : Effect.fail(
      new UsageError({
        detail: `--as-of: ${JSON.stringify(text)} is neither a revision (a whole number) nor an ` +
          "ISO 8601 time such as 2025-01-31T12:00:00Z"
      })
    )
}

/**
 * @since 0.1.0
 * @category commands
 */
export const get = Command.make(
  "get",
  {
    globals: GlobalOptions.options,
    placement: AssetOptions.options,
    publicId,
    asOf: Options.text("as-of").pipe(
      Options.withPseudoName("revision|time"),
      Options.optional,
      Options.withDescription(
        "Show the asset as it was: at a revision (a whole number from 1) or at an ISO 8601 time " +
          "(its last event at or before it)."
      )
    )
  },
  ({ asOf, globals, placement, publicId }): Effect.Effect<void, Failure> =>
    Effect.gen(function*() {
      const point = Option.isSome(asOf) ? yield* parseAsOf(asOf.value) : undefined
      const asset = yield* AssetOptions.decode(globals.cloud, placement, publicId)
      const view = yield* Session.run(
        globals,
        Effect.flatMap(Ctxlog.Ctxlog, (c) => c.get(asset, point))
      )
      if (globals.json) return yield* Output.json(Render.assetJson(view))
      const at = point === undefined
        ? undefined
        : "revision" in point
        ? `revision ${point.revision}`
        : point.time.toISOString()
      for (const line of Render.assetText(Output.stdout(), view, at)) yield* Output.line(line)
    })
).pipe(Command.withDescription(Help.describe(
  "Show the context of an asset: now, or at a point of its history.",
  [
    ["the current context", "ctx get shirt1"],
    ["as JSON, as it was at revision 2", "ctx get shirt1 --as-of 2 --json"],
    ["as it was at a time", "ctx get shirt1 --as-of 2025-01-31T12:00:00Z"]
  ]
)))

/**
 * @since 0.1.0
 * @category commands
 */
export const history = Command.make(
  "history",
  { globals: GlobalOptions.options, placement: AssetOptions.options, publicId },
  ({ globals, placement, publicId }): Effect.Effect<void, Failure> =>
    Effect.gen(function*() {
      const asset = yield* AssetOptions.decode(globals.cloud, placement, publicId)
      const events = yield* Session.run(
        globals,
        Effect.flatMap(Ctxlog.Ctxlog, (c) => c.history(asset))
      )
      if (globals.json) return yield* Output.json(events.map(Render.eventJson))
      for (const line of Render.historyText(Output.stdout(), events)) yield* Output.line(line)
    })
).pipe(Command.withDescription(Help.describe(
  "Show the events of an asset, oldest first: revision, log position, time, source, actor and " +
    "what changed. A deleted asset keeps its history.",
  [["the history of shirt1", "ctx history shirt1"]]
)))

/**
 * @since 0.1.0
 * @category commands
 */
export const byContext = Command.make(
  "by-context",
  {
    globals: GlobalOptions.options,
    filters: AssetOptions.filters,
    key: Args.text({ name: "key" }).pipe(Args.withDescription("The context key.")),
    value: Args.text({ name: "value" }).pipe(
      Args.optional,
      Args.withDescription("Only assets whose value for the key is exactly this.")
    ),
    maxResults: Options.integer("max-results").pipe(
      Options.withPseudoName("n"),
      Options.withDefault(10),
      Options.withDescription("How many assets a page holds, from 1 to 500; default 10.")
    ),
    cursor: Options.text("cursor").pipe(
      Options.withPseudoName("c"),
      Options.optional,
      Options.withDescription("Continue where the page that printed this next cursor ended.")
    ),
    all: Options.boolean("all").pipe(
      Options.withDescription("Print every page, following the cursors.")
    )
  },
  ({ all, cursor, filters, globals, key, maxResults, value }): Effect.Effect<void, Failure> =>
    Effect.gen(function*() {
      const options: Queries.ByContextOptions = {
        cloud: yield* AssetOptions.decodeCloud(globals.cloud),
        key,
        value: Option.getOrUndefined(value),
        resourceType: Option.getOrUndefined(filters.resourceType),
        type: Option.getOrUndefined(filters.type),
        maxResults
      }
      const page = yield* Session.run(
        globals,
        Effect.gen(function*() {
          const ctxlog = yield* Ctxlog.Ctxlog
          let page = yield* ctxlog.byContext({ ...options, cursor: Option.getOrUndefined(cursor) })
          if (!all) return page
          const resources = [...page.resources]
          while (page.nextCursor !== undefined) {
            page = yield* ctxlog.byContext({ ...options, cursor: page.nextCursor })
            resources.push(...page.resources)
          }
          return { resources }
        })
      )
      if (globals.json) return yield* Output.json(Render.pageJson(page))
      const s = Output.stdout()
      if (page.resources.length === 0) {
        const what = Option.match(value, {
          onNone: () => `the key ${JSON.stringify(key)}`,
          onSome: (v) => `${JSON.stringify(key)} = ${JSON.stringify(v)}`
        })
        return yield* Output.line(s.dim(`no assets in cloud ${globals.cloud} have ${what}`))
      }
      for (const line of Render.assetsText(s, page.resources)) yield* Output.line(line)
      if (page.nextCursor !== undefined) {
        yield* Output.line(s.dim(`more: --cursor ${page.nextCursor} (or --all)`))
      }
    })
).pipe(Command.withDescription(Help.describe(
  "List the assets whose context has a key, or a key with a given value, a page at a time.",
  [
    ["assets with a caption", "ctx by-context caption"],
    ["every shirt, as JSON", "ctx by-context product shirt --all --json"]
  ]
)))

/**
 * @since 0.1.0
 * @category commands
 */
export const commands = [get, history, byContext] as const
