/**
 * The word index of the PostgreSQL projection store: a row per word of a view and per place it
 * was found (the public id, or the value of one context key), so that a search for a word or a
 * prefix of one reads an index rather than every view of a cloud.
 *
 * The words are those of `SearchPlan.wordsOf`, computed here in JavaScript rather than in SQL:
 * PostgreSQL's regular expressions and `lower` follow its own Unicode tables and the database's
 * locale, which need not split or fold a text as the search does.
 */
import type { ProjectionStore } from "@ctxlog/core"
import { SearchPlan } from "@ctxlog/core"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { Fragment } from "@effect/sql/Statement"
import * as Effect from "effect/Effect"
import { head } from "./head.js"

/** The table's name in the store's schema. */
export const TABLE = "words"

/** The name of the lookup index. */
export const INDEX = "words_by_word"

/**
 * Where a word was found, in the `field` column. A public id's rows have the key `''`, which does
 * not tell them apart by itself: a context key may be `''` too.
 */
export const PUBLIC_ID = "public_id"
export const CONTEXT = "context"

/**
 * The table and its lookup index. The primary key leads with the identity, for rewriting and
 * deleting an asset's words; the lookup index leads with the cloud and the word's head, so that
 * a word and a prefix of one are each one range of it, narrowed by the place when one is asked.
 * Keys and words are also kept as md5 hashes, for the same reason as in the key/value index.
 */
export const ddl = (table: string): ReadonlyArray<string> => {
  const columns = ["cloud", "word", "field", "key", "resource_type", "type", "public_id"]
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
       ${columns.map((column) => `${column} text COLLATE "C" NOT NULL`).join(", ")},
       key_hash uuid GENERATED ALWAYS AS (md5(key)::uuid) STORED,
       word_hash uuid GENERATED ALWAYS AS (md5(word)::uuid) STORED,
       CHECK (field IN ('${PUBLIC_ID}', '${CONTEXT}')),
       PRIMARY KEY (cloud, resource_type, type, public_id, field, key_hash, word_hash)
     )`,
    `CREATE INDEX IF NOT EXISTS ${INDEX}
       ON ${table} (cloud, (${head("word")}) COLLATE "C", field, key_hash)`
  ]
}

/**
 * Adds the words of the views, whose assets must have none yet. A key given twice in one context
 * gives its words once.
 */
export const insert = (
  sql: SqlClient.SqlClient,
  table: Fragment,
  views: ReadonlyArray<ProjectionStore.AssetView>
): Effect.Effect<void, SqlError> =>
  Effect.suspend(() => {
    const rows = {
      clouds: [] as Array<string>,
      words: [] as Array<string>,
      fields: [] as Array<string>,
      keys: [] as Array<string>,
      resourceTypes: [] as Array<string>,
      types: [] as Array<string>,
      publicIds: [] as Array<string>
    }
    for (const view of views) {
      const { cloud, publicId, resourceType, type } = view.asset
      for (const [key, word] of SearchPlan.wordsOf(view)) {
        rows.clouds.push(cloud)
        rows.words.push(word)
        rows.fields.push(key === undefined ? PUBLIC_ID : CONTEXT)
        rows.keys.push(key ?? "")
        rows.resourceTypes.push(resourceType)
        rows.types.push(type)
        rows.publicIds.push(publicId)
      }
    }
    if (rows.words.length === 0) return Effect.void
    return Effect.asVoid(sql`
      INSERT INTO ${table} (cloud, word, field, key, resource_type, type, public_id)
      SELECT * FROM unnest(
        ${rows.clouds}::text[], ${rows.words}::text[], ${rows.fields}::text[],
        ${rows.keys}::text[], ${rows.resourceTypes}::text[], ${rows.types}::text[],
        ${rows.publicIds}::text[]
      )
      ON CONFLICT DO NOTHING`)
  })

/** Replaces the words of the views' assets with theirs. */
export const replace = (
  sql: SqlClient.SqlClient,
  table: Fragment,
  views: ReadonlyArray<ProjectionStore.AssetView>
): Effect.Effect<void, SqlError> =>
  Effect.zipRight(
    sql`
      DELETE FROM ${table} w
      USING unnest(
        ${views.map((v) => v.asset.cloud)}::text[], ${
      views.map((v) => v.asset.resourceType)
    }::text[],
        ${views.map((v) => v.asset.type)}::text[], ${views.map((v) => v.asset.publicId)}::text[]
      ) AS r(cloud, resource_type, type, public_id)
      WHERE w.cloud = r.cloud AND w.resource_type = r.resource_type AND w.type = r.type
        AND w.public_id = r.public_id`,
    insert(sql, table, views)
  )
