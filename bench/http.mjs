// The HTTP API under load, beside its anchor measured in the same run: a bare node:http server
// that reads the same request bodies, parses them and answers JSON, so the ratio is what ctxlog
// costs on top of HTTP itself. Both servers run as child processes; the load comes from this
// one, with keep-alive connections. Run with `pnpm bench:http` (it builds first).
//   CTXLOG_BENCH_REQUESTS     requests per measurement (default 5000)
//   CTXLOG_BENCH_CONCURRENCY  requests in flight (default 16)
import { Signature } from "@ctxlog/http"
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const REQUESTS = Number(process.env.CTXLOG_BENCH_REQUESTS ?? 5000)
const CONCURRENCY = Number(process.env.CTXLOG_BENCH_CONCURRENCY ?? 16)
const ctxBin = fileURLToPath(new URL("../packages/cli/bin/ctx.js", import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "ctxlog-bench-http-"))
const KEY = "123456789012345"
const SECRET = "bench-secret-abcdefghijklmn"
const basic = `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString("base64")}`
const children = []

const fmt = (x) => x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(3)

const report = (name, value, anchor) =>
  console.log(
    `${name.padEnd(40)} ${fmt(value).padStart(8)} req/s   ` +
      `bare node:http ${fmt(anchor)} req/s; ratio ${(value / anchor).toFixed(2)}`
  )

/** Starts a process that prints its origin as its first line. */
const startServer = (args, env = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "ignore"]
    })
    children.push(child)
    child.on("error", reject)
    createInterface({ input: child.stdout }).once("line", (line) => {
      const origin = /(http:\/\/\S+)/.exec(line)?.[1]
      if (origin) resolve(origin)
      else reject(new Error(`unexpected: ${line}`))
    })
  })

const BARE = `
const http = require("node:http")
const server = http.createServer((req, res) => {
  let body = ""
  req.setEncoding("utf8")
  req.on("data", (c) => (body += c))
  req.on("end", () => {
    const fields = req.headers["content-type"] === "application/json"
      ? JSON.parse(body || "{}")
      : Object.fromEntries(new URLSearchParams(body))
    const text = JSON.stringify({ public_ids: [fields.public_id ?? "x"], ok: true })
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text)
    })
    res.end(text)
  })
})
server.listen(0, "127.0.0.1", () => console.log("http://127.0.0.1:" + server.address().port))
`

/** Runs `make(i)` requests REQUESTS times with CONCURRENCY in flight; gives requests per second. */
const load = async (origin, make) => {
  let next = 0
  let failed = 0
  const started = performance.now()
  const worker = async () => {
    while (next < REQUESTS) {
      const i = next++
      const { path, init } = make(i)
      const response = await fetch(`${origin}${path}`, init)
      await response.arrayBuffer()
      if (response.status !== 200) failed++
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  if (failed > 0) throw new Error(`${failed} of ${REQUESTS} requests failed`)
  return REQUESTS / ((performance.now() - started) / 1000)
}

const nativeAdd = (i) => ({
  path: "/api/v1/demo/commands/add",
  init: {
    method: "POST",
    headers: { authorization: basic, "content-type": "application/json" },
    body: JSON.stringify({ public_ids: [`a${i % 500}`], context: { n: String(i) } })
  }
})

const signedContext = (i) => {
  const fields = {
    command: "add",
    context: `n=${i}`,
    public_ids: [`a${i % 500}`],
    timestamp: String(Math.floor(Date.now() / 1000))
  }
  const body = new URLSearchParams([
    ["command", "add"],
    ["context", fields.context],
    ["public_ids[]", fields.public_ids[0]],
    ["timestamp", fields.timestamp],
    ["api_key", KEY],
    ["signature", Signature.sign(fields, SECRET)]
  ])
  return {
    path: "/v1_1/demo/image/context",
    init: {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: body.toString()
    }
  }
}

const readResource = (i) => ({
  path: `/v1_1/demo/resources/image/upload/a${i % 500}`,
  init: { headers: { authorization: basic } }
})

try {
  const ctxlog = await startServer(
    [ctxBin, "serve", "--port", "0", "--store", `sqlite:${join(dir, "bench.db")}`],
    { CTXLOG_KEYS: `cloudinary://${KEY}:${SECRET}@demo` }
  )
  const bare = await startServer(["-e", BARE])
  // The assets the measurements change, then a warm-up of both servers.
  for (let i = 0; i < 500; i++) {
    const response = await fetch(`${ctxlog}/api/v1/demo/commands/upload`, {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/json" },
      body: JSON.stringify({ public_id: `a${i}`, context: "k=v" })
    })
    if (response.status !== 200) throw new Error(`setup failed: ${await response.text()}`)
  }
  await load(ctxlog, nativeAdd)
  await load(bare, nativeAdd)
  console.log(`${REQUESTS} requests per measurement, ${CONCURRENCY} in flight, SQLite store`)
  report("native add (JSON, Basic)", await load(ctxlog, nativeAdd), await load(bare, nativeAdd))
  report(
    "Upload API context add (signed form)",
    await load(ctxlog, signedContext),
    await load(bare, signedContext)
  )
  report(
    "Admin API resource read",
    await load(ctxlog, readResource),
    await load(bare, readResource)
  )
} finally {
  for (const child of children) child.kill("SIGTERM")
  rmSync(dir, { recursive: true, force: true })
}
