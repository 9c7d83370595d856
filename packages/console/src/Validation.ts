/**
 * The limits of product.md §2, checked as the user types, with the same measures the server
 * uses: lengths in Unicode code points, the whole context measured in its pipe-text encoding.
 * The server checks again on save; what it refuses is shown as it says it.
 */
import type { Pair } from "./Api.js"

export interface Limits {
  readonly maxContextLength: number
  readonly maxKeyLength: number
  readonly maxValueLength: number
  readonly maxPairs: number
}

/**
 * The server's defaults. Not yet: a server configured with other limits does not tell the
 * page, so the page checks these and the server's own answer covers the difference.
 */
export const defaults: Limits = {
  maxContextLength: 255,
  maxKeyLength: 1024,
  maxValueLength: 1024,
  maxPairs: 1000
}

/** Limits the session may carry (`limits` in the session JSON), over the defaults. */
export const fromSession = (session: unknown): Limits => {
  const given = typeof session === "object" && session !== null && "limits" in session
    ? (session as { limits: unknown }).limits
    : undefined
  if (typeof given !== "object" || given === null) return defaults
  const read = (snake: string, fallback: number) => {
    const value = (given as Record<string, unknown>)[snake]
    return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : fallback
  }
  return {
    maxContextLength: read("max_context_length", defaults.maxContextLength),
    maxKeyLength: read("max_key_length", defaults.maxKeyLength),
    maxValueLength: read("max_value_length", defaults.maxValueLength),
    maxPairs: read("max_pairs", defaults.maxPairs)
  }
}

export const codePoints = (text: string): number => {
  let n = 0
  for (const _ of text) n++
  return n
}

const escape = (text: string): string => text.replace(/[\\=|]/g, (c) => `\\${c}`)

/** The canonical pipe text of a context, as the server measures it. */
export const encode = (pairs: ReadonlyArray<Pair>): string =>
  pairs.map(({ key, value }) => `${escape(key)}=${escape(value)}`).join("|")

const describe = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, "0")}`

/** The first character the server refuses: a control other than newline, or a lone surrogate. */
export const forbiddenCharacter = (text: string): string | undefined => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++
        continue
      }
      return `a lone surrogate ${describe(c)} at position ${i + 1}`
    }
    if (c >= 0xdc00 && c <= 0xdfff) return `a lone surrogate ${describe(c)} at position ${i + 1}`
    if ((c < 0x20 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f)) {
      return `the control character ${describe(c)} at position ${i + 1}`
    }
  }
  return undefined
}

/** What is wrong with a key or a value that is not empty, in a sentence, or nothing. */
const checkText = (what: "key" | "value", limit: number, text: string): string | undefined => {
  const length = codePoints(text)
  if (length > limit) return `The ${what} is ${length} characters; the limit is ${limit}.`
  const bad = forbiddenCharacter(text)
  return bad === undefined ? undefined : `The ${what} contains ${bad}; use printable characters.`
}

/** What is wrong with a key, in a sentence, or nothing. */
export const checkKey = (limits: Limits, key: string): string | undefined =>
  key === "" ? "A key must not be empty." : checkText("key", limits.maxKeyLength, key)

/**
 * What is wrong with a value, or nothing. An empty value would remove the key on the server, so
 * the page asks for the Remove button instead of saving something that silently disappears.
 */
export const checkValue = (limits: Limits, value: string): string | undefined =>
  value === ""
    ? "A value must not be empty; remove the pair instead."
    : checkText("value", limits.maxValueLength, value)

/** What is wrong with a whole context, or nothing. */
export const checkContext = (limits: Limits, pairs: ReadonlyArray<Pair>): string | undefined => {
  if (pairs.length > limits.maxPairs) {
    return `The context would have ${pairs.length} pairs; the limit is ${limits.maxPairs}.`
  }
  const length = codePoints(encode(pairs))
  return length > limits.maxContextLength
    ? `The context would be ${length} characters; the limit is ${limits.maxContextLength}.`
    : undefined
}
