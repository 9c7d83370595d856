/**
 * `ctx search`: the expression language from the command line, with --json in the HTTP shape.
 */
import { describe, expect, it } from "vitest"
import { ctx, ctxJson, tempStore, useBinary } from "./support/ctx.js"

useBinary()

describe("ctx search", () => {
  it("finds by prefix, existence and NOT, sorts, pages, and places a syntax error", async () => {
    const { url: store } = tempStore()
    const s = ["--store", store]
    await ctx(["upload", "a1", "--context", "sku=ABC-1|color=red", ...s])
    await ctx(["upload", "a2", "--context", "sku=ABC-2", ...s])
    await ctx(["upload", "b1", "--context", "sku=XYZ|color=Blue", ...s])
    const prefix = await ctxJson(["search", "context.sku:abc*", "--sort", "public_id:asc", ...s])
    expect(prefix.json).toEqual({
      total_count: 2,
      resources: [
        {
          public_id: "a1",
          resource_type: "image",
          type: "upload",
          context: { sku: "ABC-1", color: "red" }
        },
        { public_id: "a2", resource_type: "image", type: "upload", context: { sku: "ABC-2" } }
      ]
    })
    const not = await ctxJson(["search", "context.color:* AND NOT context.color=red", ...s])
    expect(
      (not.json as { resources: Array<{ public_id: string }> }).resources.map((r) => r.public_id)
    )
      .toEqual(["b1"])
    const first =
      (await ctxJson(["search", "context.sku:*", "--max", "2", "--sort", "public_id", ...s]))
        .json as { next_cursor: string; resources: Array<{ public_id: string }> }
    expect(first.resources.map((r) => r.public_id)).toEqual(["a1", "a2"])
    const next = (await ctxJson([
      "search",
      "context.sku:*",
      "--max",
      "2",
      "--sort",
      "public_id",
      "--cursor",
      first.next_cursor,
      ...s
    ])).json as { next_cursor?: string; resources: Array<{ public_id: string }> }
    expect(next.resources.map((r) => r.public_id)).toEqual(["b1"])
    expect(next.next_cursor).toBeUndefined()
    const bad = await ctx(["search", "context.sku=", ...s])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/position 12: expected a value after =/)
  })
})
