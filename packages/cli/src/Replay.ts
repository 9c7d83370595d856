/**
 * `ctx replay`: rebuilds the projections from the whole log, then prints a summary.
 *
 * @since 0.1.0
 */
import type { Errors } from "@ctxlog/core"
import { Ctxlog } from "@ctxlog/core"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as GlobalOptions from "./GlobalOptions.js"
import * as Help from "./Help.js"
import * as Output from "./Output.js"
import * as Progress from "./Progress.js"
import * as Render from "./Render.js"
import * as Session from "./Session.js"

/**
 * Why a replay failed.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure = Session.Failure | Errors.EventLogError | Errors.ProjectionStoreError

/**
 * @since 0.1.0
 * @category commands
 */
export const replay = Command.make(
  "replay",
  { globals: GlobalOptions.options },
  ({ globals }): Effect.Effect<void, Failure> =>
    Effect.gen(function*() {
      const progress = Progress.make("replaying")
      const summary = yield* Session.run(
        globals,
        Effect.flatMap(Ctxlog.Ctxlog, (c) => c.rebuild(progress.update))
      ).pipe(Effect.ensuring(progress.finish))
      yield* globals.json
        ? Output.json(Render.summaryJson(summary))
        : Output.line(Render.summaryText(summary))
    })
).pipe(Command.withDescription(Help.describe(
  "Rebuild the projections (current contexts and the context index) from the log, showing " +
    "progress on stderr, then print a summary. Every cloud is rebuilt.",
  [["rebuild the default store", "ctx replay"]]
)))
