/**
 * Notification URLs through the native API, delivered by the server itself.
 */
import { WebhookTarget } from "@ctxlog/http"
import * as Either from "effect/Either"
import { Webhook } from "standardwebhooks"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { until } from "../support/until.js"
import type { Receiver } from "./support/receiver.js"
import { startReceiver } from "./support/receiver.js"
import type { Running } from "./support/server.js"
import { start } from "./support/server.js"

let server: Running
let hook: Receiver

beforeAll(async () => {
  hook = await startReceiver()
  server = await start({
    webhooks: {
      allowTargets: [Either.getOrThrow(WebhookTarget.parseCidr("127.0.0.1"))],
      schedule: ["50 millis", "50 millis"],
      refresh: "50 millis",
      timeout: "500 millis"
    }
  })
})

afterAll(async () => {
  await server?.close()
  await hook?.close()
})

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = async (method: string, path: string, body?: unknown): Promise<any> => {
  const response = await fetch(`${server.origin}/api/v1/demo${path}`, {
    method,
    headers: {
      authorization: server.basic(),
      ...(body === undefined ? {} : { "content-type": "application/json" })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: response.status, ...((await response.json()) as object) }
}

describe("webhooks through the native API", () => {
  it("registers, delivers, lists, dead-letters, redelivers, rotates and removes", async () => {
    const added = await call("POST", "/webhooks", { url: hook.url, types: ["upload"] })
    expect(added).toMatchObject({ status: 200, url: hook.url, types: ["upload"], created: true })
    expect(added.secret).toMatch(/^whsec_/)
    const again = await call("POST", "/webhooks", { url: hook.url, types: "upload,delete" })
    expect(again).toMatchObject({
      created: false,
      types: ["upload", "delete"],
      secret: added.secret
    })

    await call("POST", "/commands/upload", { public_id: "w1", context: "a=1" })
    await until(() => hook.received.length === 1)
    const first = hook.received[0]!
    expect(() =>
      new Webhook(added.secret).verify(first.body, first.headers as Record<string, string>)
    )
      .not.toThrow()
    expect(JSON.parse(first.body)).toMatchObject({ notification_type: "upload", cloud: "demo" })

    const listed = await call("GET", "/webhooks")
    expect(listed.webhooks).toEqual([
      expect.objectContaining({ url: hook.url, enabled: true, types: ["upload", "delete"] })
    ])
    expect(listed.webhooks[0]).not.toHaveProperty("secret")

    hook.respond = () => 500
    await call("POST", "/commands/delete", { public_ids: ["w1"] })
    await until(async () => (await call("GET", "/webhooks/failed")).failed.length === 1)
    const failed = await call("GET", "/webhooks/failed")
    expect(failed.failed[0]).toMatchObject({
      url: hook.url,
      notification_type: "delete",
      attempts: 3
    })

    hook.respond = () => 200
    const redelivered = await call("POST", "/webhooks/redeliver", {})
    expect(redelivered.redelivered).toHaveLength(1)
    expect(JSON.parse(hook.received[hook.received.length - 1]!.body).notification_type)
      .toBe("delete")
    expect((await call("GET", "/webhooks/failed")).failed).toEqual([])

    const rotated = await call("POST", "/webhooks/rotate", { url: hook.url, overlap_seconds: 60 })
    expect(rotated.secret).not.toBe(added.secret)

    const removed = await call("DELETE", "/webhooks", { url: hook.url })
    expect(removed.removed.url).toBe(hook.url)
    expect((await call("GET", "/webhooks")).webhooks).toEqual([])
  })

  it("refuses bad registrations with a message", async () => {
    expect((await call("POST", "/webhooks", {})).status).toBe(400)
    const bad = await call("POST", "/webhooks", { url: "ftp://example.com/x" })
    expect(bad.error.message).toMatch(/not http or https/)
    const types = await call("POST", "/webhooks", { url: "https://example.com/h", types: ["nope"] })
    expect(types.error.message).toMatch(/unknown notification type nope/)
    expect((await call("DELETE", "/webhooks", { url: "https://example.com/none" })).status).toBe(
      404
    )
  })
})
