/**
 * How a failed command ends: a message on stderr that says what was wrong, and an exit status.
 *
 * - 1: the input was refused (a limit, malformed context, an invalid command or query, a
 *   revision conflict), an asset is missing, or the store failed.
 * - 2: wrong usage (unknown options, a bad store URL, a malformed `--as-of`).
 *
 * @since 0.1.0
 */
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Output from "./Output.js"

/**
 * @since 0.1.0
 * @category constants
 */
export const REFUSED = 1

/**
 * @since 0.1.0
 * @category constants
 */
export const USAGE = 2

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : undefined

/**
 * The exit status of a failure.
 *
 * @since 0.1.0
 * @category exit codes
 */
export const exitCode = (error: unknown): number =>
  ValidationError.isValidationError(error) || tagOf(error) === "UsageError" ? USAGE : REFUSED

/**
 * The message printed for a failure; empty for @effect/cli's own errors, which it has printed.
 *
 * @since 0.1.0
 * @category messages
 */
export const message = (error: unknown): string => {
  if (ValidationError.isValidationError(error)) return ""
  if (tagOf(error) === "ContextParseError") {
    const e = error as { input: string; position: number; reason: string }
    return `the context ${JSON.stringify(e.input)} is malformed at position ${e.position}: ` +
      e.reason
  }
  if (error instanceof Error) return error.message
  return String(error)
}

/**
 * Prints what went wrong and gives the exit status.
 *
 * @since 0.1.0
 * @category reporting
 */
export const report = (cause: Cause.Cause<unknown>): Effect.Effect<number> =>
  Option.match(Cause.failureOption(cause), {
    onSome: (error) => {
      const text = message(error)
      const code = exitCode(error)
      const s = Output.stderr()
      const hint = code === USAGE && text !== "" ? s.dim(" (see ctx --help)") : ""
      return (text === "" ? Effect.void : Output.errorLine(`${s.red("ctx:")} ${text}${hint}`))
        .pipe(Effect.as(code))
    },
    onNone: () =>
      Cause.isInterruptedOnly(cause)
        ? Effect.succeed(0)
        : Output.errorLine(`ctx: unexpected failure\n${Cause.pretty(cause)}`).pipe(
          Effect.as(REFUSED)
        )
  })
