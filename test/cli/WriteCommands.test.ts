import { describe, it } from "vitest"
import { ctx, ctxJson, tempStore, useBinary } from "./support/ctx.js"

useBinary()

const store = () => ["--store", tempStore().url]

describe.concurrent("ctx write commands", () => {
  it(
    "upload registers an asset with its context, which get --json prints in its shape",
    async ({ expect }) => {
      const s = store()
      const up = await ctxJson(["upload", "shirt1", "--context", "caption=New|product=shirt", ...s])
      expect(up.code).toBe(0)
      expect(up.json).toMatchObject({ public_ids: ["shirt1"], not_found: [] })
      const got = await ctxJson(["get", "shirt1", ...s])
      expect(got.code).toBe(0)
      expect(got.json).toStrictEqual({
        public_id: "shirt1",
        resource_type: "image",
        type: "upload",
        revision: 1,
        context: { caption: "New", product: "shirt" }
      })
    }
  )

  it("upload without --context registers an asset with an empty context", async ({ expect }) => {
    const s = store()
    expect((await ctx(["upload", "bare", ...s])).code).toBe(0)
    const got = await ctxJson(["get", "bare", ...s])
    expect(got.json).toMatchObject({ public_id: "bare", revision: 1, context: {} })
  })

  it(
    "upload and replace print public_ids and not_found with --json, and the revisions",
    async ({ expect }) => {
      const s = store()
      const up = await ctxJson(["upload", "a", "--context", "k=1", ...s])
      expect(up.json).toMatchObject({
        public_ids: ["a"],
        not_found: [],
        changed: ["a"],
        revisions: { a: 1 },
        duplicate: false
      })
      const rep = await ctxJson(["replace", "a", "--context", "j=2", ...s])
      expect(rep.code).toBe(0)
      expect(rep.json).toMatchObject({ public_ids: ["a"], not_found: [], revisions: { a: 2 } })
      expect((await ctxJson(["get", "a", ...s])).json).toMatchObject({ context: { j: "2" } })
    }
  )

  it(
    "--resource-type and --type place the asset, and other placements do not see it",
    async ({ expect }) => {
      const s = store()
      const placed = ["--resource-type", "video", "--type", "private"]
      expect((await ctx(["upload", "clip", "--context", "k=v", ...placed, ...s])).code).toBe(0)
      const got = await ctxJson(["get", "clip", ...placed, ...s])
      expect(got.json).toMatchObject({
        resource_type: "video",
        type: "private",
        context: { k: "v" }
      })
      const elsewhere = await ctx(["get", "clip", ...s])
      expect(elsewhere.code).toBe(1)
      expect(elsewhere.stderr).toContain("image/upload/clip does not exist")
    }
  )

  it(
    "add merges context into each asset and reports the missing ones with exit status 1",
    async ({ expect }) => {
      const s = store()
      await ctx(["upload", "a", "--context", "x=1", ...s])
      await ctx(["upload", "b", ...s])
      const added = await ctxJson(["add", "a", "b", "ghost", "--context", "season=summer", ...s])
      expect(added.code).toBe(1)
      expect(added.json).toMatchObject({ public_ids: ["a", "b"], not_found: ["ghost"] })
      expect(added.stderr).toContain("image/upload/ghost")
      expect((await ctxJson(["get", "a", ...s])).json).toMatchObject({
        revision: 2,
        context: { x: "1", season: "summer" }
      })
      expect((await ctxJson(["get", "b", ...s])).json).toMatchObject({
        context: { season: "summer" }
      })
    }
  )

  it("add with an empty value removes the key", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", "--context", "x=1|y=2", ...s])
    expect((await ctx(["add", "a", "--context", "x=", ...s])).code).toBe(0)
    expect((await ctxJson(["get", "a", ...s])).json).toMatchObject({ context: { y: "2" } })
  })

  it("add prints one aligned line per asset for people", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", ...s])
    const added = await ctx(["add", "a", "longer-name", "--context", "k=v", ...s])
    expect(added.stdout).toBe(
      "updated    image/upload/a            revision 2\n" +
        "not found  image/upload/longer-name\n"
    )
    expect(added.stdout).not.toContain("\x1b[")
  })

  it("remove-all clears the context of each asset and keeps the assets", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", "--context", "x=1", ...s])
    await ctx(["upload", "b", "--context", "y=2", ...s])
    const cleared = await ctxJson(["remove-all", "a", "b", ...s])
    expect(cleared.code).toBe(0)
    expect(cleared.json).toMatchObject({ public_ids: ["a", "b"], not_found: [] })
    expect((await ctxJson(["get", "a", ...s])).json).toMatchObject({ revision: 2, context: {} })
    expect((await ctxJson(["get", "b", ...s])).json).toMatchObject({ context: {} })
  })

  it("remove-keys removes the keys given and keeps the others", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", "--context", "x=1|y=2|z=3", ...s])
    const removed = await ctxJson(["remove-keys", "a", "ghost", "--keys", "x,z", ...s])
    expect(removed.code).toBe(1)
    expect(removed.json).toMatchObject({ public_ids: ["a"], not_found: ["ghost"] })
    expect((await ctxJson(["get", "a", ...s])).json).toMatchObject({ context: { y: "2" } })
  })

  it(
    "replace sets the whole context, and refuses an asset that does not exist",
    async ({ expect }) => {
      const s = store()
      await ctx(["upload", "a", "--context", "x=1|y=2", ...s])
      expect((await ctx(["replace", "a", "--context", "z=3", ...s])).code).toBe(0)
      expect((await ctxJson(["get", "a", ...s])).json).toMatchObject({ context: { z: "3" } })
      const missing = await ctx(["replace", "ghost", "--context", "z=3", ...s])
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain("asset image/upload/ghost does not exist in cloud demo")
    }
  )

  it("delete removes assets but keeps their history", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", "--context", "x=1", ...s])
    const deleted = await ctxJson(["delete", "a", ...s])
    expect(deleted.code).toBe(0)
    expect(deleted.json).toMatchObject({ public_ids: ["a"], not_found: [] })
    const gone = await ctx(["get", "a", ...s])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toContain("does not exist")
    const history = await ctxJson(["history", "a", ...s])
    expect(history.json).toMatchObject([{ type: "AssetUploaded" }, { type: "AssetDeleted" }])
  })

  it(
    "a command sent again with its --command-id changes nothing and reports its first result",
    async ({ expect }) => {
      const s = store()
      const first = await ctxJson(["upload", "a", "--context", "x=1", "--command-id", "c-1", ...s])
      const again = await ctxJson(["upload", "a", "--context", "x=2", "--command-id", "c-1", ...s])
      expect(first.json).toMatchObject({ command_id: "c-1", duplicate: false })
      expect(again.json).toMatchObject({ command_id: "c-1", duplicate: true, revisions: { a: 1 } })
      expect((await ctxJson(["get", "a", ...s])).json).toMatchObject({
        revision: 1,
        context: { x: "1" }
      })
    }
  )

  it("escaped and unicode values round-trip through upload and get --json", async ({ expect }) => {
    const s = store()
    const text = "alt=a\\=b\\|c|path=back\\slash|twice=\\\\|u=héllo wörld ✓ 🎉|multi=one\ntwo"
    expect((await ctx(["upload", "esc", "--context", text, ...s])).code).toBe(0)
    expect((await ctxJson(["get", "esc", ...s])).json).toMatchObject({
      context: {
        alt: "a=b|c",
        path: "back\\slash",
        twice: "\\",
        u: "héllo wörld ✓ 🎉",
        multi: "one\ntwo"
      }
    })
  })

  it(
    "malformed context text is refused with exit status 1 and its position",
    async ({ expect }) => {
      const s = store()
      const result = await ctx(["upload", "a", "--context", "caption=x|novalue", ...s])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain("malformed at position 10")
      expect(result.stderr).toContain("\"novalue\"")
    }
  )
})

describe.concurrent("ctx limits", () => {
  it(
    "a context over 255 characters is refused, naming the asset, the limit and its length",
    async ({ expect }) => {
      const s = store()
      const result = await ctx(["upload", "big", "--context", `k=${"x".repeat(254)}`, ...s])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        "context of image/upload/big would be 256 characters; the limit is 255"
      )
      expect((await ctx(["get", "big", ...s])).code).toBe(1)
    }
  )

  it("a context of exactly 255 characters is accepted", async ({ expect }) => {
    const s = store()
    const result = await ctx(["upload", "full", "--context", `k=${"x".repeat(253)}`, ...s])
    expect(result.code).toBe(0)
  })

  it("an add that would take a context over 255 characters changes nothing", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", "--context", `k=${"x".repeat(200)}`, ...s])
    const result = await ctx(["add", "a", "--context", `j=${"y".repeat(60)}`, ...s])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/context of image\/upload\/a would be \d+ characters/)
    expect((await ctxJson(["get", "a", ...s])).json).toMatchObject({ revision: 1 })
  })

  it(
    "a value of 1025 characters is refused, naming the key, the limit and its length",
    async ({ expect }) => {
      const s = store()
      const result = await ctx(["upload", "v", "--context", `k=${"x".repeat(1025)}`, ...s])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        "the value of key \"k\" of image/upload/v is 1025 characters; the limit is 1024"
      )
    }
  )

  it("control characters other than newline are refused", async ({ expect }) => {
    const s = store()
    const result = await ctx(["upload", "c", "--context", "k=a\u0007b", ...s])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("the control character U+0007 at position 1")
    expect(result.stderr).toContain("image/upload/c")
  })
})
