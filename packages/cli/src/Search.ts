/**
 * `ctx search`: the assets of the cloud that meet a search expression.
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
 * @since 0.1.0
 * @category models
 */
export type Failure = Session.Failure | Queries.QueryError | UsageError

const SORT = /^(public_id|created_at)(?::(asc|desc))?$/

/**
 * @since 0.1.0
 * @category commands
 */
export const search = Command.make(
  "search",
  {
    globals: GlobalOptions.options,
    expression: Args.text({ name: "expression" }).pipe(
      Args.withDescription(
        "context.<key>=<value> (exact), context.<key>:<value> (words), prefixes (ABC*), " +
          "existence (context.k:*), ranges, AND/OR/NOT, parentheses, quotes."
      )
    ),
    sort: Options.text("sort").pipe(
      Options.withPseudoName("field:asc|desc"),
      Options.optional,
      Options.withDescription("public_id or created_at; default created_at:desc.")
    ),
    max: Options.integer("max").pipe(
      Options.optional,
      Options.withDescription("At most this many (1 to 500); default 50.")
    ),
    cursor: Options.text("cursor").pipe(
      Options.optional,
      Options.withDescription("The next_cursor of the previous page.")
    )
  },
  ({ cursor, expression, globals, max, sort }): Effect.Effect<void, Failure> =>
    Effect.gen(function*() {
      const cloud = yield* AssetOptions.decodeCloud(globals.cloud)
      const order = Option.getOrUndefined(sort)
      const parsed = order === undefined ? undefined : SORT.exec(order)
      if (parsed === null) {
        return yield* new UsageError({
          detail: `--sort must be public_id or created_at, with :asc or :desc; got ${order}`
        })
      }
      const result = yield* Session.run(
        globals,
        Effect.flatMap(Ctxlog.Ctxlog, (ctxlog) =>
          ctxlog.search({
            cloud,
            expression,
            sortBy: parsed?.[1] as "public_id" | "created_at" | undefined,
            direction: parsed?.[2] as "asc" | "desc" | undefined,
            maxResults: Option.getOrUndefined(max),
            cursor: Option.getOrUndefined(cursor)
          }))
      )
      if (globals.json) {
        return yield* Output.json({
          total_count: result.totalCount,
          resources: result.resources.map((view) => {
            const { context, public_id, resource_type, type } = Render.assetJson(view)
            return { public_id, resource_type, type, context }
          }),
          ...(result.nextCursor === undefined ? {} : { next_cursor: result.nextCursor })
        })
      }
      const s = Output.stdout()
      if (result.totalCount === 0) return yield* Output.line(s.dim("no assets match"))
      for (const line of Render.assetsText(s, result.resources)) yield* Output.line(line)
      yield* Output.line(s.dim(`${result.resources.length} of ${result.totalCount}`))
      if (result.nextCursor !== undefined) {
        yield* Output.line(s.dim(`more: --cursor ${result.nextCursor}`))
      }
    })
).pipe(Command.withDescription(Help.describe(
  "Find the assets of the cloud that meet a search expression, as Cloudinary's search does.",
  [
    ["exact value", "ctx search 'context.product=shirt'"],
    ["prefix and existence", "ctx search 'context.sku:ABC* AND context.color:*' --sort public_id"]
  ]
)))
