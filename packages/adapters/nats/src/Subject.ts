/**
 * Subjects for ctxlog on JetStream: one subject per asset stream,
 * `<prefix>.events.<cloud>.<resource_type>.<type>.<public id>`, and one notification subject per
 * cloud, `<prefix>.notifications.<cloud>`.
 *
 * The server keeps subjects with `*`, `>` or NUL in a token, and the client refuses only spaces,
 * so every part of an identity is written as a token of `[A-Za-z0-9_-]`: the characters
 * `A-Z a-z 0-9 -` stay as they are and every other UTF-8 byte, `_` included, becomes `_XX` (two
 * uppercase hex digits). Ordinary ids stay readable (`shirt1`, `folder_2Fsub_20id`), the mapping
 * is reversible, and no token is empty because no part of an identity is. The longest public id,
 * 255 characters of four UTF-8 bytes each, takes 3060 characters; with the longest cloud and type
 * a subject stays under 3400 bytes, below the 4053 the server accepts, so no id is hashed.
 *
 * @since 0.1.0
 */
import { AssetId } from "@ctxlog/core"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * The prefix a deployment uses when it names none.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPrefix = "ctxlog"

/**
 * A subject that is not the encoding of an asset identity under the expected prefix.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidSubject extends Schema.TaggedError<InvalidSubject>()("InvalidSubject", {
  subject: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `${JSON.stringify(this.subject)} is not an asset subject: ${this.detail}`
  }
}

const HEX = "0123456789ABCDEF"
const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

/** Bytes written as themselves: `A-Z a-z 0-9 -`. */
const isLiteral = (byte: number): boolean =>
  (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) ||
  (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d

const hexValue = (code: number): number =>
  code >= 0x30 && code <= 0x39 ? code - 0x30 : code >= 0x41 && code <= 0x46 ? code - 0x37 : -1

/**
 * Writes text as one subject token of `[A-Za-z0-9_-]`. The text must be well-formed Unicode
 * (public ids are); the empty string gives the empty token, which no subject may contain.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeToken = (text: string): string => {
  let out = ""
  for (const byte of utf8.encode(text)) {
    out += isLiteral(byte)
      ? String.fromCharCode(byte)
      : `_${HEX[byte >> 4]}${HEX[byte & 15]}`
  }
  return out
}

/**
 * The text of a token written by `encodeToken`; none for anything `encodeToken` never writes
 * (other characters, lower-case hex, an escaped byte that could stand as itself, bytes that are
 * not UTF-8), so that each text has exactly one token.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decodeToken = (token: string): Option.Option<string> => {
  const bytes = new Uint8Array(token.length)
  let n = 0
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i)
    if (code === 0x5f) {
      const hi = hexValue(token.charCodeAt(i + 1))
      const lo = hexValue(token.charCodeAt(i + 2))
      if (hi < 0 || lo < 0) return Option.none()
      const byte = hi * 16 + lo
      if (isLiteral(byte)) return Option.none()
      bytes[n++] = byte
      i += 2
    } else if (code < 0x80 && isLiteral(code)) {
      bytes[n++] = code
    } else {
      return Option.none()
    }
  }
  try {
    return Option.some(strictUtf8.decode(bytes.subarray(0, n)))
  } catch {
    return Option.none()
  }
}

/**
 * True for a prefix of one or more dot-separated tokens of `[A-Za-z0-9_-]`.
 *
 * @since 0.1.0
 * @category validation
 */
export const isValidPrefix = (prefix: string): boolean =>
  /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)

/**
 * The subject of an asset's event stream.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (prefix: string, asset: AssetId.AssetId): string =>
  `${prefix}.events.${encodeToken(asset.cloud)}.${encodeToken(asset.resourceType)}.` +
  `${encodeToken(asset.type)}.${encodeToken(asset.publicId)}`

/**
 * The identity whose event stream a subject is, checked as strictly as any identity from outside.
 *
 * @since 0.1.0
 * @category encoding
 */
export const decode = (
  prefix: string,
  subject: string
): Either.Either<AssetId.AssetId, InvalidSubject> => {
  const fail = (detail: string) => Either.left(new InvalidSubject({ subject, detail }))
  const head = `${prefix}.events.`
  if (!subject.startsWith(head)) return fail(`it does not start with ${head}`)
  const tokens = subject.slice(head.length).split(".")
  if (tokens.length !== 4) {
    return fail(
      `expected 4 tokens after ${head} (cloud, resource type, type, public id), ` +
        `got ${tokens.length}`
    )
  }
  const parts: Array<string> = []
  for (const [i, token] of tokens.entries()) {
    const text = decodeToken(token)
    if (Option.isNone(text)) return fail(`token ${i + 1} ${JSON.stringify(token)} is not encoded`)
    parts.push(text.value)
  }
  const [cloud, resourceType, type, publicId] = parts
  return Either.mapLeft(
    Schema.decodeUnknownEither(AssetId.AssetId)({ cloud, resourceType, type, publicId }),
    (error) => new InvalidSubject({ subject, detail: error.message })
  )
}

/**
 * Every event subject under a prefix, for the stream that holds them.
 *
 * @since 0.1.0
 * @category encoding
 */
export const eventsWildcard = (prefix: string): string => `${prefix}.events.>`

/**
 * The subject of a cloud's notifications.
 *
 * @since 0.1.0
 * @category encoding
 */
export const notificationsSubject = (prefix: string, cloud: string): string =>
  `${prefix}.notifications.${encodeToken(cloud)}`

/**
 * Every notification subject under a prefix, for the stream that holds them.
 *
 * @since 0.1.0
 * @category encoding
 */
export const notificationsWildcard = (prefix: string): string => `${prefix}.notifications.>`
