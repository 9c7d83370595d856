/**
 * The PostgreSQL server for tests: `POSTGRES_URL`, or `postgres://postgres@127.0.0.1:5432/test`.
 * Each test works in a schema of its own, dropped when it ends. SQL that the tests run besides the
 * adapter's goes through `psql`, a client independent of the one under test.
 */
import type { Errors, ProjectionStore, Settings } from "@ctxlog/core"
import { PgStore } from "@ctxlog/postgres"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { execFile } from "node:child_process"
import { randomBytes } from "node:crypto"
import { beforeAll } from "vitest"

/** The server's URL. */
export const url = process.env.POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/** A schema name no other test uses. */
export const uniqueSchema = (tag = "t"): string => `ctxlog_${tag}_${randomBytes(6).toString("hex")}`

/**
 * Fails every test of the file, saying why, when the server does not answer: a missing server
 * must not look like a passing suite.
 */
export const usePostgres = (): void => {
  beforeAll(async () => {
    const exit = await Effect.runPromiseExit(
      Effect.scoped(Layer.build(PgStore.layerClient({ url })))
    )
    if (exit._tag === "Failure") {
      const reason = exit.cause._tag === "Fail" ? exit.cause.error.message : String(exit.cause)
      throw new Error(
        `PostgreSQL is not reachable (${reason}); these tests need a server: start one on ` +
          "127.0.0.1:5432 with a database `test`, or set POSTGRES_URL"
      )
    }
  })
}

/** Runs SQL with `psql`; gives the rows, fields separated by `|`. */
export const psql = (sql: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.async((resume) => {
    execFile(
      "psql",
      ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
      (error, stdout, stderr) => {
        if (error) resume(Effect.die(new Error(`psql failed: ${stderr || error.message}`)))
        else resume(Effect.succeed(stdout.split("\n").filter((line) => line !== "")))
      }
    )
  })

/** Drops the schema and all in it. */
export const dropSchema = (schema: string): Effect.Effect<void> =>
  Effect.asVoid(psql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))

/** A layer that drops the schema when it is released, after whatever it was provided to. */
export const droppedAfter = (schema: string): Layer.Layer<never> =>
  Layer.scopedDiscard(Effect.addFinalizer(() => dropSchema(schema)))

/** A store on a new schema of its own, dropped when the layer is released. */
export const freshStore = (): Layer.Layer<
  ProjectionStore.ProjectionStore | Settings.Settings,
  PgStore.PgConnectionError | Errors.ProjectionStoreError | Errors.SettingsError
> =>
  Layer.suspend(() => {
    const schema = uniqueSchema()
    return Layer.provideMerge(PgStore.layer({ url, schema }), droppedAfter(schema))
  })
