/**
 * The schema of a ctxlog file, as an ordered list of migrations. A file records the migrations it
 * has, so that a later release opens an older file by applying only the ones it lacks. Never edit
 * a migration that has shipped: add the next one.
 */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
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
  }
]
