import { describe, it } from "vitest"
import { ctx, ctxJson, tempStore, useBinary } from "./support/ctx.js"

useBinary()

const store = () => ["--store", tempStore().url]

interface HistoryEvent {
  readonly revision: number
  readonly timestamp: string
}

describe.concurrent("ctx get", () => {
  it("prints the asset and its pairs, aligned, for people", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "shirt1", "--context", "caption=New|product=shirt", ...s])
    const got = await ctx(["get", "shirt1", ...s])
    expect(got.code).toBe(0)
    const [head, ...pairs] = got.stdout.trimEnd().split("\n")
    expect(head).toMatch(/^image\/upload\/shirt1 {2}revision 1 {2}updated \d{4}-/)
    expect(pairs).toStrictEqual(["  caption  New", "  product  shirt"])
  })

  it("--as-of with a whole number shows the asset at that revision", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", "--context", "x=1", ...s])
    await ctx(["add", "a", "--context", "x=2|y=3", ...s])
    const then = await ctxJson(["get", "a", "--as-of", "1", ...s])
    expect(then.json).toStrictEqual({
      public_id: "a",
      resource_type: "image",
      type: "upload",
      revision: 1,
      context: { x: "1" }
    })
    expect((await ctxJson(["get", "a", ...s])).json).toMatchObject({
      revision: 2,
      context: { x: "2", y: "3" }
    })
  })

  it(
    "--as-of with an ISO time shows the asset as of its last event at or before that time",
    async ({ expect }) => {
      const s = store()
      await ctx(["upload", "a", "--context", "x=1", ...s])
      await ctx(["add", "a", "--context", "x=2", ...s])
      const events = (await ctxJson(["history", "a", ...s])).json as ReadonlyArray<HistoryEvent>
      const first = events[0]!.timestamp
      expect((await ctxJson(["get", "a", "--as-of", first, ...s])).json).toMatchObject({
        revision: 1,
        context: { x: "1" }
      })
      const before = await ctx(["get", "a", "--as-of", "2000-01-01T00:00:00Z", ...s])
      expect(before.code).toBe(1)
      expect(before.stderr).toContain("did not exist at 2000-01-01T00:00:00.000Z")
    }
  )

  it("--as-of that is neither a revision nor a time is wrong usage", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", ...s])
    const result = await ctx(["get", "a", "--as-of", "yesterday", ...s])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("\"yesterday\" is neither a revision")
  })

  it("--as-of beyond the asset's revisions is refused with exit status 1", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", ...s])
    const result = await ctx(["get", "a", "--as-of", "5", ...s])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("has 1 revisions; 5 is beyond them")
  })

  it("a missing asset exits with status 1 and says which", async ({ expect }) => {
    const result = await ctx(["get", "nothing", ...store()])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("asset image/upload/nothing does not exist in cloud demo")
  })
})

describe.concurrent("ctx history", () => {
  it(
    "--json prints every event with its revision, position, time, source, actor and diff",
    async ({ expect }) => {
      const s = store()
      await ctx(["upload", "a", "--context", "a=1|b=2", "--command-id", "c1", ...s])
      await ctx(["add", "a", "--context", "a=3|c=4", "--command-id", "c2", ...s])
      await ctx(["remove-keys", "a", "--keys", "b", "--command-id", "c3", ...s])
      const { code, json } = await ctxJson(["history", "a", ...s])
      expect(code).toBe(0)
      const events = json as ReadonlyArray<Record<string, unknown>>
      expect(events.map((e) => Object.keys(e).sort())).toStrictEqual(
        Array(3).fill([
          "actor",
          "added",
          "command_id",
          "position",
          "removed",
          "revision",
          "source",
          "timestamp",
          "type",
          "updated"
        ])
      )
      expect(events).toMatchObject([
        {
          revision: 1,
          position: 1,
          source: "api",
          command_id: "c1",
          type: "AssetUploaded",
          added: [{ key: "a", value: "1" }, { key: "b", value: "2" }],
          updated: [],
          removed: []
        },
        {
          revision: 2,
          position: 2,
          command_id: "c2",
          type: "ContextChanged",
          added: [{ key: "c", value: "4" }],
          updated: [{ key: "a", value: "3", previous: "1" }],
          removed: []
        },
        {
          revision: 3,
          position: 3,
          command_id: "c3",
          type: "ContextChanged",
          added: [],
          updated: [],
          removed: [{ key: "b", previous: "2" }]
        }
      ])
      for (const e of events) {
        expect(e.actor).toMatch(/^cli:.+/)
        expect(new Date(e.timestamp as string).toISOString()).toBe(e.timestamp)
      }
    }
  )

  it("prints a table of the events for people", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", "--context", "x=1", ...s])
    await ctx(["add", "a", "--context", "x=2", ...s])
    const result = await ctx(["history", "a", ...s])
    const lines = result.stdout.trimEnd().split("\n")
    expect(lines[0]).toMatch(/^REV {2}POSITION {2}TIME +SOURCE {2}ACTOR +EVENT +CHANGES$/)
    expect(lines[1]).toMatch(/^1 +1 +\S+ +api +cli:\S+ +uploaded +\+x=1$/)
    expect(lines[2]).toMatch(/^2 +2 +\S+ +api +cli:\S+ +changed +~x=2 \(was 1\)$/)
  })

  it("of an asset that never existed exits with status 1", async ({ expect }) => {
    const result = await ctx(["history", "ghost", ...store()])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("image/upload/ghost")
  })
})

describe.concurrent("ctx by-context", () => {
  it(
    "lists the assets that have a key, or a key with a value, in --json's shape",
    async ({ expect }) => {
      const s = store()
      await ctx(["upload", "a", "--context", "product=shirt|size=m", ...s])
      await ctx(["upload", "b", "--context", "product=hat", ...s])
      await ctx(["upload", "c", "--context", "size=l", ...s])
      const withKey = await ctxJson(["by-context", "product", ...s])
      expect(withKey.code).toBe(0)
      expect(withKey.json).toStrictEqual({
        resources: [
          {
            public_id: "a",
            resource_type: "image",
            type: "upload",
            revision: 1,
            context: { product: "shirt", size: "m" }
          },
          {
            public_id: "b",
            resource_type: "image",
            type: "upload",
            revision: 1,
            context: { product: "hat" }
          }
        ]
      })
      const withValue = await ctxJson(["by-context", "product", "hat", ...s])
      expect(withValue.json).toMatchObject({ resources: [{ public_id: "b" }] })
    }
  )

  it("pages with --max-results and --cursor, and --all follows the cursors", async ({ expect }) => {
    const s = store()
    for (const id of ["p1", "p2", "p3"]) await ctx(["upload", id, "--context", "k=v", ...s])
    const first = (await ctxJson(["by-context", "k", "--max-results", "2", ...s])).json as {
      resources: ReadonlyArray<{ public_id: string }>
      next_cursor: string
    }
    expect(first.resources.map((r) => r.public_id)).toStrictEqual(["p1", "p2"])
    expect(typeof first.next_cursor).toBe("string")
    const second = await ctxJson([
      "by-context",
      "k",
      "--max-results",
      "2",
      "--cursor",
      first.next_cursor,
      ...s
    ])
    expect(second.json).toStrictEqual({
      resources: [{
        public_id: "p3",
        resource_type: "image",
        type: "upload",
        revision: 1,
        context: { k: "v" }
      }]
    })
    const all = (await ctxJson(["by-context", "k", "--max-results", "1", "--all", ...s])).json
    expect(all).toMatchObject({
      resources: [{ public_id: "p1" }, { public_id: "p2" }, { public_id: "p3" }]
    })
    expect(all).not.toHaveProperty("next_cursor")
  })

  it("prints a table for people", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", "--context", "k=v|alt=x\\|y", ...s])
    const result = await ctx(["by-context", "k", ...s])
    expect(result.stdout.trimEnd().split("\n")).toStrictEqual([
      "PUBLIC_ID  RESOURCE_TYPE  TYPE    REVISION  CONTEXT",
      "a          image          upload  1         k=v|alt=x\\|y"
    ])
  })

  it("--max-results over 500 is refused with exit status 1", async ({ expect }) => {
    const result = await ctx(["by-context", "k", "--max-results", "501", ...store()])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("max_results: must be a whole number from 1 to 500, got 501")
  })

  it("finds nothing in another cloud", async ({ expect }) => {
    const s = store()
    await ctx(["upload", "a", "--context", "k=v", ...s])
    const other = await ctxJson(["by-context", "k", "--cloud", "other", ...s])
    expect(other.json).toStrictEqual({ resources: [] })
  })
})
