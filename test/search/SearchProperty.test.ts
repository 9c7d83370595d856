import type { ProjectionStore as Port } from "@ctxlog/core"
import {
  AssetId,
  InMemoryProjectionStore,
  ProjectionStore,
  Search,
  SearchExpression
} from "@ctxlog/core"
import { NatsKvProjectionStore } from "@ctxlog/nats"
import { SqliteStore } from "@ctxlog/sqlite"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import { join } from "node:path"
import { uniqueName, useNatsServer } from "../support/nats.js"
import { freshStore, usePostgres } from "../support/postgres.js"
import { tempDir } from "../support/tmp.js"

// For generated assets and expressions, a search (answered from each store's indexes) gives
// exactly the assets that evaluating the expression on every asset gives, in the same order.

const now = Date.parse("2026-12-03T12:00:00.000Z")

const KEYS = ["color", "sku", "size", "note"]
const VALUES = [
  "red",
  "Red",
  "dark red",
  "red-dark",
  "ABC123",
  "ABC-9",
  "abc",
  "abd",
  "10",
  "9",
  "100",
  "x y",
  "日本 語",
  "Straße",
  "emoji😀",
  "quo\"te"
]
const IDS = ["shirt", "Shirt red", "bag/red", "shoe-10", "日本", "abc", "x"]

const quote = (text: string) =>
  /^[\p{L}\p{N}_./-]+$/u.test(text) && !/^(and|or|not)$/i.test(text)
    ? text
    : `"${text.replace(/["\\]/g, "\\$&")}"`

/** A prefix term's value is written bare, so only the leading run of word characters is kept. */
const prefixOf = (text: string) => /^[\p{L}\p{N}]+/u.exec(text)?.[0].slice(0, 2) ?? "a"

const term: FastCheck.Arbitrary<string> = FastCheck.oneof(
  FastCheck.tuple(
    FastCheck.constantFrom(...KEYS),
    FastCheck.constantFrom("=", ":"),
    FastCheck.constantFrom(...VALUES)
  ).map(([k, op, v]) => `context.${k}${op}${quote(v)}`),
  FastCheck.tuple(
    FastCheck.constantFrom(...KEYS),
    FastCheck.constantFrom("=", ":"),
    FastCheck.constantFrom(...VALUES)
  ).map(([k, op, v]) => `context.${k}${op}${prefixOf(v)}*`),
  FastCheck.tuple(
    FastCheck.constantFrom(...KEYS),
    FastCheck.constantFrom("<", "<=", ">", ">="),
    FastCheck.constantFrom(...VALUES)
  ).map(([k, op, v]) => `context.${k}${op}${quote(v)}`),
  FastCheck.constantFrom(...KEYS).map((k) => `context.${k}:*`),
  FastCheck.constantFrom(...VALUES, ...IDS).map(quote),
  FastCheck.constantFrom(...VALUES, ...IDS).map((v) => `${prefixOf(v)}*`),
  FastCheck.tuple(FastCheck.constantFrom("=", ":"), FastCheck.constantFrom(...IDS)).map((
    [op, id]
  ) => `public_id${op}${quote(id)}`),
  FastCheck.constantFrom(...IDS).map((id) => `public_id=${prefixOf(id)}*`),
  FastCheck.constantFrom(
    "resource_type:video",
    "type=private",
    "created_at>1d",
    "created_at<=2d",
    "created_at>=\"2026-12-02T00:00:00.000Z\"",
    "created_at<\"2026-12-01T12:00:00Z\"",
    "created_at:2026-12-02"
  )
)

const expression: FastCheck.Arbitrary<string> = FastCheck.letrec<{ e: string }>((tie) => ({
  e: FastCheck.oneof(
    { depthSize: "small", withCrossShrink: true },
    term,
    FastCheck.tuple(
      tie("e"),
      FastCheck.constantFrom(" AND ", " OR ", " && ", " || ", " "),
      tie("e")
    )
      .map(([a, op, b]) => `(${a})${op}(${b})`),
    tie("e").map((e) => `NOT (${e})`),
    tie("e").map((e) => `-(${e})`)
  )
})).e

const assets = FastCheck.uniqueArray(
  FastCheck.record({
    id: FastCheck.constantFrom(...IDS),
    n: FastCheck.integer({ min: 0, max: 30 }),
    resourceType: FastCheck.constantFrom("image", "video"),
    type: FastCheck.constantFrom("upload", "private"),
    context: FastCheck.uniqueArray(
      FastCheck.record({
        key: FastCheck.constantFrom(...KEYS),
        value: FastCheck.constantFrom(...VALUES)
      }),
      { selector: (p) => p.key, maxLength: 4 }
    ),
    age: FastCheck.integer({ min: 0, max: 3 * 86_400_000 })
  }),
  {
    selector: (a) => `${a.id}${a.n}${a.resourceType}${a.type}`,
    minLength: 5,
    maxLength: 80
  }
).map((list) =>
  list.map((a) => {
    const at = new Date(now - a.age)
    return new ProjectionStore.AssetView({
      asset: AssetId.make({
        cloud: "demo",
        resourceType: a.resourceType as AssetId.ResourceType,
        type: a.type,
        publicId: a.n === 0 ? a.id : `${a.id} ${a.n}`
      }),
      revision: 1,
      position: 1,
      context: a.context,
      createdAt: at,
      updatedAt: at
    })
  })
)

/** Every page of a search, with the total it reported. */
const searchAll = (
  store: Port.ProjectionStoreShape,
  text: string,
  sortBy: "public_id" | "created_at"
) =>
  Effect.gen(function*() {
    const found: Array<string> = []
    let cursor: string | undefined
    let total = 0
    do {
      const page = yield* Search.run(
        store,
        { cloud: "demo", expression: text, sortBy, maxResults: 7, cursor },
        now
      )
      total = page.totalCount
      found.push(...page.resources.map((v) => v.asset.key))
      cursor = page.nextCursor
    } while (cursor !== undefined)
    return { found, total }
  })

const naive = (
  views: ReadonlyArray<Port.AssetView>,
  text: string,
  sortBy: "public_id" | "created_at"
) => {
  const parsed = SearchExpression.parse(text)
  if (parsed._tag === "Left") throw parsed.left
  const descending = sortBy === "created_at"
  return views
    .filter((v) => SearchExpression.matches(parsed.right, v, now))
    .sort((a, b) => {
      const primary = sortBy === "created_at"
        ? a.createdAt.getTime() - b.createdAt.getTime()
        : AssetId.compareCodePoints(a.asset.publicId, b.asset.publicId)
      const order = primary !== 0 ? Math.sign(primary) : AssetId.order(a.asset, b.asset)
      return descending ? -order : order
    })
    .map((v) => v.asset.key)
}

const agree = (
  layer: () => Layer.Layer<ProjectionStore.ProjectionStore, unknown>,
  numRuns: number
) =>
  FastCheck.assert(
    FastCheck.asyncProperty(
      assets,
      FastCheck.array(expression, { minLength: 1, maxLength: 8 }),
      FastCheck.constantFrom<"public_id" | "created_at">("public_id", "created_at"),
      (views, expressions, sortBy) =>
        Effect.runPromise(
          Effect.scoped(
            Effect.gen(function*() {
              const store = yield* Effect.map(
                Layer.build(layer()),
                Context.get(ProjectionStore.ProjectionStore)
              )
              yield* store.commit({
                projection: "assets",
                position: 1,
                upserts: views,
                deletes: []
              })
              for (const text of expressions) {
                const { found, total } = yield* searchAll(store, text, sortBy)
                const expected = naive(views, text, sortBy)
                expect({ text, found }).toEqual({ text, found: expected })
                expect(total).toBe(expected.length)
              }
            })
          )
        )
    ),
    { numRuns, seed: Number(process.env.SEARCH_SEED ?? 20261203) }
  )

describe("indexed search agrees with evaluating every asset", () => {
  it("in memory", () => agree(() => InMemoryProjectionStore.layer, 300), 120_000)

  const dir = tempDir("ctxlog-search-property-")
  let n = 0
  it(
    "on SQLite",
    () => agree(() => SqliteStore.layer({ filename: join(dir, `p-${++n}.db`) }), 60),
    120_000
  )

  usePostgres()
  it("on PostgreSQL", () => agree(() => freshStore(), 25), 120_000)

  const server = useNatsServer()
  it(
    "on NATS KV",
    () =>
      agree(
        () =>
          NatsKvProjectionStore.layer({
            servers: server.current.url,
            bucketPrefix: uniqueName("q")
          }),
        15
      ),
    120_000
  )
})
