import {
  AssetId,
  Command,
  Ctxlog,
  type Errors,
  InMemoryEventLog,
  ProjectionStore,
  Settings
} from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { PgStore } from "@ctxlog/postgres"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { droppedAfter, psql, uniqueSchema, url, usePostgres } from "../support/postgres.js"

usePostgres()

const P = "assets"
const colors = ["red", "green", "blue"]
const names = ["a", "b", "c", "d"]

/**
 * The commits a projector makes while following a log of 24 events, each commit reflecting every
 * event up to its position (as one that starts from checkpoint 0 writes them): event `n` changes
 * asset `names[n % 4]`, and every fifth event deletes it (the next one brings it back).
 */
const history = (): ReadonlyArray<ProjectionStore.Commit> => {
  const views = new Map<string, ProjectionStore.AssetView | undefined>()
  const revisions = new Map<string, number>()
  const commits: Array<ProjectionStore.Commit> = []
  for (let position = 1; position <= 24; position++) {
    const name = names[position % names.length]!
    const revision = (revisions.get(name) ?? 0) + 1
    revisions.set(name, revision)
    const context = [
      { key: "color", value: colors[position % colors.length]! },
      { key: "n", value: String(position) }
    ]
    views.set(
      name,
      position % 5 === 0 ? undefined : Fixtures.view(Fixtures.asset(name), context, {
        revision,
        position
      })
    )
    const entries = [...views]
    commits.push({
      projection: P,
      position,
      upserts: entries.flatMap(([, v]) => v === undefined ? [] : [v]),
      deletes: entries.flatMap(([n, v]) => v === undefined ? [Fixtures.asset(n)] : [])
    })
  }
  return commits
}

/** Everything a store answers about the demo cloud, in a comparable form. */
const snapshot = (store: ProjectionStore.ProjectionStoreShape) =>
  Effect.gen(function*() {
    const shape = (views: ReadonlyArray<ProjectionStore.AssetView>) =>
      views.map((v) => ({
        id: v.asset.publicId,
        revision: v.revision,
        position: v.position,
        context: v.context
      }))
    const byColor: Record<string, unknown> = {}
    for (const color of colors) {
      byColor[color] = shape(
        yield* store.byContext({ cloud: "demo", key: "color", value: color, limit: 100 })
      ).map((v) => v.id)
    }
    return {
      checkpoint: yield* store.checkpoint(P),
      views: shape(yield* store.list({ cloud: "demo", limit: 100 })),
      byKey: shape(yield* store.byContext({ cloud: "demo", key: "n", limit: 100 })).map((v) =>
        v.id
      ),
      byColor
    }
  })

/** What the last commit of `history` says the views are. */
const expected = (last: ProjectionStore.Commit) => {
  const views = [...last.upserts].sort((x, y) => AssetId.order(x.asset, y.asset))
  const byColor: Record<string, unknown> = {}
  for (const color of colors) {
    byColor[color] = views.filter((v) => v.context.some((p) => p.value === color))
      .map((v) => v.asset.publicId)
  }
  return {
    checkpoint: last.position,
    views: views.map((v) => ({
      id: v.asset.publicId,
      revision: v.revision,
      position: v.position,
      context: v.context
    })),
    byKey: views.map((v) => v.asset.publicId),
    byColor
  }
}

/** A store with a pool of its own, as another process opens it; closed with the scope. */
const openStore = (schema: string) =>
  Effect.map(
    Layer.build(PgStore.layer({ url, schema })),
    Context.get(ProjectionStore.ProjectionStore)
  )

/** A store on a pool the host made, as `layerWithClient` takes it. */
const openOnClient = (schema: string) =>
  Effect.map(
    Layer.build(
      PgStore.layerWithClient({ schema }).pipe(Layer.provide(PgStore.layerClient({ url })))
    ),
    Context.get(ProjectionStore.ProjectionStore)
  )

/** Runs `body` with a new schema, dropped when it ends. */
const withSchema = <A, E>(body: (schema: string) => Effect.Effect<A, E, Scope.Scope>) =>
  Effect.suspend(() => {
    const schema = uniqueSchema("a")
    return Effect.scoped(Effect.zipRight(Layer.build(droppedAfter(schema)), body(schema)))
  })

const shuffled = <A>(items: ReadonlyArray<A>): Array<A> => {
  // A fixed permutation, so that a failure repeats.
  const out = [...items]
  let seed = 7
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 48271) % 2147483647
    const j = seed % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

describe("PgProjectionStore", () => {
  it.live("stores on one schema that commit the same commits in different orders agree", () =>
    withSchema((schema) =>
      Effect.gen(function*() {
        const commits = history()
        const [inOrder, reversed, random] = yield* Effect.all([
          openStore(schema),
          openOnClient(schema),
          openStore(schema)
        ], { concurrency: "unbounded" })
        yield* Effect.all([
          Effect.forEach(commits, inOrder.commit, { discard: true }),
          Effect.forEach([...commits].reverse(), reversed.commit, { discard: true }),
          Effect.forEach(shuffled(commits), random.commit, { discard: true }),
          // Each commit delivered a second time to one of them.
          Effect.forEach(commits, inOrder.commit, { discard: true })
        ], { concurrency: "unbounded" })
        const want = expected(commits[commits.length - 1]!)
        for (const store of [inOrder, reversed, random]) {
          expect(yield* snapshot(store)).toEqual(want)
        }
      })
    ))

  it.live("a commit that gets past a rewound checkpoint takes no view back", () =>
    withSchema((schema) =>
      Effect.gen(function*() {
        const commits = history()
        const store = yield* openStore(schema)
        yield* store.commit(commits[commits.length - 1]!)
        const before = yield* snapshot(store)
        // As a process that read the checkpoint before every other write would find it.
        yield* psql(`UPDATE "${schema}".checkpoints SET position = 0 WHERE projection = '${P}'`)
        // Commit 15 holds older revisions of every asset and deletes `d`, which is back since.
        yield* store.commit(commits[14]!)
        yield* store.commit(commits[15]!)
        const after = yield* snapshot(store)
        expect({ ...after, checkpoint: before.checkpoint }).toEqual(before)
        expect(after.checkpoint).toBe(16)
      })
    ))

  it.live("a Ctxlog on the in-memory log answers from PostgreSQL and rebuilds the same views", () =>
    withSchema((schema) =>
      Effect.gen(function*() {
        const ctx = yield* Effect.map(
          Layer.build(
            Ctxlog.layer().pipe(
              Layer.provideMerge(
                Layer.merge(InMemoryEventLog.layer, PgStore.layer({ url, schema }))
              )
            )
          ),
          Context.get(Ctxlog.Ctxlog)
        )
        const shirt = Fixtures.asset("shirt")
        const pants = Fixtures.asset("pants")
        const hat = Fixtures.asset("hat")
        let n = 0
        const meta = () => ({
          commandId: `c${++n}`,
          source: "api" as const,
          actor: "test",
          timestamp: new Date("2026-01-02T03:04:05.678Z")
        })
        const commands: ReadonlyArray<Command.Command> = [
          new Command.Upload({
            ...meta(),
            asset: shirt,
            context: [{ key: "product", value: "shirt" }, { key: "color", value: "red" }]
          }),
          new Command.Upload({
            ...meta(),
            asset: pants,
            context: [{ key: "product", value: "pants" }]
          }),
          new Command.AddContext({
            ...meta(),
            assets: [shirt, pants],
            pairs: [{ key: "season", value: "summer" }]
          }),
          new Command.RemoveKeys({ ...meta(), assets: [shirt], keys: ["color"] }),
          new Command.Upload({
            ...meta(),
            asset: hat,
            context: [{ key: "season", value: "winter" }]
          }),
          new Command.DeleteAssets({ ...meta(), assets: [hat] })
        ]
        for (const command of commands) yield* ctx.execute(command)

        const shirtView = yield* ctx.get(shirt)
        expect(shirtView.context).toEqual([
          { key: "product", value: "shirt" },
          { key: "season", value: "summer" }
        ])
        expect(shirtView.revision).toBe(3)
        const summer = yield* ctx.byContext({ cloud: "demo", key: "season", value: "summer" })
        expect(summer.resources.map((v) => v.asset.publicId)).toEqual(["pants", "shirt"])
        const colored = yield* ctx.byContext({ cloud: "demo", key: "color" })
        expect(colored.resources).toEqual([])
        const gone = yield* Effect.exit(ctx.get(hat))
        expect(Exit.isFailure(gone) && gone.cause._tag === "Fail" && gone.cause.error._tag)
          .toBe("AssetNotFound")
        // The rows are PostgreSQL's, read with a client of its own.
        expect(
          yield* psql(
            `SELECT public_id, revision, context::text FROM "${schema}".assets ORDER BY public_id`
          )
        ).toEqual([
          `pants|2|[{"key": "product", "value": "pants"}, {"key": "season", "value": "summer"}]`,
          `shirt|3|[{"key": "product", "value": "shirt"}, {"key": "season", "value": "summer"}]`
        ])

        const store = yield* openStore(schema)
        const before = yield* snapshot(store)
        const summary = yield* ctx.rebuild()
        expect(summary.events).toBe(7)
        expect(summary.position).toBe(yield* ctx.head)
        expect(yield* snapshot(store)).toEqual(before)
        expect((yield* ctx.get(shirt)).context).toEqual(shirtView.context)
      })
    ))

  it.live("stores that start at the same moment create the tables once", () =>
    withSchema((schema) =>
      Effect.gen(function*() {
        const created: Array<string> = []
        const logger = Logger.make(({ annotations, message }) => {
          const text = Array.isArray(message) ? message.join(" ") : String(message)
          if (text === "created ctxlog tables") {
            created.push(Option.getOrElse(HashMap.get(annotations, "tables"), () => "?") as string)
          }
        })
        const contexts = yield* Effect.all(
          Array.from({ length: 6 }, () => Layer.build(PgStore.layer({ url, schema }))),
          { concurrency: "unbounded" }
        ).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.Debug)
        )
        expect(created.sort()).toEqual(["assets, context_index, words, checkpoints", "settings"])
        expect(
          yield* psql(
            `SELECT tablename FROM pg_tables WHERE schemaname = '${schema}' ORDER BY tablename`
          )
        ).toEqual(["assets", "checkpoints", "context_index", "settings", "words"])
        expect(
          yield* psql(
            `SELECT tablename || ' ' || indexname FROM pg_indexes
             WHERE schemaname = '${schema}' ORDER BY tablename, indexname`
          )
        ).toEqual([
          "assets assets_by_created_at",
          "assets assets_by_public_id",
          "assets assets_pkey",
          "checkpoints checkpoints_pkey",
          "context_index context_index_by_key",
          "context_index context_index_by_range",
          "context_index context_index_by_value",
          "context_index context_index_pkey",
          "settings settings_pkey",
          "words words_by_word",
          "words words_pkey"
        ])

        // They share the tables: what one writes, the others read.
        const [first, ...others] = contexts
        const view = Fixtures.view(Fixtures.asset("x"), [{ key: "k", value: "v" }])
        yield* Context.get(first!, ProjectionStore.ProjectionStore).commit({
          projection: P,
          position: 1,
          upserts: [view],
          deletes: []
        })
        yield* Context.get(first!, Settings.Settings).set("shared", "yes")
        for (const other of others) {
          const got = yield* Context.get(other, ProjectionStore.ProjectionStore).get(view.asset)
          expect(Option.map(got, (v) => v.context)).toEqual(Option.some(view.context))
          expect(yield* Context.get(other, Settings.Settings).get("shared")).toEqual(
            Option.some("yes")
          )
        }
      })
    ))

  it.live("a public id with U+0000 fails its commit, saying why, and changes nothing", () =>
    withSchema((schema) =>
      Effect.gen(function*() {
        const store = yield* openStore(schema)
        const exit = yield* Effect.exit(
          store.commit({
            projection: P,
            position: 1,
            upserts: [
              Fixtures.view(Fixtures.asset("fine"), []),
              Fixtures.view(Fixtures.asset("nul\u0000id"), [])
            ],
            deletes: []
          })
        )
        const error = Exit.isFailure(exit) && exit.cause._tag === "Fail"
          ? exit.cause.error
          : undefined
        expect(error?._tag).toBe("ProjectionStoreError")
        expect(error?.message).toContain("PostgreSQL text cannot hold the character U+0000")
        expect(yield* store.checkpoint(P)).toBe(0)
        expect(Option.isNone(yield* store.get(Fixtures.asset("fine")))).toBe(true)
      })
    ))

  it.live("a server that does not answer fails the layer, naming where it looked", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Effect.scoped(Layer.build(PgStore.layer({ url: "postgres://ctx:secret@127.0.0.1:1/test" })))
      )
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") {
        const error = exit.cause.error as PgStore.PgConnectionError
        expect(error._tag).toBe("PgConnectionError")
        expect(error.message).toContain("cannot connect to PostgreSQL at ctx@127.0.0.1:1/test")
        expect(error.message).not.toContain("secret")
      } else {
        expect.fail(`expected a typed failure, got ${String(exit)}`)
      }
    }))

  it.live("a schema name that is not a plain identifier is refused before any SQL runs", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Effect.scoped(Layer.build(PgStore.layer({ url, schema: "bad\"name; DROP" })))
      )
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail"
        ? exit.cause.error as Errors.ProjectionStoreError
        : undefined
      expect(error?._tag).toBe("ProjectionStoreError")
      expect(error?.message).toContain("the schema name \"bad\\\"name; DROP\" is not")
    }))
})
