/**
 * One `ctx` process's use of the core: the service on the store its URL names, opened for one
 * command and closed after it, so that the process ends as soon as the command has.
 *
 * @since 0.1.0
 */
import type { Errors, Policy } from "@ctxlog/core"
import { Ctxlog } from "@ctxlog/core"
import type { SqliteStore } from "@ctxlog/sqlite"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Os from "node:os"
import type { StoreUnavailable, UsageError } from "./Errors.js"
import type { Globals } from "./GlobalOptions.js"
import * as Store from "./Store.js"

/**
 * Why the store could not be opened.
 *
 * @since 0.1.0
 * @category models
 */
export type Failure =
  | UsageError
  | StoreUnavailable
  | SqliteStore.SqliteError
  | Policy.InvalidLimit
  | Errors.ProjectionStoreError

/**
 * The service on the store of `--store`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (globals: Globals): Layer.Layer<Ctxlog.Ctxlog, Failure> =>
  Ctxlog.layer().pipe(Layer.provide(Store.layer(globals.store)))

/**
 * Runs an effect with the service, closing the store afterwards however the effect ends.
 *
 * @since 0.1.0
 * @category running
 */
export const run = <A, E>(
  globals: Globals,
  effect: Effect.Effect<A, E, Ctxlog.Ctxlog>
): Effect.Effect<A, E | Failure> => Effect.provide(effect, layer(globals))

/**
 * Who the commands of this process are attributed to: `cli:<os user name>`.
 *
 * @since 0.1.0
 * @category identity
 */
export const actor = (): string => {
  let name: string | undefined
  try {
    name = Os.userInfo().username
  } catch {
    // A uid without a passwd entry (common in containers) has no user name.
    name = process.env.USER ?? process.env.LOGNAME
  }
  return `cli:${
    name === undefined || name === "" ? `uid-${process.getuid?.() ?? "unknown"}` : name
  }`
}
