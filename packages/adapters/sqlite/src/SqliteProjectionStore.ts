/**
 * The projection store on a ctxlog SQLite file: one row per asset, an index row per context
 * pair, and a checkpoint per projection. Text compares with SQLite's BINARY collation, which on
 * UTF-8 is code point order, the order every ctxlog store sorts by.
 *
 * @since 0.1.0
 */
import { AssetId, Errors, ProjectionStore } from "@ctxlog/core"
import type BetterSqlite3 from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

type Db = BetterSqlite3.Database
type Statement = BetterSqlite3.Statement

interface AssetRow {
  readonly cloud: string
  readonly resource_type: string
  readonly type: string
  readonly public_id: string
  readonly revision: number
  readonly position: number
  readonly context: string
  readonly created_at: string
  readonly updated_at: string
}

const trusted = { disableValidation: true } as const

const toView = (row: AssetRow): ProjectionStore.AssetView =>
  new ProjectionStore.AssetView({
    asset: new AssetId.AssetId({
      cloud: AssetId.Cloud.make(row.cloud, trusted),
      resourceType: row.resource_type as AssetId.ResourceType,
      type: row.type,
      publicId: row.public_id
    }, trusted),
    revision: row.revision,
    position: row.position,
    context: JSON.parse(row.context),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at)
  }, trusted)

const idParams = (a: AssetId.AssetId) => [a.cloud, a.resourceType, a.type, a.publicId] as const

/**
 * The store's synchronous operations, for the event log to call inside its own transaction
 * (`commit` here opens none of its own).
 *
 * @since 0.1.0
 * @category models
 */
export interface SyncProjections {
  readonly get: (asset: AssetId.AssetId) => ProjectionStore.AssetView | undefined
  readonly commit: (commit: ProjectionStore.Commit) => void
  readonly checkpoint: (projection: string) => number
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (db: Db): {
  readonly store: ProjectionStore.ProjectionStoreShape
  readonly sync: SyncProjections
} => {
  const getStmt = db.prepare(
    `SELECT * FROM ctxlog_assets
     WHERE cloud = ? AND resource_type = ? AND type = ? AND public_id = ?`
  )
  const upsertStmt = db.prepare(
    `INSERT INTO ctxlog_assets
       (cloud, resource_type, type, public_id, revision, position, context, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (cloud, resource_type, type, public_id) DO UPDATE SET
       revision = excluded.revision, position = excluded.position, context = excluded.context,
       created_at = excluded.created_at, updated_at = excluded.updated_at`
  )
  const deleteStmt = db.prepare(
    `DELETE FROM ctxlog_assets
     WHERE cloud = ? AND resource_type = ? AND type = ? AND public_id = ?`
  )
  const unindexStmt = db.prepare(
    `DELETE FROM ctxlog_context_index
     WHERE cloud = ? AND resource_type = ? AND type = ? AND public_id = ?`
  )
  const indexStmt = db.prepare(
    `INSERT OR IGNORE INTO ctxlog_context_index
       (cloud, key, value, resource_type, type, public_id)
     VALUES (?, ?, ?, ?, ?, ?)`
  )
  const checkpointStmt = db.prepare(
    "SELECT position FROM ctxlog_checkpoints WHERE projection = ?"
  ).pluck()
  const saveCheckpointStmt = db.prepare(
    `INSERT INTO ctxlog_checkpoints (projection, position) VALUES (?, ?)
     ON CONFLICT (projection) DO UPDATE SET position = max(position, excluded.position)`
  )
  const setCheckpointStmt = db.prepare(
    `INSERT INTO ctxlog_checkpoints (projection, position) VALUES (?, ?)
     ON CONFLICT (projection) DO UPDATE SET position = excluded.position`
  )

  const checkpoint = (projection: string): number =>
    (checkpointStmt.get(projection) as number | undefined) ?? 0

  const get = (asset: AssetId.AssetId) => {
    const row = getStmt.get(...idParams(asset)) as AssetRow | undefined
    return row === undefined ? undefined : toView(row)
  }

  /** The body of a commit, for callers that are inside a transaction already. */
  const commitIn = (c: ProjectionStore.Commit) => {
    if (c.position <= checkpoint(c.projection)) return
    for (const asset of c.deletes) {
      deleteStmt.run(...idParams(asset))
      unindexStmt.run(...idParams(asset))
    }
    for (const view of c.upserts) {
      const id = idParams(view.asset)
      upsertStmt.run(
        ...id,
        view.revision,
        view.position,
        JSON.stringify(view.context),
        view.createdAt.toISOString(),
        view.updatedAt.toISOString()
      )
      unindexStmt.run(...id)
      for (const { key, value } of view.context) {
        indexStmt.run(
          view.asset.cloud,
          key,
          value,
          view.asset.resourceType,
          view.asset.type,
          view.asset.publicId
        )
      }
    }
    setCheckpointStmt.run(c.projection, c.position)
  }
  const commit = db.transaction(commitIn)

  /** Listing statements differ by which filters are present; each shape is prepared once. */
  const cache = new Map<string, Statement>()
  const prepared = (sql: string) => {
    let stmt = cache.get(sql)
    if (!stmt) cache.set(sql, stmt = db.prepare(sql))
    return stmt
  }

  const scoped = (
    table: string,
    q: ProjectionStore.Scope & ProjectionStore.Page,
    where: Array<string>,
    params: Array<unknown>
  ) => {
    if (q.resourceType !== undefined) {
      where.push(`${table}.resource_type = ?`)
      params.push(q.resourceType)
    }
    if (q.type !== undefined) {
      where.push(`${table}.type = ?`)
      params.push(q.type)
    }
    if (q.after !== undefined) {
      where.push(`(${table}.resource_type, ${table}.type, ${table}.public_id) > (?, ?, ?)`)
      params.push(q.after.resourceType, q.after.type, q.after.publicId)
    }
    params.push(Math.max(0, q.limit))
    return `WHERE ${where.join(" AND ")}
      ORDER BY ${table}.resource_type, ${table}.type, ${table}.public_id LIMIT ?`
  }

  const byContext = (q: ProjectionStore.ByContextQuery) => {
    const where = ["i.cloud = ?", "i.key = ?"]
    const params: Array<unknown> = [q.cloud, q.key]
    if (q.value !== undefined) {
      where.push("i.value = ?")
      params.push(q.value)
    }
    const sql = `SELECT a.* FROM ctxlog_context_index i
      JOIN ctxlog_assets a ON a.cloud = i.cloud AND a.resource_type = i.resource_type
        AND a.type = i.type AND a.public_id = i.public_id
      ${scoped("i", q, where, params)}`
    return (prepared(sql).all(...params) as Array<AssetRow>).map(toView)
  }

  const list = (q: ProjectionStore.ListQuery) => {
    const where = ["a.cloud = ?"]
    const params: Array<unknown> = [q.cloud]
    if (q.prefix !== undefined && q.prefix !== "") {
      // The range lets the primary key find the start; substr keeps the match exact.
      where.push("a.public_id >= ?", "substr(a.public_id, 1, ?) = ?")
      params.push(q.prefix, AssetId.codePointLength(q.prefix), q.prefix)
    }
    const sql = `SELECT a.* FROM ctxlog_assets a ${scoped("a", q, where, params)}`
    return (prepared(sql).all(...params) as Array<AssetRow>).map(toView)
  }

  const reset = db.transaction((projection: string) => {
    db.prepare("DELETE FROM ctxlog_context_index").run()
    db.prepare("DELETE FROM ctxlog_assets").run()
    db.prepare("DELETE FROM ctxlog_checkpoints WHERE projection = ?").run(projection)
  })

  const attempt = <A>(operation: string, f: () => A) =>
    Effect.try({
      try: f,
      catch: (cause) => new Errors.ProjectionStoreError({ operation, detail: String(cause), cause })
    })

  const store = ProjectionStore.ProjectionStore.of({
    get: (asset) => attempt("get", () => Option.fromNullable(get(asset))),
    byContext: (q) => attempt("byContext", () => byContext(q)),
    list: (q) => attempt("list", () => list(q)),
    commit: (c) => attempt("commit", () => commit.immediate(c)),
    checkpoint: (projection) => attempt("checkpoint", () => checkpoint(projection)),
    saveCheckpoint: (projection, position) =>
      attempt("saveCheckpoint", () => void saveCheckpointStmt.run(projection, position)),
    reset: (projection) => attempt("reset", () => reset.immediate(projection))
  })

  return { store: { ...store, inline: true }, sync: { get, commit: commitIn, checkpoint } }
}
