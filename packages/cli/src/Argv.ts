/**
 * Argument normalisation. @effect/cli reads a parent command's options only before the name of
 * the subcommand, and a subcommand's options anywhere after it. Every `ctx` command declares the
 * global options itself, so a global option written before the command name (`ctx --json get a`)
 * is moved to just after it (`ctx get --json a`); everything else keeps its place.
 *
 * @since 0.1.0
 */
import * as GlobalOptions from "./GlobalOptions.js"

/** Built-in options of @effect/cli that take a value, so that the value is not a command name. */
const builtInValued: ReadonlyArray<string> = ["--log-level", "--completions"]

const isGlobal = (arg: string): boolean =>
  GlobalOptions.flags.includes(arg) ||
  GlobalOptions.valued.some((name) => arg === name || arg.startsWith(`${name}=`))

interface Parts {
  /** Built-in options in front of the command, with their values. */
  readonly before: ReadonlyArray<string>
  /** Global options in front of the command, with their values. */
  readonly globals: ReadonlyArray<string>
  readonly command: string | undefined
  /** What follows the command name (everything from `--` when there is no command). */
  readonly rest: ReadonlyArray<string>
}

const split = (args: ReadonlyArray<string>): Parts => {
  const before: Array<string> = []
  const globals: Array<string> = []
  let i = 0
  for (; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") break
    if (isGlobal(arg)) {
      globals.push(arg)
      if (GlobalOptions.valued.includes(arg) && i + 1 < args.length) globals.push(args[++i]!)
      continue
    }
    if (!arg.startsWith("-")) break
    before.push(arg)
    if (builtInValued.includes(arg) && i + 1 < args.length) before.push(args[++i]!)
  }
  const command = args[i]
  return command === undefined || command === "--"
    ? { before, globals, command: undefined, rest: args.slice(i) }
    : { before, globals, command, rest: args.slice(i + 1) }
}

/**
 * The name of the command a command line runs (without the runtime and the script), if any.
 *
 * @since 0.1.0
 * @category normalisation
 */
export const commandName = (args: ReadonlyArray<string>): string | undefined => split(args).command

/**
 * Moves the global options in front of the command name to just after it. `args` is the command
 * line without the runtime and the script; with no command name in it, the global options are
 * dropped, since without a command they mean nothing (`ctx --json --help` shows the help).
 *
 * @since 0.1.0
 * @category normalisation
 */
export const normalize = (args: ReadonlyArray<string>): Array<string> => {
  const { before, command, globals, rest } = split(args)
  return command === undefined ? [...before, ...rest] : [...before, command, ...globals, ...rest]
}
