/**
 * Bad input is refused with a 400 and a message, never a crash; slow clients are cut off; every
 * request is logged once, and secrets never are.
 */
import { Signature } from "@ctxlog/http"
import * as Net from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Running } from "./support/server.js"
import { keys, start } from "./support/server.js"

let server: Running
const lines: Array<string> = []

beforeAll(async () => {
  server = await start({
    headersTimeout: "400 millis",
    requestTimeout: "800 millis",
    limits: { maxFieldBytes: 4096, maxFileBytes: 64 * 1024 },
    log: (line) => lines.push(line)
  })
})

afterAll(async () => {
  await server?.close()
})

const post = async (path: string, body: string | FormData, headers: Record<string, string>) => {
  const response = await fetch(`${server.origin}${path}`, { method: "POST", body, headers })
  const text = await response.text()
  return { status: response.status, text }
}

/** Sends raw bytes and returns what the server answers before it closes the connection. */
const raw = (chunks: ReadonlyArray<string>, pauseMs = 0): Promise<string> =>
  new Promise((resolve, reject) => {
    const url = new URL(server.origin)
    const socket = Net.connect(Number(url.port), url.hostname)
    let answer = ""
    socket.on("data", (d) => (answer += d.toString()))
    socket.on("close", () => resolve(answer))
    socket.on("error", reject)
    socket.on("connect", async () => {
      for (const chunk of chunks) {
        socket.write(chunk)
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs))
      }
    })
  })

const signedForm = (fields: Record<string, string>, secret = keys[0]!.apiSecret) => {
  const timestamp = String(Math.floor(Date.now() / 1000))
  const all = { ...fields, timestamp }
  const form = new FormData()
  for (const [k, v] of Object.entries(all)) form.append(k, v)
  form.append("signature", Signature.sign(all, secret, "sha1"))
  form.append("api_key", keys[0]!.apiKey)
  return form
}

describe("malformed requests", () => {
  it("answers malformed bodies with 400 and a message, and stores nothing", async () => {
    const head = await server.head()
    const auth = { authorization: server.basic() }
    const json = await post("/api/v1/demo/commands/upload", "{\"public_id\":", {
      ...auth,
      "content-type": "application/json"
    })
    expect(json.status).toBe(400)
    expect(JSON.parse(json.text).error.message).toMatch(/JSON body is malformed/)
    const array = await post("/api/v1/demo/commands/upload", "[1,2]", {
      ...auth,
      "content-type": "application/json"
    })
    expect(array.status).toBe(400)
    const multipart = await post("/v1_1/demo/image/upload", "--x\r\ngarbage", {
      "content-type": "multipart/form-data; boundary=zzz"
    })
    expect(multipart.status).toBe(400)
    const noBoundary = await post("/v1_1/demo/image/upload", "a=1", {
      "content-type": "multipart/form-data"
    })
    expect(noBoundary.status).toBe(400)
    const xml = await post("/v1_1/demo/image/context", "<a/>", {
      "content-type": "application/xml"
    })
    expect(xml.status).toBe(400)
    expect(JSON.parse(xml.text).error.message).toMatch(/content type/)
    const encoding = await fetch(`${server.origin}/v1_1/demo/resources/image/upload/%E0%A4%A`, {
      headers: auth
    })
    expect(encoding.status).toBe(400)
    expect(await server.head()).toBe(head)
  })

  it("refuses oversize bodies and files, and keeps serving", async () => {
    const head = await server.head()
    const big = await post("/v1_1/demo/image/context", `context=${"x".repeat(5000)}`, {
      "content-type": "application/x-www-form-urlencoded"
    })
    expect(big.status).toBe(400)
    expect(JSON.parse(big.text).error.message).toMatch(/larger than 4096 bytes/)
    const form = signedForm({ public_id: "huge" })
    form.append("file", new Blob([new Uint8Array(100 * 1024)]), "huge.bin")
    const file = await post("/v1_1/demo/raw/upload", form, {})
    expect(file.status).toBe(400)
    expect(JSON.parse(file.text).error.message).toMatch(/file is larger/)
    expect(await server.head()).toBe(head)
    const fine = signedForm({ public_id: "small" })
    fine.append("file", new Blob([new Uint8Array(1000)]), "small.bin")
    const ok = await post("/v1_1/demo/raw/upload", fine, {})
    expect(ok.status).toBe(200)
    expect(JSON.parse(ok.text)).toMatchObject({ public_id: "small", bytes: 1000 })
  })

  it("cuts off a client that is slow to send its headers or its body", async () => {
    const started = Date.now()
    const headers = await raw(["POST /v1_1/demo/image/context HTTP/1.1\r\nHost: x\r\n"])
    expect(headers).toMatch(/^HTTP\/1.1 408/)
    const body = await raw([
      "POST /v1_1/demo/image/context HTTP/1.1\r\nHost: x\r\n" +
      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nab"
    ])
    expect(body === "" || /HTTP\/1.1 (408|400)/.test(body)).toBe(true)
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it("answers unknown routes with 404 in Cloudinary's error shape", async () => {
    const response = await fetch(`${server.origin}/nowhere`)
    expect(response.status).toBe(404)
    expect(((await response.json()) as { error: { message: string } }).error.message)
      .toMatch(/not served/)
  })
})

describe("logging", () => {
  it("logs one line per request with method, path, status and time, and never a secret", async () => {
    lines.length = 0
    const key = keys[0]!
    await fetch(`${server.origin}/v1_1/demo/resources/raw/upload/small?x=1`, {
      headers: { authorization: server.basic() }
    })
    await post("/v1_1/demo/image/context", signedForm({ command: "remove_all" }), {})
    await post("/v1_1/demo/image/upload", signedForm({ public_id: "s" }, "the-wrong-secret"), {})
    await fetch(`${server.origin}/v1_1/demo/resources/image/upload`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${key.apiKey}:guess-secret`).toString("base64")}`
      }
    })
    await new Promise((r) => setTimeout(r, 50))
    const requests = lines.filter((l) => /level=INFO/.test(l) && /message="(GET|POST) /.test(l))
    expect(requests).toHaveLength(4)
    expect(requests[0]).toMatch(
      /message="GET \/v1_1\/demo\/resources\/raw\/upload\/small 200 [\d.]+ms"/
    )
    expect(requests[1]).toMatch(/POST \/v1_1\/demo\/image\/context 400/)
    expect(requests[2]).toMatch(/POST \/v1_1\/demo\/image\/upload 401/)
    expect(requests[3]).toMatch(/GET \/v1_1\/demo\/resources\/image\/upload 401/)
    const all = lines.join("\n")
    for (const secret of [key.apiSecret, "the-wrong-secret", "guess-secret", "x=1"]) {
      expect(all).not.toContain(secret)
    }
    expect(all).not.toContain(Buffer.from(`${key.apiKey}:${key.apiSecret}`).toString("base64"))
  })
})
