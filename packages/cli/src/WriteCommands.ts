/**
 * The commands that change assets: upload, add, remove-all, remove-keys, replace and delete.
 * Each becomes one core command, with a fresh id unless `--command-id` names one (the
 * idempotency key: the same id again changes nothing and reports the first result).
 *
 * @since 0.1.0
 */
import type { Command as CoreCommand, Context } from "@ctxlog/core"
import { CommandService, ContextText, Ctxlog } from "@ctxlog/core"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Crypto from "node:crypto"
import type { Placement } from "./AssetOptions.js"
import * as AssetOptions from "./AssetOptions.js"
import { AssetsNotFound } from "./Errors.js"
import type { Globals } from "./GlobalOptions.js"
import * as GlobalOptions from "./GlobalOptions.js"
import * as Help from "./Help.js"
import * as Output from "./Output.js"
import * as Render from "./Render.js"
import * as Session from "./Session.js"

const commandId = Options.text("command-id").pipe(
  Options.withPseudoName("id"),
  Options.optional,
  Options.withDescription(
    "The idempotency key of the command (1 to 200 characters). Sent again with the same id, " +
      "the command changes nothing and reports its first result. A fresh UUID when absent."
  )
)

const publicId = Args.text({ name: "public_id" }).pipe(
  Args.withDescription("The public id of the asset.")
)

const publicIds = Args.text({ name: "public_id" }).pipe(
  Args.atLeast(1),
  Args.withDescription("The public ids of the assets; those that do not exist are reported.")
)

const contextText = (what: string) =>
  Options.text("context").pipe(
    Options.withPseudoName("text"),
    Options.withDescription(
      `${what}, as key=value pairs separated by |; \\=, \\| and \\\\ stand for =, | and \\.`
    )
  )

const common = {
  globals: GlobalOptions.options,
  placement: AssetOptions.options,
  commandId
} as const

interface Common {
  readonly globals: Globals
  readonly placement: Placement
  readonly commandId: Option.Option<string>
}

/**
 * Why a write command failed.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure =
  | Session.Failure
  | CommandService.CommandError
  | ContextText.ContextParseError
  | AssetsNotFound

const parseContext = (
  text: string
): Effect.Effect<Context.Context, ContextText.ContextParseError> =>
  Either.match(ContextText.parse(text), { onLeft: Effect.fail, onRight: Effect.succeed })

/**
 * Runs one write command and prints what it did. A multi-asset command that did not find some
 * of its assets fails afterwards (exit status 1), once the result is printed.
 */
const write = <E>(
  input: Common,
  tag: CoreCommand.Command["_tag"],
  verb: string,
  ids: ReadonlyArray<string>,
  fields: (assets: ReadonlyArray<object>) => Effect.Effect<object, E>
): Effect.Effect<void, Failure | E> =>
  Effect.gen(function*() {
    const { globals, placement } = input
    const assets = ids.map((publicId) => ({
      cloud: globals.cloud,
      resourceType: placement.resourceType,
      type: placement.type,
      publicId
    }))
    const body = yield* fields(assets)
    const command = yield* CommandService.decodeCommand({
      _tag: tag,
      commandId: Option.getOrElse(input.commandId, () => Crypto.randomUUID()),
      source: "api",
      actor: Session.actor(),
      timestamp: new Date().toISOString(),
      ...body
    })
    const result = yield* Session.run(
      globals,
      Effect.flatMap(Ctxlog.Ctxlog, (c) => c.execute(command))
    )
    if (globals.json) yield* Output.json(Render.resultJson(result))
    else {
      for (const line of Render.resultText(Output.stdout(), verb, result)) yield* Output.line(line)
    }
    if (result.notFound.length > 0) {
      return yield* new AssetsNotFound({
        cloud: globals.cloud,
        assets: result.notFound.map((a) => a.path)
      })
    }
  })

/**
 * @since 0.1.0
 * @category commands
 */
export const upload = Command.make(
  "upload",
  {
    ...common,
    publicId,
    context: contextText("The whole context of the asset").pipe(Options.withDefault(""))
  },
  (c) =>
    write(
      c,
      "Upload",
      "uploaded",
      [c.publicId],
      ([asset]) => Effect.map(parseContext(c.context), (context) => ({ asset, context }))
    )
).pipe(Command.withDescription(Help.describe(
  "Register an asset with its context, or register it again: its context becomes exactly the " +
    "one given (none when --context is absent).",
  [
    ["register shirt1 with two pairs", "ctx upload shirt1 --context 'caption=New|product=shirt'"],
    ["a video, printing the result as JSON", "ctx upload intro --resource-type video --json"]
  ]
)))

/**
 * @since 0.1.0
 * @category commands
 */
export const add = Command.make(
  "add",
  {
    ...common,
    publicIds,
    context: contextText("The pairs to merge; an empty value removes its key")
  },
  (c) =>
    write(
      c,
      "AddContext",
      "updated",
      c.publicIds,
      (assets) => Effect.map(parseContext(c.context), (pairs) => ({ assets, pairs }))
    )
).pipe(Command.withDescription(Help.describe(
  "Merge context into each asset: new keys are added, known keys take the new value, and a key " +
    "with an empty value is removed.",
  [
    ["tag two assets", "ctx add shirt1 shirt2 --context product=shirt"],
    ["set a caption and drop the alt text", "ctx add shirt1 --context 'caption=Sale|alt='"]
  ]
)))

/**
 * @since 0.1.0
 * @category commands
 */
export const removeAll = Command.make(
  "remove-all",
  { ...common, publicIds },
  (c) =>
    write(c, "RemoveAllContext", "cleared", c.publicIds, (assets) => Effect.succeed({ assets }))
).pipe(Command.withDescription(Help.describe(
  "Clear the whole context of each asset; the assets stay.",
  [["clear two assets", "ctx remove-all shirt1 shirt2"]]
)))

/**
 * @since 0.1.0
 * @category commands
 */
export const removeKeys = Command.make(
  "remove-keys",
  {
    ...common,
    publicIds,
    keys: Options.text("keys").pipe(
      Options.withPseudoName("k1,k2"),
      Options.withDescription("The keys to remove, separated by commas.")
    )
  },
  (c) =>
    write(
      c,
      "RemoveKeys",
      "updated",
      c.publicIds,
      (assets) => Effect.succeed({ assets, keys: c.keys.split(",").filter((k) => k !== "") })
    )
).pipe(Command.withDescription(Help.describe(
  "Remove some keys from the context of each asset; keys an asset lacks are ignored.",
  [["remove two keys", "ctx remove-keys shirt1 shirt2 --keys caption,alt"]]
)))

/**
 * @since 0.1.0
 * @category commands
 */
export const replace = Command.make(
  "replace",
  { ...common, publicId, context: contextText("The new whole context") },
  (c) =>
    write(
      c,
      "ReplaceContext",
      "replaced",
      [c.publicId],
      ([asset]) => Effect.map(parseContext(c.context), (context) => ({ asset, context }))
    )
).pipe(Command.withDescription(Help.describe(
  "Set the whole context of an asset that exists, dropping the keys not given.",
  [["replace the context of shirt1", "ctx replace shirt1 --context 'caption=Sale|alt=a\\=b'"]]
)))

/**
 * @since 0.1.0
 * @category commands
 */
export const remove = Command.make(
  "delete",
  { ...common, publicIds },
  (c) => write(c, "DeleteAssets", "deleted", c.publicIds, (assets) => Effect.succeed({ assets }))
).pipe(Command.withDescription(Help.describe(
  "Delete assets. Their history stays in the log: ctx history and ctx get --as-of still show it.",
  [["delete two assets", "ctx delete shirt1 shirt2"]]
)))

/**
 * @since 0.1.0
 * @category commands
 */
export const commands = [upload, add, removeAll, removeKeys, replace, remove] as const
