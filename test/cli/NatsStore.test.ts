import { describe, it } from "vitest"
import { uniqueName, useNatsServer } from "../support/nats.js"
import { ctx, ctxJson, start, useBinary } from "./support/ctx.js"

useBinary()
const server = useNatsServer()

/** A prefix of its own for each test, so that each sees an empty log. */
const store = () => ["--store", `${server.current.url}?prefix=${uniqueName("cli")}`]

describe.concurrent("ctx on a NATS store", () => {
  it("runs every write command and reads them back from another process", async ({ expect }) => {
    const s = store()
    const odd = "a b/c*>.é"
    expect((await ctx(["upload", "shirt1", "--context", "caption=New|product=shirt", ...s])).code)
      .toBe(0)
    expect((await ctx(["upload", odd, "--context", "k=1", ...s])).code).toBe(0)
    const added = await ctxJson(["add", "shirt1", odd, "ghost", "--context", "color=red", ...s])
    expect(added.json).toMatchObject({ public_ids: ["shirt1", odd], not_found: ["ghost"] })
    expect((await ctx(["remove-keys", "shirt1", "--keys", "product", ...s])).code).toBe(0)
    expect((await ctx(["replace", odd, "--context", "only=this", ...s])).code).toBe(0)
    const got = await ctxJson(["get", "shirt1", ...s])
    expect(got.json).toStrictEqual({
      public_id: "shirt1",
      resource_type: "image",
      type: "upload",
      revision: 3,
      context: { caption: "New", color: "red" }
    })
    expect((await ctxJson(["get", odd, ...s])).json).toMatchObject({
      revision: 3,
      context: { only: "this" }
    })
    expect((await ctxJson(["get", "shirt1", "--as-of", "1", ...s])).json).toMatchObject({
      context: { caption: "New", product: "shirt" }
    })
    const history = (await ctxJson(["history", "shirt1", ...s])).json as ReadonlyArray<{
      revision: number
    }>
    expect(history.map((e) => e.revision)).toStrictEqual([1, 2, 3])
    const colored = await ctxJson(["by-context", "color", "red", ...s])
    expect(JSON.stringify(colored.json)).toContain("shirt1")
    expect((await ctx(["remove-all", "shirt1", ...s])).code).toBe(0)
    expect((await ctxJson(["get", "shirt1", ...s])).json).toMatchObject({ context: {} })
    expect((await ctx(["delete", odd, ...s])).code).toBe(0)
    const gone = await ctx(["get", odd, ...s])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toContain("does not exist")
  })

  it("replays the log into the shared projections", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", "--context", "x=1", ...s])
    await ctx(["add", "a", "--context", "y=2", ...s])
    const replay = await ctx(["replay", ...s])
    expect(replay.code).toBe(0)
    expect(replay.stdout).toContain("replayed 2 events of 1 assets")
    expect((await ctxJson(["get", "a", ...s])).json).toMatchObject({
      revision: 2,
      context: { x: "1", y: "2" }
    })
  })

  it("watch prints the notifications of commands other processes run", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "w1", "--context", "x=1", ...s])
    const watching = start(["watch", "--from", "0", ...s])
    const first = JSON.parse(await watching.nextLine()) as Record<string, unknown>
    expect(first).toMatchObject({ notification_type: "upload", position: 1 })
    await ctx(["add", "w1", "--context", "x=2", ...s])
    const second = JSON.parse(await watching.nextLine()) as Record<string, unknown>
    expect(second).toMatchObject({ notification_type: "resource_context_changed" })
    watching.child.kill("SIGINT")
    expect((await watching.exited).code).toBe(0)
  })

  it("two processes adding to one asset at once lose no update", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "shared", ...s])
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => ctx(["add", "shared", "--context", `k${i}=v`, ...s]))
    )
    expect(runs.map((r) => r.code)).toStrictEqual([0, 0, 0, 0, 0, 0])
    const got = await ctxJson(["get", "shared", ...s])
    expect(got.json).toMatchObject({
      revision: 7,
      context: { k0: "v", k1: "v", k2: "v", k3: "v", k4: "v", k5: "v" }
    })
  })
})
