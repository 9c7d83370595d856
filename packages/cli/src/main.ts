/**
 * The entry point of the `ctx` binary: runs the command line on Node, and ends the process with
 * the exit status of its outcome.
 *
 * @since 0.1.0
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Cli from "./Cli.js"
import * as Failure from "./Failure.js"
import * as Output from "./Output.js"

// A reader that stops early (`ctx history a | head -1`) is not an error of ctx.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0)
    throw error
  })
}

const strip = (colour: boolean) => (args: ReadonlyArray<unknown>) =>
  colour ? args : args.map((a) => typeof a === "string" ? Output.stripAnsi(a) : a)

// @effect/cli prints help and usage errors through the Console service, always in colour; this
// one drops the colour where the stream is not a terminal.
const console = Effect.map(Console.consoleWith(Effect.succeed), (base): Console.Console => {
  const out = strip(Output.colourFor(process.stdout))
  const err = strip(Output.colourFor(process.stderr))
  return {
    ...base,
    log: (...args) => base.log(...out(args)),
    error: (...args) => base.error(...err(args))
  }
})

// Logs are for operators and go to stderr, so that stdout stays parseable with --json.
const logger = Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger))

const program = Effect.flatMap(console, (c) =>
  Cli.run(process.argv).pipe(
    Effect.provide(NodeContext.layer),
    // The built-in options (--help, --version, --log-level, ...) would be listed in every
    // command's help; the overview of `ctx --help` names the ones worth knowing.
    Effect.provide(CliConfig.layer({ showBuiltIns: false })),
    Effect.provide(logger),
    Logger.withMinimumLogLevel(LogLevel.Warning),
    Effect.withConsole(c)
  )).pipe(
    Effect.matchCauseEffect({ onSuccess: () => Effect.succeed(0), onFailure: Failure.report }),
    Effect.flatMap((code) =>
      Effect.sync(() => {
        process.exitCode = code
      })
    )
  )

NodeRuntime.runMain(program, { disableErrorReporting: true, disablePrettyLogger: true })
