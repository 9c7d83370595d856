import { describe, it } from "vitest"
import { ctx, ctxJson, tempStore, useBinary } from "./support/ctx.js"

useBinary()

describe("ctx processes on one store", () => {
  it("two processes adding to one asset at once lose no update", async ({ expect }) => {
    const { url } = tempStore()
    const s = ["--store", url]
    await ctx(["upload", "shared", ...s])
    const writer = async (prefix: string) => {
      for (let i = 0; i < 20; i++) {
        const result = await ctx(["add", "shared", "--context", `${prefix}${i}=1`, ...s])
        expect(result.code, result.stderr).toBe(0)
      }
    }
    await Promise.all([writer("a"), writer("b")])
    const { json } = await ctxJson(["get", "shared", ...s])
    const got = json as { revision: number; context: Record<string, string> }
    expect(got.revision).toBe(41)
    const keys = Object.keys(got.context).sort()
    const expected = ["a", "b"].flatMap((p) => Array.from({ length: 20 }, (_, i) => `${p}${i}`))
    expect(keys).toStrictEqual(expected.sort())
  })
})
