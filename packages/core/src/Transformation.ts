/**
 * Resolving a Cloudinary transformation string against the context of one asset: the
 * conditions that read the context are decided, the variables that read it are substituted,
 * and what is left is the transformation Cloudinary would apply to that asset.
 *
 * A transformation is components separated by `/`, each a list of parameters separated by `,`.
 * Strings are written `!…!` and taken as written (`!!` is the empty string); since components
 * and parameters are split first, a string holds no `/` or `,`, as in Cloudinary URLs.
 *
 * - Conditions: `ctx:!key!_<op>_<operand>` with `eq ne lt gt lte gte in nin`, key existence
 *   `!key!_in_ctx` / `!key!_nin_ctx`, comparisons of variables and literals, chained with
 *   `_and_` and `_or_` (`and` binds tighter). `in` and `nin` take a list as one string with
 *   `:` between the items, the way the SDK writes it (`ctx:!color!_in_!red:blue!`); the left
 *   side is compared whole with each item. With `_in_ctx` the list names keys: `in` holds when
 *   every key is present, `nin` when none is.
 * - A missing key is absent: it equals only `!!` (Cloudinary's way of asking for "no value"),
 *   so `eq` is false and `ne` true against anything else; `nin` holds, `in lt gt lte gte` do not.
 * - Two numbers compare as numbers, and so do a number and a string that reads as one;
 *   anything else compares as strings, in code-point order, numbers printed plainly.
 * - Variables: `$name_<value>` where the value is `ctx:!key!`, `!text!`, a number or another
 *   variable, optionally cast with `_to_i` or `_to_f`. A cast reads the string as a decimal
 *   number; what does not read as one, a missing key included, casts to 0. An uncast missing
 *   key stays absent and is substituted as the empty string.
 * - In a component, assignments are evaluated before the rest: Cloudinary does not order the
 *   parameters of a component (the SDK sorts them and writes `if_` before the variables). A
 *   condition that shares its component with other parameters applies to all of them.
 *
 * What cannot be decided from the context (image characteristics such as `w` or `fc`, tags,
 * structured metadata, arithmetic) is kept for Cloudinary, with the decided parts folded in:
 * `if_w_gt_200` keeps its `if_else` and `if_end`, and `ctx:!a!_eq_!1!_and_w_gt_200` becomes
 * `w_gt_200` when `a` is `1`. A variable whose value is not known here (assigned from an
 * expression, or inside a conditional kept for Cloudinary) keeps its assignments and its uses.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { AssetId } from "./AssetId.js"
import * as Context from "./Context.js"

/**
 * A malformed transformation. `position` is the 0-based offset, in UTF-16 units, of the
 * problem; `reason` says what was expected there.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransformationError extends Schema.TaggedError<TransformationError>()(
  "TransformationError",
  {
    input: Schema.String,
    position: Schema.Number,
    reason: Schema.String
  }
) {
  override get message(): string {
    return `malformed transformation at position ${this.position}: ${this.reason}`
  }
}

interface Problem {
  readonly position: number
  readonly reason: string
}

const fail = (position: number, reason: string): Either.Either<never, Problem> =>
  Either.left({ position, reason })

// Values

type Value =
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Number"; readonly number: number }
  | { readonly _tag: "Absent" }

const textValue = (text: string): Value => ({ _tag: "Text", text })
const numberValue = (number: number): Value => ({ _tag: "Number", number })
const absent: Value = { _tag: "Absent" }

const decimal = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/

const readNumber = (text: string): number | undefined => {
  const trimmed = text.trim()
  return decimal.test(trimmed) ? Number(trimmed) : undefined
}

// Without an exponent, since Cloudinary reads parameter values as plain decimals.
const formatNumber = (n: number): string => {
  const shortest = String(n)
  const e = shortest.indexOf("e")
  if (e < 0) return shortest
  const sign = n < 0 ? "-" : ""
  const [whole = "", fraction = ""] = shortest.slice(sign.length, e).split(".")
  const digits = whole + fraction
  const point = whole.length + Number(shortest.slice(e + 1))
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length)
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}

/** The value as a parameter shows it: `$(award)` becomes the text itself. */
const plainText = (value: Value): string =>
  value._tag === "Text" ? value.text : value._tag === "Number" ? formatNumber(value.number) : ""

/** The value as an expression writes it: strings between `!`. */
const literal = (value: Value): string =>
  value._tag === "Number" ? formatNumber(value.number) : `!${plainText(value)}!`

const castTo = (value: Value, cast: Cast | undefined): Value => {
  if (cast === undefined) return value
  const n = value._tag === "Number"
    ? value.number
    : value._tag === "Text"
    ? readNumber(value.text) ?? 0
    : 0
  return numberValue(cast === "i" ? Math.trunc(n) : n)
}

// JavaScript's `<` on strings compares UTF-16 units, which misorders characters beyond U+FFFF.
const compareText = (a: string, b: string): number => {
  let i = 0
  while (i < a.length && i < b.length) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(i)!
    if (x !== y) return x < y ? -1 : 1
    i += x > 0xffff ? 2 : 1
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

const numericSide = (value: Value, other: Value): number | undefined =>
  value._tag === "Number"
    ? value.number
    : value._tag === "Text" && other._tag === "Number"
    ? readNumber(value.text)
    : undefined

const ordering = (left: Value, right: Value): number | undefined => {
  if (left._tag === "Absent" || right._tag === "Absent") return undefined
  const x = numericSide(left, right)
  const y = numericSide(right, left)
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0
  return compareText(plainText(left), plainText(right))
}

const isNothing = (value: Value): boolean =>
  value._tag === "Absent" || (value._tag === "Text" && value.text === "")

const equal = (left: Value, right: Value): boolean =>
  left._tag === "Absent" || right._tag === "Absent"
    ? isNothing(left) && isNothing(right)
    : ordering(left, right) === 0

const isMember = (left: Value, right: Value): boolean =>
  left._tag !== "Absent" && right._tag !== "Absent" &&
  plainText(right).split(":").includes(plainText(left))

type Operator = "eq" | "ne" | "lt" | "gt" | "lte" | "gte" | "in" | "nin"

const operators: ReadonlySet<string> = new Set(["eq", "ne", "lt", "gt", "lte", "gte", "in", "nin"])

const isOperator = (word: string): word is Operator => operators.has(word)

const compare = (operator: Operator, left: Value, right: Value): boolean => {
  switch (operator) {
    case "eq":
      return equal(left, right)
    case "ne":
      return !equal(left, right)
    case "in":
      return isMember(left, right)
    case "nin":
      return !isMember(left, right)
  }
  const order = ordering(left, right)
  if (order === undefined) return false
  switch (operator) {
    case "lt":
      return order < 0
    case "gt":
      return order > 0
    case "lte":
      return order <= 0
    case "gte":
      return order >= 0
  }
}

// Syntax

interface Piece {
  readonly text: string
  readonly position: number
}

interface Token {
  readonly kind: "string" | "context" | "word"
  readonly raw: string
  /** The text between the `!` of a string, the key of `ctx:!key!`, or the word itself. */
  readonly value: string
  readonly position: number
}

type Operand =
  | { readonly _tag: "Literal"; readonly value: Value }
  | { readonly _tag: "ContextKey"; readonly key: string }
  | { readonly _tag: "Variable"; readonly name: string; readonly position: number }
  | { readonly _tag: "Other" }

type Atom =
  | {
    readonly _tag: "Comparison"
    readonly left: Operand
    readonly operator: Operator
    readonly right: Operand
    readonly tokens: ReadonlyArray<Token>
  }
  | { readonly _tag: "Existence"; readonly keys: ReadonlyArray<string>; readonly negated: boolean }

/** Alternatives joined by `or`, each a list of atoms joined by `and`. */
type Condition = ReadonlyArray<ReadonlyArray<Atom>>

type Cast = "i" | "f"

interface Assignment {
  readonly _tag: "Assignment"
  readonly name: string
  readonly tokens: ReadonlyArray<Token>
  /** Absent when the value is an expression only Cloudinary can evaluate. */
  readonly source: { readonly operand: Operand; readonly cast: Cast | undefined } | undefined
}

interface Use {
  readonly name: string
  readonly start: number
  readonly end: number
  readonly position: number
}

interface Plain {
  readonly _tag: "Plain"
  readonly piece: Piece
  readonly uses: ReadonlyArray<Use>
}

type Parameter = Assignment | Plain

const variableName = /^\$[A-Za-z][A-Za-z0-9]*$/
const assignmentHead = /^\$([A-Za-z][A-Za-z0-9]*)_/
const prefixedString = /^([a-z]+):!/
const numberLiteral = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/
const nameAt = /[A-Za-z][A-Za-z0-9]*/y
const badName = "expected a variable name after \"$\": a letter, then letters or digits"

const split = (input: string): ReadonlyArray<ReadonlyArray<Piece>> => {
  const components: Array<ReadonlyArray<Piece>> = []
  let offset = 0
  for (const component of input.split("/")) {
    const pieces: Array<Piece> = []
    let at = offset
    for (const text of component.split(",")) {
      if (text !== "") pieces.push({ text, position: at })
      at += text.length + 1
    }
    if (pieces.length > 0) components.push(pieces)
    offset += component.length + 1
  }
  return components
}

/** Splits an expression on `_`, keeping `!…!` strings (which may hold `_`) whole. */
const tokenize = (source: string, base: number): Either.Either<ReadonlyArray<Token>, Problem> =>
  Either.gen(function*() {
    const tokens: Array<Token> = []
    let i = 0
    for (;;) {
      const prefix = prefixedString.exec(source.slice(i))
      if (source[i] === "!" || prefix) {
        const open = prefix ? i + prefix[0].length - 1 : i
        const close = source.indexOf("!", open + 1)
        if (close < 0) {
          return yield* fail(base + open, "expected a closing \"!\" for the string opened here")
        }
        const raw = source.slice(i, close + 1)
        const inner = source.slice(open + 1, close)
        const kind = !prefix ? "string" : prefix[1] === "ctx" ? "context" : "word"
        tokens.push({ kind, raw, value: kind === "word" ? raw : inner, position: base + i })
        i = close + 1
      } else {
        const underscore = source.indexOf("_", i)
        const end = underscore < 0 ? source.length : underscore
        const word = source.slice(i, end)
        if (word === "") return yield* fail(base + i, "expected a term before \"_\"")
        const bang = word.indexOf("!")
        if (bang >= 0) {
          return yield* fail(base + i + bang, "expected \"!\" only around a string, as in _!text!_")
        }
        if (word.startsWith("ctx:")) {
          return yield* fail(base + i + 4, "expected !key! after \"ctx:\"")
        }
        if (word.startsWith("$") && !variableName.test(word)) return yield* fail(base + i, badName)
        tokens.push({ kind: "word", raw: word, value: word, position: base + i })
        i = end
      }
      if (i === source.length) return tokens
      if (source[i] !== "_") return yield* fail(base + i, "expected \"_\" after the closing \"!\"")
      i++
      if (i === source.length) return yield* fail(base + i, "expected a term after \"_\"")
    }
  })

const isVariable = (token: Token): boolean => token.kind === "word" && token.raw.startsWith("$")

const other: Operand = { _tag: "Other" }

const operandOf = (tokens: ReadonlyArray<Token>): Operand => {
  const token = tokens[0]
  if (tokens.length !== 1 || token === undefined) return other
  if (token.kind === "string") return { _tag: "Literal", value: textValue(token.value) }
  if (token.kind === "context") return { _tag: "ContextKey", key: token.value }
  if (numberLiteral.test(token.raw)) {
    return { _tag: "Literal", value: numberValue(Number(token.raw)) }
  }
  if (isVariable(token)) {
    return { _tag: "Variable", name: token.raw.slice(1), position: token.position }
  }
  return other
}

const checkAssigned = (
  uses: ReadonlyArray<{ readonly name: string; readonly position: number }>,
  assigned: ReadonlySet<string>
): Either.Either<void, Problem> => {
  const unknown = uses.find((use) => !assigned.has(use.name))
  return unknown === undefined
    ? Either.void
    : fail(unknown.position, `expected $${unknown.name} to be assigned before it is used`)
}

const variablesIn = (tokens: ReadonlyArray<Token>) =>
  tokens.filter(isVariable).map((token) => ({
    name: token.raw.slice(1),
    position: token.position
  }))

const parseAtom = (tokens: ReadonlyArray<Token>): Either.Either<Atom, Problem> => {
  const first = tokens[0]!
  const found = tokens.flatMap((token, i) =>
    token.kind === "word" && isOperator(token.raw) ? [i] : []
  )
  if (found.length === 0) {
    const middle = tokens[1]
    if (tokens.length === 3 && middle !== undefined) {
      return fail(
        middle.position,
        `unknown operator "${middle.raw}"; expected eq, ne, lt, gt, lte, gte, in or nin`
      )
    }
    const written = tokens.map((token) => token.raw).join("_")
    return fail(first.position, `expected a comparison <left>_<operator>_<right>, not "${written}"`)
  }
  if (found.length > 1) {
    const second = tokens[found[1]!]!
    return fail(second.position, `expected _and_ or _or_ before the operator "${second.raw}"`)
  }
  const at = found[0]!
  const token = tokens[at]!
  const operator = token.raw as Operator
  if (at === 0) return fail(token.position, `expected an operand before "${operator}"`)
  if (at === tokens.length - 1) {
    return fail(token.position + operator.length, `expected an operand after "${operator}"`)
  }
  const left = tokens.slice(0, at)
  const right = tokens.slice(at + 1)
  const onContext = right.length === 1 && right[0]!.kind === "word" && right[0]!.raw === "ctx"
  if (onContext && (operator === "in" || operator === "nin")) {
    if (left.length !== 1 || left[0]!.kind !== "string") {
      return fail(first.position, `expected !key! before "_${operator}_ctx"`)
    }
    return Either.right({
      _tag: "Existence",
      keys: left[0]!.value.split(":"),
      negated: operator === "nin"
    })
  }
  return Either.right({
    _tag: "Comparison",
    left: operandOf(left),
    operator,
    right: operandOf(right),
    tokens
  })
}

const parseCondition = (
  piece: Piece,
  assigned: ReadonlySet<string>
): Either.Either<Condition, Problem> =>
  Either.gen(function*() {
    const base = piece.position + "if_".length
    const source = piece.text.slice("if_".length)
    if (source === "") return yield* fail(base, "expected a condition after \"if_\"")
    const tokens = yield* tokenize(source, base)
    yield* checkAssigned(variablesIn(tokens), assigned)
    const alternatives: Array<Array<Atom>> = [[]]
    let atom: Array<Token> = []
    for (const token of tokens) {
      if (token.kind === "word" && (token.raw === "and" || token.raw === "or")) {
        if (atom.length === 0) {
          return yield* fail(token.position, `expected a comparison before "${token.raw}"`)
        }
        alternatives[alternatives.length - 1]!.push(yield* parseAtom(atom))
        atom = []
        if (token.raw === "or") alternatives.push([])
      } else {
        atom.push(token)
      }
    }
    if (atom.length === 0) {
      const last = tokens[tokens.length - 1]!.raw
      return yield* fail(base + source.length, `expected a comparison after "${last}"`)
    }
    alternatives[alternatives.length - 1]!.push(yield* parseAtom(atom))
    return alternatives
  })

const parseAssignment = (
  piece: Piece,
  assigned: ReadonlySet<string>
): Either.Either<Assignment, Problem> =>
  Either.gen(function*() {
    const head = assignmentHead.exec(piece.text)
    if (!head) {
      if (variableName.test(piece.text)) {
        const end = piece.position + piece.text.length
        return yield* fail(end, `expected "_" and a value after ${piece.text}`)
      }
      return yield* fail(piece.position, badName)
    }
    const base = piece.position + head[0].length
    const source = piece.text.slice(head[0].length)
    if (source === "") return yield* fail(base, `expected a value after "${head[0]}"`)
    const tokens = yield* tokenize(source, base)
    yield* checkAssigned(variablesIn(tokens), assigned)
    const [first, to, kind] = tokens
    const cast: Cast | undefined =
      tokens.length === 3 && to!.raw === "to" && (kind!.raw === "i" || kind!.raw === "f")
        ? kind!.raw
        : undefined
    const operand = tokens.length === 1 || cast !== undefined ? operandOf([first!]) : other
    return {
      _tag: "Assignment",
      name: head[1]!,
      tokens,
      source: operand._tag === "Other" ? undefined : { operand, cast }
    }
  })

/** The `$name` and `$(name)` in a parameter; a `$` before anything else is kept as it is. */
const usesIn = (piece: Piece): Either.Either<ReadonlyArray<Use>, Problem> => {
  const uses: Array<Use> = []
  const text = piece.text
  for (let i = text.indexOf("$"); i >= 0; i = text.indexOf("$", i + 1)) {
    const bracketed = text[i + 1] === "("
    nameAt.lastIndex = bracketed ? i + 2 : i + 1
    const name = nameAt.exec(text)?.[0]
    if (bracketed) {
      const close = nameAt.lastIndex
      if (name === undefined || text[close] !== ")") {
        return fail(piece.position + i + 2, "expected a variable name and \")\" after \"$(\"")
      }
      uses.push({ name, start: i, end: close + 1, position: piece.position + i })
    } else if (name !== undefined) {
      uses.push({ name, start: i, end: nameAt.lastIndex, position: piece.position + i })
    }
  }
  return Either.right(uses)
}

// Resolution

type Binding = { readonly _tag: "Known"; readonly value: Value } | { readonly _tag: "Runtime" }

const runtimeBinding: Binding = { _tag: "Runtime" }

/** A decided condition, or what is left of it for Cloudinary to decide. */
type Outcome = boolean | { readonly kept: string }

interface Frame {
  readonly position: number
  readonly outcome: Outcome | "skipped"
  inElse: boolean
}

type Mode = "active" | "uncertain" | "skipped"

interface Pass {
  readonly output: string
  /** Variables found to need Cloudinary's evaluation that this pass did not treat so. */
  readonly needed: ReadonlySet<string>
}

/**
 * One reading of the transformation, with the variables in `runtime` left to Cloudinary. When
 * a variable turns out to need Cloudinary (it is assigned inside a kept conditional, or from an
 * expression), its earlier assignments must be kept too, so the caller reads again.
 */
const pass = (
  components: ReadonlyArray<ReadonlyArray<Piece>>,
  context: Context.Context,
  runtime: ReadonlySet<string>
): Either.Either<Pass, Problem> => {
  const assigned = new Set<string>()
  const needed = new Set<string>()
  const stack: Array<Frame> = []

  const mode = (): Mode => {
    let current: Mode = "active"
    for (const frame of stack) {
      if (frame.outcome === "skipped") return "skipped"
      if (typeof frame.outcome === "boolean") {
        if (frame.outcome === frame.inElse) return "skipped"
      } else {
        current = "uncertain"
      }
    }
    return current
  }

  const lookup = (
    bindings: ReadonlyMap<string, Binding>,
    name: string,
    position: number
  ): Either.Either<Binding, Problem> => {
    const binding = bindings.get(name)
    return binding !== undefined ? Either.right(binding) : fail(
      position,
      `expected $${name} to be assigned before it is used; ` +
        "its assignment is in a branch that is not taken"
    )
  }

  /** `undefined` when only Cloudinary knows the value. */
  const valueOf = (
    operand: Operand,
    bindings: ReadonlyMap<string, Binding>
  ): Either.Either<Value | undefined, Problem> => {
    switch (operand._tag) {
      case "Literal":
        return Either.right(operand.value)
      case "ContextKey": {
        const value = Context.get(context, operand.key)
        return Either.right(value === undefined ? absent : textValue(value))
      }
      case "Variable":
        return Either.map(
          lookup(bindings, operand.name, operand.position),
          (binding) => binding._tag === "Known" ? binding.value : undefined
        )
      case "Other":
        return Either.right(undefined)
    }
  }

  const render = (
    tokens: ReadonlyArray<Token>,
    bindings: ReadonlyMap<string, Binding>
  ): Either.Either<string, Problem> =>
    Either.gen(function*() {
      const parts: Array<string> = []
      for (const token of tokens) {
        if (isVariable(token)) {
          const binding = yield* lookup(bindings, token.raw.slice(1), token.position)
          parts.push(binding._tag === "Known" ? literal(binding.value) : token.raw)
        } else {
          parts.push(token.raw)
        }
      }
      return parts.join("_")
    })

  const evaluateAtom = (
    atom: Atom,
    bindings: ReadonlyMap<string, Binding>
  ): Either.Either<Outcome, Problem> =>
    Either.gen(function*() {
      if (atom._tag === "Existence") {
        const present = atom.keys.filter((key) => Context.get(context, key) !== undefined)
        return atom.negated ? present.length === 0 : present.length === atom.keys.length
      }
      const kept = yield* render(atom.tokens, bindings)
      const left = yield* valueOf(atom.left, bindings)
      const right = yield* valueOf(atom.right, bindings)
      // Not yet: arithmetic in a condition (`$n_mul_2_gt_10`) is left to Cloudinary, even
      // when every value in it is known here.
      if (left === undefined || right === undefined) return { kept }
      return compare(atom.operator, left, right)
    })

  const evaluate = (
    condition: Condition,
    bindings: ReadonlyMap<string, Binding>
  ): Either.Either<Outcome, Problem> =>
    Either.gen(function*() {
      let holds = false
      const alternatives: Array<string> = []
      for (const atoms of condition) {
        let possible = true
        const kept: Array<string> = []
        for (const atom of atoms) {
          const outcome = yield* evaluateAtom(atom, bindings)
          if (outcome === false) possible = false
          else if (outcome !== true) kept.push(outcome.kept)
        }
        if (!possible) continue
        if (kept.length === 0) holds = true
        else alternatives.push(kept.join("_and_"))
      }
      if (holds) return true
      return alternatives.length === 0 ? false : { kept: alternatives.join("_or_") }
    })

  /** Binds the variable; gives the parameter to keep when Cloudinary must evaluate it. */
  const assign = (
    assignment: Assignment,
    bindings: Map<string, Binding>,
    current: Mode
  ): Either.Either<string | undefined, Problem> =>
    Either.gen(function*() {
      const { name, source } = assignment
      if (current === "active" && !runtime.has(name) && source !== undefined) {
        const value = yield* valueOf(source.operand, bindings)
        if (value !== undefined) {
          bindings.set(name, { _tag: "Known", value: castTo(value, source.cast) })
          return undefined
        }
      }
      const kept = `$${name}_${yield* render(assignment.tokens, bindings)}`
      if (!runtime.has(name)) needed.add(name)
      bindings.set(name, runtimeBinding)
      return kept
    })

  // Not yet: substituted text is written as it is, so a value holding "/" or "," changes the
  // shape of the result, and one holding "!" breaks a string it is substituted into.
  const substitute = (
    plain: Plain,
    bindings: ReadonlyMap<string, Binding>
  ): Either.Either<string, Problem> =>
    Either.gen(function*() {
      const text = plain.piece.text
      let out = ""
      let at = 0
      for (const use of plain.uses) {
        const binding = yield* lookup(bindings, use.name, use.position)
        const replacement = binding._tag === "Known"
          ? plainText(binding.value)
          : text.slice(use.start, use.end)
        out += text.slice(at, use.start) + replacement
        at = use.end
      }
      return out + text.slice(at)
    })

  /** Assignments first, then the other parameters, written back in their original order. */
  const apply = (
    parameters: ReadonlyArray<Parameter>,
    bindings: Map<string, Binding>,
    current: Mode
  ): Either.Either<Array<string>, Problem> =>
    Either.gen(function*() {
      const out: Array<string | undefined> = parameters.map(() => undefined)
      for (const [i, parameter] of parameters.entries()) {
        if (parameter._tag === "Assignment") out[i] = yield* assign(parameter, bindings, current)
      }
      for (const [i, parameter] of parameters.entries()) {
        if (parameter._tag === "Plain") out[i] = yield* substitute(parameter, bindings)
      }
      return out.filter((text): text is string => text !== undefined && text !== "")
    })

  /** Reads a component's parameters, checking each use against the assignments before it. */
  const parameters = (
    pieces: ReadonlyArray<Piece>,
    condition: Piece | undefined
  ): Either.Either<readonly [ReadonlyArray<Parameter>, Condition | undefined], Problem> =>
    Either.gen(function*() {
      const assignments = new Map<Piece, Assignment>()
      for (const piece of pieces) {
        if (!piece.text.startsWith("$")) continue
        const assignment = yield* parseAssignment(piece, assigned)
        assignments.set(piece, assignment)
        assigned.add(assignment.name)
      }
      const parsed = condition === undefined
        ? undefined
        : yield* parseCondition(condition, assigned)
      const out: Array<Parameter> = []
      for (const piece of pieces) {
        const assignment = assignments.get(piece)
        if (assignment !== undefined) {
          out.push(assignment)
          continue
        }
        const uses = yield* usesIn(piece)
        yield* checkAssigned(uses, assigned)
        out.push({ _tag: "Plain", piece, uses })
      }
      return [out, parsed] as const
    })

  return Either.gen(function*() {
    const bindings = new Map<string, Binding>()
    const output: Array<string> = []
    for (const pieces of components) {
      const [first, ...rest] = pieces as readonly [Piece, ...Array<Piece>]
      if (first.text === "if_else" || first.text === "if_end") {
        const keyword = first.text
        if (rest.length > 0) {
          return yield* fail(first.position, `expected ${keyword} alone in its component`)
        }
        const frame = stack[stack.length - 1]
        if (frame === undefined) {
          return yield* fail(first.position, `expected an open if_ before ${keyword}`)
        }
        if (keyword === "if_end") {
          stack.pop()
        } else if (frame.inElse) {
          return yield* fail(first.position, "expected if_end: this conditional has its if_else")
        } else {
          frame.inElse = true
        }
        if (typeof frame.outcome === "object") output.push(keyword)
        continue
      }
      const misplaced = rest.find((piece) => piece.text.startsWith("if_"))
      if (misplaced !== undefined) {
        return yield* fail(misplaced.position, "expected if_ only first in its component")
      }
      const conditional = first.text.startsWith("if_")
      const [parsed, condition] = yield* parameters(
        conditional ? rest : pieces,
        conditional ? first : undefined
      )
      const current = mode()

      if (condition === undefined) {
        if (current !== "skipped") {
          output.push((yield* apply(parsed, bindings, current)).join(","))
        }
      } else if (parsed.length === 0) {
        // A condition alone in its component opens a block that if_end closes.
        const outcome = current === "skipped" ? "skipped" : yield* evaluate(condition, bindings)
        stack.push({ position: first.position, outcome, inElse: false })
        if (typeof outcome === "object") output.push(`if_${outcome.kept}`)
      } else if (current !== "skipped") {
        // A condition beside other parameters applies to that component only. Its assignments
        // are tried first, since the condition may read them.
        const tried = new Map(bindings)
        const applied = yield* apply(parsed, tried, current)
        const outcome = yield* evaluate(condition, tried)
        if (outcome === true) {
          for (const [name, binding] of tried) bindings.set(name, binding)
          output.push(applied.join(","))
        } else if (outcome !== false) {
          const kept = yield* apply(parsed, bindings, "uncertain")
          output.push([`if_${outcome.kept}`, ...kept].join(","))
        }
      }
    }
    const open = stack[stack.length - 1]
    if (open !== undefined) {
      return yield* fail(open.position, "expected if_end to close the conditional opened here")
    }
    return { output: output.filter((component) => component !== "").join("/"), needed }
  })
}

/**
 * Resolves a transformation string against a context: conditions on the context are decided
 * and disappear with the branches not taken, variables read from the context are substituted,
 * and every other parameter and component is kept, in its order. Malformed transformations
 * give a `TransformationError` naming the position and what was expected there.
 *
 * @example
 * import { Context, Transformation } from "@ctxlog/core"
 *
 * const shoe = Context.fromRecord({ productType: "shoes" })
 * Transformation.resolve("if_ctx:!productType!_eq_!shoes!/ar_1:1,c_fill,w_200/if_end", shoe)
 * // Either.right("ar_1:1,c_fill,w_200")
 *
 * @since 0.1.0
 * @category resolution
 */
export const resolve = (
  transformation: string,
  context: Context.Context
): Either.Either<string, TransformationError> => {
  const components = split(transformation)
  let runtime: ReadonlySet<string> = new Set()
  for (;;) {
    const result = pass(components, context, runtime)
    if (Either.isLeft(result)) {
      return Either.left(new TransformationError({ input: transformation, ...result.left }))
    }
    const { needed, output } = result.right
    if (needed.size === 0) return Either.right(output)
    runtime = new Set([...runtime, ...needed])
  }
}

/**
 * Where an asset is delivered with a transformation: `<base>/<cloud>/<rt>/<type>/<t>/<id>`,
 * each segment of the public id percent-encoded.
 *
 * @since 0.1.0
 * @category rendering
 */
export const deliveryUrl = (base: string, asset: AssetId, transformation: string): string =>
  [
    base.replace(/\/+$/, ""),
    asset.cloud,
    asset.resourceType,
    asset.type,
    ...(transformation === "" ? [] : [transformation]),
    asset.publicId.split("/").map(encodeURIComponent).join("/")
  ].join("/")
