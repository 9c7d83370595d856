import type { Notification } from "@ctxlog/core"
import { Client, NotificationSink } from "@ctxlog/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { describe, expect, it } from "vitest"

describe("Client", () => {
  it("runs every command and query through Promises", async () => {
    const ctx = await Client.open({ cloud: "demo", actor: "host" })
    try {
      await ctx.upload("shirt1", "caption=New|alt=a\\=b\\|c")
      await ctx.upload({ publicId: "shirt2", resourceType: "image", type: "upload" })
      const added = await ctx.add(["shirt1", "shirt2", "nope"], { product: "shirt" })
      expect(added.applied.map((a) => a.publicId)).toEqual(["shirt1", "shirt2"])
      expect(added.notFound.map((a) => a.publicId)).toEqual(["nope"])

      const shirt = await ctx.get("shirt1")
      expect(shirt.revision).toBe(2)
      expect(shirt.context).toEqual([
        { key: "caption", value: "New" },
        { key: "alt", value: "a=b|c" },
        { key: "product", value: "shirt" }
      ])

      await ctx.removeKeys("shirt1", ["alt"])
      await ctx.replace("shirt2", [{ key: "x", value: "1" }])
      await ctx.removeAll("shirt2")
      expect((await ctx.get("shirt2")).context).toEqual([])
      expect((await ctx.get("shirt1", { revision: 1 })).context.length).toBe(2)

      const page = await ctx.byContext("product", "shirt")
      expect(page.resources.map((v) => v.asset.publicId)).toEqual(["shirt1"])
      expect((await ctx.list()).resources.length).toBe(2)

      await ctx.delete(["shirt1"])
      const history = await ctx.history("shirt1")
      expect(history.map((e) => e.event._tag)).toEqual([
        "AssetUploaded",
        "ContextChanged",
        "ContextChanged",
        "AssetDeleted"
      ])
      expect(history.every((e) => e.actor === "host")).toBe(true)
      expect((await ctx.rebuild()).events).toBe(8)
    } finally {
      await ctx.close()
    }
  })

  it("rejects with the typed error, and a rejected command changes nothing", async () => {
    const ctx = await Client.open()
    try {
      await ctx.upload("a", "k=v")
      await expect(ctx.add("a", "k=v|1.5")).rejects.toMatchObject({
        _tag: "ContextParseError",
        position: 4
      })
      await expect(ctx.add("a", { k: "x".repeat(300) })).rejects.toMatchObject({
        _tag: "PolicyViolation",
        rule: "context_length"
      })
      await expect(ctx.get("missing")).rejects.toMatchObject({ _tag: "AssetNotFound" })
      await expect(ctx.upload("")).rejects.toMatchObject({
        _tag: "InvalidCommand",
        path: "asset.publicId",
        message: "asset.publicId: a public id must not be empty"
      })
      await expect(ctx.replace("a", "k=w", { expectedRevision: 7 })).rejects.toMatchObject({
        _tag: "RevisionConflict",
        expected: 7,
        actual: 1
      })
      expect((await ctx.get("a")).revision).toBe(1)
    } finally {
      await ctx.close()
    }
  })

  it("is idempotent by command id", async () => {
    const ctx = await Client.open()
    try {
      await ctx.upload("a")
      const first = await ctx.add("a", "k=1", { commandId: "c1" })
      const again = await ctx.add("a", "k=1", { commandId: "c1" })
      expect([first.duplicate, again.duplicate, again.position]).toEqual([
        false,
        true,
        first.position
      ])
    } finally {
      await ctx.close()
    }
  })

  it("subscribes with an async iterator from any position, live", async () => {
    const ctx = await Client.open({ source: "ui" })
    try {
      await ctx.upload("a", "k=v")
      const seen: Array<string> = []
      const done = (async () => {
        for await (const n of ctx.subscribe({ from: 0 })) {
          seen.push(`${n.position}:${n.notification.notification_type}:${n.notification.source}`)
          if (seen.length === 3) break
        }
      })()
      await ctx.add("a", "k=w")
      await ctx.delete("a")
      await done
      expect(seen).toEqual(["1:upload:ui", "2:resource_context_changed:ui", "3:delete:ui"])
    } finally {
      await ctx.close()
    }
  })

  it("delivers notifications to a sink given at open", async () => {
    const got: Array<Notification.Positioned> = []
    let arrived: () => void = () => {}
    const first = new Promise<void>((resolve) => arrived = resolve)
    const sink = Layer.succeed(NotificationSink.NotificationSink, {
      name: "test",
      publish: (n) =>
        Effect.sync(() => {
          got.push(n)
          arrived()
        })
    })
    const ctx = await Client.open({ sink })
    try {
      await ctx.upload("a", "k=v", { commandId: "up" })
      await first
      expect(got.map((n) => [n.position, n.notification.request_id])).toEqual([[1, "up"]])
    } finally {
      await ctx.close()
    }
  })
})
