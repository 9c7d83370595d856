import { describe, it } from "vitest"
import type { Running } from "./support/ctx.js"
import { ctx, start, tempStore, useBinary } from "./support/ctx.js"

useBinary()

interface Line {
  readonly notification_type: string
  readonly request_id: string
  readonly cloud: string
  readonly position: number
  readonly resources: Record<string, unknown>
}

const nextJson = async (watch: Running): Promise<Line> => JSON.parse(await watch.nextLine()) as Line

/** Resolves once the watcher has printed on stderr that it is following the log. */
const ready = (watch: Running) =>
  new Promise<void>((resolve, reject) => {
    let seen = ""
    watch.child.stderr.on("data", (chunk: Buffer | string) => {
      seen += chunk.toString()
      if (seen.includes("watching cloud")) resolve()
    })
    void watch.exited.then(({ stderr }) => reject(new Error(`watch ended early:\n${stderr}`)))
  })

describe.concurrent("ctx watch", () => {
  it(
    "--from 0 prints every notification as a JSON line, then new ones, until SIGTERM",
    async ({ expect }) => {
      const { url } = tempStore()
      const s = ["--store", url]
      await ctx(["upload", "a", "--context", "k=v", "--command-id", "first", ...s])
      await ctx(["add", "a", "--context", "k=w", "--command-id", "second", ...s])
      const watch = start(["watch", "--from", "0", ...s])
      const one = await nextJson(watch)
      expect(one).toMatchObject({
        notification_type: "upload",
        request_id: "first",
        cloud: "demo",
        position: 1,
        resources: { a: { resource_type: "image", type: "upload", revision: 1 } }
      })
      expect(await nextJson(watch)).toMatchObject({
        notification_type: "resource_context_changed",
        request_id: "second",
        position: 2,
        resources: {
          a: { updated: [{ name: "k", value: "w", previous_value: "v" }] }
        }
      })
      await ctx(["delete", "a", "--command-id", "third", ...s])
      expect(await nextJson(watch)).toMatchObject({
        notification_type: "delete",
        request_id: "third",
        position: 3
      })
      watch.child.kill("SIGTERM")
      expect(await watch.exited).toMatchObject({ code: 0 })
    }
  )

  it(
    "without --from prints only the notifications of commands after it started",
    async ({ expect }) => {
      const { url } = tempStore()
      const s = ["--store", url]
      await ctx(["upload", "old", "--command-id", "before", ...s])
      const watch = start(["watch", ...s])
      await ready(watch)
      await ctx(["upload", "new", "--command-id", "after", ...s])
      expect(await nextJson(watch)).toMatchObject({ request_id: "after", position: 2 })
      watch.child.kill("SIGINT")
      expect(await watch.exited).toMatchObject({ code: 0 })
    }
  )

  it("prints the notifications of its own cloud only", async ({ expect }) => {
    const { url } = tempStore()
    const s = ["--store", url]
    await ctx(["upload", "a", "--command-id", "demo-1", ...s])
    await ctx(["upload", "a", "--cloud", "shop", "--command-id", "shop-1", ...s])
    const watch = start(["watch", "--from", "0", "--cloud", "shop", ...s])
    expect(await nextJson(watch)).toMatchObject({ request_id: "shop-1", cloud: "shop" })
    watch.child.kill("SIGTERM")
    expect(await watch.exited).toMatchObject({ code: 0 })
  })

  it("a negative --from is wrong usage", async ({ expect }) => {
    const result = await ctx(["watch", "--from", "-1", "--store", "memory:"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--from must not be negative")
  })
})
