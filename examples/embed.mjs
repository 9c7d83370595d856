// Embeds the ctxlog core in a host process on its in-memory store: a few commands, queries and
// the notifications they produce. Run it after `pnpm build` with `node examples/embed.mjs`.
import { Client, ContextText } from "@ctxlog/core"

const ctx = await Client.open({ cloud: "demo", actor: "example" })

const watcher = (async () => {
  for await (const { position, notification } of ctx.subscribe({ from: 0 })) {
    const ids = Object.keys(notification.resources).join(", ")
    console.log(`notification @${position}: ${notification.notification_type} of ${ids}`)
    if (position >= 5) break
  }
})()

await ctx.upload("shirt1", "caption=New")
await ctx.upload("shirt2")
const added = await ctx.add(["shirt1", "shirt2", "ghost"], { product: "shirt", alt: "a=b|c" })
console.log(
  "applied:",
  added.applied.map((a) => a.publicId),
  "not found:",
  added.notFound.map((a) => a.publicId)
)
await ctx.removeKeys("shirt2", ["alt"])
await ctx.add("shirt1", "caption=")

const shirt = await ctx.get("shirt1")
console.log(`shirt1 at revision ${shirt.revision}: ${ContextText.encode(shirt.context)}`)
const before = await ctx.get("shirt1", { revision: 1 })
console.log(`shirt1 at revision 1: ${ContextText.encode(before.context)}`)
const page = await ctx.byContext("product", "shirt")
console.log("assets with product=shirt:", page.resources.map((v) => v.asset.publicId))

await watcher
await ctx.close()
