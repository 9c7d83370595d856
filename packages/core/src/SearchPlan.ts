/**
 * What a projection store's indexes can answer of a search expression. `of` turns an expression
 * into a plan whose answer holds every asset the expression matches (and may hold more); the
 * search then checks each asset of that answer against the expression itself. An expression with
 * no plan (a bare `NOT`, a term on `type` or `resource_type`, or an exact `created_at`, alone)
 * is answered by reading the cloud's assets.
 *
 * The leaves are lookups that a sorted index answers: a key, a key and value, a range of one
 * key's values, a word of the values of one key, of the public id or of any of them, a public
 * id or a prefix of it, and a range of creation times. Strings compare in code point order, as
 * UTF-8 bytes do in a database. `matches` is the meaning of a plan, which every store's answer
 * must equal.
 *
 * @since 0.1.0
 */
import * as AssetId from "./AssetId.js"
import * as Context from "./Context.js"
import type { AssetView } from "./ProjectionStore.js"
import type { Expression } from "./SearchExpression.js"
import { timeOf, words } from "./SearchExpression.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Bound {
  readonly value: string
  readonly inclusive: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TimeBound {
  /** Milliseconds since the epoch. */
  readonly value: number
  readonly inclusive: boolean
}

/**
 * Whether a time lies between the bounds of a `CreatedAt` plan.
 *
 * @since 0.1.0
 * @category ranges
 */
export const inTimeRange = (
  at: number,
  lower: TimeBound | undefined,
  upper: TimeBound | undefined
): boolean =>
  (lower === undefined || at > lower.value || (lower.inclusive && at === lower.value)) &&
  (upper === undefined || at < upper.value || (upper.inclusive && at === upper.value))

/**
 * Where a word is looked for: the values of one context key, the public id, or both of those
 * and every context value.
 *
 * @since 0.1.0
 * @category models
 */
export type WordField =
  | { readonly _tag: "Context"; readonly key: string }
  | { readonly _tag: "PublicId" }
  | { readonly _tag: "Any" }

/**
 * @since 0.1.0
 * @category models
 */
export type Plan =
  /** Assets whose value for `key` is exactly `value`. */
  | { readonly _tag: "Value"; readonly key: string; readonly value: string }
  /** Assets that have `key`. */
  | { readonly _tag: "Key"; readonly key: string }
  /** Assets whose value for `key` lies between the bounds; a missing bound is open. */
  | {
    readonly _tag: "Range"
    readonly key: string
    readonly lower?: Bound | undefined
    readonly upper?: Bound | undefined
  }
  /**
   * Assets with `word` (lower case, one word as `SearchExpression.words` splits) among the words
   * of the field, or with a word that starts with it when `prefix` is set.
   */
  | {
    readonly _tag: "Word"
    readonly field: WordField
    readonly word: string
    readonly prefix: boolean
  }
  /** Assets whose public id is `value`, or starts with it when `prefix` is set. */
  | { readonly _tag: "PublicId"; readonly value: string; readonly prefix: boolean }
  /**
   * Assets created between the bounds, in milliseconds since the epoch; a missing bound is
   * open.
   */
  | {
    readonly _tag: "CreatedAt"
    readonly lower?: TimeBound | undefined
    readonly upper?: TimeBound | undefined
  }
  | { readonly _tag: "And"; readonly plans: ReadonlyArray<Plan> }
  | { readonly _tag: "Or"; readonly plans: ReadonlyArray<Plan> }

/**
 * The least string after every string that starts with `prefix`, in code point order; none when
 * `prefix` holds only the highest code point.
 *
 * @since 0.1.0
 * @category ranges
 */
export const successor = (prefix: string): string | undefined => {
  const points = Array.from(prefix, (ch) => ch.codePointAt(0)!)
  while (points.length > 0 && points[points.length - 1] === 0x10ffff) points.pop()
  if (points.length === 0) return undefined
  let last = points.pop()! + 1
  // A surrogate is no code point; the next one after D7FF is E000.
  if (last === 0xd800) last = 0xe000
  return String.fromCodePoint(...points, last)
}

/**
 * The range of values that start with `prefix`.
 *
 * @since 0.1.0
 * @category ranges
 */
export const prefixRange = (key: string, prefix: string): Plan => {
  const upper = successor(prefix)
  return {
    _tag: "Range",
    key,
    lower: { value: prefix, inclusive: true },
    ...(upper === undefined ? {} : { upper: { value: upper, inclusive: false } })
  }
}

/**
 * Whether `value` lies between the bounds of a range.
 *
 * @since 0.1.0
 * @category ranges
 */
export const inRange = (
  value: string,
  lower: Bound | undefined,
  upper: Bound | undefined
): boolean => {
  if (lower !== undefined) {
    const c = AssetId.compareCodePoints(value, lower.value)
    if (c < 0 || (c === 0 && !lower.inclusive)) return false
  }
  if (upper !== undefined) {
    const c = AssetId.compareCodePoints(value, upper.value)
    if (c > 0 || (c === 0 && !upper.inclusive)) return false
  }
  return true
}

/**
 * Every word of a view, by where it is: `[undefined, word]` for the public id's words and
 * `[key, word]` for the words of a context value, each once.
 *
 * @since 0.1.0
 * @category words
 */
export const wordsOf = (
  view: AssetView
): ReadonlyArray<readonly [key: string | undefined, word: string]> => {
  const out: Array<readonly [string | undefined, string]> = []
  for (const word of new Set(words(view.asset.publicId))) out.push([undefined, word])
  for (const { key, value } of view.context) {
    for (const word of new Set(words(value))) out.push([key, word])
  }
  return out
}

const hasWord = (candidates: ReadonlyArray<string>, word: string, prefix: boolean) =>
  candidates.some((w) => prefix ? w.startsWith(word) : w === word)

/**
 * The meaning of a plan: whether it holds a view.
 *
 * @since 0.1.0
 * @category matching
 */
export const matches = (plan: Plan, view: AssetView): boolean => {
  switch (plan._tag) {
    case "Value":
      return Context.get(view.context, plan.key) === plan.value
    case "Key":
      return Context.get(view.context, plan.key) !== undefined
    case "Range": {
      const value = Context.get(view.context, plan.key)
      return value !== undefined && inRange(value, plan.lower, plan.upper)
    }
    case "Word": {
      const field = plan.field
      const texts = field._tag === "Context"
        ? view.context.filter((p) => p.key === field.key).map((p) => p.value)
        : field._tag === "PublicId"
        ? [view.asset.publicId]
        : [view.asset.publicId, ...view.context.map((p) => p.value)]
      return texts.some((text) => hasWord(words(text), plan.word, plan.prefix))
    }
    case "PublicId":
      return plan.prefix
        ? view.asset.publicId.startsWith(plan.value)
        : view.asset.publicId === plan.value
    case "CreatedAt":
      return inTimeRange(view.createdAt.getTime(), plan.lower, plan.upper)
    case "And":
      return plan.plans.every((p) => matches(p, view))
    case "Or":
      return plan.plans.some((p) => matches(p, view))
  }
}

const and = (plans: ReadonlyArray<Plan>): Plan =>
  plans.length === 1 ? plans[0]! : { _tag: "And", plans }

// A `:` match, or a bare term: every word of the wanted text is a word of a matching value.
// With a prefix, a value that starts with the text has every word of it but the last as a
// whole word (a character that is no letter or digit ends each of them in both) and a word
// that starts with the last; a word of the value that starts with the text needs a text of one
// word.
const wordPlan = (field: WordField, value: string, prefix: boolean): Plan | undefined => {
  const wanted = words(value)
  if (wanted.length === 0) return undefined
  const whole = prefix ? wanted.slice(0, -1) : wanted
  const plans: Array<Plan> = [...new Set(whole)].map((word) => ({
    _tag: "Word",
    field,
    word,
    prefix: false
  }))
  if (prefix) plans.push({ _tag: "Word", field, word: wanted[wanted.length - 1]!, prefix: true })
  return and(plans)
}

const flatten = (tag: "And" | "Or", plans: ReadonlyArray<Plan>): Array<Plan> =>
  plans.flatMap((p) => p._tag === tag ? p.plans : [p])

/**
 * The plan of an expression, or none when the expression bounds no index lookup; `now` anchors
 * ages such as `created_at>1w`.
 *
 * @since 0.1.0
 * @category planning
 */
export const of = (expression: Expression, now = Date.now()): Plan | undefined => {
  switch (expression._tag) {
    case "All":
    case "Not":
      return undefined
    case "Exists":
      return expression.field._tag === "Context"
        ? { _tag: "Key", key: expression.field.key }
        : undefined
    case "Bare":
      return wordPlan({ _tag: "Any" }, expression.value, expression.prefix)
    case "Term": {
      const { field, operator, prefix, value } = expression
      if (field._tag === "Context") {
        const key = field.key
        switch (operator) {
          case "=":
            return prefix ? prefixRange(key, value) : { _tag: "Value", key, value }
          case ":":
            return wordPlan(field, value, prefix) ?? { _tag: "Key", key }
          case "<":
          case "<=":
            return { _tag: "Range", key, upper: { value, inclusive: operator === "<=" } }
          case ">":
          case ">=":
            return { _tag: "Range", key, lower: { value, inclusive: operator === ">=" } }
        }
      }
      if (field._tag === "PublicId") {
        if (operator === "=") return { _tag: "PublicId", value, prefix }
        if (operator === ":") return wordPlan(field, value, prefix)
      }
      if (field._tag === "CreatedAt" && operator !== "=" && operator !== ":") {
        // An exact or partial date (`created_at:2026-12`) stays a filter.
        const at = timeOf(value, now)
        if (at === undefined) return undefined
        const bound = { value: at, inclusive: operator === "<=" || operator === ">=" }
        return operator === "<" || operator === "<="
          ? { _tag: "CreatedAt", upper: bound }
          : { _tag: "CreatedAt", lower: bound }
      }
      return undefined
    }
    case "And": {
      const parts = [of(expression.left, now), of(expression.right, now)].filter((p) =>
        p !== undefined
      )
      return parts.length === 0 ? undefined : and(flatten("And", parts))
    }
    case "Or": {
      const left = of(expression.left, now)
      const right = of(expression.right, now)
      if (left === undefined || right === undefined) return undefined
      return { _tag: "Or", plans: flatten("Or", [left, right]) }
    }
  }
}
