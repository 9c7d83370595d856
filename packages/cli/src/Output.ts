/**
 * Writing to the terminal: whole lines to stdout and stderr, colour only where it can be seen,
 * JSON for machines and aligned tables for people.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"

/**
 * Colour for a stream: only when it is a terminal and `NO_COLOR` is unset.
 *
 * @since 0.1.0
 * @category colour
 */
export const colourFor = (stream: { readonly isTTY?: boolean | undefined }): boolean =>
  stream.isTTY === true && process.env.NO_COLOR === undefined

/**
 * @since 0.1.0
 * @category colour
 */
export interface Style {
  readonly bold: (text: string) => string
  readonly dim: (text: string) => string
  readonly red: (text: string) => string
  readonly green: (text: string) => string
  readonly yellow: (text: string) => string
  readonly cyan: (text: string) => string
}

const sgr = (on: number, off: number) => (text: string) => `\x1b[${on}m${text}\x1b[${off}m`

const identity = (text: string) => text

/**
 * @since 0.1.0
 * @category colour
 */
export const style = (colour: boolean): Style =>
  colour
    ? {
      bold: sgr(1, 22),
      dim: sgr(2, 22),
      red: sgr(31, 39),
      green: sgr(32, 39),
      yellow: sgr(33, 39),
      cyan: sgr(36, 39)
    }
    : {
      bold: identity,
      dim: identity,
      red: identity,
      green: identity,
      yellow: identity,
      cyan: identity
    }

/**
 * The style of what goes to stdout.
 *
 * @since 0.1.0
 * @category colour
 */
export const stdout = (): Style => style(colourFor(process.stdout))

/**
 * The style of what goes to stderr.
 *
 * @since 0.1.0
 * @category colour
 */
export const stderr = (): Style => style(colourFor(process.stderr))

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g

/**
 * @since 0.1.0
 * @category colour
 */
export const stripAnsi = (text: string): string => text.replace(ANSI, "")

const write = (stream: NodeJS.WriteStream, text: string): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    // The callback runs once the text is handed to the OS, so a line is out before the next
    // step (or the end of the process) even when the stream is a pipe.
    stream.write(text, () => resume(Effect.void))
  })

/**
 * Writes lines to stdout.
 *
 * @since 0.1.0
 * @category writing
 */
export const line = (text: string): Effect.Effect<void> => write(process.stdout, `${text}\n`)

/**
 * Writes lines to stderr.
 *
 * @since 0.1.0
 * @category writing
 */
export const errorLine = (text: string): Effect.Effect<void> => write(process.stderr, `${text}\n`)

/**
 * Writes to stderr without a newline, for progress that redraws itself.
 *
 * @since 0.1.0
 * @category writing
 */
export const errorRaw = (text: string): Effect.Effect<void> => write(process.stderr, text)

/**
 * Writes one JSON document on one line to stdout.
 *
 * @since 0.1.0
 * @category writing
 */
export const json = (value: unknown): Effect.Effect<void> => line(JSON.stringify(value))

const width = (text: string): number => {
  let n = 0
  for (const _ of stripAnsi(text)) n++
  return n
}

/**
 * Aligns cells into columns separated by two spaces; the last column is not padded.
 *
 * @since 0.1.0
 * @category formatting
 */
export const table = (rows: ReadonlyArray<ReadonlyArray<string>>): Array<string> => {
  const widths: Array<number> = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, width(cell))
    })
  }
  return rows.map((row) =>
    row.map((cell, i) =>
      i === row.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - width(cell))
    ).join("  ").trimEnd()
  )
}

/**
 * A context value as one line of text: newlines (the one control character a value may hold)
 * are shown as `\n`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const oneLine = (text: string): string => text.replace(/\n/g, "\\n")
