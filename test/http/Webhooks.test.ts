/**
 * Webhook delivery to a receiver on loopback that fails in every way before it accepts: every
 * notification arrives, with the same id on each attempt, signed both ways, each asset's changes
 * in order.
 */
import type { Notification } from "@ctxlog/core"
import { AssetId, Command, Ctxlog, Settings } from "@ctxlog/core"
import { WebhookDispatcher, WebhookEndpoints, WebhookTarget } from "@ctxlog/http"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Webhook } from "standardwebhooks"
import { afterEach, describe, expect, it } from "vitest"
import { until } from "../support/until.js"
import type { Receiver } from "./support/receiver.js"
import { startReceiver } from "./support/receiver.js"

const API_SECRET = "cloud-api-secret-for-signing"
const loopback = [Either.getOrThrow(WebhookTarget.parseCidr("127.0.0.0/8"))]

const fast: WebhookDispatcher.Options = {
  allowTargets: loopback,
  schedule: ["100 millis", "150 millis", "200 millis", "250 millis", "300 millis"],
  timeout: "300 millis",
  refresh: "50 millis",
  apiSecretOf: (cloud) => (cloud === "demo" ? API_SECRET : undefined)
}

type Runtime = ManagedRuntime.ManagedRuntime<Ctxlog.Ctxlog | Settings.Settings, unknown>
const cleanups: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const setup = async (options: Partial<WebhookDispatcher.Options> = {}) => {
  const runtime: Runtime = ManagedRuntime.make(
    Layer.merge(Ctxlog.layerMemory(), Settings.layerMemory).pipe(
      Layer.provide(Logger.minimumLogLevel(LogLevel.None))
    )
  )
  cleanups.push(() => runtime.dispose())
  const run = <A, E>(effect: Effect.Effect<A, E, Ctxlog.Ctxlog | Settings.Settings>) =>
    runtime.runPromise(effect)
  const ctxlog = await run(Ctxlog.Ctxlog)
  const dispatcher = runtime.runFork(WebhookDispatcher.run(ctxlog, { ...fast, ...options }))
  cleanups.push(() => runtime.runPromise(Fiber.interrupt(dispatcher)).then(() => undefined))
  let n = 0
  const meta = () => ({
    commandId: `c${++n}`,
    source: "api" as const,
    actor: "test",
    timestamp: new Date()
  })
  return {
    run,
    ctxlog,
    upload: (id: string, context = "") =>
      run(ctxlog.execute(
        new Command.Upload({
          ...meta(),
          asset: assetId(id),
          context: context === "" ? [] : [{ key: "k", value: context }]
        })
      )),
    add: (id: string, value: string) =>
      run(ctxlog.execute(
        new Command.AddContext({ ...meta(), assets: [assetId(id)], pairs: [{ key: "v", value }] })
      )),
    register: async (
      receiver: Receiver,
      types: ReadonlyArray<Notification.NotificationType> = []
    ) =>
      (await run(
        Effect.flatMap(ctxlog.head, (from) =>
          WebhookEndpoints.add({ cloud: "demo", url: receiver.url, types, from }))
      )).endpoint
  }
}

const assetId = (publicId: string) => AssetId.make({ cloud: "demo", publicId })

const receivers: Array<Receiver> = []
const receiver = async () => {
  const r = await startReceiver()
  receivers.push(r)
  cleanups.push(() => r.close().catch(() => undefined))
  return r
}

describe("webhook delivery", () => {
  it("survives 500s, a timeout and refused connections; ids, signatures, order kept", async () => {
    const hook = await receiver()
    const t = await setup({
      schedule: ["100 millis", "150 millis", "200 millis", "300 millis", "400 millis", "500 millis"]
    })
    const endpoint = await t.register(hook)
    let phase: "500" | "hang" | "ok" = "500"
    hook.respond = () => (phase === "500" ? 500 : phase === "hang" ? "hang" : 200)
    for (let i = 0; i < 3; i++) await t.upload(`a${i}`)
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) await t.add(`a${i}`, `r${round}`)
    }
    await until(() => hook.received.length >= 2)
    phase = "hang"
    await until(() => hook.received.length >= 3)
    await new Promise((r) => setTimeout(r, 350))
    // Connection refused for a while, then a receiver that accepts.
    await hook.close()
    await new Promise((r) => setTimeout(r, 400))
    phase = "ok"
    await hook.open()
    await until(() => new Set(hook.received.map((r) => r.headers["webhook-id"])).size >= 12)

    const ids = hook.received.map((r) => String(r.headers["webhook-id"]))
    const first = ids[0]!
    // The first notification was attempted several times, always under the same id.
    expect(ids.filter((id) => id === first).length).toBeGreaterThanOrEqual(3)
    const cloudinary = (await import("cloudinary")).v2
    cloudinary.config({ api_secret: API_SECRET })
    const standard = new Webhook(endpoint.secrets[0]!.secret)
    const delivered = new Map<string, Notification.Notification>()
    for (const r of hook.received) {
      const timestamp = Number(r.headers["x-cld-timestamp"])
      expect(
        cloudinary.utils.verifyNotificationSignature(
          r.body,
          timestamp,
          String(r.headers["x-cld-signature"])
        )
      ).toBe(true)
      expect(() => standard.verify(r.body, r.headers as Record<string, string>)).not.toThrow()
      const notification = JSON.parse(r.body) as Notification.Notification
      expect(notification.notification_id).toBe(r.headers["webhook-id"])
      delivered.set(notification.notification_id, notification)
    }
    expect(delivered.size).toBe(12)
    // Each asset's revisions arrive in order.
    const seen = new Map<string, number>()
    const order = [...new Set(ids)].map((id) => delivered.get(id)!)
    for (const n of order) {
      for (const [publicId, change] of Object.entries(n.resources)) {
        expect(change.revision).toBeGreaterThan(seen.get(publicId) ?? 0)
        seen.set(publicId, change.revision)
      }
    }
    expect([...seen.values()]).toEqual([4, 4, 4])
  })

  it("sends only the types an endpoint wants, and its cloud's", async () => {
    const hook = await receiver()
    const t = await setup()
    await t.register(hook, ["resource_context_changed"])
    await t.upload("x")
    await t.add("x", "1")
    await t.add("x", "2")
    // An endpoint gets its notifications in log order, so had the upload been sent it would have
    // come before the second change.
    await until(() => hook.received.length >= 2)
    expect(hook.received.map((r) => JSON.parse(r.body).notification_type)).toEqual([
      "resource_context_changed",
      "resource_context_changed"
    ])
  })

  it("disables an endpoint that answers 410, and says why", async () => {
    const hook = await receiver()
    const t = await setup()
    hook.respond = () => 410
    await t.register(hook)
    await t.upload("gone")
    await until(async () => (await t.run(WebhookEndpoints.list("demo")))[0]?.disabled !== undefined)
    const [endpoint] = await t.run(WebhookEndpoints.list("demo"))
    expect(endpoint!.disabled!.reason).toMatch(/410/)
    await t.upload("after")
    await new Promise((r) => setTimeout(r, 300))
    expect(hook.received).toHaveLength(1)
  })

  it("dead-letters what a dead endpoint never took, and redelivers it", async () => {
    const hook = await receiver()
    const t = await setup({ schedule: ["50 millis", "50 millis"] })
    hook.respond = () => 503
    await t.register(hook)
    await t.upload("d1")
    await t.upload("d2")
    await until(async () => (await t.run(WebhookEndpoints.deadLetters("demo"))).length === 2)
    const letters = await t.run(WebhookEndpoints.deadLetters("demo"))
    expect(letters.map((l) => l.attempts)).toEqual([3, 3])
    expect(letters[0]!.error).toMatch(/503/)
    hook.respond = () => 200
    const before = hook.received.length
    const result = await t.run(
      WebhookDispatcher.redeliver(t.ctxlog, "demo", { ...fast, schedule: ["50 millis"] })
    )
    expect(result.delivered).toHaveLength(2)
    expect(result.failed).toHaveLength(0)
    expect(hook.received.length - before).toBe(2)
    expect(await t.run(WebhookEndpoints.deadLetters("demo"))).toHaveLength(0)
  })

  it("honours Retry-After", async () => {
    const hook = await receiver()
    const t = await setup({ schedule: ["10 millis", "10 millis"] })
    hook.respond = (_r, i) => (i === 0 ? { status: 429, headers: { "retry-after": "1" } } : 200)
    await t.register(hook)
    await t.upload("later")
    await until(() => hook.received.length >= 2, 5000)
    expect(hook.received[1]!.at - hook.received[0]!.at).toBeGreaterThanOrEqual(950)
  })

  it("refuses loopback targets unless they are allowed", async () => {
    const hook = await receiver()
    const t = await setup({ allowTargets: [], schedule: ["20 millis"] })
    await t.register(hook)
    await t.upload("ssrf")
    await until(async () => (await t.run(WebhookEndpoints.deadLetters("demo"))).length === 1)
    const [letter] = await t.run(WebhookEndpoints.deadLetters("demo"))
    expect(letter!.error).toMatch(/127\.0\.0\.0\/8, a private or reserved range/)
    expect(hook.received).toHaveLength(0)
  })

  it("signs with both secrets while a rotation overlaps", async () => {
    const hook = await receiver()
    const t = await setup()
    const endpoint = await t.register(hook)
    const rotated = await t.run(WebhookEndpoints.rotate("demo", hook.url, 60_000))
    await new Promise((r) => setTimeout(r, 120))
    await t.upload("rot")
    await until(() => hook.received.length >= 1)
    const r = hook.received[0]!
    expect(String(r.headers["webhook-signature"]).split(" ")).toHaveLength(2)
    const headers = r.headers as Record<string, string>
    expect(() => new Webhook(endpoint.secrets[0]!.secret).verify(r.body, headers)).not.toThrow()
    expect(() => new Webhook(rotated.secrets[0]!.secret).verify(r.body, headers)).not.toThrow()
  })

  it("does not follow redirects", async () => {
    const hook = await receiver()
    const elsewhere = await receiver()
    const t = await setup({ schedule: ["20 millis"] })
    hook.respond = () => ({ status: 307, headers: { location: elsewhere.url } })
    await t.register(hook)
    await t.upload("moved")
    await until(async () => (await t.run(WebhookEndpoints.deadLetters("demo"))).length === 1)
    const [letter] = await t.run(WebhookEndpoints.deadLetters("demo"))
    expect(letter!.error).toMatch(/307 \(redirects are not followed\)/)
    expect(elsewhere.received).toHaveLength(0)
  })

  it("disables an endpoint that keeps failing, and says since when", async () => {
    const hook = await receiver()
    const t = await setup({ schedule: ["20 millis", "20 millis"], disableAfter: "100 millis" })
    hook.respond = () => 500
    await t.register(hook)
    for (let i = 0; i < 5; i++) await t.upload(`f${i}`)
    await until(async () => (await t.run(WebhookEndpoints.list("demo")))[0]?.disabled !== undefined)
    const [endpoint] = await t.run(WebhookEndpoints.list("demo"))
    expect(endpoint!.disabled!.reason).toMatch(/^failing since \S+: answered 500$/)
  })

  it("keeps a hanging endpoint from delaying another one", async () => {
    const slow = await receiver()
    const quick = await receiver()
    const t = await setup({ timeout: "5 seconds" })
    slow.respond = () => "hang"
    await t.register(slow)
    await t.register(quick)
    const started = Date.now()
    for (let i = 0; i < 5; i++) await t.upload(`h${i}`)
    await until(() => quick.received.length === 5, 3000)
    expect(Date.now() - started).toBeLessThan(3000)
    expect(slow.received).toHaveLength(1)
  })
})
