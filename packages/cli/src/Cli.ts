/**
 * The `ctx` command: its subcommands, its help, and its run on a command line.
 *
 * @since 0.1.0
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import type * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import { createRequire } from "node:module"
import * as Argv from "./Argv.js"
import * as Delivery from "./Delivery.js"
import { UsageError } from "./Errors.js"
import * as ReadCommands from "./ReadCommands.js"
import * as Replay from "./Replay.js"
import * as Search from "./Search.js"
import * as Serve from "./Serve.js"
import * as Store from "./Store.js"
import * as Transform from "./Transform.js"
import * as Watch from "./Watch.js"
import * as Webhooks from "./Webhooks.js"
import * as WriteCommands from "./WriteCommands.js"

const version = (createRequire(import.meta.url)("../package.json") as { version: string }).version

const commandList: ReadonlyArray<readonly [string, string]> = [
  ["upload <public_id> [--context <text>]", "register an asset with its context"],
  ["add <public_id...> --context <text>", "merge context into each asset"],
  ["remove-all <public_id...>", "clear the context of each asset"],
  ["remove-keys <public_id...> --keys <k1,k2>", "remove some keys"],
  ["replace <public_id> --context <text>", "set the whole context of an asset"],
  ["delete <public_id...>", "delete assets (their history stays)"],
  ["get <public_id> [--as-of <revision|time>]", "the current or a past context"],
  ["history <public_id>", "the events of an asset"],
  ["by-context <key> [<value>]", "the assets that have a key (and value)"],
  ["search <expression> [--sort <field>:<asc|desc>] [--max <n>]", "find assets by context"],
  ["transform <public_id> <transformation>", "resolve a context-driven transformation"],
  ["watch [--from <position>]", "print notifications as they happen, as JSON lines"],
  ["replay", "rebuild the projections from the log"],
  ["serve [--port 8080] [--host 127.0.0.1] [--config <file>]", "serve the HTTP API"],
  ["webhooks <add|list|remove|rotate|failed|redeliver> [<url>]", "notification URLs"],
  ["deliver [--allow-targets <cidr,...>]", "deliver webhooks apart from serve"]
]

const globalList: ReadonlyArray<readonly [string, string]> = [
  [
    "--store <url>",
    "sqlite:<path>[?durability=off|normal|full], nats://<host>:<port>[?prefix=<p>] or " +
    `memory:; also read from ${Store.ENV_VAR}; ` +
    `default ${Store.DEFAULT_URL}`
  ],
  ["--cloud <name>", "the cloud (tenant) of the assets; default demo"],
  ["--json", "machine-readable output on stdout"],
  ["--help, --version", "this help (ctx <command> --help for a command), the version"]
]

const list = (entries: ReadonlyArray<readonly [string, string]>) =>
  HelpDoc.descriptionList(
    entries.map(([term, text]) =>
      [Span.code(term), HelpDoc.p(text)] as [Span.Span, HelpDoc.HelpDoc]
    ) as [
      [Span.Span, HelpDoc.HelpDoc],
      ...Array<[Span.Span, HelpDoc.HelpDoc]>
    ]
  )

const overview = HelpDoc.blocks([
  HelpDoc.p(
    "ctx keeps the contextual metadata of media assets (key=value pairs such as " +
      "caption=New|product=shirt) as an event-sourced log, and reads it back now or as it was."
  ),
  HelpDoc.p(Span.strong("Commands")),
  list(commandList),
  HelpDoc.p(Span.strong("Global options, before or after the command")),
  list(globalList),
  HelpDoc.p(Span.strong("Examples")),
  HelpDoc.p(Span.code("$ ctx upload shirt1 --context 'caption=New|product=shirt'")),
  HelpDoc.p(Span.code("$ ctx add shirt1 shirt2 --context season=summer")),
  HelpDoc.p(Span.code("$ ctx --json get shirt1")),
  HelpDoc.p(Span.code("$ ctx by-context product shirt --store sqlite:./catalog.db")),
  HelpDoc.p(
    "Exit status: 0 done; 1 refused input (a limit, malformed context), a missing asset or a " +
      "store failure; 2 wrong usage."
  )
])

/**
 * Why a command failed.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure =
  | WriteCommands.Failure
  | ReadCommands.Failure
  | Watch.Failure
  | Replay.Failure
  | Search.Failure
  | Transform.Failure
  | Serve.Failure
  | Webhooks.Failure
  | Delivery.Failure
  | UsageError
  | ValidationError.ValidationError

/**
 * The names of the commands.
 *
 * @since 0.1.0
 * @category constants
 */
export const commandNames: ReadonlyArray<string> = commandList.map(([usage]) =>
  usage.split(" ")[0]!
)

const known = `${commandNames.slice(0, -1).join(", ")} or ${commandNames[commandNames.length - 1]}`

const root = Command.make(
  "ctx",
  {},
  () => Effect.fail(new UsageError({ detail: `a command is required: ${known}` }))
).pipe(
  Command.withDescription(overview),
  Command.withSubcommands([
    ...WriteCommands.commands,
    ...ReadCommands.commands,
    Search.search,
    Transform.transform,
    Watch.watch,
    Replay.replay,
    Serve.serve,
    Webhooks.webhooks,
    Delivery.deliver
  ])
)

const runRoot = Command.run(root, { name: "ctx", version })

/**
 * Runs `ctx` on a command line (`[runtime, script, ...args]`), global options anywhere.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  argv: ReadonlyArray<string>
): Effect.Effect<void, Failure, CliApp.CliApp.Environment> => {
  const [runtime = "node", script = "ctx", ...args] = argv
  const command = Argv.commandName(args)
  // @effect/cli would say "invalid subcommand" without naming the word it did not know.
  if (command !== undefined && !commandNames.includes(command)) {
    return Effect.fail(
      new UsageError({ detail: `unknown command ${JSON.stringify(command)}; use ${known}` })
    )
  }
  return runRoot([runtime, script, ...Argv.normalize(args)])
}
