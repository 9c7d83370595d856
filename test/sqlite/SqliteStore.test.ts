import {
  AssetId,
  Client,
  Command,
  Ctxlog,
  EventLog,
  InMemoryProjectionStore,
  ProjectionStore
} from "@ctxlog/core"
import { SqliteStore } from "@ctxlog/sqlite"
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { tempDir } from "../support/tmp.js"

const dir = tempDir("ctxlog-sqlite-")
let n = 0
const file = () => join(dir, `store-${++n}.db`)
const writer = fileURLToPath(new URL("./fixtures/writer.mjs", import.meta.url))
const shirt = AssetId.make({ cloud: "demo", publicId: "shirt1" })

/** Everything the projection holds, in a comparable form. */
const snapshot = Effect.gen(function*() {
  const store = yield* ProjectionStore.ProjectionStore
  const page = yield* store.list({ cloud: "demo", limit: 100_000 })
  return page.map((v) => ({ id: v.asset.key, revision: v.revision, context: v.context }))
})

/** Rebuilds the views from the file's log into a fresh in-memory store. */
const rebuiltFrom = (filename: string) =>
  Effect.gen(function*() {
    yield* (yield* Ctxlog.Ctxlog).rebuild()
    return yield* snapshot
  }).pipe(
    Effect.provide(
      Ctxlog.layer().pipe(
        Layer.provideMerge(Layer.merge(
          // Only the file's log: the views go to a store that starts empty.
          Layer.project(
            SqliteStore.layer({ filename }),
            EventLog.EventLog,
            EventLog.EventLog,
            (l) => l
          ),
          InMemoryProjectionStore.layer
        ))
      )
    )
  )

const run = (args: ReadonlyArray<string>, onLine?: (line: string, kill: () => void) => void) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: Array<string> }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [writer, ...args], {
        stdio: ["ignore", "pipe", "inherit"]
      })
      const lines: Array<string> = []
      createInterface({ input: child.stdout }).on("line", (line) => {
        lines.push(line)
        onLine?.(line, () => child.kill("SIGKILL"))
      })
      child.on("error", reject)
      child.on("close", (code, signal) => resolve({ code, signal, lines }))
    }
  )

describe("SqliteStore", () => {
  it.live("projects inside the append's transaction, so a read right after a write sees it", () =>
    Effect.gen(function*() {
      const log = yield* EventLog.EventLog
      const store = yield* ProjectionStore.ProjectionStore
      const c = yield* Ctxlog.Ctxlog
      const result = yield* c.execute(
        new Command.Upload({
          commandId: "c1",
          source: "api",
          actor: "test",
          timestamp: new Date(),
          asset: shirt,
          context: [{ key: "caption", value: "New" }]
        })
      )
      expect(yield* store.checkpoint("assets")).toBe(result.position)
      expect(yield* log.head).toBe(result.position)
      const view = yield* store.get(shirt)
      expect(view._tag === "Some" && view.value.context).toEqual([{ key: "caption", value: "New" }])
    }).pipe(
      Effect.provide(
        Ctxlog.layer().pipe(Layer.provideMerge(SqliteStore.layer({ filename: file() })))
      )
    ))

  it("reopens a file without replaying its history, and keeps what it had", async () => {
    const filename = file()
    const first = await Client.open({ store: SqliteStore.layer({ filename }) })
    await first.upload("shirt1", "caption=New|alt=a\\=b\\|c")
    await first.add("shirt1", { product: "shirt" })
    await first.close()

    const db = new Database(filename)
    const checkpoint = db.prepare(
      "SELECT position FROM ctxlog_checkpoints WHERE projection = 'assets'"
    ).pluck().get()
    db.close()
    expect(checkpoint).toBe(2)

    const second = await Client.open({ store: SqliteStore.layer({ filename }) })
    const view = await second.get("shirt1")
    expect(view.context).toEqual([
      { key: "caption", value: "New" },
      { key: "alt", value: "a=b|c" },
      { key: "product", value: "shirt" }
    ])
    expect((await second.history("shirt1")).length).toBe(2)
    await second.close()
  })

  it("records its migrations, and refuses a file written by a newer release", async () => {
    const filename = file()
    const ctx = await Client.open({ store: SqliteStore.layer({ filename }) })
    await ctx.close()
    const db = new Database(filename)
    expect(db.prepare("SELECT version FROM ctxlog_migrations").pluck().all()).toEqual([1, 2, 3, 4])
    expect(SqliteStore.SCHEMA_VERSION).toBe(4)
    db.prepare("INSERT INTO ctxlog_migrations VALUES (99, 'future', 'then')").run()
    db.close()
    await expect(Client.open({ store: SqliteStore.layer({ filename }) })).rejects.toMatchObject({
      _tag: "SqliteError",
      message: expect.stringContaining("the file has schema version 99, written by a newer release")
    })
  })

  it("brings a file of an older release up to date, keeping its events", async () => {
    const filename = file()
    const ctx = await Client.open({ store: SqliteStore.layer({ filename }) })
    await ctx.upload("kept", "a=1")
    await ctx.close()
    const db = new Database(filename)
    // What a file written before the settings table looked like.
    db.exec(
      `DROP TABLE ctxlog_settings; DROP TABLE ctxlog_words; DROP INDEX ctxlog_assets_by_public_id;
       DROP INDEX ctxlog_assets_by_created_at; DELETE FROM ctxlog_migrations WHERE version >= 2`
    )
    db.close()
    const reopened = await Client.open({ store: SqliteStore.layer({ filename }) })
    expect((await reopened.get("kept")).revision).toBe(1)
    await reopened.close()
    const check = new Database(filename)
    expect(check.prepare("SELECT version FROM ctxlog_migrations").pluck().all()).toEqual([
      1,
      2,
      3,
      4
    ])
    expect(check.prepare("SELECT count(*) FROM ctxlog_settings").pluck().get()).toBe(0)
    check.close()
  })

  it("sets the durability it is given", async () => {
    for (const [durability, expected] of [["off", 0], ["normal", 1], ["full", 2]] as const) {
      const filename = file()
      const synchronous = await Effect.runPromise(
        Effect.gen(function*() {
          const { db } = yield* SqliteStore.SqliteDatabase
          return [
            db.pragma("synchronous", { simple: true }),
            db.pragma("journal_mode", { simple: true })
          ]
        }).pipe(Effect.provide(SqliteStore.layer({ filename, durability })))
      )
      expect(synchronous).toEqual([expected, "wal"])
    }
  })

  it("follows appends made through another connection to the same file", async () => {
    const filename = file()
    const reader = await Client.open({ store: SqliteStore.layer({ filename, pollInterval: 20 }) })
    const writer2 = await Client.open({ store: SqliteStore.layer({ filename }) })
    const seen: Array<number> = []
    const done = (async () => {
      for await (const n of reader.subscribe({ from: 0 })) {
        seen.push(n.position)
        if (seen.length === 2) break
      }
    })()
    await writer2.upload("a")
    await writer2.add("a", "k=v")
    await done
    expect(seen).toEqual([1, 2])
    expect((await reader.get("a")).revision).toBe(2)
    await reader.close()
    await writer2.close()
  })

  it("keeps the views whole when a command runs while the projections are rebuilt", async () => {
    const filename = file()
    const ctx = await Client.open({ store: SqliteStore.layer({ filename }) })
    for (let i = 0; i < 3000; i++) await ctx.upload(`a${i}`, `k=${i}`)
    const [summary] = await Promise.all([ctx.rebuild(), ctx.add("a1", "late=1")])
    expect(summary.events).toBeGreaterThanOrEqual(3000)
    expect((await ctx.get("a1")).context).toEqual([
      { key: "k", value: "1" },
      { key: "late", value: "1" }
    ])
    expect((await ctx.get("a2999")).context).toEqual([{ key: "k", value: "2999" }])
    expect((await ctx.list({ maxResults: 500 })).resources.length).toBe(500)
    await ctx.close()
    expect(
      await Effect.runPromise(snapshot.pipe(Effect.provide(SqliteStore.layer({ filename }))))
    ).toEqual(await Effect.runPromise(rebuiltFrom(filename)))
  })

  it("loses no update when two processes write to the same asset at once", async () => {
    const filename = file()
    const setup = await Client.open({ store: SqliteStore.layer({ filename }) })
    await setup.upload("hot")
    await setup.close()
    const [a, b] = await Promise.all([
      run([filename, "a", "150", "hot"]),
      run([filename, "b", "150", "hot"])
    ])
    expect([a.code, b.code]).toEqual([0, 0])
    const check = await Client.open({
      store: SqliteStore.layer({ filename }),
      limits: { maxContextLength: 1_000_000 }
    })
    const view = await check.get("hot")
    expect(view.revision).toBe(301)
    expect(view.context.length).toBe(300)
    await check.close()
  })

  it("keeps every acknowledged command exactly once when a writer is killed mid-load", async () => {
    const filename = file()
    const setup = await Client.open({ store: SqliteStore.layer({ filename }) })
    await setup.upload("victim")
    await setup.close()
    let acknowledged = 0
    const result = await run([filename, "k", "100000", "victim"], (_, kill) => {
      // Lines arrive once commands are applied; kill after a few hundred, mid-stream.
      if (++acknowledged === 300) kill()
    })
    expect(result.signal).toBe("SIGKILL")
    const reported = result.lines.map((line) => line.split(" ")[0]!)
    expect(reported.length).toBeGreaterThanOrEqual(300)

    const db = new Database(filename, { readonly: true })
    const counts = new Map<string, number>()
    for (
      const data of db.prepare("SELECT data FROM ctxlog_events").pluck().all() as Array<string>
    ) {
      const id = JSON.parse(data).commandId as string
      counts.set(id, (counts.get(id) ?? 0) + 1)
    }
    db.close()
    for (const id of reported) expect(counts.get(id)).toBe(1)
    for (const [id, count] of counts) expect([id, count]).toEqual([id, 1])

    const live = await Effect.runPromise(
      snapshot.pipe(Effect.provide(SqliteStore.layer({ filename })))
    )
    const rebuilt = await Effect.runPromise(rebuiltFrom(filename))
    expect(live).toEqual(rebuilt)
    expect(
      live.find((v) => v.id === AssetId.make({ cloud: "demo", publicId: "victim" }).key)!.revision
    )
      .toBe(counts.size)
  })
})
