/**
 * Webhooks as an operator runs them: `ctx webhooks`, `ctx deliver` killed with SIGKILL in the
 * middle of a delivery and started again, and `ctx serve` delivering what its configuration
 * registers.
 */
import { Client } from "@ctxlog/core"
import { SqliteStore } from "@ctxlog/sqlite"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { startReceiver } from "../http/support/receiver.js"
import { uniqueName, useNatsServer } from "../support/nats.js"
import { until } from "../support/until.js"
import { ctx, ctxJson, start, tempStore, useBinary } from "./support/ctx.js"

useBinary()
const nats = useNatsServer()

describe("ctx webhooks", () => {
  it("adds, lists, rotates and removes notification URLs", async () => {
    const { url: store } = tempStore()
    const added = await ctxJson([
      "webhooks",
      "add",
      "https://example.com/h",
      "--types",
      "upload,delete",
      "--store",
      store
    ])
    expect(added.code).toBe(0)
    expect(added.json).toMatchObject({
      url: "https://example.com/h",
      types: ["upload", "delete"],
      created: true
    })
    const secret = (added.json as { secret: string }).secret
    expect(secret).toMatch(/^whsec_/)
    const listed = await ctxJson(["webhooks", "list", "--store", store])
    expect(listed.json).toEqual([
      expect.objectContaining({ url: "https://example.com/h", enabled: true })
    ])
    const rotated = await ctxJson([
      "webhooks",
      "rotate",
      "https://example.com/h",
      "--overlap",
      "1 hour",
      "--store",
      store
    ])
    expect((rotated.json as { secret: string }).secret).not.toBe(secret)
    expect((await ctx(["webhooks", "remove", "https://example.com/h", "--store", store])).code)
      .toBe(0)
    expect((await ctxJson(["webhooks", "list", "--store", store])).json).toEqual([])
    const bad = await ctx([
      "webhooks",
      "add",
      "https://example.com/x",
      "--types",
      "nope",
      "--store",
      store
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/unknown notification type nope/)
    const missing = await ctx(["webhooks", "remove", "https://example.com/x", "--store", store])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/no webhook/)
  })

  it("loses nothing when ctx deliver is killed by SIGKILL mid-delivery and restarted", async () => {
    const { dir, url: store } = tempStore()
    const hook = await startReceiver()
    // Some first attempts hang until their time limit, so the kill lands mid-delivery.
    const hung = new Set<string>()
    const delivered = new Set<string>()
    hook.respond = (r, i) => {
      const id = String(r.headers["webhook-id"])
      if (i % 7 === 3 && !hung.has(id)) {
        hung.add(id)
        return "hang"
      }
      delivered.add(id)
      return 200
    }
    const added = await ctx(["webhooks", "add", hook.url, "--store", store])
    expect(added.code).toBe(0)
    const config = join(dir, "deliver.json")
    writeFileSync(
      config,
      JSON.stringify({
        retry_schedule: ["200 millis", "500 millis", "1 second", "2 seconds", "5 seconds"],
        webhook_timeout: "200 millis"
      })
    )
    const client = await Client.open({
      store: SqliteStore.layer({ filename: store.slice("sqlite:".length) })
    })
    const args = ["deliver", "--allow-targets", "127.0.0.1", "--config", config, "--store", store]
    const first = start(args)
    for (let i = 0; i < 6; i++) await client.upload(`k${i}`, `n=${i}`)
    for (let i = 6; i < 60; i++) await client.add(`k${i % 6}`, `n=${i}`)
    await until(() => delivered.size >= 20, 30_000)
    first.child.kill("SIGKILL")
    await first.exited
    expect(delivered.size).toBeLessThan(60)
    const second = start(args)
    await until(() => delivered.size >= 60, 30_000)
    second.child.kill("SIGTERM")
    expect((await second.exited).code).toBe(0)
    await client.close()
    // Each asset's revisions first arrived in order.
    const seen = new Map<string, number>()
    const firsts = new Set<string>()
    for (const r of hook.received) {
      const id = String(r.headers["webhook-id"])
      if (firsts.has(id) || !delivered.has(id)) continue
      firsts.add(id)
      const n = JSON.parse(r.body) as { resources: Record<string, { revision: number }> }
      for (const [publicId, change] of Object.entries(n.resources)) {
        expect(change.revision).toBeGreaterThan(seen.get(publicId) ?? 0)
        seen.set(publicId, change.revision)
      }
    }
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(60)
    expect(await ctxJson(["webhooks", "failed", "--store", store]).then((r) => r.json)).toEqual([])
    await hook.close()
  })

  it("lists what a dead endpoint never took, and redelivers it from the command line", async () => {
    const { dir, url: store } = tempStore()
    const hook = await startReceiver()
    hook.respond = () => 503
    await ctx(["webhooks", "add", hook.url, "--store", store])
    const config = join(dir, "dead.json")
    writeFileSync(config, JSON.stringify({ retry_schedule: ["50 millis", "50 millis"] }))
    const deliver = start([
      "deliver",
      "--allow-targets",
      "127.0.0.1",
      "--config",
      config,
      "--store",
      store
    ])
    await ctx(["upload", "d1", "--store", store])
    await ctx(["upload", "d2", "--store", store])
    await until(async () =>
      ((await ctxJson(["webhooks", "failed", "--store", store])).json as Array<unknown>).length ===
        2
    )
    deliver.child.kill("SIGTERM")
    await deliver.exited
    const failed = (await ctxJson(["webhooks", "failed", "--store", store])).json as Array<
      { error: string }
    >
    expect(failed[0]!.error).toMatch(/503/)
    hook.respond = () => 200
    const before = hook.received.length
    const redelivered = await ctxJson([
      "webhooks",
      "redeliver",
      "--allow-targets",
      "127.0.0.1",
      "--store",
      store
    ])
    expect(redelivered.json).toEqual({ redelivered: 2, failed: 0 })
    expect(hook.received.length - before).toBe(2)
    expect((await ctxJson(["webhooks", "failed", "--store", store])).json).toEqual([])
    await hook.close()
  })

  it("ctx serve delivers to the URLs its configuration names, unless --no-delivery", async () => {
    const { dir, url: store } = tempStore()
    const hook = await startReceiver()
    const config = join(dir, "serve.json")
    writeFileSync(
      config,
      JSON.stringify({
        clouds: { demo: { keys: [{ api_key: "777", api_secret: "serve-secret" }] } },
        allow_targets: ["127.0.0.0/8"],
        webhooks: { demo: [{ url: hook.url, types: ["upload"] }] }
      })
    )
    const quiet = start([
      "serve",
      "--port",
      "0",
      "--config",
      config,
      "--no-delivery",
      "--store",
      store
    ])
    await quiet.nextLine()
    await ctx(["upload", "s1", "--store", store])
    await new Promise((r) => setTimeout(r, 500))
    expect(hook.received).toHaveLength(0)
    quiet.child.kill("SIGTERM")
    await quiet.exited
    const served = start(["serve", "--port", "0", "--config", config, "--store", store])
    await served.nextLine()
    await until(() => hook.received.length >= 1)
    const body = hook.received[0]!.body
    const cloudinary = (await import("cloudinary")).v2
    cloudinary.config({ api_secret: "serve-secret" })
    expect(
      cloudinary.utils.verifyNotificationSignature(
        body,
        Number(hook.received[0]!.headers["x-cld-timestamp"]),
        String(hook.received[0]!.headers["x-cld-signature"])
      )
    ).toBe(true)
    expect(JSON.parse(body).resources).toHaveProperty("s1")
    served.child.kill("SIGTERM")
    expect((await served.exited).code).toBe(0)
    await hook.close()
  })

  it("keeps delivery state in a NATS store across restarts of ctx deliver", async () => {
    const store = `${nats.current.url}?prefix=${uniqueName("hooks")}`
    const hook = await startReceiver()
    await ctx(["webhooks", "add", hook.url, "--store", store])
    const args = ["deliver", "--allow-targets", "127.0.0.1", "--store", store]
    const first = start(args)
    await ctx(["upload", "n1", "--store", store])
    await until(() => hook.received.length === 1, 30_000)
    first.child.kill("SIGTERM")
    await first.exited
    await ctx(["upload", "n2", "--store", store])
    const second = start(args)
    await ctx(["upload", "n3", "--store", store])
    await until(() => hook.received.length >= 3, 30_000)
    // Resumed after what was delivered: n1 is not sent again (it would have come before n2).
    expect(hook.received.map((r) => Object.keys(JSON.parse(r.body).resources)[0])).toEqual([
      "n1",
      "n2",
      "n3"
    ])
    second.child.kill("SIGTERM")
    expect((await second.exited).code).toBe(0)
    await hook.close()
  })
})
