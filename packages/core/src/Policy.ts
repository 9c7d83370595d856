/**
 * The limits that every change must respect. Each one is configurable; the defaults are those of
 * Cloudinary's contextual metadata, whose whole context is at most 255 characters.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { codePointLength } from "./AssetId.js"
import type * as Ctx from "./Context.js"
import * as ContextText from "./ContextText.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Limits {
  /** Encoded length, in characters, of an asset's whole context after the change. */
  readonly maxContextLength: number
  readonly maxKeyLength: number
  readonly maxValueLength: number
  readonly maxPairs: number
  readonly maxPublicIdsPerCommand: number
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const defaults: Limits = {
  maxContextLength: 255,
  maxKeyLength: 1024,
  maxValueLength: 1024,
  maxPairs: 1000,
  maxPublicIdsPerCommand: 1000
}

/**
 * @since 0.1.0
 * @category schemas
 */
export const Rule = Schema.Literal(
  "context_length",
  "key_length",
  "value_length",
  "pair_count",
  "characters",
  "empty_key",
  "public_ids_per_command"
)

/**
 * @since 0.1.0
 * @category models
 */
export type Rule = typeof Rule.Type

/**
 * A change that breaks a limit. It names the asset (its path; absent for a rule about the whole
 * command), the rule, the limit and the value that broke it.
 *
 * @since 0.1.0
 * @category errors
 */
export class PolicyViolation extends Schema.TaggedError<PolicyViolation>()("PolicyViolation", {
  asset: Schema.optional(Schema.String),
  rule: Rule,
  limit: Schema.Union(Schema.Number, Schema.String),
  actual: Schema.Union(Schema.Number, Schema.String),
  key: Schema.optional(Schema.String),
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Policy extends Context.Tag("@ctxlog/core/Policy")<Policy, Limits>() {}

/**
 * A limit that is not a positive whole number.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidLimit extends Schema.TaggedError<InvalidLimit>()("InvalidLimit", {
  limit: Schema.String,
  value: Schema.Unknown
}) {
  override get message(): string {
    return `limit ${this.limit} must be a positive integer, got ${String(this.value)}`
  }
}

/**
 * Fills in the defaults and refuses limits that are not positive integers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (limits: Partial<Limits> = {}): Either.Either<Limits, InvalidLimit> => {
  const merged = { ...defaults, ...limits }
  for (const [limit, value] of Object.entries(merged)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      return Either.left(new InvalidLimit({ limit, value }))
    }
  }
  return Either.right(merged)
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (limits: Partial<Limits> = {}): Layer.Layer<Policy, InvalidLimit> =>
  Layer.effect(Policy, make(limits))

/**
 * @since 0.1.0
 * @category accessors
 */
export const limits: Effect.Effect<Limits, never, Policy> = Policy

const shorten = (text: string): string =>
  codePointLength(text) <= 40 ? text : `${Array.from(text).slice(0, 40).join("")}…`

const describeCodePoint = (code: number): string =>
  `U+${code.toString(16).toUpperCase().padStart(4, "0")}`

/**
 * The position of the first character that is not allowed: a C0 or C1 control other than
 * newline, DEL, or a lone surrogate (which has no UTF-8 encoding).
 */
const firstForbidden = (text: string): { index: number; what: string } | undefined => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++
        continue
      }
      return { index: i, what: `a lone surrogate ${describeCodePoint(c)}` }
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      return { index: i, what: `a lone surrogate ${describeCodePoint(c)}` }
    }
    if ((c < 0x20 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f)) {
      return { index: i, what: `the control character ${describeCodePoint(c)}` }
    }
  }
  return undefined
}

/**
 * Checks the pairs a command brings, before they meet any state: keys non-empty, lengths, and
 * characters.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkPairs = (
  limits: Limits,
  asset: string,
  pairs: Iterable<Ctx.Pair>
): Either.Either<void, PolicyViolation> => {
  for (const { key, value } of pairs) {
    if (key === "") {
      return Either.left(
        new PolicyViolation({
          asset,
          rule: "empty_key",
          limit: "non-empty",
          actual: "",
          detail: `a key in the context of ${asset} is empty; keys must not be empty`
        })
      )
    }
    const keyLength = codePointLength(key)
    if (keyLength > limits.maxKeyLength) {
      return Either.left(
        new PolicyViolation({
          asset,
          rule: "key_length",
          limit: limits.maxKeyLength,
          actual: keyLength,
          key,
          detail: `key "${shorten(key)}" of ${asset} is ${keyLength} characters; ` +
            `the limit is ${limits.maxKeyLength}`
        })
      )
    }
    const valueLength = codePointLength(value)
    if (valueLength > limits.maxValueLength) {
      return Either.left(
        new PolicyViolation({
          asset,
          rule: "value_length",
          limit: limits.maxValueLength,
          actual: valueLength,
          key,
          detail: `the value of key "${shorten(key)}" of ${asset} is ${valueLength} characters; ` +
            `the limit is ${limits.maxValueLength}`
        })
      )
    }
    for (const [part, text] of [["key", key], ["value", value]] as const) {
      const bad = firstForbidden(text)
      if (bad) {
        const where = part === "key"
          ? `key "${shorten(key)}"`
          : `the value of key "${shorten(key)}"`
        return Either.left(
          new PolicyViolation({
            asset,
            rule: "characters",
            limit: "no control characters except newline; valid UTF-8",
            actual: `${bad.what} at position ${bad.index}`,
            key,
            detail: `${where} of ${asset} contains ${bad.what} at position ${bad.index}; ` +
              "only newline and printable characters are allowed"
          })
        )
      }
    }
  }
  return Either.void
}

/**
 * Checks the whole context an asset would have after a change: number of pairs and encoded length.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkContext = (
  limits: Limits,
  asset: string,
  context: Ctx.Context
): Either.Either<void, PolicyViolation> => {
  if (context.length > limits.maxPairs) {
    return Either.left(
      new PolicyViolation({
        asset,
        rule: "pair_count",
        limit: limits.maxPairs,
        actual: context.length,
        detail: `context of ${asset} would have ${context.length} pairs; ` +
          `the limit is ${limits.maxPairs}`
      })
    )
  }
  const length = codePointLength(ContextText.encode(context))
  if (length > limits.maxContextLength) {
    return Either.left(
      new PolicyViolation({
        asset,
        rule: "context_length",
        limit: limits.maxContextLength,
        actual: length,
        detail: `context of ${asset} would be ${length} characters; ` +
          `the limit is ${limits.maxContextLength}`
      })
    )
  }
  return Either.void
}

/**
 * Checks how many assets one command names.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkAssetCount = (
  limits: Limits,
  count: number
): Either.Either<void, PolicyViolation> =>
  count <= limits.maxPublicIdsPerCommand
    ? Either.void
    : Either.left(
      new PolicyViolation({
        rule: "public_ids_per_command",
        limit: limits.maxPublicIdsPerCommand,
        actual: count,
        detail: `the command names ${count} public ids; the limit is ` +
          `${limits.maxPublicIdsPerCommand}`
      })
    )
