// Benchmarks of the embedded default, each beside its anchor measured in the same run: the same
// work done with raw better-sqlite3 statements. Run with `pnpm bench` (it builds first).
//   CTXLOG_BENCH_COMMANDS  commands per measurement (default 20000)
//   CTXLOG_BENCH_EVENTS    events in the store for the replay and get measurements (default 1e6)
import { Client, Command, Ctxlog, EventLog, InMemoryStore } from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { SqliteStore } from "@ctxlog/sqlite"
import { Effect, Layer } from "effect"
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdtempSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const require = createRequire(import.meta.url)

const COMMANDS = Number(process.env.CTXLOG_BENCH_COMMANDS ?? 20_000)
const EVENTS = Number(process.env.CTXLOG_BENCH_EVENTS ?? 1_000_000)
const dir = mkdtempSync(join(tmpdir(), "ctxlog-bench-"))
const ctxBin = fileURLToPath(new URL("../packages/cli/bin/ctx.js", import.meta.url))
const now = () => Number(process.hrtime.bigint()) / 1e6

const fmt = (x) => x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(3)

const report = (name, value, unit, anchor, anchorName, higherIsBetter = true) => {
  const ratio = higherIsBetter ? value / anchor : anchor / value
  console.log(
    `${name.padEnd(44)} ${fmt(value).padStart(10)} ${unit.padEnd(10)}` +
      `${anchorName} ${fmt(anchor)} ${unit}; ratio ${ratio.toFixed(2)}`
  )
}

/**
 * The raw anchor: per command, the statements the SQLite adapter runs for an upload, on the same
 * schema, in the same kind of transaction, with nothing around them.
 */
const rawCommands = async (filename, n) => {
  const db = await Effect.runPromise(SqliteStore.open({ filename }))
  const known = db.prepare("SELECT position FROM ctxlog_commands WHERE idempotency_key = ?")
  const rev = db.prepare(`SELECT coalesce(max(revision), 0) FROM ctxlog_events
    WHERE cloud = ? AND resource_type = ? AND type = ? AND public_id = ?`).pluck()
  const head = db.prepare("SELECT coalesce(max(position), 0) FROM ctxlog_events").pluck()
  const ins = db.prepare(`INSERT INTO ctxlog_events (position, cloud, resource_type, type,
    public_id, revision, event_id, command_key, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const cmd = db.prepare("INSERT INTO ctxlog_commands VALUES (?, ?, ?, ?)")
  const checkpoint = db.prepare(
    "SELECT position FROM ctxlog_checkpoints WHERE projection = 'assets'"
  ).pluck()
  const asset = db.prepare(`INSERT INTO ctxlog_assets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT DO UPDATE SET revision = excluded.revision, context = excluded.context`)
  const unindex = db.prepare(`DELETE FROM ctxlog_context_index
    WHERE cloud = ? AND resource_type = ? AND type = ? AND public_id = ?`)
  const index = db.prepare("INSERT OR IGNORE INTO ctxlog_context_index VALUES (?, ?, ?, ?, ?, ?)")
  const word = db.prepare("INSERT OR IGNORE INTO ctxlog_words VALUES (?, ?, ?, ?, ?, ?, ?)")
  const save = db.prepare(`INSERT INTO ctxlog_checkpoints VALUES ('assets', ?)
    ON CONFLICT DO UPDATE SET position = excluded.position`)
  const context = [{ key: "caption", value: "New" }, { key: "product", value: "shirt" }]
  const tx = db.transaction((i) => {
    const id = ["demo", "image", "upload", `raw${i}`]
    const key = `demo\u0000c${i}`
    if (known.get(key)) return
    const revision = rev.get(...id) + 1
    const position = head.get() + 1
    const at = new Date().toISOString()
    const data = JSON.stringify({
      eventId: `e${i}`,
      asset: id,
      commandId: `c${i}`,
      source: "api",
      actor: "bench",
      timestamp: at,
      batch: { index: 0, size: 1 },
      event: { _tag: "AssetUploaded", context, added: context, updated: [], removed: [] },
      revision,
      position,
      schemaVersion: 2
    })
    ins.run(position, ...id, revision, `e${i}`, key, data)
    cmd.run(key, position, JSON.stringify([{ asset: id, revision }]), "{}")
    checkpoint.get()
    asset.run(...id, revision, position, JSON.stringify(context), at, at)
    unindex.run(...id)
    for (const p of context) index.run("demo", p.key, p.value, "image", "upload", `raw${i}`)
    // The words a search looks up: the public id's, and each value's under its key.
    word.run("demo", "p", "", `raw${i}`, "image", "upload", `raw${i}`)
    for (const p of context) {
      word.run("demo", "c", p.key, p.value.toLowerCase(), "image", "upload", `raw${i}`)
    }
    save.run(position)
  })
  const start = now()
  for (let i = 0; i < n; i++) tx.immediate(i)
  const ms = now() - start
  db.close()
  return (n / ms) * 1000
}

const ctxlogCommands = async (store, n) => {
  const ctx = await Client.open({ store })
  const start = now()
  for (let i = 0; i < n; i++) {
    await ctx.upload(`shirt${i}`, "caption=New|product=shirt")
  }
  const ms = now() - start
  await ctx.close()
  return (n / ms) * 1000
}

/** The command path without the Promise facade: prebuilt commands through `Ctxlog.execute`. */
const effectCommands = (store, n) =>
  Effect.gen(function*() {
    const ctxlog = yield* Ctxlog.Ctxlog
    const commands = Array.from({ length: n }, (_, i) =>
      new Command.Upload({
        commandId: `e${i}`,
        source: "api",
        actor: "bench",
        timestamp: new Date(),
        asset: Fixtures.asset(`e${i}`),
        context: [{ key: "caption", value: "New" }, { key: "product", value: "shirt" }]
      }))
    const start = now()
    for (const command of commands) yield* ctxlog.execute(command)
    return (n / (now() - start)) * 1000
  }).pipe(Effect.provide(Ctxlog.layer().pipe(Layer.provideMerge(store))), Effect.runPromise)

const memory = () => InMemoryStore.layer

console.log(`ctxlog benchmarks: ${COMMANDS} commands, a store of ${EVENTS} events`)
// Rounds alternate the anchor and the measured paths, so that a change in the machine's load
// touches both; each figure is the median of its rounds.
const ROUNDS = Number(process.env.CTXLOG_BENCH_ROUNDS ?? 3)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rounds = { raw: [], facade: [], effect: [], memory: [] }
for (let r = 0; r < ROUNDS; r++) {
  rounds.raw.push(await rawCommands(join(dir, `raw${r}.db`), COMMANDS))
  rounds.facade.push(
    await ctxlogCommands(SqliteStore.layer({ filename: join(dir, `cmd${r}.db`) }), COMMANDS)
  )
  rounds.effect.push(
    await effectCommands(SqliteStore.layer({ filename: join(dir, `eff${r}.db`) }), COMMANDS)
  )
  rounds.memory.push(await ctxlogCommands(memory(), COMMANDS))
}
const raw = median(rounds.raw)
report("commands/s, SQLite, Effect API", median(rounds.effect), "cmd/s", raw, "raw statements")
report("commands/s, SQLite, Promise facade", median(rounds.facade), "cmd/s", raw, "raw statements")
report(
  "commands/s, in memory, Promise facade",
  median(rounds.memory),
  "cmd/s",
  raw,
  "raw statements"
)

// A large store, written in bulk through the adapter's own append: batches of 1000 assets.
const big = join(dir, "big.db")
const writeBig = Effect.gen(function*() {
  const log = yield* EventLog.EventLog
  const context = [{ key: "caption", value: "New" }, { key: "product", value: "shirt" }]
  for (let b = 0; b < EVENTS / 1000; b++) {
    const writes = Array.from({ length: 1000 }, (_, i) => {
      const asset = Fixtures.asset(`big${b * 1000 + i}`)
      return { asset, expectedRevision: 0, events: [Fixtures.uploaded(asset, context)] }
    })
    yield* log.append({ idempotencyKey: `bulk-${b}`, writes })
  }
})
let start = now()
await Effect.runPromise(writeBig.pipe(Effect.provide(SqliteStore.layer({ filename: big }))))
console.log(`(wrote ${EVENTS} events in ${((now() - start) / 1000).toFixed(1)} s)`)

/**
 * The raw anchor of a replay, doing what a rebuild does on the same schema: drop the views, then
 * read every event, decode its JSON, and write its asset's row and index rows, a transaction and
 * a checkpoint per thousand events. It runs on a copy, so that both start from the same file.
 */
const rawReplay = async (filename) => {
  const db = await Effect.runPromise(SqliteStore.open({ filename }))
  const read = db.prepare(
    "SELECT data FROM ctxlog_events WHERE position > ? ORDER BY position LIMIT 1000"
  )
  const upsert = db.prepare(`INSERT INTO ctxlog_assets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT DO UPDATE SET revision = excluded.revision, position = excluded.position,
      context = excluded.context, updated_at = excluded.updated_at`)
  const unindex = db.prepare(`DELETE FROM ctxlog_context_index
    WHERE cloud = ? AND resource_type = ? AND type = ? AND public_id = ?`)
  const index = db.prepare("INSERT OR IGNORE INTO ctxlog_context_index VALUES (?, ?, ?, ?, ?, ?)")
  const word = db.prepare("INSERT OR IGNORE INTO ctxlog_words VALUES (?, ?, ?, ?, ?, ?, ?)")
  const save = db.prepare(`INSERT INTO ctxlog_checkpoints VALUES ('assets', ?)
    ON CONFLICT DO UPDATE SET position = excluded.position`)
  const started = now()
  db.transaction(() => {
    db.prepare("DELETE FROM ctxlog_words").run()
    db.prepare("DELETE FROM ctxlog_context_index").run()
    db.prepare("DELETE FROM ctxlog_assets").run()
  }).immediate()
  let after = 0
  let count = 0
  for (;;) {
    const rows = read.all(after)
    if (rows.length === 0) break
    db.transaction(() => {
      for (const row of rows) {
        const e = JSON.parse(row.data)
        const id = [e.asset.cloud, e.asset.resourceType, e.asset.type, e.asset.publicId]
        const context = e.event.context ?? []
        upsert.run(...id, e.revision, e.position, JSON.stringify(context), e.timestamp, e.timestamp)
        unindex.run(...id)
        for (const p of context) index.run(id[0], p.key, p.value, id[1], id[2], id[3])
        word.run(id[0], "p", "", id[3].toLowerCase(), id[1], id[2], id[3])
        for (const p of context) {
          word.run(id[0], "c", p.key, p.value.toLowerCase(), id[1], id[2], id[3])
        }
        after = e.position
        count++
      }
      save.run(after)
    }).immediate()
  }
  const ms = now() - started
  db.close()
  return (count / ms) * 1000
}

copyFileSync(big, `${big}.anchor`)
const rawReplayRate = await rawReplay(`${big}.anchor`)
const replay = await Client.open({ store: SqliteStore.layer({ filename: big }) })
start = now()
const summary = await replay.rebuild()
const replayRate = (summary.events / (now() - start)) * 1000
report("replay events/s, SQLite store", replayRate, "ev/s", rawReplayRate, "raw statements")

// Reads on the large store: in process, and `ctx get` as a user runs it (a new process each).
const ids = Array.from({ length: 200 }, (_, i) => `big${Math.floor((i * EVENTS) / 200)}`)
const inProcess = []
for (const id of ids) {
  const t = now()
  await replay.get(id)
  inProcess.push(now() - t)
}
await replay.close()
const rawDb = await Effect.runPromise(SqliteStore.open({ filename: big }))
const rawGet = rawDb.prepare(`SELECT * FROM ctxlog_assets
  WHERE cloud = 'demo' AND resource_type = 'image' AND type = 'upload' AND public_id = ?`)
const rawInProcess = []
for (const id of ids) {
  const t = now()
  JSON.parse(rawGet.get(id).context)
  rawInProcess.push(now() - t)
}
rawDb.close()
report(
  `get latency in process, ${EVENTS} events`,
  median(inProcess),
  "ms",
  median(rawInProcess),
  "raw select",
  false
)

const spawnMs = (args) => {
  const t = now()
  execFileSync(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] })
  return now() - t
}
const rawScript = `const D = require(${JSON.stringify(require.resolve("better-sqlite3"))});
  const db = new D(process.argv[1], { readonly: true });
  const row = db.prepare("SELECT * FROM ctxlog_assets WHERE cloud = 'demo' AND " +
    "resource_type = 'image' AND type = 'upload' AND public_id = ?").get(process.argv[2]);
  const out = { revision: row.revision, context: JSON.parse(row.context) };
  process.stdout.write(JSON.stringify(out))`
const ctxRuns = []
const rawRuns = []
for (const id of ids.slice(0, 9)) {
  ctxRuns.push(spawnMs([ctxBin, "get", id, "--json", "--store", `sqlite:${big}`]))
  rawRuns.push(spawnMs(["-e", rawScript, big, id]))
}
report(
  `\`ctx get\` wall time, ${EVENTS} events`,
  median(ctxRuns),
  "ms",
  median(rawRuns),
  "node + raw select",
  false
)

rmSync(dir, { recursive: true, force: true })
