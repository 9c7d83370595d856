/**
 * Settings on a ctxlog SQLite file, in the table `ctxlog_settings`, so that what a host keeps
 * (the API key it made for a cloud) lives and is backed up with the store. Every process that
 * opens the file shares them; SQLite's write lock makes `setIfAbsent` atomic among them.
 *
 * @since 0.1.0
 */
import { Errors, Settings } from "@ctxlog/core"
import type BetterSqlite3 from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"

type Db = BetterSqlite3.Database

interface Row {
  readonly name: string
  readonly value: string
}

const isBusy = (cause: unknown) =>
  typeof cause === "object" && cause !== null &&
  ((cause as { code?: string }).code === "SQLITE_BUSY" ||
    (cause as { code?: string }).code === "SQLITE_LOCKED")

const failure = (operation: string) => (cause: unknown) =>
  new Errors.SettingsError({ operation, detail: String(cause), cause })

/**
 * The busy timeout covers most waits for another process's write lock; SQLite answers busy at
 * once in a few cases (a lock taken while the WAL is being reset), which pass on a retry.
 */
const busyRetry = Schedule.exponential("5 millis").pipe(
  Schedule.jittered,
  Schedule.upTo("10 seconds")
)

const attempt = <A>(operation: string, f: () => A): Effect.Effect<A, Errors.SettingsError> =>
  Effect.try({ try: f, catch: failure(operation) }).pipe(
    Effect.retry({ while: (e) => isBusy(e.cause), schedule: busyRetry })
  )

/**
 * Settings on an open file, whose migrations created their table.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (db: Db): Effect.Effect<Settings.SettingsShape, Errors.SettingsError> =>
  attempt("open", () => {
    const getStmt = db.prepare("SELECT value FROM ctxlog_settings WHERE name = ?").pluck()
    const insertStmt = db.prepare(
      "INSERT INTO ctxlog_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
    )
    const setStmt = db.prepare(
      `INSERT INTO ctxlog_settings (name, value) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value`
    )
    const removeStmt = db.prepare("DELETE FROM ctxlog_settings WHERE name = ?")
    // Names are ASCII, so a range on the primary key is exactly the names with the prefix: every
    // such name sorts from the prefix up to, not including, the prefix followed by U+FFFF.
    const listStmt = db.prepare(
      "SELECT name, value FROM ctxlog_settings WHERE name >= ? AND name < ? ORDER BY name"
    )

    // The read in the same transaction as the insert, so that a remove by another process
    // between the two cannot make the winner's value look missing.
    const setIfAbsent = db.transaction((name: string, value: string): string => {
      insertStmt.run(name, value)
      return getStmt.get(name) as string
    })

    return Settings.validated({
      get: (name) =>
        attempt("get", () => Option.fromNullable(getStmt.get(name) as string | undefined)),
      setIfAbsent: (name, value) =>
        attempt("setIfAbsent", () => setIfAbsent.immediate(name, value)),
      set: (name, value) => attempt("set", () => void setStmt.run(name, value)),
      remove: (name) => attempt("remove", () => void removeStmt.run(name)),
      list: (prefix) =>
        attempt(
          "list",
          () =>
            (listStmt.all(prefix, `${prefix}\uffff`) as Array<Row>).map((row) =>
              [row.name, row.value] as const
            )
        )
    })
  })
