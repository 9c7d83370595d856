/**
 * Assertions as effects, so that the contract suites run under any test framework: a failed
 * expectation fails the effect with a `ContractViolation` that says what differed.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category errors
 */
export class ContractViolation extends Schema.TaggedError<ContractViolation>()(
  "ContractViolation",
  { detail: Schema.String }
) {
  override get message(): string {
    return this.detail
  }
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null

/**
 * Structural equality: dates by time, arrays by element, objects (class instances too) by
 * their own enumerable fields.
 *
 * @since 0.1.0
 * @category equality
 */
export const deepEqual = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime()
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
      a.every((x, i) => deepEqual(x, b[i]))
  }
  if (isPlain(a) && isPlain(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined)
    const kb = Object.keys(b).filter((k) => b[k] !== undefined)
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]))
  }
  return false
}

const show = (v: unknown): string => {
  try {
    return JSON.stringify(v, (_, x) => typeof x === "bigint" ? `${x}n` : x)
  } catch {
    return String(v)
  }
}

/**
 * @since 0.1.0
 * @category assertions
 */
export const equal = <A>(
  actual: A,
  expected: A,
  what: string
): Effect.Effect<void, ContractViolation> =>
  deepEqual(actual, expected)
    ? Effect.void
    : Effect.fail(
      new ContractViolation({ detail: `${what}: expected ${show(expected)}, got ${show(actual)}` })
    )

/**
 * @since 0.1.0
 * @category assertions
 */
export const isTrue = (condition: boolean, what: string): Effect.Effect<void, ContractViolation> =>
  condition ? Effect.void : Effect.fail(new ContractViolation({ detail: what }))

/**
 * Runs an effect that must fail with the given tag; gives the error.
 *
 * @since 0.1.0
 * @category assertions
 */
export const failsWith = <A, E extends { readonly _tag: string }, R, T extends E["_tag"]>(
  effect: Effect.Effect<A, E, R>,
  tag: T,
  what: string
): Effect.Effect<Extract<E, { readonly _tag: T }>, ContractViolation | E, R> =>
  effect.pipe(
    Effect.flatMap((value) =>
      Effect.fail(
        new ContractViolation({
          detail: `${what}: expected ${tag}, but it succeeded with ${show(value)}`
        })
      )
    ),
    Effect.catchIf(
      (error): error is Extract<E, { readonly _tag: T }> => error._tag === tag,
      (error) => Effect.succeed(error)
    )
  )

/**
 * A named check of a contract suite.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContractCase<R> {
  readonly name: string
  readonly run: Effect.Effect<void, unknown, R>
}
