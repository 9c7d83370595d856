/**
 * The pipe format that the HTTP API, the SDKs and the CLI exchange: `key1=value1|key2=value2`.
 *
 * Parsing splits on unescaped `|`, then each pair on its first unescaped `=`. `\=`, `\|` and `\\`
 * stand for the character after the backslash; any other backslash is kept as it is, because the
 * official SDK does not double backslashes. Encoding is canonical: it escapes exactly `\`, `=` and
 * `|`, and keeps the order of the pairs.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { Type as ParseIssueType } from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Context from "./Context.js"

/**
 * Malformed context text. `position` is the 0-based offset, in UTF-16 units, of the problem.
 *
 * @since 0.1.0
 * @category errors
 */
export class ContextParseError extends Schema.TaggedError<ContextParseError>()(
  "ContextParseError",
  {
    input: Schema.String,
    position: Schema.Number,
    reason: Schema.String
  }
) {
  override get message(): string {
    return `malformed context at position ${this.position}: ${this.reason}`
  }
}

const isSpecial = (c: string): boolean => c === "\\" || c === "=" || c === "|"

/**
 * Parses the pipe format. Never throws: malformed text gives a `ContextParseError`.
 *
 * The pairs come back as written: a repeated key stays repeated and an empty value stays empty,
 * because what they mean depends on the command (in `add`, an empty value removes the key).
 * Empty segments (`a=1||b=2`, a trailing `|`) are skipped. A pair without `=` is refused: the
 * SDK sends floats and booleans that way, having lost their key.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (input: string): Either.Either<Context.Context, ContextParseError> => {
  const pairs: Array<Context.Pair> = []
  let key: string | undefined
  let buffer = ""
  let segmentStart = 0
  let segmentEmpty = true

  const close = (end: number): ContextParseError | undefined => {
    if (key === undefined) {
      if (segmentEmpty) return undefined
      return new ContextParseError({
        input,
        position: segmentStart,
        reason: `the pair ${JSON.stringify(input.slice(segmentStart, end))} has no "=" ` +
          "between its key and its value"
      })
    }
    if (key === "") {
      return new ContextParseError({ input, position: segmentStart, reason: "a key is empty" })
    }
    pairs.push({ key, value: buffer })
    return undefined
  }

  for (let i = 0; i < input.length; i++) {
    const c = input[i]!
    if (c === "\\") {
      const next = input[i + 1]
      segmentEmpty = false
      if (next !== undefined && isSpecial(next)) {
        buffer += next
        i++
      } else {
        buffer += c
      }
    } else if (c === "|") {
      const error = close(i)
      if (error) return Either.left(error)
      key = undefined
      buffer = ""
      segmentStart = i + 1
      segmentEmpty = true
    } else if (c === "=" && key === undefined) {
      key = buffer
      buffer = ""
      segmentEmpty = false
    } else {
      buffer += c
      segmentEmpty = false
    }
  }
  const error = close(input.length)
  return error ? Either.left(error) : Either.right(pairs)
}

/**
 * Escapes `\`, `=` and `|`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const escape = (text: string): string => text.replace(/[\\=|]/g, (c) => `\\${c}`)

/**
 * The canonical text of a context.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (context: Context.Context): string =>
  context.map(({ key, value }) => `${escape(key)}=${escape(value)}`).join("|")

/**
 * A schema from the pipe format to a context, for decoding untrusted input at a boundary.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContextFromText = Schema.transformOrFail(Schema.String, Context.Context, {
  strict: true,
  decode: (text, _, ast) =>
    Either.mapLeft(parse(text), (e) => new ParseIssueType(ast, text, e.message)),
  encode: (context) => Either.right(encode(context))
})
