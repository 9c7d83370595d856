import { ProjectionStore, SearchPlan } from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { PgStore } from "@ctxlog/postgres"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Search from "../../packages/adapters/postgres/src/internal/search.js"
import { qualified } from "../../packages/adapters/postgres/src/internal/tables.js"
import { droppedAfter, psql, uniqueSchema, url, usePostgres } from "../support/postgres.js"

usePostgres()

const P = "assets"

/** The client `PgStore.layer` provides besides the store, to run EXPLAIN on the same server. */
type Sql = Layer.Layer.Success<ReturnType<typeof PgStore.layerClient>>
// Found by its key: the workspace's root does not depend on @effect/sql, which owns the tag.
const SqlClient = Context.GenericTag<Sql>("@effect/sql/SqlClient")

/** Runs `body` with a new schema, dropped when it ends. */
const withSchema = <A, E>(body: (schema: string) => Effect.Effect<A, E, Scope.Scope>) =>
  Effect.suspend(() => {
    const schema = uniqueSchema("s")
    return Effect.scoped(Effect.zipRight(Layer.build(droppedAfter(schema)), body(schema)))
  })

const open = (schema: string) =>
  Effect.map(Layer.build(PgStore.layer({ url, schema })), (context) => ({
    store: Context.get(context, ProjectionStore.ProjectionStore),
    sql: Context.get(context, SqlClient)
  }))

const keysOf = (views: ReadonlyArray<ProjectionStore.AssetView>) =>
  views.map((v) => v.asset.key).sort()

const pad = (n: number) => String(n).padStart(5, "0")
const COLORS = ["red", "green", "blue", "black", "white", "pink", "grey", "teal", "gold", "tan"]

/** When view `n` of many was created: a minute after view `n - 1`. */
const START = Date.parse("2026-01-01T00:00:00.000Z")
const createdAt = (n: number) => START + n * 60_000

/** A view as another created at `at`. */
const createdOn = (view: ProjectionStore.AssetView, at: number) =>
  new ProjectionStore.AssetView({ ...view, createdAt: new Date(at), updatedAt: new Date(at) })

/** View `n` of many: every lookup below is selective, as a search in a large cloud is. */
const numbered = (n: number) =>
  createdOn(
    Fixtures.view(Fixtures.asset(`p${pad(n)}`, { type: n % 2 === 0 ? "upload" : "private" }), [
      { key: "sku", value: `SKU-${pad(n)}` },
      { key: "title", value: `${COLORS[n % COLORS.length]} shirt w${n}` },
      { key: "color", value: COLORS[n % COLORS.length]! }
    ]),
    createdAt(n)
  )

/** The plan the server makes for the store's search, as text. */
const explain = (sql: Sql, schema: string, plan: SearchPlan.Plan) => {
  const tables: Search.Tables = {
    assets: sql.literal(qualified(schema, "assets")),
    index: sql.literal(qualified(schema, "context_index")),
    words: sql.literal(qualified(schema, "words"))
  }
  const select = Search.select(sql, tables, sql.literal("a.*"), { cloud: "demo", plan })
  return Effect.map(
    sql<{ readonly "QUERY PLAN": string }>`EXPLAIN ${select}`,
    (rows) => rows.map((row) => row["QUERY PLAN"]).join("\n")
  )
}

/** The tables as the first release made them, which had no word index. */
const firstRelease = (schema: string) => {
  const s = `"${schema}"`
  const id = (column: string) => `${column} text COLLATE "C" NOT NULL`
  return [
    `CREATE SCHEMA ${s}`,
    `CREATE TABLE ${s}.assets (
       ${["cloud", "resource_type", "type", "public_id"].map(id).join(", ")},
       revision bigint NOT NULL, position bigint NOT NULL, context jsonb NOT NULL,
       created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
       PRIMARY KEY (cloud, resource_type, type, public_id))`,
    `CREATE TABLE ${s}.context_index (
       ${["cloud", "key", "value", "resource_type", "type", "public_id"].map(id).join(", ")},
       key_hash uuid GENERATED ALWAYS AS (md5(key)::uuid) STORED,
       value_hash uuid GENERATED ALWAYS AS (md5(value)::uuid) STORED,
       PRIMARY KEY (cloud, resource_type, type, public_id, key_hash))`,
    `CREATE INDEX context_index_by_key
       ON ${s}.context_index (cloud, key_hash, resource_type, type, public_id)`,
    `CREATE INDEX context_index_by_value
       ON ${s}.context_index (cloud, key_hash, value_hash, resource_type, type, public_id)`,
    `CREATE TABLE ${s}.checkpoints (projection text COLLATE "C" NOT NULL PRIMARY KEY,
       position bigint NOT NULL)`
  ].join(";\n")
}

/** SQL text for a string, for the rows a test writes with psql. */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`

/** The rows the first release wrote for the views, as INSERT statements. */
const firstReleaseRows = (schema: string, views: ReadonlyArray<ProjectionStore.AssetView>) => {
  const s = `"${schema}"`
  const ids = (v: ProjectionStore.AssetView) =>
    [v.asset.resourceType, v.asset.type, v.asset.publicId].map(literal).join(", ")
  const assets = views.map((v) =>
    `(${literal(v.asset.cloud)}, ${ids(v)}, ${v.revision}, ${v.position}, ` +
    `${literal(JSON.stringify(v.context))}, now(), now())`
  )
  const pairs = views.flatMap((v) =>
    v.context.map((p) => `(${[v.asset.cloud, p.key, p.value].map(literal).join(", ")}, ${ids(v)})`)
  )
  return [
    `INSERT INTO ${s}.assets (cloud, resource_type, type, public_id, revision, position, ` +
    `context, created_at, updated_at) VALUES ${assets.join(", ")}`,
    `INSERT INTO ${s}.context_index (cloud, key, value, resource_type, type, public_id) ` +
    `VALUES ${pairs.join(", ")}`,
    `INSERT INTO ${s}.checkpoints VALUES ('${P}', 1)`
  ].join(";\n")
}

describe("PgProjectionStore search", () => {
  it.live(
    "word, range and public id lookups read indexes, not every view of the cloud",
    () =>
      withSchema((schema) =>
        Effect.gen(function*() {
          const { sql, store } = yield* open(schema)
          const views = Array.from({ length: 20_000 }, (_, n) => numbered(n))
          yield* store.commit({ projection: P, position: 1, upserts: views, deletes: [] })
          yield* psql(`ANALYZE "${schema}".assets, "${schema}".context_index, "${schema}".words`)

          const cases: ReadonlyArray<
            readonly [label: string, plan: SearchPlan.Plan, index: string, count: number]
          > = [
            [
              "a word of one key",
              {
                _tag: "Word",
                field: { _tag: "Context", key: "title" },
                word: "w12345",
                prefix: false
              },
              "words_by_word",
              1
            ],
            [
              "a word anywhere",
              { _tag: "Word", field: { _tag: "Any" }, word: "w777", prefix: false },
              "words_by_word",
              1
            ],
            [
              "a prefix of a word of the public id",
              { _tag: "Word", field: { _tag: "PublicId" }, word: "p0123", prefix: true },
              "words_by_word",
              10
            ],
            [
              "a prefix of values",
              SearchPlan.prefixRange("sku", "SKU-0042"),
              "context_index_by_range",
              10
            ],
            [
              "a range of values",
              {
                _tag: "Range",
                key: "sku",
                lower: { value: "SKU-01000", inclusive: false },
                upper: { value: "SKU-01005", inclusive: true }
              },
              "context_index_by_range",
              5
            ],
            [
              "a prefix of public ids",
              { _tag: "PublicId", value: "p1999", prefix: true },
              "assets_by_public_id",
              10
            ],
            [
              "a range of creation times",
              {
                _tag: "CreatedAt",
                lower: { value: createdAt(12_000), inclusive: false },
                upper: { value: createdAt(12_007), inclusive: true }
              },
              "assets_by_created_at",
              7
            ],
            [
              "a lower bound of creation times",
              { _tag: "CreatedAt", lower: { value: createdAt(19_990) + 0.5, inclusive: true } },
              "assets_by_created_at",
              9
            ],
            [
              "an upper bound of creation times, with a word",
              {
                _tag: "And",
                plans: [
                  { _tag: "CreatedAt", upper: { value: createdAt(3), inclusive: false } },
                  { _tag: "Word", field: { _tag: "Any" }, word: "shirt", prefix: false }
                ]
              },
              "assets_by_created_at",
              3
            ],
            [
              "a conjunction",
              {
                _tag: "And",
                plans: [
                  { _tag: "Value", key: "color", value: "red" },
                  { _tag: "Word", field: { _tag: "Any" }, word: "w1230", prefix: true }
                ]
              },
              "words_by_word",
              2
            ],
            [
              "a disjunction",
              {
                _tag: "Or",
                plans: [
                  { _tag: "PublicId", value: "p00007", prefix: false },
                  SearchPlan.prefixRange("sku", "SKU-0100")
                ]
              },
              "context_index_by_range",
              11
            ]
          ]
          for (const [label, plan, index, count] of cases) {
            const text = yield* explain(sql, schema, plan)
            expect(text, label).toMatch(/Index Scan|Bitmap Index Scan|Index Only Scan/)
            expect(text, label).toContain(index)
            expect(text, label).not.toContain("Seq Scan")
            const found = yield* store.search({ cloud: "demo", plan })
            const expected = views.filter((v) => SearchPlan.matches(plan, v))
            expect(keysOf(found), label).toEqual(keysOf(expected))
            expect(found.length, label).toBe(count)
          }
        })
      ),
    120_000
  )

  it.live("words and values longer than an index entry holds are stored and found exactly", () =>
    withSchema((schema) =>
      Effect.gen(function*() {
        const { store } = yield* open(schema)
        // 3 kB of UTF-8 each, past the 2.7 kB of a B-tree entry, and alike for 999 code points.
        const long = "日".repeat(1000)
        const longer = "日".repeat(999) + "本"
        const views = [
          Fixtures.view(Fixtures.asset("a"), [{ key: "note", value: long }]),
          Fixtures.view(Fixtures.asset("b"), [{ key: "note", value: longer }]),
          Fixtures.view(Fixtures.asset("c"), [{ key: "note", value: "日".repeat(300) }]),
          Fixtures.view(Fixtures.asset(long.slice(0, 255)), [])
        ]
        yield* store.commit({ projection: P, position: 1, upserts: views, deletes: [] })
        const word = (w: string, prefix: boolean): SearchPlan.Plan => ({
          _tag: "Word",
          field: { _tag: "Any" },
          word: w,
          prefix
        })
        const plans: ReadonlyArray<SearchPlan.Plan> = [
          word(long, false),
          word(longer, false),
          word(long.slice(0, 300), false),
          word(long.slice(0, 300), true),
          word(long.slice(0, 999), true),
          word(long.slice(0, 200), true),
          word(long, true),
          { _tag: "Value", key: "note", value: longer },
          { _tag: "Range", key: "note", lower: { value: long, inclusive: true } },
          { _tag: "Range", key: "note", lower: { value: long, inclusive: false } },
          { _tag: "Range", key: "note", upper: { value: long, inclusive: false } },
          { _tag: "Range", key: "note", upper: { value: long, inclusive: true } },
          SearchPlan.prefixRange("note", long.slice(0, 250)),
          { _tag: "PublicId", value: long.slice(0, 201), prefix: true }
        ]
        for (const plan of plans) {
          const expected = views.filter((v) => SearchPlan.matches(plan, v))
          const label = `${plan._tag} ${JSON.stringify(plan).length}`
          expect(keysOf(yield* store.search({ cloud: "demo", plan })), label).toEqual(
            keysOf(expected)
          )
        }
      })
    ))

  it.live("finds views by creation time exactly, whatever the bounds", () =>
    withSchema((schema) =>
      Effect.gen(function*() {
        const { store } = yield* open(schema)
        // PostgreSQL holds years 0001 to 9999 of ISO text, so those are the views' times.
        const times = [
          Date.parse("0001-01-01T00:00:00.000Z"),
          Date.parse("0001-01-01T00:00:00.001Z"),
          Date.parse("1969-12-31T23:59:59.999Z"),
          0,
          1,
          Date.parse("2026-12-01T00:00:00.000Z"),
          Date.parse("2026-12-01T00:00:00.001Z"),
          Date.parse("9999-12-31T23:59:59.998Z"),
          Date.parse("9999-12-31T23:59:59.999Z")
        ]
        const views = times.map((at, i) =>
          createdOn(
            Fixtures.view(Fixtures.asset(`t${i}`), [{ key: "n", value: String(i % 2) }]),
            at
          )
        )
        yield* store.commit({ projection: P, position: 1, upserts: views, deletes: [] })
        const values = [
          ...times.flatMap((t) => [t - 1, t, t + 1, t - 0.5]),
          Date.parse("0000-06-01T00:00:00.000Z"),
          Date.parse("+010000-01-01T00:00:00.000Z"),
          -8.64e15,
          8.64e15,
          -1e20,
          1e20,
          -Infinity,
          Infinity,
          NaN
        ]
        const bounds: Array<SearchPlan.TimeBound | undefined> = [
          undefined,
          ...values.flatMap((value) => [{ value, inclusive: true }, { value, inclusive: false }])
        ]
        const plans: Array<SearchPlan.Plan> = []
        for (const lower of bounds) {
          for (let u = 0; u < bounds.length; u += lower === undefined ? 1 : 5) {
            const upper = bounds[u]
            plans.push({
              _tag: "CreatedAt",
              ...(lower === undefined ? {} : { lower }),
              ...(upper === undefined ? {} : { upper })
            })
          }
        }
        for (const value of values) {
          const since: SearchPlan.Plan = { _tag: "CreatedAt", lower: { value, inclusive: true } }
          plans.push({ _tag: "And", plans: [since, { _tag: "Value", key: "n", value: "1" }] })
          plans.push({ _tag: "Or", plans: [since, { _tag: "Value", key: "n", value: "1" }] })
        }
        yield* Effect.forEach(plans, (plan) =>
          Effect.map(store.search({ cloud: "demo", plan }), (found) => {
            const expected = views.filter((v) =>
              SearchPlan.matches(plan, v)
            )
            expect(keysOf(found), JSON.stringify(plan)).toEqual(keysOf(expected))
          }), { concurrency: 8, discard: true })
      })
    ))

  it.live("a schema with every table but the index of creation times gets it when opened", () =>
    withSchema((schema) =>
      Effect.gen(function*() {
        const first = yield* open(schema)
        const views = [0, 1, 2].map((n) => numbered(n))
        yield* first.store.commit({ projection: P, position: 1, upserts: views, deletes: [] })
        // As a schema of the release before the index looked.
        yield* psql(`DROP INDEX "${schema}".assets_by_created_at`)
        const indexed = psql(
          `SELECT indexname FROM pg_indexes
           WHERE schemaname = '${schema}' AND indexname = 'assets_by_created_at'`
        )
        expect(yield* indexed).toEqual([])

        const [again, other] = yield* Effect.all([open(schema), open(schema)], {
          concurrency: "unbounded"
        })
        expect(yield* indexed).toEqual(["assets_by_created_at"])
        const plan: SearchPlan.Plan = {
          _tag: "CreatedAt",
          lower: { value: createdAt(1), inclusive: true }
        }
        for (const store of [again.store, other.store]) {
          expect(keysOf(yield* store.search({ cloud: "demo", plan }))).toEqual(
            keysOf(views.slice(1))
          )
        }
      })
    ))

  it.live("a first-release schema gets a word index of its views when a store opens it", () =>
    withSchema((schema) =>
      Effect.gen(function*() {
        const views = [
          Fixtures.view(Fixtures.asset("Red Shirt 1"), [{ key: "color", value: "Dark Red" }]),
          Fixtures.view(Fixtures.asset("shirt-2"), [
            { key: "color", value: "blue" },
            { key: "", value: "Straße 日本" }
          ]),
          Fixtures.view(Fixtures.asset("bag", { resourceType: "video" }), [
            { key: "sku", value: "ABC-123" }
          ]),
          Fixtures.view(Fixtures.asset("red", { cloud: "other" }), [])
        ]
        yield* psql(`${firstRelease(schema)};\n${firstReleaseRows(schema, views)}`)

        // Two at once, as processes of the new release start: one fills the index, once.
        const [first, second] = yield* Effect.all([open(schema), open(schema)], {
          concurrency: "unbounded"
        })
        const words = views.flatMap((v) => SearchPlan.wordsOf(v))
        expect(yield* psql(`SELECT count(*) FROM "${schema}".words`)).toEqual([
          String(words.length)
        ])
        expect(
          yield* psql(
            `SELECT indexname FROM pg_indexes WHERE schemaname = '${schema}' ORDER BY indexname`
          )
        ).toEqual([
          "assets_by_created_at",
          "assets_by_public_id",
          "assets_pkey",
          "checkpoints_pkey",
          "context_index_by_key",
          "context_index_by_range",
          "context_index_by_value",
          "context_index_pkey",
          "settings_pkey",
          "words_by_word",
          "words_pkey"
        ])

        const plans: ReadonlyArray<SearchPlan.Plan> = [
          { _tag: "Word", field: { _tag: "Any" }, word: "red", prefix: false },
          { _tag: "Word", field: { _tag: "PublicId" }, word: "shirt", prefix: false },
          { _tag: "Word", field: { _tag: "Context", key: "" }, word: "stra", prefix: true },
          { _tag: "Word", field: { _tag: "Context", key: "color" }, word: "日本", prefix: false },
          { _tag: "Word", field: { _tag: "Any" }, word: "123", prefix: false },
          SearchPlan.prefixRange("sku", "ABC"),
          { _tag: "PublicId", value: "shirt", prefix: true }
        ]
        for (const plan of plans) {
          for (const cloud of ["demo", "other"]) {
            const expected = views.filter((v) =>
              v.asset.cloud === cloud && SearchPlan.matches(plan, v)
            )
            const label = `${cloud} ${JSON.stringify(plan)}`
            expect(keysOf(yield* first.store.search({ cloud, plan })), label).toEqual(
              keysOf(expected)
            )
            expect(keysOf(yield* second.store.search({ cloud, plan })), label).toEqual(
              keysOf(expected)
            )
          }
        }

        // The index follows the commits that come after.
        const blue = Fixtures.view(Fixtures.asset("Red Shirt 1"), [
          { key: "color", value: "navy blue" }
        ], { revision: 2, position: 2 })
        yield* first.store.commit({
          projection: P,
          position: 2,
          upserts: [blue],
          deletes: [Fixtures.asset("bag", { resourceType: "video" })]
        })
        const word = (w: string): SearchPlan.Plan => ({
          _tag: "Word",
          field: { _tag: "Context", key: "color" },
          word: w,
          prefix: false
        })
        const ids = (plan: SearchPlan.Plan) =>
          Effect.map(
            second.store.search({ cloud: "demo", plan }),
            (found) => found.map((v) => v.asset.publicId).sort()
          )
        expect(yield* ids(word("red"))).toEqual([])
        expect(yield* ids(word("blue"))).toEqual(["Red Shirt 1", "shirt-2"])
        expect(yield* ids({ _tag: "Word", field: { _tag: "Any" }, word: "123", prefix: false }))
          .toEqual([])
      })
    ))
})
