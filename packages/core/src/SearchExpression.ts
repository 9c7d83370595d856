/**
 * Search expressions, in the Lucene-like language Cloudinary's search uses: fields
 * `context.<key>`, `public_id`, `resource_type`, `type` and `created_at`; `=` (exact) and `:`
 * (match: case-insensitive, the whole value or whole words), `<`, `<=`, `>`, `>=`; `*` at the
 * end of a value for a prefix, `:*` alone for existence; `AND`/`&&`, `OR`/`||`, `NOT`/`-` and
 * parentheses, AND binding tighter than OR and terms side by side meaning AND; quoted values
 * with `\"` escapes; and a bare term, which looks in public ids and every context value.
 *
 * `parse` gives a tree or a syntax error naming the position and what was expected; `matches`
 * evaluates a tree against one asset, the reference that indexed execution must agree with.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as AssetId from "./AssetId.js"
import * as Context from "./Context.js"
import type { AssetView } from "./ProjectionStore.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Field =
  | { readonly _tag: "Context"; readonly key: string }
  | { readonly _tag: "PublicId" }
  | { readonly _tag: "ResourceType" }
  | { readonly _tag: "Type" }
  | { readonly _tag: "CreatedAt" }

/**
 * @since 0.1.0
 * @category models
 */
export type Operator = "=" | ":" | "<" | "<=" | ">" | ">="

/**
 * @since 0.1.0
 * @category models
 */
export type Expression =
  | {
    readonly _tag: "Term"
    readonly field: Field
    readonly operator: Operator
    readonly value: string
    /** `value*`: the value starts with `value`. */
    readonly prefix: boolean
  }
  | { readonly _tag: "Exists"; readonly field: Field }
  | { readonly _tag: "Bare"; readonly value: string; readonly prefix: boolean }
  | { readonly _tag: "And"; readonly left: Expression; readonly right: Expression }
  | { readonly _tag: "Or"; readonly left: Expression; readonly right: Expression }
  | { readonly _tag: "Not"; readonly expression: Expression }
  | { readonly _tag: "All" }

/**
 * @since 0.1.0
 * @category errors
 */
export class SearchSyntaxError extends Schema.TaggedError<SearchSyntaxError>()(
  "SearchSyntaxError",
  { input: Schema.String, position: Schema.Number, expected: Schema.String }
) {
  override get message(): string {
    return `search expression at position ${this.position}: expected ${this.expected}`
  }
}

type Token =
  | { readonly kind: "word"; readonly text: string; readonly quoted: boolean; readonly at: number }
  | { readonly kind: "op"; readonly text: Operator; readonly at: number }
  | { readonly kind: "and" | "or" | "not" | "(" | ")"; readonly at: number }

const SPECIAL = /[\s()=:<>]/

const tokenize = (input: string): Either.Either<Array<Token>, SearchSyntaxError> => {
  const tokens: Array<Token> = []
  const fail = (position: number, expected: string) =>
    Either.left(new SearchSyntaxError({ input, position, expected }))
  let i = 0
  while (i < input.length) {
    const c = input[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    const at = i
    if (c === "(" || c === ")") {
      tokens.push({ kind: c, at })
      i++
    } else if (input.startsWith("&&", i)) {
      tokens.push({ kind: "and", at })
      i += 2
    } else if (input.startsWith("||", i)) {
      tokens.push({ kind: "or", at })
      i += 2
    } else if (c === "<" || c === ">") {
      const op = input[i + 1] === "=" ? `${c}=` : c
      tokens.push({ kind: "op", text: op as Operator, at })
      i += op.length
    } else if (c === "=" || c === ":") {
      tokens.push({ kind: "op", text: c, at })
      i++
    } else if (c === "-" && (tokens.length === 0 || tokens[tokens.length - 1]!.kind !== "op")) {
      tokens.push({ kind: "not", at })
      i++
    } else if (c === "\"") {
      let text = ""
      i++
      while (i < input.length && input[i] !== "\"") {
        if (input[i] === "\\" && i + 1 < input.length) i++
        text += input[i++]
      }
      if (i >= input.length) return fail(at, "a closing quote for the quote opened here")
      i++
      // Not yet: a `*` right after the closing quote (`"dark r"*`) is read as a bare term of
      // its own, not as a prefix of the quoted text.
      tokens.push({ kind: "word", text, quoted: true, at })
    } else {
      let text = ""
      while (i < input.length && !SPECIAL.test(input[i]!)) {
        if (input[i] === "\\" && i + 1 < input.length) i++
        text += input[i++]
      }
      // Operators are upper case, as in Lucene: `and` and `or` are words like any other.
      if (text === "AND") tokens.push({ kind: "and", at })
      else if (text === "OR") tokens.push({ kind: "or", at })
      else if (text === "NOT") tokens.push({ kind: "not", at })
      else tokens.push({ kind: "word", text, quoted: false, at })
    }
  }
  return Either.right(tokens)
}

const fieldOf = (text: string): Field | undefined => {
  if (text.startsWith("context.") && text.length > "context.".length) {
    return { _tag: "Context", key: text.slice("context.".length) }
  }
  switch (text) {
    case "public_id":
      return { _tag: "PublicId" }
    case "resource_type":
      return { _tag: "ResourceType" }
    case "type":
      return { _tag: "Type" }
    case "created_at":
      return { _tag: "CreatedAt" }
    default:
      return undefined
  }
}

/**
 * Reads an expression. An empty one matches every asset.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (input: string): Either.Either<Expression, SearchSyntaxError> =>
  Either.flatMap(tokenize(input), (tokens) => {
    let i = 0
    const end = input.length
    const at = () => tokens[i]?.at ?? end
    const fail = (expected: string, position = at()) => {
      throw new SearchSyntaxError({ input, position, expected })
    }
    const term = (): Expression => {
      const token = tokens[i]
      if (token === undefined) return fail("a term")
      if (token.kind === "(") {
        i++
        const inner = or()
        if (tokens[i]?.kind !== ")") return fail("a closing parenthesis")
        i++
        return inner
      }
      if (token.kind === "not") {
        i++
        return { _tag: "Not", expression: term() }
      }
      if (token.kind !== "word") return fail("a term, a field or (")
      i++
      const next = tokens[i]
      if (next?.kind === "op" && !token.quoted) {
        const field = fieldOf(token.text)
        if (field === undefined) {
          return fail(
            "a field: context.<key>, public_id, resource_type, type or created_at",
            token.at
          )
        }
        i++
        const value = tokens[i]
        if (value?.kind !== "word") return fail(`a value after ${next.text}`)
        i++
        if (!value.quoted && value.text === "*") {
          if (next.text !== ":") return fail("the : operator before * (existence)", next.at)
          return { _tag: "Exists", field }
        }
        const prefix = !value.quoted && value.text.endsWith("*")
        const text = prefix ? value.text.slice(0, -1) : value.text
        if (prefix && next.text !== "=" && next.text !== ":") {
          return fail("= or : before a prefix", next.at)
        }
        if (!value.quoted && text.includes("*")) {
          return fail("* only at the end of a value", value.at + text.indexOf("*"))
        }
        return { _tag: "Term", field, operator: next.text, value: text, prefix }
      }
      const prefix = !token.quoted && token.text.endsWith("*") && token.text.length > 1
      return {
        _tag: "Bare",
        value: prefix ? token.text.slice(0, -1) : token.text,
        prefix
      }
    }
    const and = (): Expression => {
      let left = term()
      while (i < tokens.length) {
        const token = tokens[i]!
        if (token.kind === "and") {
          i++
          left = { _tag: "And", left, right: term() }
        } else if (token.kind === "word" || token.kind === "not" || token.kind === "(") {
          // Terms side by side mean AND.
          left = { _tag: "And", left, right: term() }
        } else break
      }
      return left
    }
    const or = (): Expression => {
      let left = and()
      while (tokens[i]?.kind === "or") {
        i++
        left = { _tag: "Or", left, right: and() }
      }
      return left
    }
    if (tokens.length === 0) return Either.right({ _tag: "All" } as Expression)
    try {
      const expression = or()
      if (i < tokens.length) fail("AND, OR or the end of the expression")
      return Either.right(expression)
    } catch (error) {
      if (error instanceof SearchSyntaxError) return Either.left(error)
      throw error
    }
  })

/**
 * The words of a text, in lower case: its runs of letters and digits.
 *
 * @since 0.1.0
 * @category matching
 */
export const words = (text: string): Array<string> =>
  text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== "")

/**
 * The `:` match: the whole value, case-insensitively, or a run of its whole words; with a
 * prefix, the value or one of its words starts with it.
 *
 * @since 0.1.0
 * @category matching
 */
export const matchText = (value: string, wanted: string, prefix: boolean): boolean => {
  const lower = value.toLowerCase()
  const target = wanted.toLowerCase()
  if (prefix) return lower.startsWith(target) || words(value).some((w) => w.startsWith(target))
  if (lower === target) return true
  const want = words(wanted)
  const have = words(value)
  if (want.length === 0) return false
  for (let s = 0; s + want.length <= have.length; s++) {
    if (want.every((w, k) => have[s + k] === w)) return true
  }
  return false
}

const RELATIVE = /^(\d+)([smhdw])$/

const UNIT: Record<string, number> = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }

/**
 * A time in an expression: an ISO 8601 date, or an age such as `1w` (a week before `now`).
 *
 * @since 0.1.0
 * @category parsing
 */
export const timeOf = (text: string, now: number): number | undefined => {
  const relative = RELATIVE.exec(text)
  if (relative !== null) return now - Number(relative[1]) * UNIT[relative[2]!]!
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : at
}

// Strings compare in code point order, as the stores' indexes (UTF-8 bytes) do.
const compare = (a: string | number, b: string | number, operator: Operator): boolean => {
  if (typeof a === "string" && typeof b === "string") {
    return compareNumbers(AssetId.compareCodePoints(a, b), 0, operator)
  }
  return compareNumbers(a, b, operator)
}

const compareNumbers = (a: string | number, b: string | number, operator: Operator): boolean => {
  switch (operator) {
    case "<":
      return a < b
    case "<=":
      return a <= b
    case ">":
      return a > b
    case ">=":
      return a >= b
    default:
      return a === b
  }
}

const valueOf = (view: AssetView, field: Field): string | undefined => {
  switch (field._tag) {
    case "Context":
      return Context.get(view.context, field.key)
    case "PublicId":
      return view.asset.publicId
    case "ResourceType":
      return view.asset.resourceType
    case "Type":
      return view.asset.type
    case "CreatedAt":
      return view.createdAt.toISOString()
  }
}

/**
 * Whether an asset meets an expression; `now` anchors ages such as `created_at>1d`.
 *
 * @since 0.1.0
 * @category matching
 */
export const matches = (expression: Expression, view: AssetView, now = Date.now()): boolean => {
  switch (expression._tag) {
    case "All":
      return true
    case "And":
      return matches(expression.left, view, now) && matches(expression.right, view, now)
    case "Or":
      return matches(expression.left, view, now) || matches(expression.right, view, now)
    case "Not":
      return !matches(expression.expression, view, now)
    case "Exists":
      return valueOf(view, expression.field) !== undefined
    case "Bare":
      return [view.asset.publicId, ...view.context.map((p) => p.value)].some((v) =>
        matchText(v, expression.value, expression.prefix)
      )
    case "Term": {
      const { field, operator, prefix, value } = expression
      if (field._tag === "CreatedAt") {
        const wanted = timeOf(value, now)
        if (wanted === undefined) return false
        const at = view.createdAt.getTime()
        return operator === "=" || operator === ":"
          ? new Date(at).toISOString().startsWith(value) || at === wanted
          : compare(at, wanted, operator)
      }
      const actual = valueOf(view, field)
      if (actual === undefined) return false
      if (operator === ":") return matchText(actual, value, prefix)
      if (operator === "=") return prefix ? actual.startsWith(value) : actual === value
      return compare(actual, value, operator)
    }
  }
}
