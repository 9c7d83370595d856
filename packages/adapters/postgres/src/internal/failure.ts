/**
 * What the PostgreSQL driver's errors mean to ctxlog: a readable detail, and whether running the
 * same transaction again can succeed.
 *
 * `@effect/sql` wraps every driver error in a `SqlError` whose own message is generic ("Failed
 * to execute statement"); the server's message and SQLSTATE are on its cause.
 */
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"

interface ServerError {
  readonly message: string
  readonly code?: unknown
  readonly detail?: unknown
}

/** By tag rather than by class, so that two copies of `@effect/sql` in one process agree. */
const isSqlError = (u: unknown): u is SqlError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "SqlError"

const isError = (u: unknown): u is ServerError =>
  typeof u === "object" && u !== null && typeof (u as { message?: unknown }).message === "string"

/** Five digits or capitals; Node's own codes (`ECONNREFUSED`) are longer. */
const SQLSTATE = /^[0-9A-Z]{5}$/

/** The SQLSTATE of the server's answer, if the failure is one. */
export const sqlState = (error: unknown): string | undefined => {
  const cause = isSqlError(error) ? error.cause : error
  return isError(cause) && typeof cause.code === "string" && SQLSTATE.test(cause.code)
    ? cause.code
    : undefined
}

/** Text PostgreSQL refuses: U+0000 in `text`, `\u0000` in `jsonb`. */
const NO_NUL = new Set(["22021", "22P05"])

/** The server's message, its detail and SQLSTATE, or the client's, on one line. */
export const describe = (error: unknown): string => {
  const cause = isSqlError(error) ? error.cause : error
  if (!isError(cause)) {
    return isSqlError(error) ? error.message : String(error)
  }
  const state = sqlState(cause)
  const parts = [cause.message === "" ? String(cause) : cause.message]
  if (typeof cause.detail === "string" && cause.detail !== "") parts.push(cause.detail)
  if (state !== undefined && NO_NUL.has(state)) {
    parts.push("PostgreSQL text cannot hold the character U+0000")
  }
  const text = parts.join("; ")
  return state === undefined ? text : `${text} (SQLSTATE ${state})`
}

/**
 * True for a deadlock or a serialization failure, after which the server has rolled the
 * transaction back and running it again is the documented remedy.
 */
export const isTransient = (error: unknown): boolean => {
  const state = sqlState(error)
  return state === "40001" || state === "40P01"
}

/** A few quick retries: these conflicts clear as soon as the other transaction ends. */
export const transientRetry = Schedule.exponential("10 millis").pipe(
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(5))
)

/**
 * `@effect/sql` turns a failed COMMIT into a defect; this gives it back as the typed failure it
 * is, so that a lost connection or a conflict at commit time reaches the caller's error channel.
 */
export const commitFailures = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | SqlError, R> =>
  Effect.catchSomeDefect(
    effect,
    (defect) => isSqlError(defect) ? Option.some(Effect.fail(defect)) : Option.none()
  )
