/**
 * `ctx watch`: the notifications of the cloud, one JSON object per line, as they happen. It runs
 * until it is stopped (SIGINT or SIGTERM), and then exits with status 0.
 *
 * @since 0.1.0
 */
import type { Errors } from "@ctxlog/core"
import { Ctxlog } from "@ctxlog/core"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as AssetOptions from "./AssetOptions.js"
import { UsageError } from "./Errors.js"
import * as GlobalOptions from "./GlobalOptions.js"
import * as Help from "./Help.js"
import * as Output from "./Output.js"
import * as Session from "./Session.js"

/**
 * Why watching stopped.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure = Session.Failure | Errors.EventLogError | Errors.InvalidQuery | UsageError

/**
 * @since 0.1.0
 * @category commands
 */
export const watch = Command.make(
  "watch",
  {
    globals: GlobalOptions.options,
    from: Options.integer("from").pipe(
      Options.withPseudoName("position"),
      Options.optional,
      Options.withDescription(
        "Print the notifications of commands completed after this log position, then the new " +
          "ones; 0 prints them all. Default: the current head, so only new ones."
      )
    )
  },
  ({ from, globals }): Effect.Effect<void, Failure> =>
    Effect.gen(function*() {
      if (Option.isSome(from) && from.value < 0) {
        return yield* new UsageError({ detail: `--from must not be negative, got ${from.value}` })
      }
      const cloud = yield* AssetOptions.decodeCloud(globals.cloud)
      yield* Session.run(
        globals,
        Effect.gen(function*() {
          const ctxlog = yield* Ctxlog.Ctxlog
          const after = Option.isSome(from) ? from.value : yield* ctxlog.head
          // Every command completed from now on is after `after`, so none can be missed.
          yield* Output.errorLine(
            Output.stderr().dim(
              `watching cloud ${cloud} after position ${after}; stop with Ctrl-C`
            )
          )
          yield* ctxlog.notifications(after).pipe(
            Stream.filter(({ notification }) => notification.cloud === cloud),
            Stream.runForEach(({ notification, position }) =>
              Output.json({ ...notification, position })
            )
          )
        })
      )
    })
).pipe(Command.withDescription(Help.describe(
  "Print the notifications of the cloud as they happen, one JSON object per line (the " +
    "resource_context_changed, upload and delete shapes, with the log position of each). " +
    "Runs until interrupted; resume with --from the last position printed.",
  [
    ["follow new changes", "ctx watch"],
    ["everything from the start, then new changes", "ctx watch --from 0"]
  ]
)))
