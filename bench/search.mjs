// Search on one million assets with three context keys each, answered from the projection
// store's indexes, each query beside a full scan of the same store in the same run (every view
// read and the expression evaluated on it). Run with `pnpm bench:search` (it builds first).
//   CTXLOG_BENCH_ASSETS  assets in the store (default 1e6)
//   CTXLOG_BENCH_STORES  stores to measure, comma-separated, of memory, sqlite and postgres
//                        (default memory,sqlite)
//   POSTGRES_URL         the server for postgres (default postgres://postgres@127.0.0.1:5432/test);
//                        the benchmark works in a schema of its own and drops it
import {
  AssetId,
  InMemoryProjectionStore,
  ProjectionStore,
  Search,
  SearchExpression
} from "@ctxlog/core"
import { PgStore } from "@ctxlog/postgres"
import { SqliteStore } from "@ctxlog/sqlite"
import { Context, Effect, Layer, Scope } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const ASSETS = Number(process.env.CTXLOG_BENCH_ASSETS ?? 1_000_000)
const STORES = (process.env.CTXLOG_BENCH_STORES ?? "memory,sqlite").split(",")
const now = () => Number(process.hrtime.bigint()) / 1e6
const fmt = (x) => x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(3)
const pad = (n, width = 7) => String(n).padStart(width, "0")

const COLORS = ["red", "blue", "green", "black", "white", "grey", "pink", "teal", "gold", "navy"]

const trusted = { disableValidation: true }
const cloud = AssetId.Cloud.make("demo")
const at = new Date("2026-12-03T08:00:00.000Z")

/**
 * Asset i: `color` one of 10 (a tenth of the assets each), `batch` one of 1,000 (1,000 assets
 * each), `sku` its own. Built unvalidated: the store, not the schema, is measured.
 */
const viewOf = (i) =>
  new ProjectionStore.AssetView({
    asset: new AssetId.AssetId({
      cloud,
      resourceType: "image",
      type: "upload",
      publicId: `item/${pad(i)}`
    }, trusted),
    revision: 1,
    position: 1,
    context: [
      { key: "color", value: COLORS[i % 10] },
      { key: "batch", value: `b${pad(Math.floor(i / 1000) % 1000, 4)}` },
      { key: "sku", value: `SKU-${pad(i)}` }
    ],
    createdAt: new Date(at.getTime() + i),
    updatedAt: at
  }, trusted)

const mid = pad(Math.floor(ASSETS / 2))
const QUERIES = [
  ["equality, unique value", `context.sku=SKU-${mid}`],
  ["equality, 1 of 1,000 values", "context.batch=b0042"],
  ["equality, 1 of 10 values", "context.color=teal"],
  ["prefix (=), 6 digits", `context.sku=SKU-${mid.slice(0, 6)}*`],
  ["prefix (=), 4 digits", `context.sku=SKU-${mid.slice(0, 4)}*`],
  ["prefix (:), 4 digits", `context.sku:SKU-${mid.slice(0, 4)}*`],
  ["AND of two equalities", "context.batch=b0042 AND context.color=teal"],
  ["AND of a prefix and an equality", `context.sku=SKU-${mid.slice(0, 4)}* AND context.color=red`]
]

/** Every view read, page by page, and the expression evaluated on each. */
const fullScan = (store, expression) =>
  Effect.gen(function*() {
    const parsed = SearchExpression.parse(expression)
    if (parsed._tag === "Left") return yield* Effect.die(parsed.left)
    let after
    let found = 0
    while (true) {
      const page = yield* store.list({ cloud: "demo", after, limit: 1000 })
      for (const view of page) if (SearchExpression.matches(parsed.right, view)) found++
      if (page.length < 1000) return found
      after = page[page.length - 1].asset
    }
  })

const fill = (store) =>
  Effect.gen(function*() {
    const started = now()
    const BATCH = 10_000
    for (let from = 0; from < ASSETS; from += BATCH) {
      const upserts = []
      for (let i = from; i < Math.min(ASSETS, from + BATCH); i++) upserts.push(viewOf(i))
      yield* store.commit({ projection: "assets", position: from + 1, upserts, deletes: [] })
    }
    return now() - started
  })

/** The best of `runs` timings, in ms, and the last result. */
const timed = (runs, effect) =>
  Effect.gen(function*() {
    let best = Infinity
    let result
    for (let r = 0; r < runs; r++) {
      const t = now()
      result = yield* effect
      best = Math.min(best, now() - t)
    }
    return { ms: best, result }
  })

const measure = (name, store) =>
  Effect.gen(function*() {
    const fillMs = yield* fill(store)
    console.log(
      `\n${name}: ${ASSETS.toLocaleString("en")} assets written in ${fmt(fillMs / 1000)} s`
    )
    console.log(
      `${"query".padEnd(34)} ${"matches".padStart(8)} ${"indexed".padStart(10)} ` +
        `${"full scan".padStart(10)}   ratio`
    )
    for (const [label, expression] of QUERIES) {
      const search = Search.run(store, { cloud: "demo", expression, maxResults: 50 })
      yield* search // warm
      const indexed = yield* timed(5, search)
      const scan = yield* timed(1, fullScan(store, expression))
      if (indexed.result.totalCount !== scan.result) {
        return yield* Effect.die(
          new Error(`${expression}: indexed ${indexed.result.totalCount}, scan ${scan.result}`)
        )
      }
      console.log(
        `${label.padEnd(34)} ${String(scan.result).padStart(8)} ${
          fmt(indexed.ms).padStart(7)
        } ms ` +
          `${fmt(scan.ms).padStart(7)} ms   ${(scan.ms / indexed.ms).toFixed(0)}x`
      )
    }
  })

const dir = mkdtempSync(join(tmpdir(), "ctxlog-bench-search-"))
const program = Effect.gen(function*() {
  for (const [label, expression] of QUERIES) console.log(`${label}: ${expression}`)
  if (STORES.includes("memory")) {
    yield* measure("in-memory projection store", yield* InMemoryProjectionStore.make)
  }
  if (STORES.includes("sqlite")) {
    const scope = yield* Scope.make()
    const ctx = yield* Layer.buildWithScope(
      SqliteStore.layer({ filename: join(dir, "search.db") }),
      scope
    )
    yield* measure("SQLite projection store", Context.get(ctx, ProjectionStore.ProjectionStore))
    yield* Scope.close(scope, Effect.void)
  }
  if (STORES.includes("postgres")) {
    const url = process.env.POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test"
    const schema = `ctxlog_bench_${process.pid}`
    const scope = yield* Scope.make()
    const ctx = yield* Layer.buildWithScope(PgStore.layer({ url, schema }), scope)
    yield* measure("PostgreSQL projection store", Context.get(ctx, ProjectionStore.ProjectionStore))
    yield* Scope.close(scope, Effect.void)
    execFileSync("psql", ["-X", "-q", url, "-c", `DROP SCHEMA IF EXISTS ${schema} CASCADE`], {
      stdio: "ignore"
    })
  }
})

Effect.runPromise(program).finally(() => rmSync(dir, { recursive: true, force: true }))
