// Webhook delivery to a receiver on loopback, beside its anchor measured in the same run: the
// same POSTs sent one after another by a bare node:http loop. Two figures: notifications
// delivered per second from a backlog, and the time from a command's acknowledgement to the
// arrival of its webhook at a steady load (median and 99th percentile). Run with
// `pnpm bench:webhooks` (it builds first).
//   CTXLOG_BENCH_NOTIFICATIONS  the backlog delivered (default 3000)
//   CTXLOG_BENCH_RATE           commands per second of the steady load (default 100)
//   CTXLOG_BENCH_SECONDS        its duration (default 10)
import { AssetId, Command, Ctxlog } from "@ctxlog/core"
import { WebhookDispatcher, WebhookEndpoints, WebhookTarget } from "@ctxlog/http"
import { SqliteStore } from "@ctxlog/sqlite"
import { Effect, Either, Fiber, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import * as Http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"

const BACKLOG = Number(process.env.CTXLOG_BENCH_NOTIFICATIONS ?? 3000)
const RATE = Number(process.env.CTXLOG_BENCH_RATE ?? 100)
const SECONDS = Number(process.env.CTXLOG_BENCH_SECONDS ?? 10)
const dir = mkdtempSync(join(tmpdir(), "ctxlog-bench-webhooks-"))
const fmt = (x) => x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(3)

// The receiver notes when each notification arrives, by the command that caused it.
const arrivals = new Map()
const receiver = Http.createServer((req, res) => {
  let body = ""
  req.setEncoding("utf8")
  req.on("data", (c) => (body += c))
  req.on("end", () => {
    const at = performance.now()
    try {
      const id = JSON.parse(body).request_id
      if (id !== undefined && !arrivals.has(id)) arrivals.set(id, at)
    } catch {
      // The anchor's bodies are notifications too; nothing else arrives.
    }
    res.writeHead(200, { "content-type": "application/json" })
    res.end("{}")
  })
})
await new Promise((r) => receiver.listen(0, "127.0.0.1", r))
const url = `http://127.0.0.1:${receiver.address().port}/hook`

const runtime = ManagedRuntime.make(
  Ctxlog.layer().pipe(
    Layer.provideMerge(SqliteStore.layer({ filename: join(dir, "bench.db") })),
    Layer.provide(Logger.minimumLogLevel(LogLevel.None))
  )
)
const run = (effect) => runtime.runPromise(effect)
const ctxlog = await run(Ctxlog.Ctxlog)
let n = 0
const upload = (publicId) =>
  run(ctxlog.execute(
    new Command.Upload({
      commandId: `c${++n}`,
      source: "api",
      actor: "bench",
      timestamp: new Date(),
      asset: AssetId.make({ cloud: "demo", publicId }),
      context: [{ key: "n", value: String(n) }]
    })
  )).then((result) => result.commandId)

const options = {
  allowTargets: [Either.getOrThrow(WebhookTarget.parseCidr("127.0.0.1"))],
  refresh: "20 millis",
  apiSecretOf: () => "bench-api-secret"
}
const waitFor = async (count) => {
  while (arrivals.size < count) await new Promise((r) => setTimeout(r, 5))
}

try {
  // The backlog: commands first, then delivery from a standing start.
  await run(
    Effect.flatMap(
      ctxlog.head,
      (from) => WebhookEndpoints.add({ cloud: "demo", url, types: [], from })
    )
  )
  const bodies = []
  for (let i = 0; i < BACKLOG; i++) await upload(`a${i % 500}`)
  const started = performance.now()
  const dispatcher = runtime.runFork(WebhookDispatcher.run(ctxlog, options))
  await waitFor(BACKLOG)
  const delivered = BACKLOG / ((performance.now() - started) / 1000)

  // The anchor: the same number of signed-size POSTs, one after another, with keep-alive.
  const agent = new Http.Agent({ keepAlive: true })
  const sample = JSON.stringify({ notification_type: "upload", padding: "x".repeat(600) })
  for (let i = 0; i < BACKLOG; i++) bodies.push(sample)
  const post = (body) =>
    new Promise((resolve, reject) => {
      const req = Http.request(url, {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
      }, (res) => {
        res.resume()
        res.on("end", resolve)
      })
      req.on("error", reject)
      req.end(body)
    })
  const anchorStart = performance.now()
  for (const body of bodies) await post(body)
  const anchor = BACKLOG / ((performance.now() - anchorStart) / 1000)
  console.log(
    `${"webhooks delivered from a backlog".padEnd(44)} ${fmt(delivered).padStart(8)} /s   ` +
      `bare POST loop ${fmt(anchor)} /s; ratio ${(delivered / anchor).toFixed(2)}`
  )

  // The steady load: a command every 1/RATE s; latency from its acknowledgement to arrival.
  const acks = new Map()
  const total = RATE * SECONDS
  const loadStart = performance.now()
  for (let i = 0; i < total; i++) {
    const due = loadStart + (i * 1000) / RATE
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const id = await upload(`s${i % 200}`)
    acks.set(id, performance.now())
  }
  await waitFor(BACKLOG + total)
  const latencies = [...acks].map(([id, at]) => arrivals.get(id) - at).sort((a, b) => a - b)
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
  const rtts = []
  for (let i = 0; i < 200; i++) {
    const t = performance.now()
    await post(sample)
    rtts.push(performance.now() - t)
  }
  rtts.sort((a, b) => a - b)
  // A webhook may arrive before the command returns: the command waits for its projection.
  const early = latencies.filter((l) => l < 0).length
  console.log(
    `${`ack to arrival at ${RATE} commands/s`.padEnd(44)} median ${fmt(pick(0.5))} ms, ` +
      `p99 ${fmt(pick(0.99))} ms (${early} of ${total} arrived before the ack)   ` +
      `bare POST round trip median ${fmt(rtts[100])} ms, p99 ${fmt(rtts[198])} ms`
  )
  await runtime.runPromise(Fiber.interrupt(dispatcher))
  agent.destroy()
} finally {
  await runtime.dispose()
  receiver.close()
  rmSync(dir, { recursive: true, force: true })
}
