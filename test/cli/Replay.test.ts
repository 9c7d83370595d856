import { describe, it } from "vitest"
import { ctx, ctxJson, tempStore, useBinary } from "./support/ctx.js"

useBinary()

describe.concurrent("ctx replay", () => {
  it("rebuilds the projections from the log and prints a summary", async ({ expect }) => {
    const { url } = tempStore()
    const s = ["--store", url]
    await ctx(["upload", "a", "--context", "k=1", ...s])
    await ctx(["upload", "b", "--context", "k=2", ...s])
    await ctx(["add", "a", "b", "--context", "j=3", ...s])
    const result = await ctx(["replay", ...s])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      /^replayed 4 events of 2 assets up to position 4 in \d+ ms\n$/
    )
    expect(result.stderr).toContain("4 of 4 events")
    expect((await ctxJson(["get", "a", ...s])).json).toMatchObject({
      revision: 2,
      context: { k: "1", j: "3" }
    })
    expect((await ctxJson(["by-context", "j", "3", ...s])).json).toMatchObject({
      resources: [{ public_id: "a" }, { public_id: "b" }]
    })
  })

  it(
    "--json prints the summary as events, assets, position and duration_ms",
    async ({ expect }) => {
      const { url } = tempStore()
      const s = ["--store", url]
      await ctx(["upload", "a", "--context", "k=1", ...s])
      await ctx(["delete", "a", ...s])
      const { code, json } = await ctxJson(["replay", ...s])
      expect(code).toBe(0)
      expect(Object.keys(json as object).sort()).toStrictEqual([
        "assets",
        "duration_ms",
        "events",
        "position"
      ])
      expect(json).toMatchObject({ events: 2, assets: 1, position: 2 })
      expect((await ctx(["get", "a", ...s])).code).toBe(1)
    }
  )

  it("of an empty store replays nothing", async ({ expect }) => {
    const { json } = await ctxJson(["replay", "--store", tempStore().url])
    expect(json).toMatchObject({ events: 0, assets: 0, position: 0 })
  })
})
