// Benchmarks of the NATS JetStream adapter, each beside its anchor measured in the same run, on
// the same server, with the same client (@nats-io/transport-node and @nats-io/jetstream): the
// raw client doing the same number of publishes or reads with nothing of ctxlog around it.
// Build first (`npx tsc -b`), then `node bench/nats.mjs [--quick]`.
//   NATS_URL                 use this server instead of starting one; streams and buckets are
//                            named for the run and deleted afterwards
//   CTXLOG_BENCH_COMMANDS    commands per one-at-a-time measurement (default 10000; twice as
//                            many with 256 in flight)
//   CTXLOG_BENCH_ROUNDS      repetitions of each measurement (default 3)
//   CTXLOG_BENCH_REPLAY_SECONDS  how long one replay may run before it is cut short and
//                            measured up to its last commit (default 5; 10 for the KV store)
import {
  AssetId,
  Command,
  CommandService,
  InMemoryProjectionStore,
  Policy,
  Projector
} from "@ctxlog/core"
import { NatsConnection, NatsEventLog, NatsKvProjectionStore } from "@ctxlog/nats"
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { Effect, Layer, ManagedRuntime } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"

const QUICK = process.argv.includes("--quick")
const SERIAL = Number(process.env.CTXLOG_BENCH_COMMANDS ?? (QUICK ? 2000 : 10_000))
const CONCURRENT = 2 * SERIAL
const ROUNDS = Number(process.env.CTXLOG_BENCH_ROUNDS ?? (QUICK ? 1 : 3))
const REPLAY_SECONDS = Number(process.env.CTXLOG_BENCH_REPLAY_SECONDS ?? (QUICK ? 2 : 5))
const WRITERS = 256
const AIM = 0.7

const now = () => performance.now()
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * Starts a clock of wall time and of this process's CPU time (the client's side of the work;
 * the server's is not in it). Stopped with a count, it gives the rate and the CPU per operation.
 */
const clock = () => {
  const start = now()
  const cpu = process.cpuUsage()
  return (n) => {
    const used = process.cpuUsage(cpu)
    const ms = now() - start
    return { rate: (n / ms) * 1000, cpu: (used.user + used.system) / n, ms }
  }
}
const fmtRate = (x) => x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0)
const load = () => loadavg()[0].toFixed(1)

// --- The server -----------------------------------------------------------------------------

const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })

/** A nats-server of the run's own on a free loopback port, storing in a folder it removes. */
const startServer = async () => {
  const dir = mkdtempSync(join(tmpdir(), "ctxlog-nats-bench-"))
  const port = await freePort()
  const child = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir], {
    stdio: ["ignore", "ignore", "pipe"]
  })
  const exited = new Promise((resolve) => child.once("exit", resolve))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  let log = ""
  try {
    await new Promise((resolve, reject) => {
      child.once("error", reject)
      child.once("exit", (code) => reject(new Error(`nats-server exited (${code}):\n${log}`)))
      // The server logs to stderr, and says there when it accepts clients.
      child.stderr.on("data", (chunk) => {
        log += chunk
        if (log.includes("Server is ready")) resolve()
      })
    })
  } catch (error) {
    await stop()
    throw error
  }
  return { url: `nats://127.0.0.1:${port}`, stop, note: `own nats-server on port ${port}` }
}

// --- Anchors: the raw client ----------------------------------------------------------------

/** About 200 bytes, like the events of the throughput table in the NATS notes. */
const payload = (i) =>
  JSON.stringify({
    id: `evt-${i}`,
    asset: { cloud: "demo", resourceType: "image", type: "upload", publicId: `raw${i}` },
    at: new Date().toISOString(),
    event: { _tag: "AssetUploaded", context: [{ key: "caption", value: "New" }] },
    pad: "x".repeat(20)
  })

/** (a) One publish at a time, each awaited, every one to a subject of its own. */
const rawSerial = async (js, subjects, n) => {
  const data = Array.from({ length: n }, (_, i) => payload(i))
  const stop = clock()
  for (let i = 0; i < n; i++) await js.publish(`${subjects}.s${i}`, data[i])
  return stop(n)
}

/** (b) 256 writers, each on its own subject, each publishing its next message after its ack. */
const rawConcurrent = async (js, subjects, n) => {
  const each = Math.ceil(n / WRITERS)
  const data = Array.from({ length: each }, (_, i) => payload(i))
  const writer = async (w) => {
    let last = 0
    for (let i = 0; i < each; i++) {
      const ack = await js.publish(`${subjects}.c${w}`, data[i], {
        expect: { lastSubjectSequence: last }
      })
      last = ack.seq
    }
  }
  const stop = clock()
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)))
  return stop(each * WRITERS)
}

/** (c) An ordered consumer over a whole stream, opened as the adapter's reader opens it. */
const rawRead = async (js, jsm, stream) => {
  const last = (await jsm.streams.info(stream)).state.last_seq
  const stop = clock()
  const consumer = await js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: 1
  })
  const messages = await consumer.consume()
  let count = 0
  let bytes = 0
  for await (const m of messages) {
    count++
    bytes += m.data.length
    if (m.seq >= last) break
  }
  const measured = stop(count)
  await messages.close()
  return { ...measured, count, bytes }
}

// --- ctxlog ---------------------------------------------------------------------------------

const context = [{ key: "caption", value: "New" }, { key: "product", value: "shirt" }]
const meta = (commandId) => ({ commandId, source: "api", actor: "bench", timestamp: new Date() })
const asset = (publicId) => AssetId.make({ cloud: "demo", publicId })
const upload = (id, target) => new Command.Upload({ ...meta(id), asset: target, context })
const add = (id, target, pairs) => new Command.AddContext({ ...meta(id), assets: [target], pairs })

const execute = (command) =>
  Effect.flatMap(CommandService.CommandService, (service) => service.execute(command))

/**
 * Commands one at a time: uploads with a small context on new assets, then a pair added to each
 * of the same assets. Commands are built before the clock starts, as a caller has them.
 */
const ctxSerial = (runtime, tag, n) => {
  const half = Math.floor(n / 2)
  const assets = Array.from({ length: half }, (_, i) => asset(`${tag}-s${i}`))
  const uploads = assets.map((a, i) => upload(`${tag}-u${i}`, a))
  const pairs = [{ key: "color", value: "red" }]
  const adds = assets.map((a, i) => add(`${tag}-a${i}`, a, pairs))
  return runtime.runPromise(Effect.gen(function*() {
    let stop = clock()
    for (const command of uploads) yield* execute(command)
    const uploaded = stop(half)
    stop = clock()
    for (const command of adds) yield* execute(command)
    return { upload: uploaded, add: stop(half), commands: 2 * half }
  }))
}

/**
 * 256 fibers, each with an asset of its own: an upload, then changes to one pair, each command
 * sent when the one before it has returned (the shape of anchor b).
 */
const ctxConcurrent = (runtime, tag, n) => {
  const each = Math.ceil(n / WRITERS)
  const work = Array.from({ length: WRITERS }, (_, w) => {
    const target = asset(`${tag}-c${w}`)
    return Array.from({ length: each }, (_, i) =>
      i === 0
        ? upload(`${tag}-c${w}-0`, target)
        : add(`${tag}-c${w}-${i}`, target, [{ key: "seq", value: String(i) }]))
  })
  return runtime.runPromise(Effect.gen(function*() {
    const stop = clock()
    yield* Effect.forEach(work, (commands) => Effect.forEach(commands, execute), {
      concurrency: WRITERS,
      discard: true
    })
    return { ...stop(each * WRITERS), commands: each * WRITERS }
  }))
}

/**
 * One rebuild of the asset projection from the whole log, on a projector and store of its own
 * (released afterwards, so that nothing of it runs on into the next measurement). A rebuild that
 * passes `budgetMs` is cut short and measured up to its last committed chunk.
 */
const replay = (runtime, store, budgetMs) =>
  runtime.runPromise(
    Effect.gen(function*() {
      const projector = yield* Projector.Projector
      const stop = clock()
      let progress = { done: 0, total: 0 }
      const rebuild = projector.rebuild((done, total) =>
        Effect.sync(() => progress = { done, total, ...stop(done) })
      )
      const finished = yield* Effect.timeoutOption(rebuild, budgetMs)
      if (finished._tag === "Some") {
        const events = finished.value.events
        return { ...stop(events), done: events, total: events, complete: true }
      }
      return { ...progress, complete: false }
    }).pipe(Effect.provide(Projector.layer().pipe(Layer.provide(store))))
  )

// --- The run --------------------------------------------------------------------------------

const own = process.env.NATS_URL === undefined ? await startServer() : undefined
const url = own?.url ?? process.env.NATS_URL
// Names of this run's own, so that a shared server's other streams are never touched.
const prefix = `bench${Date.now().toString(36)}`
const stream = `${prefix}_events`
const rawStream = `${prefix}_raw`
const kvPrefix = `${prefix}kv`
const loadAtStart = load()
let nc
let jsm
let runtime

/** Each step on its own, so that one failing (a runtime that never built) skips no other. */
const cleanUp = async () => {
  const quietly = (f) => f().catch((error) => console.error(`cleaning up: ${error}`))
  if (runtime !== undefined) await quietly(() => runtime.dispose())
  if (jsm !== undefined) {
    const created = [stream, rawStream, `KV_${stream}_commands`]
    for (const bucket of Object.values(NatsKvProjectionStore.bucketNames(kvPrefix))) {
      created.push(`KV_${bucket}`)
    }
    for (const name of created) await jsm.streams.delete(name).catch(() => undefined)
  }
  if (nc !== undefined) await quietly(() => nc.close())
  if (own !== undefined) await quietly(own.stop)
}

// An interrupted run still stops its server and removes what it wrote.
process.once("SIGINT", () => void cleanUp().finally(() => process.exit(130)))

try {
  nc = await connect({ servers: url })
  const js = jetstream(nc)
  jsm = await jetstreamManager(nc)
  // The anchors' stream is set up as the adapter sets up its own.
  await jsm.streams.add({
    name: rawStream,
    subjects: [`${prefix}.raw.>`],
    storage: "file",
    allow_direct: true,
    duplicate_window: 600 * 1e9
  })
  runtime = ManagedRuntime.make(
    CommandService.layer().pipe(
      Layer.provideMerge(NatsEventLog.layerWithConnection({ prefix })),
      Layer.provideMerge(Policy.layer()),
      Layer.provideMerge(NatsConnection.layer({ servers: url, name: "ctxlog-bench" }))
    )
  )
  await runtime.runPromise(Effect.void)

  const server = own?.note ?? `NATS_URL ${url}`
  console.log(
    `ctxlog on NATS JetStream: nats-server ${nc.info.version} (${server}), ` +
      `node ${process.version}, ${cpus().length} cores, load average ${loadAtStart}`
  )
  console.log(
    `${ROUNDS} round(s), medians; ${SERIAL} commands one at a time, ${CONCURRENT} with ` +
      `${WRITERS} in flight${QUICK ? " (--quick)" : ""}`
  )
  const warm = Math.max(200, Math.floor(SERIAL / 10))
  console.log(
    `warm-up: ${warm} of each operation one at a time, ${2 * warm} in flight, not counted`
  )
  await rawSerial(js, `${prefix}.raw.w`, warm)
  await rawConcurrent(js, `${prefix}.raw.w`, 2 * warm)
  let commands = (await ctxSerial(runtime, "w", warm)).commands
  commands += (await ctxConcurrent(runtime, "w", 2 * warm)).commands

  // Rounds alternate anchors and ctxlog, so that a change in the machine's load touches both.
  const rounds = { a: [], b: [], upload: [], add: [], concurrent: [], c: [], memory: [] }
  for (let r = 0; r < ROUNDS; r++) {
    rounds.a.push(await rawSerial(js, `${prefix}.raw.r${r}`, SERIAL))
    const serial = await ctxSerial(runtime, `r${r}`, SERIAL)
    rounds.upload.push(serial.upload)
    rounds.add.push(serial.add)
    rounds.b.push(await rawConcurrent(js, `${prefix}.raw.r${r}`, CONCURRENT))
    const concurrent = await ctxConcurrent(runtime, `r${r}`, CONCURRENT)
    rounds.concurrent.push(concurrent)
    commands += serial.commands + concurrent.commands
  }
  // Replay reads the ctxlog stream that the commands wrote; its anchor reads that same stream.
  for (let r = 0; r < ROUNDS; r++) {
    rounds.c.push(await rawRead(js, jsm, stream))
    rounds.memory.push(
      await replay(runtime, InMemoryProjectionStore.layer, REPLAY_SECONDS * 1000)
    )
  }
  const kvStore = NatsKvProjectionStore.layerWithConnection({ bucketPrefix: kvPrefix })
  const kv = await replay(runtime, kvStore, 2 * REPLAY_SECONDS * 1000)

  /** The round of median rate, with its CPU per operation. */
  const typical = (xs) => xs.find((x) => x.rate === median(xs.map((y) => y.rate)))
  const [a, b, c] = [typical(rounds.a), typical(rounds.b), typical(rounds.c)]
  const memory = typical(rounds.memory)
  const cut = (x) => x.complete ? "" : ` (first ${x.done} events)`
  const rows = [
    ["(a) raw publish, one at a time, awaited", a, "msg/s"],
    [`(b) raw publish, ${WRITERS} writers, expect last subject seq`, b, "msg/s"],
    ["(c) raw ordered read of the ctxlog stream", c, "msg/s"],
    ["upload (new asset), one at a time", typical(rounds.upload), "cmd/s", "a"],
    ["add context (existing asset), one at a time", typical(rounds.add), "cmd/s", "a"],
    [`commands, ${WRITERS} fibers on distinct assets`, typical(rounds.concurrent), "cmd/s", "b"],
    [`replay into the in-memory store${cut(memory)}`, memory, "ev/s", "c"],
    [`replay into NATS KV${cut(kv)}`, kv, "ev/s", "c"]
  ]
  const anchors = { a, b, c }
  const fmtRatio = (x) => x.toFixed(x < 0.1 ? 3 : 2)
  console.log()
  console.log(
    `${"operation".padEnd(52)} ${"rate".padStart(7)} ${"".padEnd(6)} ${"CPU/op".padStart(8)}` +
      `  vs ${"ratio".padStart(6)}  aim`
  )
  for (const [name, x, unit, letter] of rows) {
    const ratio = letter === undefined ? undefined : x.rate / anchors[letter].rate
    const aim = ratio === undefined
      ? ""
      : `${letter.padStart(3)} ${fmtRatio(ratio).padStart(6)}  >= ${AIM.toFixed(2)} ` +
        (ratio >= AIM ? "met" : "below")
    console.log(
      `${name.padEnd(52)} ${fmtRate(x.rate).padStart(7)} ${unit.padEnd(6)} ` +
        `${x.cpu.toFixed(0).padStart(5)} µs ${aim}`.trimEnd()
    )
  }

  const { count, bytes } = rounds.c[0]
  const indexed = (await jsm.streams.info(`KV_${stream}_commands`)).state.messages
  console.log()
  console.log(
    `the ctxlog stream: ${count} events from ${commands} commands, ` +
      `${Math.round(bytes / count)} bytes each (anchor payloads ${payload(0).length})`
  )
  console.log(`beside them, ${indexed} command-index entries in KV`)
  for (const [name, x] of [["in-memory", memory], ["KV", kv]]) {
    if (!x.complete) {
      console.log(
        `the ${name} replay was cut short at ${(x.ms / 1000).toFixed(1)} s, ` +
          `after ${x.done} of ${x.total} events`
      )
    }
  }
  console.log(`load average ${loadAtStart} at the start, ${load()} at the end`)
} finally {
  await cleanUp()
}
