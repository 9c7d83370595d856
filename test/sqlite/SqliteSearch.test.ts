import { Client, ProjectionStore, SearchPlan } from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { SqliteProjectionStore, SqliteStore } from "@ctxlog/sqlite"
import { afterAll, describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import * as Effect from "effect/Effect"
import { join } from "node:path"
import { tempDir } from "../support/tmp.js"

const dir = tempDir("ctxlog-sqlite-search-")
let n = 0
const file = () => join(dir, `search-${++n}.db`)

const views = [
  Fixtures.view(Fixtures.asset("Red Shirt 1"), [{ key: "color", value: "dark red" }]),
  Fixtures.view(Fixtures.asset("shirt-2"), [
    { key: "color", value: "Red" },
    { key: "sku", value: "ABC-9" }
  ]),
  Fixtures.view(Fixtures.asset("bag", { resourceType: "raw" }), [{ key: "sku", value: "ABC123" }]),
  Fixtures.view(Fixtures.asset("hat", { cloud: "other" }), [{ key: "sku", value: "abd" }])
]

/** A store on a new file, holding `views`. */
const opened = Effect.gen(function*() {
  const db = yield* SqliteStore.open({ filename: file() })
  const { store } = SqliteProjectionStore.make(db)
  yield* store.commit({ projection: "assets", position: 1, upserts: views, deletes: [] })
  return { db, store }
})
const { db, store } = Effect.runSync(opened)
afterAll(() => db.close())

const keysOf = (found: ReadonlyArray<{ readonly asset: { readonly key: string } }>) =>
  found.map((v) => v.asset.key).sort()

const expected = (cloud: string, plan: SearchPlan.Plan) =>
  keysOf(views.filter((v) => v.asset.cloud === cloud && SearchPlan.matches(plan, v)))

/** What SQLite does for the statement that answers a plan, one step a line. */
const queryPlan = (plan: SearchPlan.Plan): Array<string> => {
  const { params, sql } = SqliteProjectionStore.searchStatement("demo", plan)
  const steps = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{
    readonly detail: string
  }>
  return steps.map((s) => s.detail)
}

/**
 * The steps that read a table of the store. Each must seek an index on more than the cloud: a
 * SCAN, or a SEARCH bounded by the cloud alone, reads all of the cloud's rows.
 */
const tableReads = (steps: ReadonlyArray<string>) => steps.filter((s) => / ctxlog_| a /.test(s))

const expectIndexed = (steps: ReadonlyArray<string>) => {
  const reads = tableReads(steps)
  expect(reads.length).toBeGreaterThan(0)
  for (const step of reads) {
    expect(step).toMatch(/^SEARCH /)
    expect(step).not.toMatch(/\(cloud=\?\)$/)
  }
}

const wordRed: SearchPlan.Plan = {
  _tag: "Word",
  field: { _tag: "Any" },
  word: "red",
  prefix: false
}
const skuPrefix = SearchPlan.prefixRange("sku", "ABC")
const idPrefix: SearchPlan.Plan = { _tag: "PublicId", value: "shirt", prefix: true }
const DAY = 86_400_000
const createdIn: SearchPlan.Plan = {
  _tag: "CreatedAt",
  lower: { value: Date.parse("2026-12-01T00:00:00.000Z"), inclusive: true },
  upper: { value: Date.parse("2026-12-02T00:00:00.000Z"), inclusive: false }
}
const createdSince: SearchPlan.Plan = {
  _tag: "CreatedAt",
  lower: { value: Date.parse("2026-12-01T00:00:00.000Z"), inclusive: false }
}

/** Times whose ISO texts sort apart from their order: years before 0 and from 10000. */
const edgeTimes = [
  -8.64e15,
  -8.64e15 + 1,
  Date.parse("-271821-12-31T23:59:59.999Z"),
  Date.parse("-271820-01-01T00:00:00.000Z"),
  Date.parse("-010000-06-01T00:00:00.000Z"),
  Date.parse("-000002-12-31T23:59:59.999Z"),
  Date.parse("-000001-01-01T00:00:00.000Z"),
  Date.parse("-000001-07-01T12:00:00.000Z"),
  Date.parse("-000001-12-31T23:59:59.999Z"),
  Date.parse("0000-01-01T00:00:00.000Z"),
  Date.parse("0001-01-01T00:00:00.000Z"),
  0,
  Date.parse("2026-12-01T00:00:00.000Z"),
  Date.parse("2026-12-01T00:00:00.001Z"),
  Date.parse("9999-12-31T23:59:59.999Z"),
  Date.parse("+010000-01-01T00:00:00.000Z"),
  Date.parse("+010000-01-01T00:00:00.001Z"),
  Date.parse("+123456-05-05T05:05:05.005Z"),
  8.64e15 - 1,
  8.64e15
]

describe("SQLite search plans", () => {
  it("looks a word up in the index of words", () => {
    const steps = queryPlan(wordRed)
    expectIndexed(steps)
    expect(steps).toContainEqual(
      "SEARCH ctxlog_words USING COVERING INDEX ctxlog_words_by_word (cloud=? AND word=?)"
    )
    expect(steps).toContainEqual(
      "SEARCH a USING PRIMARY KEY (cloud=? AND resource_type=? AND type=? AND public_id=?)"
    )
  })

  it("seeks the range of a prefix of values in the index of pairs", () => {
    const steps = queryPlan(skuPrefix)
    expectIndexed(steps)
    expect(steps).toContainEqual(
      "SEARCH ctxlog_context_index USING PRIMARY KEY (cloud=? AND key=? AND value>? AND value<?)"
    )
  })

  it("seeks the range of a prefix of public ids in the index of public ids", () => {
    const steps = queryPlan(idPrefix)
    expectIndexed(steps)
    expect(steps).toContainEqual(
      "SEARCH ctxlog_assets USING COVERING INDEX ctxlog_assets_by_public_id " +
        "(cloud=? AND public_id>? AND public_id<?)"
    )
  })

  it("keeps every lookup of a compound plan on its own index", () => {
    const plans: ReadonlyArray<SearchPlan.Plan> = [
      { _tag: "Value", key: "sku", value: "ABC-9" },
      { _tag: "Key", key: "color" },
      { _tag: "Word", field: { _tag: "Context", key: "color" }, word: "re", prefix: true },
      { _tag: "Word", field: { _tag: "PublicId" }, word: "shirt", prefix: false },
      { _tag: "Word", field: { _tag: "Any" }, word: "ab", prefix: true },
      { _tag: "PublicId", value: "bag", prefix: false },
      {
        _tag: "And",
        plans: [wordRed, { _tag: "Or", plans: [skuPrefix, idPrefix, { _tag: "Key", key: "sku" }] }]
      }
    ]
    for (const plan of plans) expectIndexed(queryPlan(plan))
    // In a compound, a range must still seek its bounds rather than read every pair of its key
    // in the order the compound sorts by.
    expect(queryPlan(plans[6]!)).toContainEqual(
      "SEARCH ctxlog_context_index USING PRIMARY KEY (cloud=? AND key=? AND value>? AND value<?)"
    )
  })

  it("seeks a range of creation times in the index of creation times", () => {
    expect(queryPlan(createdIn)).toContainEqual(
      "SEARCH ctxlog_assets USING COVERING INDEX ctxlog_assets_by_created_at " +
        "(cloud=? AND created_at>? AND created_at<?)"
    )
    // A lower bound alone also seeks the years from 10000, whose texts sort before the others.
    expect(queryPlan(createdSince)).toContainEqual(
      "SEARCH ctxlog_assets USING COVERING INDEX ctxlog_assets_by_created_at " +
        "(cloud=? AND created_at>?)"
    )
    const compound: SearchPlan.Plan = {
      _tag: "And",
      plans: [createdIn, { _tag: "Or", plans: [wordRed, createdSince] }]
    }
    for (const plan of [createdIn, createdSince, compound]) {
      const steps = queryPlan(plan)
      expectIndexed(steps)
      expect(
        tableReads(steps).filter((step) => step.includes("ctxlog_assets_by_created_at")).length
      ).toBeGreaterThan(0)
    }
  })

  it.effect("finds views by creation time exactly, in every year a Date holds", () =>
    Effect.gen(function*() {
      const db = yield* SqliteStore.open({ filename: file() })
      const { store } = SqliteProjectionStore.make(db)
      const timed = edgeTimes.map((at, i) =>
        new ProjectionStore.AssetView({
          ...Fixtures.view(Fixtures.asset(`t${i}`), [{ key: "n", value: String(i % 3) }]),
          createdAt: new Date(at),
          updatedAt: new Date(at)
        })
      )
      yield* store.commit({ projection: "assets", position: 1, upserts: timed, deletes: [] })
      const values = [
        ...edgeTimes.flatMap((t) => [t - 1, t, t + 1, t + 0.5]),
        -Infinity,
        Infinity,
        NaN,
        -1e20,
        1e20,
        Date.parse("2026-12-01T00:00:00.000Z") - DAY
      ]
      const bounds: Array<SearchPlan.TimeBound | undefined> = [
        undefined,
        ...values.flatMap((value) => [{ value, inclusive: true }, { value, inclusive: false }])
      ]
      const check = (plan: SearchPlan.Plan) =>
        Effect.map(store.search({ cloud: "demo", plan }), (found) => {
          const want = timed.filter((v) => SearchPlan.matches(plan, v)).map((v) => v.asset.key)
          expect(keysOf(found), JSON.stringify(plan)).toEqual(want.sort())
        })
      for (const lower of bounds) {
        for (let u = 0; u < bounds.length; u += lower === undefined ? 1 : 7) {
          const upper = bounds[u]
          yield* check({
            _tag: "CreatedAt",
            ...(lower === undefined ? {} : { lower }),
            ...(upper === undefined ? {} : { upper })
          })
        }
      }
      for (const value of values) {
        for (const inclusive of [true, false]) {
          const bound = { value, inclusive }
          // Alone, as the narrowest part of a conjunction, and in a compound statement.
          const since: SearchPlan.Plan = { _tag: "CreatedAt", lower: bound }
          const until: SearchPlan.Plan = { _tag: "CreatedAt", upper: bound }
          yield* check({ _tag: "And", plans: [since, { _tag: "Value", key: "n", value: "1" }] })
          yield* check({ _tag: "Or", plans: [until, { _tag: "Value", key: "n", value: "1" }] })
          yield* check({ _tag: "And", plans: [since, until] })
        }
      }
      db.close()
    }))

  it.effect("answers a plan larger than one statement takes, wide or deep", () =>
    Effect.gen(function*() {
      const leaves: Array<SearchPlan.Plan> = [
        wordRed,
        skuPrefix,
        idPrefix,
        { _tag: "Key", key: "color" },
        { _tag: "Value", key: "sku", value: "ABC123" }
      ]
      const misses = Array.from({ length: 1200 }, (_, i): SearchPlan.Plan => ({
        _tag: "Value",
        key: "sku",
        value: `none ${i}`
      }))
      const wide: SearchPlan.Plan = { _tag: "Or", plans: [...misses, ...leaves] }
      const wideAnd: SearchPlan.Plan = {
        _tag: "And",
        plans: Array.from({ length: 700 }, () => ({ _tag: "Key", key: "sku" }) as const)
      }
      let deep: SearchPlan.Plan = wordRed
      for (let i = 0; i < 300; i++) {
        deep = i % 2 === 0
          ? { _tag: "Or", plans: [deep, leaves[i % leaves.length]!] }
          : { _tag: "And", plans: [deep, { _tag: "Key", key: i % 3 === 0 ? "color" : "sku" }] }
      }
      for (const plan of [wide, wideAnd, deep, { _tag: "And", plans: [wide, deep] } as const]) {
        const found = yield* store.search({ cloud: "demo", plan })
        expect(keysOf(found)).toEqual(expected("demo", plan))
      }
      expect(expected("demo", wide).length).toBeGreaterThan(0)
    }))
})

describe("SQLite words of a file from before them", () => {
  it("writes the words of the views a file has when it upgrades it", async () => {
    const filename = file()
    const ctx = await Client.open({ store: SqliteStore.layer({ filename }) })
    await ctx.upload("Blue Bag", "color=navy blue|note=Straße 日本")
    await ctx.upload("other", "color=red")
    await ctx.close()
    const old = new Database(filename)
    // What a file at version 2 looked like: no words and no index of public ids.
    old.exec(
      `DROP TABLE ctxlog_words; DROP INDEX ctxlog_assets_by_public_id;
       DROP INDEX ctxlog_assets_by_created_at; DELETE FROM ctxlog_migrations WHERE version >= 3`
    )
    old.close()

    const found = await Effect.runPromise(
      Effect.gen(function*() {
        const { db } = yield* SqliteStore.SqliteDatabase
        const versions = db.prepare("SELECT version FROM ctxlog_migrations").pluck().all()
        const search = (plan: SearchPlan.Plan) =>
          Effect.map(
            SqliteProjectionStore.make(db).store.search({ cloud: "demo", plan }),
            (views) => views.map((v) => v.asset.publicId).sort()
          )
        const word = (field: SearchPlan.WordField, word: string, prefix = false) =>
          search({ _tag: "Word", field, word, prefix })
        return {
          versions,
          words: db.prepare("SELECT count(*) FROM ctxlog_words").pluck().get(),
          blue: yield* word({ _tag: "Any" }, "blue"),
          bag: yield* word({ _tag: "PublicId" }, "bag"),
          stra: yield* word({ _tag: "Context", key: "note" }, "stra", true),
          japan: yield* word({ _tag: "Any" }, "日本"),
          red: yield* word({ _tag: "Context", key: "color" }, "red"),
          prefix: yield* search({ _tag: "PublicId", value: "Blue", prefix: true })
        }
      }).pipe(Effect.provide(SqliteStore.layer({ filename })))
    )
    expect(found).toEqual({
      versions: [1, 2, 3, 4],
      // blue, bag; navy, blue; straße, 日本; other; red
      words: 8,
      blue: ["Blue Bag"],
      bag: ["Blue Bag"],
      stra: ["Blue Bag"],
      japan: ["Blue Bag"],
      red: ["other"],
      prefix: ["Blue Bag"]
    })

    // The upgraded file keeps its words as the views change.
    const after = await Client.open({ store: SqliteStore.layer({ filename }) })
    await after.replace("other", "color=blue")
    await after.delete("Blue Bag")
    await after.close()
    const check = new Database(filename)
    expect(check.prepare("SELECT field, key, word, public_id FROM ctxlog_words").all()).toEqual([
      { field: "c", key: "color", word: "blue", public_id: "other" },
      { field: "p", key: "", word: "other", public_id: "other" }
    ])
    check.close()
  })
})
