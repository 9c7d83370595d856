/**
 * The PostgreSQL schema that holds a store's tables: its name, and the creation of the tables
 * when they are missing.
 *
 * Creation runs under a transaction-scoped advisory lock keyed by the schema name, because two
 * processes that start together would otherwise both find the tables missing and race on
 * `CREATE`, which PostgreSQL answers with a unique violation in its catalog rather than waiting.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import { commitFailures } from "./failure.js"

/** The default schema. */
export const DEFAULT_SCHEMA = "ctxlog"

/**
 * Unquoted-identifier characters only, within PostgreSQL's 63-byte limit, so that a name means
 * the same thing in every tool a host points at it (`psql`, a migration runner).
 */
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** Why `schema` cannot name the store's schema, or undefined when it can. */
export const badSchemaName = (schema: string): string | undefined =>
  NAME.test(schema)
    ? undefined
    : `the schema name ${JSON.stringify(schema)} is not 1 to 63 characters of A-Z, a-z, 0-9 ` +
      "and _ starting with a letter or _"

/** An identifier as SQL text, quoted so that its case is kept. */
export const quote = (name: string): string => `"${name.replaceAll("\"", "\"\"")}"`

/** `schema.table`, quoted. */
export const qualified = (schema: string, table: string): string =>
  `${quote(schema)}.${quote(table)}`

/** The first key of ctxlog's advisory locks ("ctxl"), so that they stay clear of a host's own. */
const LOCK_SPACE = 0x6374786c

// Not yet: versioned migrations. Tables are created as this release defines them and columns are
// never altered, so a later release that changes a column must add a migration step before it
// ships. A release may add a table, or an index on the tables that exist: the statements run when
// any table or index of the lists is missing.
/**
 * The tables and indexes of a schema's statements, by name, whose absence makes them run. An
 * index is named here so that a schema of an earlier release, whose tables all exist, gets it.
 */
export interface Objects {
  readonly tables: ReadonlyArray<string>
  readonly indexes?: ReadonlyArray<string> | undefined
}

interface Missing {
  readonly tables: ReadonlySet<string>
  readonly indexes: ReadonlyArray<string>
}

/**
 * Creates the `objects` in `schema` (and the schema) with `ddl` unless they all exist; true when
 * this call ran the statements. Idempotent: the statements must be `IF NOT EXISTS` forms, because
 * a table or index of the lists may exist while another is missing, as in a schema of an earlier
 * release. When they all exist, which is every open but the first of a release, opening costs a
 * read of the catalog and takes no lock.
 *
 * An index made on tables that exist is built under a lock that holds writes to its table back
 * until it is whole, once per schema: the statements run in a transaction, which `CREATE INDEX
 * CONCURRENTLY` cannot.
 *
 * `fill` runs after the statements, in the same transaction and under the same lock, with the
 * tables that were missing: a table that derives from others fills itself from their rows there,
 * so that no process sees it empty next to tables that already hold data.
 */
export const ensure = (
  sql: SqlClient.SqlClient,
  schema: string,
  objects: Objects,
  ddl: ReadonlyArray<string>,
  fill: (created: ReadonlySet<string>) => Effect.Effect<void, SqlError> = () => Effect.void
): Effect.Effect<boolean, SqlError> => {
  const { tables } = objects
  const indexes = objects.indexes ?? []
  const absent: Effect.Effect<Missing, SqlError> = Effect.map(
    sql<{ readonly name: string; readonly kind: "table" | "index" }>`
      SELECT tablename AS name, 'table' AS kind FROM pg_catalog.pg_tables
      WHERE schemaname = ${schema} AND tablename = ANY(${tables}::text[])
      UNION ALL
      SELECT indexname AS name, 'index' AS kind FROM pg_catalog.pg_indexes
      WHERE schemaname = ${schema} AND indexname = ANY(${indexes}::text[])`,
    (rows) => {
      const present = (kind: string) =>
        new Set(rows.filter((row) => row.kind === kind).map((row) => row.name))
      const presentTables = present("table")
      const presentIndexes = present("index")
      return {
        tables: new Set(tables.filter((table) => !presentTables.has(table))),
        indexes: indexes.filter((index) => !presentIndexes.has(index))
      }
    }
  )
  const isMissing = (missing: Missing) => missing.tables.size > 0 || missing.indexes.length > 0
  const schemaMissing = Effect.map(
    sql`SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${schema}`,
    (rows) => rows.length === 0
  )
  const create = sql.withTransaction(
    Effect.gen(function*() {
      yield* sql`SELECT pg_advisory_xact_lock(${LOCK_SPACE}::int, hashtext(${schema}::text))`
      // Another process may have created them while this one waited for the lock.
      const missing = yield* absent
      if (!isMissing(missing)) return undefined
      // Checked first: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the
      // database, which a role that owns only its schema lacks.
      if (yield* schemaMissing) yield* sql.unsafe(`CREATE SCHEMA ${quote(schema)}`)
      for (const statement of ddl) yield* sql.unsafe(statement)
      yield* fill(missing.tables)
      return missing
    })
  )
  return Effect.gen(function*() {
    if (!isMissing(yield* absent)) return false
    const created = yield* commitFailures(create)
    if (created === undefined) return false
    if (created.tables.size > 0) {
      yield* Effect.logDebug("created ctxlog tables").pipe(
        Effect.annotateLogs({ schema, tables: tables.join(", ") })
      )
    } else {
      yield* Effect.logDebug("created ctxlog indexes").pipe(
        Effect.annotateLogs({ schema, indexes: created.indexes.join(", ") })
      )
    }
    return true
  })
}
