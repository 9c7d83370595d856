/**
 * Settings on PostgreSQL, in the table `settings` of the store's schema, so that what a host
 * keeps (the API key it made for a cloud) lives and is backed up with the projections, and every
 * process on the same schema shares it.
 *
 * Values are kept as their UTF-8 bytes (`bytea`): PostgreSQL text cannot hold U+0000, which a
 * value may contain. Names are ASCII, in a `"C"` column, so they list in code point order.
 *
 * @since 0.1.0
 */
import { Errors, Settings } from "@ctxlog/core"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { describe } from "./internal/failure.js"
import * as Tables from "./internal/tables.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The schema of the table; `ctxlog` unless set. Created, with it, when missing. */
  readonly schema?: string | undefined
}

const ddl = (schema: string): ReadonlyArray<string> => [
  `CREATE TABLE IF NOT EXISTS ${Tables.qualified(schema, "settings")} (
     name text COLLATE "C" PRIMARY KEY,
     value bytea NOT NULL
   )`
]

/**
 * How many times `setIfAbsent` looks again when the value it found taken is removed before it
 * can read it. Each round needs another process to remove the name in that instant.
 */
const ROUNDS = 100

/** Values cross the wire as hex, so that no host type parser changes what comes back. */
const toHex = (value: string) => Buffer.from(value, "utf8").toString("hex")
const fromHex = (hex: string) => Buffer.from(hex, "hex").toString("utf8")

interface Row {
  readonly name: string
  readonly value: string
}

/**
 * Opens settings on the schema, creating the table when it is missing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Settings.SettingsShape, Errors.SettingsError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const schema = options.schema ?? Tables.DEFAULT_SCHEMA
    const failure = (operation: string) => (error: SqlError) =>
      new Errors.SettingsError({
        operation,
        detail: `${describe(error)}, on the settings of schema ${schema}`,
        cause: error
      })
    const bad = Tables.badSchemaName(schema)
    if (bad !== undefined) {
      return yield* new Errors.SettingsError({ operation: "open", detail: bad })
    }
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    yield* Tables.ensure(sql, schema, { tables: ["settings"] }, ddl(schema)).pipe(
      Effect.mapError(failure("open"))
    )
    const table = sql.literal(Tables.qualified(schema, "settings"))

    const get = (name: string) =>
      Effect.map(
        sql<Pick<Row, "value">>`
          SELECT encode(value, 'hex') AS value FROM ${table} WHERE name = ${name}`,
        (rows) => Option.map(Option.fromNullable(rows[0]), (row) => fromHex(row.value))
      )

    /**
     * The insert and the read are separate statements on purpose: a statement reads from a
     * snapshot taken as it starts, so a read in the same statement as an insert that waited for
     * another writer's would not see that writer's value.
     */
    const setIfAbsent = (
      name: string,
      value: string,
      round = 1
    ): Effect.Effect<string, Errors.SettingsError> =>
      Effect.gen(function*() {
        const inserted = yield* sql`
          INSERT INTO ${table} (name, value) VALUES (${name}, decode(${toHex(value)}, 'hex'))
          ON CONFLICT (name) DO NOTHING
          RETURNING 1 AS inserted`.pipe(Effect.mapError(failure("setIfAbsent")))
        if (inserted.length > 0) return value
        const stored = yield* get(name).pipe(Effect.mapError(failure("setIfAbsent")))
        if (Option.isSome(stored)) return stored.value
        if (round >= ROUNDS) {
          return yield* new Errors.SettingsError({
            operation: "setIfAbsent",
            detail: `the value of ${JSON.stringify(name)} was removed each time before it ` +
              `could be read, ${ROUNDS} times in a row`
          })
        }
        // Removed by another process between the two statements: the name is free again.
        return yield* setIfAbsent(name, value, round + 1)
      })

    return Settings.validated({
      get: (name) => get(name).pipe(Effect.mapError(failure("get"))),
      setIfAbsent: (name, value) => setIfAbsent(name, value),
      set: (name, value) =>
        sql`
          INSERT INTO ${table} (name, value) VALUES (${name}, decode(${toHex(value)}, 'hex'))
          ON CONFLICT (name) DO UPDATE SET value = excluded.value`.pipe(
          Effect.asVoid,
          Effect.mapError(failure("set"))
        ),
      remove: (name) =>
        sql`DELETE FROM ${table} WHERE name = ${name}`.pipe(
          Effect.asVoid,
          Effect.mapError(failure("remove"))
        ),
      list: (prefix) =>
        Effect.map(
          sql<Row>`
            SELECT name, encode(value, 'hex') AS value FROM ${table}
            WHERE name >= ${prefix} AND starts_with(name, ${prefix})
            ORDER BY name`,
          (rows) => rows.map((row) => [row.name, fromHex(row.value)] as const)
        ).pipe(Effect.mapError(failure("list")))
    })
  })

/**
 * Settings on the `SqlClient` the host provides.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<Settings.Settings, Errors.SettingsError, SqlClient.SqlClient> =>
  Layer.effect(Settings.Settings, make(options))
