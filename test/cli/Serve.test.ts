/**
 * `ctx serve` as an operator runs it: it prints its address and a ready-to-use CLOUDINARY_URL,
 * keeps the key it made with the store, logs each request, and stops gracefully on SIGTERM.
 */
import { execFile } from "node:child_process"
import { writeFileSync } from "node:fs"
import * as Net from "node:net"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { uniqueName, useNatsServer } from "../support/nats.js"
import type { Running } from "./support/ctx.js"
import { ctx, start, tempStore, useBinary } from "./support/ctx.js"

useBinary()
const nats = useNatsServer()

interface Served {
  readonly running: Running
  readonly origin: string
  readonly cloudinaryUrl: string
  readonly auth: string
}

const serve = async (
  args: ReadonlyArray<string>,
  env?: Record<string, string>
): Promise<Served> => {
  const running = start(["serve", "--port", "0", ...args], env === undefined ? {} : { env })
  const first = await running.nextLine()
  const second = await running.nextLine()
  const origin = /^ctxlog serving on (http:\/\/\S+)$/.exec(first)?.[1]
  const cloudinaryUrl = /^CLOUDINARY_URL=(cloudinary:\/\/\S+)$/.exec(second)?.[1]
  if (origin === undefined || cloudinaryUrl === undefined) {
    throw new Error(`unexpected output:\n${first}\n${second}`)
  }
  const parsed = /^cloudinary:\/\/([^:]+):([^@]+)@/.exec(cloudinaryUrl)!
  const auth = `Basic ${
    Buffer.from(`${decodeURIComponent(parsed[1]!)}:${decodeURIComponent(parsed[2]!)}`)
      .toString("base64")
  }`
  return { running, origin, cloudinaryUrl, auth }
}

const stop = async (served: Served) => {
  served.running.child.kill("SIGTERM")
  return served.running.exited
}

const upload = (served: Served, publicId: string, cloud = "demo") =>
  fetch(`${served.origin}/api/v1/${cloud}/commands/upload`, {
    method: "POST",
    headers: { authorization: served.auth, "content-type": "application/json" },
    body: JSON.stringify({ public_id: publicId, context: "a=1" })
  })

const fixture = fileURLToPath(new URL("./fixtures/sdk-client.mjs", import.meta.url))

const runSdk = (cloudinaryUrl: string): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [fixture],
      { env: { ...process.env, CLOUDINARY_URL: cloudinaryUrl }, timeout: 30_000 },
      (
        error,
        stdout,
        stderr
      ) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout))
    )
  )

describe("ctx serve", () => {
  it("serves the SDK through the URL it prints, and reuses its key after a restart", async () => {
    const store = tempStore()
    const served = await serve(["--store", store.url])
    expect(served.cloudinaryUrl).toMatch(
      /^cloudinary:\/\/\d{15}:[A-Za-z0-9_-]{27}@demo\?upload_prefix=http:\/\/127\.0\.0\.1:\d+$/
    )
    const out = JSON.parse(await runSdk(served.cloudinaryUrl))
    expect(out).toEqual({
      uploaded: "sdk/shoe",
      context: { caption: "Served", alt: "a=b|c", season: "winter" },
      found: ["sdk/shoe"]
    })
    const exited = await stop(served)
    expect(exited.code).toBe(0)
    // One line per request at Info: method, path, status, time; the secret never.
    const requests = exited.stderr.split("\n").filter((l) =>
      /level=INFO.*message="(GET|POST) /.test(l)
    )
    expect(requests).toHaveLength(4)
    expect(requests[0]).toMatch(/message="POST \/v1_1\/demo\/image\/upload 200 [\d.]+ms"/)
    expect(requests[2]).toMatch(
      /message="GET \/v1_1\/demo\/resources\/image\/upload\/sdk%2Fshoe 200/
    )
    const secret = /:([^@]+)@/.exec(served.cloudinaryUrl)![1]!
    expect(exited.stderr).not.toContain(secret)
    const again = await serve(["--store", store.url])
    const prefix = (url: string) => url.slice(0, url.indexOf("?"))
    expect(prefix(again.cloudinaryUrl)).toBe(prefix(served.cloudinaryUrl))
    const read = await fetch(`${again.origin}/api/v1/demo/assets/image/upload/sdk%2Fshoe`, {
      headers: { authorization: again.auth }
    })
    expect(((await read.json()) as { revision: number }).revision).toBe(2)
    expect((await stop(again)).code).toBe(0)
  })

  it("keeps console sessions in the store: across a restart, and for a second server", async () => {
    const store = tempStore()
    const served = await serve(["--store", store.url])
    const [key, secret] = Buffer.from(served.auth.slice("Basic ".length), "base64").toString()
      .split(":") as [string, string]
    const signIn = await fetch(`${served.origin}/console/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key: key, api_secret: secret })
    })
    expect(signIn.status).toBe(200)
    const session = (await signIn.json()) as { csrf_token: string }
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0]!
    expect((await stop(served)).code).toBe(0)

    const [again, second] = await Promise.all([
      serve(["--store", store.url]),
      serve(["--store", store.url])
    ])
    for (const server of [again, second]) {
      const read = await fetch(`${server.origin}/console/session`, { headers: { cookie } })
      expect(read.status).toBe(200)
      expect(((await read.json()) as { csrf_token: string }).csrf_token).toBe(session.csrf_token)
    }
    // Signing out on one server ends the session on the other.
    const out = await fetch(`${again.origin}/console/session`, {
      method: "DELETE",
      headers: { cookie, "x-csrf-token": session.csrf_token }
    })
    expect(out.status).toBe(200)
    const after = await fetch(`${second.origin}/api/v1/demo/head`, { headers: { cookie } })
    expect(after.status).toBe(401)
    await Promise.all([stop(again), stop(second)])
  })

  it("makes one key when two servers start together on one store", async () => {
    const store = tempStore()
    const [a, b] = await Promise.all([
      serve(["--store", store.url]),
      serve(["--store", store.url])
    ])
    const key = (s: Served) => s.cloudinaryUrl.slice(0, s.cloudinaryUrl.indexOf("?"))
    expect(key(a)).toBe(key(b))
    await Promise.all([stop(a), stop(b)])
  })

  it("ends open change streams on SIGTERM, then exits 0", async () => {
    const served = await serve(["--store", tempStore().url])
    const stream = await fetch(`${served.origin}/v1_1/demo/context/stream?from=0`, {
      headers: { authorization: served.auth }
    })
    expect(stream.status).toBe(200)
    const reader = stream.body!.getReader()
    await reader.read()
    const started = Date.now()
    const exited = await stop(served)
    expect(exited.code).toBe(0)
    expect(Date.now() - started).toBeLessThan(5000)
    // The stream ended cleanly rather than hanging.
    let done = false
    while (!done) done = (await reader.read().catch(() => ({ done: true }))).done
    expect(exited.stderr).toMatch(/stopping/)
  })

  it("finishes a request in flight when SIGTERM arrives, then exits 0", async () => {
    const served = await serve(["--store", tempStore().url])
    const url = new URL(served.origin)
    const body = JSON.stringify({ public_id: "in-flight", context: "k=v" })
    const socket = Net.connect(Number(url.port), url.hostname)
    let answer = ""
    socket.on("data", (d) => (answer += d.toString()))
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()))
    await new Promise<void>((resolve) => socket.on("connect", () => resolve()))
    socket.write(
      `POST /api/v1/demo/commands/upload HTTP/1.1\r\nHost: x\r\n` +
        `Authorization: ${served.auth}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n` +
        body.slice(0, 10)
    )
    await new Promise((r) => setTimeout(r, 200))
    served.running.child.kill("SIGTERM")
    await new Promise((r) => setTimeout(r, 300))
    socket.write(body.slice(10))
    await closed
    expect(answer).toMatch(/^HTTP\/1.1 200/)
    expect(answer).toContain("\"applied\":[\"in-flight\"]")
    expect((await served.running.exited).code).toBe(0)
  })

  it("prints where it listens as JSON with --json", async () => {
    const running = start(["serve", "--port", "0", "--store", tempStore().url, "--json"])
    const printed = JSON.parse(await running.nextLine()) as Record<string, string>
    expect(printed).toEqual({
      address: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      cloud: "demo",
      cloudinary_url: expect.stringMatching(/^cloudinary:\/\/\d{15}:\S+@demo\?upload_prefix=http/),
      console: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/console$/)
    })
    running.child.kill("SIGTERM")
    expect((await running.exited).code).toBe(0)
  })

  it("takes keys from a configuration file and the environment, one cloud each", async () => {
    const store = tempStore()
    const config = join(store.dir, "serve.json")
    writeFileSync(
      config,
      JSON.stringify({
        clouds: { demo: { keys: [{ api_key: "1234", api_secret: "file-secret" }] } },
        delivery_base: "https://cdn.example.com"
      })
    )
    const served = await serve(["--store", store.url, "--config", config], {
      CTXLOG_KEYS: "cloudinary://5678:env-secret@shop"
    })
    expect(served.cloudinaryUrl).toMatch(/^cloudinary:\/\/1234:file-secret@demo\?/)
    const shop = `Basic ${Buffer.from("5678:env-secret").toString("base64")}`
    const own = await fetch(`${served.origin}/api/v1/shop/commands/upload`, {
      method: "POST",
      headers: { authorization: shop, "content-type": "application/json" },
      body: JSON.stringify({ public_id: "p" })
    })
    expect(own.status).toBe(200)
    const other = await fetch(`${served.origin}/api/v1/demo/head`, {
      headers: { authorization: shop }
    })
    expect(other.status).toBe(403)
    const uploaded = await upload(served, "d")
    expect(uploaded.status).toBe(200)
    const resource = await fetch(`${served.origin}/v1_1/demo/resources/image/upload/d`, {
      headers: { authorization: served.auth }
    })
    expect(((await resource.json()) as { secure_url: string }).secure_url).toMatch(
      /^https:\/\/cdn\.example\.com\/demo\/image\/upload\/v\d+\/d$/
    )
    await stop(served)
  })

  it("refuses a bad configuration naming the field, and a port in use", async () => {
    const store = tempStore()
    const config = join(store.dir, "bad.json")
    writeFileSync(config, JSON.stringify({ port: "eighty", clouds: {} }))
    const bad = await ctx(["serve", "--store", store.url, "--config", config])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/bad\.json is invalid at port/)
    writeFileSync(config, JSON.stringify({ prot: 80 }))
    expect((await ctx(["serve", "--store", store.url, "--config", config])).stderr).toMatch(/prot/)
    const env = await ctx(["serve", "--store", store.url], { env: { CTXLOG_KEYS: "nonsense" } })
    expect(env.code).toBe(2)
    expect(env.stderr).toMatch(/CTXLOG_KEYS entry 1/)
    const busy = Net.createServer()
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()))
    const port = (busy.address() as Net.AddressInfo).port
    const taken = await ctx(["serve", "--store", store.url, "--port", String(port)])
    busy.close()
    expect(taken.code).toBe(1)
    expect(taken.stderr).toMatch(new RegExp(`cannot serve on 127\\.0\\.0\\.1:${port}`))
  })

  it("serves a NATS store and keeps its key there", async () => {
    const url = `${nats.current.url}?prefix=${uniqueName("serve")}`
    const served = await serve(["--store", url])
    expect((await upload(served, "on-nats")).status).toBe(200)
    await stop(served)
    const again = await serve(["--store", url])
    expect(again.auth).toBe(served.auth)
    const read = await fetch(`${again.origin}/api/v1/demo/assets/image/upload/on-nats`, {
      headers: { authorization: again.auth }
    })
    expect(read.status).toBe(200)
    await stop(again)
  })
})
