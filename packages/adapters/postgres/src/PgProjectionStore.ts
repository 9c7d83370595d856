/**
 * The projection store on PostgreSQL: one row per asset, an index row per context pair, a row per
 * word of its public id and values, and a checkpoint per projection, in tables of one schema
 * (`ctxlog` unless set) that the store creates when they are missing. Every process that points
 * at the same schema shares them.
 *
 * Identity columns use the `"C"` collation, which on a UTF-8 database compares bytes, i.e. code
 * points: the order every ctxlog store sorts and pages by, whatever the database's own collation.
 *
 * A commit is one transaction that first moves the projection's checkpoint forward, holding its
 * row until the end, so that commits of one projection from any number of processes apply one at
 * a time and one at or below the checkpoint changes nothing. An upsert also only replaces a view
 * of a lower revision, so a process that is behind never takes a view back.
 *
 * `search` answers every search plan from the indexes: values, keys and ranges of values from the
 * key/value index, words and prefixes of words from the word index, public ids and their prefixes
 * from an index of the views by cloud and public id, and ranges of creation times from one by
 * cloud and creation time. It never reads every view of a cloud, unless the plan itself holds
 * them all (a prefix `""`, or a range of creation times with no bound).
 *
 * @since 0.1.0
 */
import { AssetId, Errors, ProjectionStore, SearchPlan } from "@ctxlog/core"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { Fragment } from "@effect/sql/Statement"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { commitFailures, describe, isTransient, transientRetry } from "./internal/failure.js"
import { head } from "./internal/head.js"
import * as Search from "./internal/search.js"
import * as Tables from "./internal/tables.js"
import * as Words from "./internal/words.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The schema of the tables; `ctxlog` unless set. Created, with them, when missing. */
  readonly schema?: string | undefined
}

const TABLES = ["assets", "context_index", Words.TABLE, "checkpoints"]

/**
 * The indexes of `ddl`. Each is made when missing, even on tables that all exist: the index of
 * creation times came after the word table, so a schema that has every table may lack it.
 */
const INDEXES = [
  "context_index_by_key",
  "context_index_by_value",
  "context_index_by_range",
  "assets_by_public_id",
  "assets_by_created_at",
  Words.INDEX
]

// Not yet: U+0000 in a public id, key or value, which PostgreSQL text cannot hold. The policy
// refuses it in keys and values but not in public ids; a commit with one fails, and the projector
// stops at it, retrying it for as long as it runs.
const identity = (column: string) => `${column} text COLLATE "C" NOT NULL`

/**
 * The index keys on md5 hashes of the key and the value rather than on the text itself: a B-tree
 * entry holds at most about 2.7 kB, which long keys or values (the limits are configurable)
 * would exceed. The text is compared as well, so a hash collision never gives a wrong answer.
 * Ranges of values need their order, which a hash loses: they read an index of the values' heads.
 *
 * The word index and the indexes for ranges and public ids came after the first release, and the
 * index of creation times after those; the statements that make them run on the tables of an
 * earlier release too, when the word table or one of `INDEXES` is missing.
 */
const ddl = (schema: string): ReadonlyArray<string> => {
  const assets = Tables.qualified(schema, "assets")
  const index = Tables.qualified(schema, "context_index")
  const ids = ["cloud", "resource_type", "type", "public_id"]
  return [
    `CREATE TABLE IF NOT EXISTS ${assets} (
       ${ids.map(identity).join(",\n       ")},
       revision bigint NOT NULL,
       position bigint NOT NULL,
       context jsonb NOT NULL,
       created_at timestamptz NOT NULL,
       updated_at timestamptz NOT NULL,
       PRIMARY KEY (cloud, resource_type, type, public_id)
     )`,
    `CREATE TABLE IF NOT EXISTS ${index} (
       ${["cloud", "key", "value", "resource_type", "type", "public_id"].map(identity).join(", ")},
       key_hash uuid GENERATED ALWAYS AS (md5(key)::uuid) STORED,
       value_hash uuid GENERATED ALWAYS AS (md5(value)::uuid) STORED,
       PRIMARY KEY (cloud, resource_type, type, public_id, key_hash)
     )`,
    `CREATE INDEX IF NOT EXISTS context_index_by_key
       ON ${index} (cloud, key_hash, resource_type, type, public_id)`,
    `CREATE INDEX IF NOT EXISTS context_index_by_value
       ON ${index} (cloud, key_hash, value_hash, resource_type, type, public_id)`,
    `CREATE INDEX IF NOT EXISTS context_index_by_range
       ON ${index} (cloud, key_hash, (${head("value")}) COLLATE "C")`,
    // The primary key puts the resource type and the type before the public id, which a search
    // by public id alone does not know.
    `CREATE INDEX IF NOT EXISTS assets_by_public_id ON ${assets} (cloud, public_id)`,
    // Ranges of creation times, which `created_at` being `timestamptz` orders as times.
    `CREATE INDEX IF NOT EXISTS assets_by_created_at ON ${assets} (cloud, created_at)`,
    ...Words.ddl(Tables.qualified(schema, Words.TABLE)),
    `CREATE TABLE IF NOT EXISTS ${Tables.qualified(schema, "checkpoints")} (
       ${identity("projection")} PRIMARY KEY,
       position bigint NOT NULL
     )`
  ]
}

interface AssetRow {
  readonly cloud: string
  readonly resource_type: string
  readonly type: string
  readonly public_id: string
  /** `bigint` columns come back as strings from the driver. */
  readonly revision: string | number
  readonly position: string | number
  /** Parsed by the driver, unless a host's type parsers leave it as text. */
  readonly context: unknown
  readonly created_at: Date | string
  readonly updated_at: Date | string
}

const trusted = { disableValidation: true } as const

const toContext = (raw: unknown) => {
  const pairs = (typeof raw === "string" ? JSON.parse(raw) : raw) as ReadonlyArray<
    { readonly key: string; readonly value: string }
  >
  return pairs.map(({ key, value }) => ({ key, value }))
}

const toView = (row: AssetRow): ProjectionStore.AssetView =>
  new ProjectionStore.AssetView({
    asset: new AssetId.AssetId({
      cloud: AssetId.Cloud.make(row.cloud, trusted),
      resourceType: row.resource_type as AssetId.ResourceType,
      type: row.type,
      publicId: row.public_id
    }, trusted),
    revision: Number(row.revision),
    position: Number(row.position),
    context: toContext(row.context),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at)
  }, trusted)

/** The identity key of a row, as `AssetId.key` spells it. */
const rowKey = (row: Pick<AssetRow, "cloud" | "resource_type" | "type" | "public_id">) =>
  `${row.cloud}\u0000${row.resource_type}\u0000${row.type}\u0000${row.public_id}`

/** One view per asset, the latest, in identity order so that concurrent writers lock alike. */
const latest = (views: ReadonlyArray<ProjectionStore.AssetView>) => {
  const byKey = new Map<string, ProjectionStore.AssetView>()
  for (const view of views) {
    const known = byKey.get(view.asset.key)
    if (
      known === undefined || view.revision > known.revision ||
      (view.revision === known.revision && view.position > known.position)
    ) byKey.set(view.asset.key, view)
  }
  return [...byKey.values()].sort((a, b) => AssetId.order(a.asset, b.asset))
}

/** How many views the backfill of the word index reads at a time. */
const BACKFILL_PAGE = 1000

/**
 * A part of a conjunction that holds fewer assets than this is read alone, the others checked
 * on its views; counting a part costs at most this many index rows.
 */
const FEW_ENOUGH = 100_000

/** The identities as four parallel arrays, for `unnest`. */
const columns = (assets: ReadonlyArray<AssetId.AssetId>) => ({
  clouds: assets.map((a) => a.cloud),
  resourceTypes: assets.map((a) => a.resourceType),
  types: assets.map((a) => a.type),
  publicIds: assets.map((a) => a.publicId)
})

/**
 * Opens the store on the schema, creating its tables when they are missing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  ProjectionStore.ProjectionStoreShape,
  Errors.ProjectionStoreError,
  SqlClient.SqlClient
> =>
  Effect.gen(function*() {
    const schema = options.schema ?? Tables.DEFAULT_SCHEMA
    const failure = (operation: string) => (error: SqlError) =>
      new Errors.ProjectionStoreError({
        operation,
        detail: `${describe(error)}, on the tables of schema ${schema}`,
        cause: error
      })
    const bad = Tables.badSchemaName(schema)
    if (bad !== undefined) {
      return yield* new Errors.ProjectionStoreError({ operation: "open", detail: bad })
    }
    // Without the host's name transforms, which would rename the columns of the rows read here.
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const assets = sql.literal(Tables.qualified(schema, "assets"))
    const index = sql.literal(Tables.qualified(schema, "context_index"))
    const words = sql.literal(Tables.qualified(schema, Words.TABLE))
    const checkpoints = sql.literal(Tables.qualified(schema, "checkpoints"))
    const viewColumns = sql.literal(
      "a.cloud, a.resource_type, a.type, a.public_id, a.revision, a.position, a.context, " +
        "a.created_at, a.updated_at"
    )

    /**
     * Fills a new word index from the views, which a schema of the first release holds without
     * one. It runs with the tables' creation, under its lock, so that no process of this release
     * answers from the index before it is whole; a page at a time, in identity order.
     */
    const backfill = Effect.gen(function*() {
      let after: AssetRow | undefined
      while (true) {
        const from = after === undefined
          ? sql`TRUE`
          : sql`(a.cloud, a.resource_type, a.type, a.public_id) >
              (${after.cloud}, ${after.resource_type}, ${after.type}, ${after.public_id})`
        const rows: ReadonlyArray<AssetRow> = yield* sql<AssetRow>`
          SELECT ${viewColumns} FROM ${assets} a WHERE ${from}
          ORDER BY a.cloud, a.resource_type, a.type, a.public_id
          LIMIT ${BACKFILL_PAGE}`
        yield* Words.insert(sql, words, rows.map(toView))
        if (rows.length < BACKFILL_PAGE) return
        after = rows[rows.length - 1]
      }
    })
    yield* Tables.ensure(
      sql,
      schema,
      { tables: TABLES, indexes: INDEXES },
      ddl(schema),
      (created) => created.has(Words.TABLE) ? backfill : Effect.void
    ).pipe(Effect.mapError(failure("open")))

    const checkpoint = (projection: string) =>
      Effect.map(
        sql<{ readonly position: string | number }>`
          SELECT position FROM ${checkpoints} WHERE projection = ${projection}`,
        (rows) => rows.length === 0 ? 0 : Number(rows[0]!.position)
      )

    const get = (asset: AssetId.AssetId) =>
      Effect.map(
        sql<AssetRow>`
          SELECT ${viewColumns} FROM ${assets} a
          WHERE a.cloud = ${asset.cloud} AND a.resource_type = ${asset.resourceType}
            AND a.type = ${asset.type} AND a.public_id = ${asset.publicId}`,
        (rows) => Option.map(Option.fromNullable(rows[0]), toView)
      )

    /** The scope and page conditions on the identity columns of `table`, and the order. */
    const scoped = (
      table: "a" | "i",
      q: ProjectionStore.Scope & ProjectionStore.Page,
      where: Array<Fragment>
    ) => {
      const t = sql.literal(table)
      if (q.resourceType !== undefined) where.push(sql`${t}.resource_type = ${q.resourceType}`)
      if (q.type !== undefined) where.push(sql`${t}.type = ${q.type}`)
      if (q.after !== undefined) {
        const { publicId, resourceType, type } = q.after
        const row = sql`(${t}.resource_type, ${t}.type, ${t}.public_id)`
        where.push(sql`${row} > (${resourceType}, ${type}, ${publicId})`)
      }
      return sql`WHERE ${sql.and(where)}
        ORDER BY ${t}.resource_type, ${t}.type, ${t}.public_id
        LIMIT ${Math.max(0, Math.floor(q.limit))}`
    }

    const byContext = (q: ProjectionStore.ByContextQuery) => {
      const where = [
        sql`i.cloud = ${q.cloud}`,
        sql`i.key_hash = md5(${q.key}::text)::uuid AND i.key = ${q.key}`
      ]
      if (q.value !== undefined) {
        where.push(sql`i.value_hash = md5(${q.value}::text)::uuid AND i.value = ${q.value}`)
      }
      return Effect.map(
        sql<AssetRow>`
          SELECT ${viewColumns} FROM ${index} i
          JOIN ${assets} a ON a.cloud = i.cloud AND a.resource_type = i.resource_type
            AND a.type = i.type AND a.public_id = i.public_id
          ${scoped("i", q, where)}`,
        (rows) => rows.map(toView)
      )
    }

    // The index holds hashes of keys, not keys in order, so the cloud's distinct key hashes are
    // walked one seek each, their keys read, and sorted here: a listing costs one seek per key
    // of the cloud, not one step per pair.
    const keys = (q: ProjectionStore.KeysQuery) =>
      Effect.map(
        sql<{ readonly key: string }>`
          WITH RECURSIVE h(key_hash) AS (
            SELECT (SELECT key_hash FROM ${index} WHERE cloud = ${q.cloud}
              ORDER BY key_hash LIMIT 1)
            UNION ALL
            SELECT (SELECT key_hash FROM ${index} WHERE cloud = ${q.cloud}
              AND key_hash > h.key_hash ORDER BY key_hash LIMIT 1)
            FROM h WHERE h.key_hash IS NOT NULL
          )
          SELECT (SELECT key FROM ${index} i WHERE i.cloud = ${q.cloud}
            AND i.key_hash = h.key_hash LIMIT 1) AS key
          FROM h WHERE h.key_hash IS NOT NULL`,
        (rows) => {
          const prefix = q.prefix ?? ""
          return rows.map((r) => r.key)
            .filter((key) =>
              key.startsWith(prefix) &&
              (q.after === undefined || AssetId.compareCodePoints(key, q.after) > 0)
            )
            .sort(AssetId.compareCodePoints)
            .slice(0, Math.max(0, q.limit))
        }
      )

    const list = (q: ProjectionStore.ListQuery) => {
      const where = [sql`a.cloud = ${q.cloud}`]
      if (q.prefix !== undefined && q.prefix !== "") {
        // The range lets the primary key find the start; starts_with keeps the match exact,
        // with no pattern characters to escape.
        where.push(sql`a.public_id >= ${q.prefix} AND starts_with(a.public_id, ${q.prefix})`)
      }
      return Effect.map(
        sql<AssetRow>`SELECT ${viewColumns} FROM ${assets} a ${scoped("a", q, where)}`,
        (rows) => rows.map(toView)
      )
    }

    /**
     * Drops the views of `gone` (and their index and word rows) unless they are newer than
     * `position`.
     */
    const remove = (gone: ReadonlyArray<AssetId.AssetId>, position: number) => {
      const c = columns(gone)
      return sql`
        WITH gone AS (
          DELETE FROM ${assets} a
          USING unnest(${c.clouds}::text[], ${c.resourceTypes}::text[], ${c.types}::text[],
                       ${c.publicIds}::text[]) AS d(cloud, resource_type, type, public_id)
          WHERE a.cloud = d.cloud AND a.resource_type = d.resource_type AND a.type = d.type
            AND a.public_id = d.public_id AND a.position <= ${position}
          RETURNING a.cloud, a.resource_type, a.type, a.public_id
        ),
        unindexed AS (
          DELETE FROM ${index} i USING gone g
          WHERE i.cloud = g.cloud AND i.resource_type = g.resource_type AND i.type = g.type
            AND i.public_id = g.public_id
        )
        DELETE FROM ${words} w USING gone g
        WHERE w.cloud = g.cloud AND w.resource_type = g.resource_type AND w.type = g.type
          AND w.public_id = g.public_id`
    }

    /** Writes the views that are newer than the stored ones; gives those it wrote. */
    const upsert = (views: ReadonlyArray<ProjectionStore.AssetView>) => {
      const c = columns(views.map((v) => v.asset))
      return Effect.map(
        sql<Pick<AssetRow, "cloud" | "resource_type" | "type" | "public_id">>`
          INSERT INTO ${assets} AS a
            (cloud, resource_type, type, public_id, revision, position, context, created_at,
             updated_at)
          SELECT * FROM unnest(
            ${c.clouds}::text[], ${c.resourceTypes}::text[], ${c.types}::text[],
            ${c.publicIds}::text[], ${views.map((v) => v.revision)}::bigint[],
            ${views.map((v) => v.position)}::bigint[],
            ${views.map((v) => JSON.stringify(v.context))}::jsonb[],
            ${views.map((v) => v.createdAt.toISOString())}::timestamptz[],
            ${views.map((v) => v.updatedAt.toISOString())}::timestamptz[]
          )
          ON CONFLICT (cloud, resource_type, type, public_id) DO UPDATE SET
            revision = excluded.revision, position = excluded.position,
            context = excluded.context, created_at = excluded.created_at,
            updated_at = excluded.updated_at
          WHERE (a.revision, a.position) < (excluded.revision, excluded.position)
          RETURNING a.cloud, a.resource_type, a.type, a.public_id`,
        (rows) => {
          const written = new Set(rows.map(rowKey))
          return views.filter((v) => written.has(v.asset.key))
        }
      )
    }

    /** Replaces the index rows of the views with their contexts' pairs. */
    const reindex = (views: ReadonlyArray<ProjectionStore.AssetView>) =>
      Effect.gen(function*() {
        const c = columns(views.map((v) => v.asset))
        yield* sql`
          DELETE FROM ${index} i
          USING unnest(${c.clouds}::text[], ${c.resourceTypes}::text[], ${c.types}::text[],
                       ${c.publicIds}::text[]) AS w(cloud, resource_type, type, public_id)
          WHERE i.cloud = w.cloud AND i.resource_type = w.resource_type AND i.type = w.type
            AND i.public_id = w.public_id`
        const pairs = views.flatMap((v) => v.context.map((pair) => ({ asset: v.asset, pair })))
        if (pairs.length === 0) return
        const p = columns(pairs.map((x) => x.asset))
        // A key given twice in one context keeps its first pair, as the views read it.
        yield* sql`
          INSERT INTO ${index} (cloud, key, value, resource_type, type, public_id)
          SELECT * FROM unnest(
            ${p.clouds}::text[], ${pairs.map((x) => x.pair.key)}::text[],
            ${pairs.map((x) => x.pair.value)}::text[], ${p.resourceTypes}::text[],
            ${p.types}::text[], ${p.publicIds}::text[]
          )
          ON CONFLICT DO NOTHING`
      })

    /**
     * Deleted views leave no trace to compare a later upsert with; that is safe because the
     * checkpoint check runs in the same transaction, under the checkpoint row's lock, so no
     * commit older than the one that deleted a view gets this far after it.
     */
    const commitIn = (c: ProjectionStore.Commit) =>
      Effect.gen(function*() {
        const advanced = yield* sql`
          INSERT INTO ${checkpoints} AS c (projection, position)
          VALUES (${c.projection}, ${c.position})
          ON CONFLICT (projection) DO UPDATE SET position = excluded.position
          WHERE c.position < excluded.position
          RETURNING 1 AS advanced`
        if (advanced.length === 0) return
        if (c.deletes.length > 0) yield* remove(c.deletes, c.position)
        const views = latest(c.upserts)
        if (views.length === 0) return
        const written = yield* upsert(views)
        if (written.length > 0) {
          yield* reindex(written)
          yield* Words.replace(sql, words, written)
        }
      })

    const tables: Search.Tables = { assets, index, words }
    const read = (q: ProjectionStore.SearchQuery) =>
      Effect.map(
        sql<AssetRow>`${Search.select(sql, tables, viewColumns, q)}`,
        (rows) => rows.map(toView)
      )

    /** How many assets a part of a plan holds, counted up to `limit` and no further. */
    const countUpTo = (cloud: string, plan: SearchPlan.Plan, limit: number) =>
      Effect.map(
        sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM (
          ${Search.identities(sql, tables, cloud, plan)} LIMIT ${sql.literal(String(limit))}
        ) part`,
        (rows) => rows[0]?.n ?? 0
      )

    /**
     * The part of a conjunction that holds the fewest assets, if one holds fewer than
     * `FEW_ENOUGH`. The parts are counted up to a bound that grows tenfold until one falls
     * short of it, so finding a part of n assets costs about 10n index rows per part.
     */
    const narrowest = (cloud: string, parts: ReadonlyArray<SearchPlan.Plan>) =>
      Effect.gen(function*() {
        for (let bound = 100; bound <= FEW_ENOUGH; bound *= 10) {
          const counted = yield* Effect.forEach(
            parts,
            (part) => Effect.map(countUpTo(cloud, part, bound), (count) => ({ part, count }))
          )
          const least = counted.reduce((a, b) => b.count < a.count ? b : a)
          if (least.count < bound) return least.part
        }
        return undefined
      })

    // An INTERSECT reads every part in full, so a conjunction whose narrowest part is small
    // reads that part alone and checks the others on the views it gave: `a=1 AND b=2` costs
    // what the rarer term holds, not the commoner.
    const search = (q: ProjectionStore.SearchQuery) =>
      Effect.gen(function*() {
        const plan = q.plan
        if (plan._tag === "And" && plan.plans.length > 1) {
          const least = yield* narrowest(q.cloud, plan.plans)
          if (least !== undefined) {
            const rest = plan.plans.filter((part) => part !== least)
            const views = yield* read({ cloud: q.cloud, plan: least })
            return views.filter((view) => rest.every((part) => SearchPlan.matches(part, view)))
          }
        }
        return yield* read(q)
      })

    /** A whole transaction, run again after a deadlock or a serialization failure. */
    const transaction = <A>(operation: string, body: Effect.Effect<A, SqlError>) =>
      commitFailures(sql.withTransaction(body)).pipe(
        Effect.retry({ while: isTransient, schedule: transientRetry }),
        Effect.mapError(failure(operation))
      )

    return ProjectionStore.ProjectionStore.of({
      inline: false,
      get: (asset) => get(asset).pipe(Effect.mapError(failure("get"))),
      byContext: (q) => byContext(q).pipe(Effect.mapError(failure("byContext"))),
      list: (q) => list(q).pipe(Effect.mapError(failure("list"))),
      search: (q) => search(q).pipe(Effect.mapError(failure("search"))),
      keys: (q) => keys(q).pipe(Effect.mapError(failure("keys"))),
      // The checkpoint starts at 0, so a commit at 0 or below is at or below it.
      commit: (c) => c.position <= 0 ? Effect.void : transaction("commit", commitIn(c)),
      checkpoint: (projection) =>
        checkpoint(projection).pipe(Effect.mapError(failure("checkpoint"))),
      saveCheckpoint: (projection, position) =>
        sql`
          INSERT INTO ${checkpoints} AS c (projection, position) VALUES (${projection}, ${position})
          ON CONFLICT (projection) DO UPDATE SET position = greatest(c.position, excluded.position)`
          .pipe(Effect.asVoid, Effect.mapError(failure("saveCheckpoint"))),
      // The checkpoint row first, as a commit takes it, so that a reset waits for a commit in
      // flight instead of deadlocking with it. TRUNCATE rather than DELETE: a rebuild drops
      // every view, and TRUNCATE does that without leaving each row behind as a dead tuple.
      reset: (projection) =>
        transaction(
          "reset",
          Effect.zipRight(
            sql`DELETE FROM ${checkpoints} WHERE projection = ${projection}`,
            sql`TRUNCATE ${index}, ${words}, ${assets}`
          )
        )
    })
  })

/**
 * The store on the `SqlClient` the host provides.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<ProjectionStore.ProjectionStore, Errors.ProjectionStoreError, SqlClient.SqlClient> =>
  Layer.effect(ProjectionStore.ProjectionStore, make(options))
