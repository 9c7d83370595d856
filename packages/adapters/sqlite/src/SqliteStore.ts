/**
 * ctxlog on one SQLite file: the event log, the projection store and the settings, in WAL mode,
 * with versioned migrations. Several processes may open the same file; they queue for its write
 * lock.
 *
 * Durability (`PRAGMA synchronous` under WAL):
 * - `normal` (default): a killed process loses nothing; a power loss or OS crash may lose the
 *   last transactions before the most recent WAL sync, and never corrupts the file.
 * - `full`: every commit is synced before it returns; a power loss loses nothing acknowledged.
 * - `off`: no syncs; a killed process still loses nothing, but a power loss may lose recent
 *   transactions or corrupt the file.
 *
 * @since 0.1.0
 */
import { EventLog, ProjectionStore, Settings } from "@ctxlog/core"
import Database from "better-sqlite3"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { migrations } from "./internal/migrations.js"
import * as SqliteEventLog from "./SqliteEventLog.js"
import * as SqliteProjectionStore from "./SqliteProjectionStore.js"
import * as SqliteSettings from "./SqliteSettings.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Durability = "off" | "normal" | "full"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends SqliteEventLog.Options {
  /** The database file; created, with its folder, when missing. `:memory:` keeps nothing. */
  readonly filename: string
  readonly durability?: Durability | undefined
  /** How long a writer waits for another process's write lock before retrying. */
  readonly busyTimeoutMs?: number | undefined
}

/**
 * The file cannot be opened or migrated.
 *
 * @since 0.1.0
 * @category errors
 */
export class SqliteError extends Schema.TaggedError<SqliteError>()("SqliteError", {
  filename: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `cannot open the ctxlog store ${this.filename}: ${this.detail}`
  }
}

/**
 * The open database, for tools that need more than the ports (backups, inspection).
 *
 * @since 0.1.0
 * @category tags
 */
export class SqliteDatabase extends Context.Tag("@ctxlog/sqlite/SqliteDatabase")<
  SqliteDatabase,
  Handle
>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Handle {
  readonly db: Database.Database
}

/**
 * The schema version this release writes.
 *
 * @since 0.1.0
 * @category constants
 */
export const SCHEMA_VERSION = migrations[migrations.length - 1]!.version

const migrate = (db: Database.Database, filename: string) =>
  db.transaction(() => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ctxlog_migrations (
         version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL
       )`
    )
    const current = db.prepare("SELECT coalesce(max(version), 0) FROM ctxlog_migrations").pluck()
      .get() as number
    if (current > SCHEMA_VERSION) {
      throw new SqliteError({
        filename,
        detail: `the file has schema version ${current}, written by a newer release; ` +
          `this one knows up to ${SCHEMA_VERSION}`
      })
    }
    const record = db.prepare(
      "INSERT INTO ctxlog_migrations (version, name, applied_at) VALUES (?, ?, ?)"
    )
    for (const migration of migrations) {
      if (migration.version <= current) continue
      db.exec(migration.sql)
      migration.run?.(db)
      record.run(migration.version, migration.name, new Date().toISOString())
    }
  }).immediate()

/**
 * Opens (and migrates) a file. The caller closes it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const open = (options: Options): Effect.Effect<Database.Database, SqliteError> =>
  Effect.try({
    try: () => {
      if (options.filename !== ":memory:") mkdirSync(dirname(options.filename), { recursive: true })
      const db = new Database(options.filename)
      try {
        db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`)
        db.pragma("journal_mode = WAL")
        db.pragma(`synchronous = ${(options.durability ?? "normal").toUpperCase()}`)
        db.pragma("foreign_keys = ON")
        migrate(db, options.filename)
        return db
      } catch (error) {
        db.close()
        throw error
      }
    },
    catch: (cause) =>
      cause instanceof SqliteError
        ? cause
        : new SqliteError({ filename: options.filename, detail: String(cause), cause })
  }).pipe(
    // Two processes that open a new file at once can both hold a shared lock while each asks
    // for the exclusive one that WAL mode or a migration needs; SQLite then refuses one at once
    // rather than wait, since waiting would never end. Opening again after the other finished
    // succeeds, so the open is retried for as long as the busy timeout allows.
    Effect.retry({
      while: (error) => isBusy(error.cause),
      schedule: Schedule.exponential("10 millis").pipe(
        Schedule.jittered,
        Schedule.upTo(Duration.millis(options.busyTimeoutMs ?? 5000))
      )
    })
  )

const isBusy = (cause: unknown) =>
  typeof cause === "object" && cause !== null &&
  String((cause as { code?: unknown }).code).startsWith("SQLITE_BUSY")

/**
 * The event log, projection store and settings on one file, closed when the layer is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<
  EventLog.EventLog | ProjectionStore.ProjectionStore | Settings.Settings | SqliteDatabase,
  SqliteError
> =>
  Layer.scopedContext(
    Effect.gen(function*() {
      const db = yield* Effect.acquireRelease(open(options), (db) => Effect.sync(() => db.close()))
      const projections = SqliteProjectionStore.make(db)
      const log = SqliteEventLog.make(db, projections.sync, options)
      const settings = yield* SqliteSettings.make(db).pipe(
        Effect.mapError((error) =>
          new SqliteError({ filename: options.filename, detail: error.message, cause: error })
        )
      )
      return Context.make(EventLog.EventLog, log).pipe(
        Context.add(ProjectionStore.ProjectionStore, projections.store),
        Context.add(Settings.Settings, settings),
        Context.add(SqliteDatabase, { db })
      )
    })
  )
