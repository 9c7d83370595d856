/**
 * `ctx transform`: a transformation resolved against the asset's context.
 */
import { describe, expect, it } from "vitest"
import { ctx, ctxJson, tempStore, useBinary } from "./support/ctx.js"

useBinary()

describe("ctx transform", () => {
  it("decides conditions, substitutes variables, and names a malformed position", async () => {
    const { url: store } = tempStore()
    const s = ["--store", store]
    await ctx(["upload", "shoes/1", "--context", "kind=shoe|award=Best", ...s])
    const crop = await ctxJson([
      "transform",
      "shoes/1",
      "if_ctx:!kind!_eq_!shoe!/c_fill,w_200/if_else/e_sepia/if_end",
      "--delivery-base",
      "https://cdn.example.com",
      ...s
    ])
    expect(crop.json).toEqual({
      transformation: "c_fill,w_200",
      url: "https://cdn.example.com/demo/image/upload/c_fill,w_200/shoes/1"
    })
    const text = await ctxJson([
      "transform",
      "shoes/1",
      "$award_ctx:!award!/l_text:Arial_40:$(award)",
      ...s
    ])
    expect((text.json as { transformation: string }).transformation).toBe("l_text:Arial_40:Best")
    const bad = await ctx(["transform", "shoes/1", "if_ctx:!kind", ...s])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/position 7/)
    const missing = await ctx(["transform", "nope", "w_100", ...s])
    expect(missing.code).toBe(1)
  })
})
