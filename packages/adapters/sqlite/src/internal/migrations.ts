/**
 * The schema of a ctxlog file, as an ordered list of migrations. A file records the migrations it
 * has, so that a later release opens an older file by applying only the ones it lacks. Never edit
 * a migration that has shipped: add the next one.
 */
import { AssetId, ProjectionStore, SearchPlan } from "@ctxlog/core"
import type BetterSqlite3 from "better-sqlite3"

export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
  /**
   * What SQL alone cannot do, such as rows that JavaScript computes; run after `sql`, in the
   * same transaction.
   */
  readonly run?: ((db: BetterSqlite3.Database) => void) | undefined
}

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

/**
 * Writes the words of every view a file already holds. It reads the views as version 1 stores
 * them with statements of its own, so that it keeps doing what it shipped doing whatever the
 * store's code becomes. It reads a page at a time, as better-sqlite3 runs no other statement on a
 * connection while one is iterating.
 */
const backfillWords = (db: BetterSqlite3.Database) => {
  const order = "ORDER BY cloud, resource_type, type, public_id LIMIT 500"
  const first = db.prepare(`SELECT * FROM ctxlog_assets ${order}`)
  const next = db.prepare(
    `SELECT * FROM ctxlog_assets
     WHERE (cloud, resource_type, type, public_id) > (?, ?, ?, ?) ${order}`
  )
  const insert = db.prepare(
    `INSERT OR IGNORE INTO ctxlog_words
       (cloud, field, key, word, resource_type, type, public_id)
     VALUES (?, ?, ?, ?, ?, ?, ?)`
  )
  let page = first.all() as Array<AssetRow>
  while (page.length > 0) {
    for (const row of page) {
      const view = new ProjectionStore.AssetView({
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
      for (const [key, word] of SearchPlan.wordsOf(view)) {
        insert.run(
          row.cloud,
          key === undefined ? "p" : "c",
          key ?? "",
          word,
          row.resource_type,
          row.type,
          row.public_id
        )
      }
    }
    const last = page[page.length - 1]!
    page = next.all(last.cloud, last.resource_type, last.type, last.public_id) as Array<AssetRow>
  }
}

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "event log and projections",
    sql: `
      CREATE TABLE ctxlog_events (
        position      INTEGER PRIMARY KEY,
        cloud         TEXT    NOT NULL,
        resource_type TEXT    NOT NULL,
        type          TEXT    NOT NULL,
        public_id     TEXT    NOT NULL,
        revision      INTEGER NOT NULL,
        event_id      TEXT    NOT NULL,
        command_key   TEXT    NOT NULL,
        data          TEXT    NOT NULL,
        UNIQUE (cloud, resource_type, type, public_id, revision)
      );
      CREATE TABLE ctxlog_commands (
        idempotency_key TEXT    PRIMARY KEY,
        position        INTEGER NOT NULL,
        revisions       TEXT    NOT NULL,
        receipt         TEXT
      ) WITHOUT ROWID;
      CREATE TABLE ctxlog_assets (
        cloud         TEXT    NOT NULL,
        resource_type TEXT    NOT NULL,
        type          TEXT    NOT NULL,
        public_id     TEXT    NOT NULL,
        revision      INTEGER NOT NULL,
        position      INTEGER NOT NULL,
        context       TEXT    NOT NULL,
        created_at    TEXT    NOT NULL,
        updated_at    TEXT    NOT NULL,
        PRIMARY KEY (cloud, resource_type, type, public_id)
      ) WITHOUT ROWID;
      CREATE TABLE ctxlog_context_index (
        cloud         TEXT NOT NULL,
        key           TEXT NOT NULL,
        value         TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        type          TEXT NOT NULL,
        public_id     TEXT NOT NULL,
        PRIMARY KEY (cloud, key, value, resource_type, type, public_id)
      ) WITHOUT ROWID;
      CREATE INDEX ctxlog_context_by_key
        ON ctxlog_context_index (cloud, key, resource_type, type, public_id);
      CREATE INDEX ctxlog_context_by_asset
        ON ctxlog_context_index (cloud, resource_type, type, public_id);
      CREATE TABLE ctxlog_checkpoints (
        projection TEXT    PRIMARY KEY,
        position   INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE ctxlog_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `
  },
  {
    version: 2,
    name: "settings",
    sql: `
      CREATE TABLE ctxlog_settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `
  },
  {
    version: 3,
    name: "search words and public ids",
    // One row per word of an asset's public id (field 'p', key '') or of one of its context
    // values (field 'c' and the value's key), as `SearchPlan.wordsOf` splits them. The primary
    // key answers a word of one key or of the public id, and a prefix of one; the index by word
    // answers a word anywhere. The store changes only the rows an asset gains or loses, so a
    // release that splits words differently must rebuild the table in a migration of its own.
    // The index by public id answers public ids and their prefixes, which the primary key of
    // the assets, led by resource type and type, cannot bound.
    sql: `
      CREATE TABLE ctxlog_words (
        cloud         TEXT NOT NULL,
        field         TEXT NOT NULL,
        key           TEXT NOT NULL,
        word          TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        type          TEXT NOT NULL,
        public_id     TEXT NOT NULL,
        PRIMARY KEY (cloud, field, key, word, resource_type, type, public_id)
      ) WITHOUT ROWID;
      CREATE INDEX ctxlog_words_by_word ON ctxlog_words (cloud, word);
      CREATE INDEX ctxlog_assets_by_public_id ON ctxlog_assets (cloud, public_id);
    `,
    run: backfillWords
  },
  {
    version: 4,
    name: "search by creation time",
    // Answers a range of creation times. `created_at` holds `Date.toISOString` texts, whose
    // text order is their time order within years 0000 to 9999; the store turns a range of times
    // into the ranges of texts that hold them, whatever the year.
    sql: `
      CREATE INDEX ctxlog_assets_by_created_at ON ctxlog_assets (cloud, created_at);
    `
  }
]
