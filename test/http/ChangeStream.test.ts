/**
 * Live changes as server-sent events: ids are log positions, and a client that reconnects with
 * `Last-Event-ID` continues without a gap.
 */
import { Signature } from "@ctxlog/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { until } from "../support/until.js"
import type { Running } from "./support/server.js"
import { keys, start } from "./support/server.js"
import { connect } from "./support/sse.js"

let server: Running

beforeAll(async () => {
  server = await start({ heartbeat: "200 millis" })
})

afterAll(async () => {
  await server?.close()
})

const command = async (
  name: string,
  body: Record<string, unknown>,
  key = keys[0]!
): Promise<Record<string, unknown>> => {
  const response = await fetch(`${server.origin}/api/v1/${key.cloud}/commands/${name}`, {
    method: "POST",
    headers: { authorization: server.basic(key), "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  expect(response.status).toBe(200)
  return (await response.json()) as Record<string, unknown>
}

const streamUrl = (cloud = "demo", query = "") =>
  `${server.origin}/v1_1/${cloud}/context/stream${query}`

describe("the change stream", () => {
  it("resumes after a disconnect with Last-Event-ID, missing and repeating nothing", async () => {
    const first = await connect(streamUrl(), { authorization: server.basic() })
    expect(first.status).toBe(200)
    expect(first.headers.get("content-type")).toMatch(/^text\/event-stream/)
    const sent: Array<string> = []
    for (let i = 0; i < 5; i++) {
      const result = await command("upload", { public_id: `sse-${i}`, context: { n: String(i) } })
      sent.push(result.command_id as string)
    }
    // Another cloud's changes never reach this stream.
    await command("upload", { public_id: "elsewhere" }, keys[1])
    const seen: Array<{ id: number; request: string }> = []
    for (let i = 0; i < 3; i++) {
      const event = await first.next()
      const notification = JSON.parse(event.data)
      expect(notification.cloud).toBe("demo")
      seen.push({ id: Number(event.id), request: notification.request_id })
    }
    first.close()
    // Changes made while nobody listens.
    for (let i = 5; i < 10; i++) {
      const result = await command("add", { public_ids: [`sse-${i % 5}`], context: { m: `${i}` } })
      sent.push(result.command_id as string)
    }
    const last = seen[seen.length - 1]!.id
    const second = await connect(streamUrl(), {
      authorization: server.basic(),
      "last-event-id": String(last)
    })
    while (seen.length < 10) {
      const event = await second.next()
      const notification = JSON.parse(event.data)
      expect(notification.cloud).toBe("demo")
      seen.push({ id: Number(event.id), request: notification.request_id })
    }
    second.close()
    expect(seen.map((s) => s.request)).toEqual(sent)
    const ids = seen.map((s) => s.id)
    expect([...ids].sort((a, b) => a - b)).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("starts at the head when no position is given, and sends heartbeats", async () => {
    await command("upload", { public_id: "before-connect" })
    const stream = await connect(streamUrl(), { authorization: server.basic() })
    const result = await command("add", { public_ids: ["before-connect"], context: { k: "v" } })
    const event = await stream.next()
    const notification = JSON.parse(event.data)
    expect(notification.request_id).toBe(result.command_id)
    expect(event.event).toBe("resource_context_changed")
    expect(notification.resources["before-connect"].added).toEqual([{ name: "k", value: "v" }])
    await until(() => stream.comments.includes("keep-alive"), 2000, "a heartbeat")
    stream.close()
  })

  it("replays from a position given as ?from=, narrowed by types", async () => {
    const stream = await connect(streamUrl("demo", "?from=0&types=delete"), {
      authorization: server.basic()
    })
    const result = await command("delete", { public_ids: ["sse-0"] })
    const event = await stream.next()
    expect(event.event).toBe("delete")
    expect(JSON.parse(event.data).request_id).toBe(result.command_id)
    stream.close()
  })

  it("accepts a signed query, for EventSource clients that cannot send headers", async () => {
    const key = keys[0]!
    const fields = { from: "0", timestamp: String(Math.floor(Date.now() / 1000)) }
    const signature = Signature.sign(fields, key.apiSecret, "sha256")
    const query = new URLSearchParams({ ...fields, api_key: key.apiKey, signature })
    const stream = await connect(streamUrl("demo", `?${query}`))
    expect(stream.status).toBe(200)
    const event = await stream.next()
    expect(JSON.parse(event.data).cloud).toBe("demo")
    stream.close()
  })

  it("refuses callers without credentials, or of another cloud", async () => {
    expect((await fetch(streamUrl())).status).toBe(401)
    const other = await fetch(streamUrl(), { headers: { authorization: server.basic(keys[1]) } })
    expect(other.status).toBe(403)
    const bad = await fetch(streamUrl(), {
      headers: { authorization: server.basic(), "last-event-id": "nope" }
    })
    expect(bad.status).toBe(400)
    const body = (await bad.json()) as { error: { message: string } }
    expect(body.error.message).toMatch(/Last-Event-ID/)
  })
})
