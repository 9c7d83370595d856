import { existsSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, it } from "vitest"
import { freePorts } from "../support/nats.js"
import { ctx, ctxJson, tempStore, useBinary } from "./support/ctx.js"

useBinary()

const commands = [
  "upload",
  "add",
  "remove-all",
  "remove-keys",
  "replace",
  "delete",
  "get",
  "history",
  "by-context",
  "watch",
  "replay"
]

describe.concurrent("ctx usage", () => {
  it("ctx --help exits 0 and explains the commands with examples", async ({ expect }) => {
    const result = await ctx(["--help"])
    expect(result.code).toBe(0)
    for (const command of commands) expect(result.stdout).toContain(command)
    expect(result.stdout).toContain("Examples")
    expect(result.stdout).toContain("$ ctx upload shirt1 --context 'caption=New|product=shirt'")
    expect(result.stdout).toContain("--store")
    expect(result.stdout).not.toContain("\x1b[")
  })

  it.for(commands)("ctx %s --help exits 0 and shows an example", async (command, { expect }) => {
    const result = await ctx([command, "--help"])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/Examples?\n/)
    expect(result.stdout).toContain(`$ ctx ${command}`)
    expect(result.stdout).toContain("--json")
  })

  it("no command is wrong usage", async ({ expect }) => {
    const result = await ctx([])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("a command is required")
  })

  it(
    "an unknown command, an unknown option and a missing argument are wrong usage",
    async ({ expect }) => {
      const s = ["--store", "memory:"]
      const unknown = await ctx(["frobnicate", ...s])
      expect(unknown.code).toBe(2)
      expect(unknown.stderr).toContain("unknown command \"frobnicate\"")
      const option = await ctx(["get", "a", "--frob", ...s])
      expect(option.code).toBe(2)
      expect(option.stderr).toContain("--frob")
      const missing = await ctx(["add", "a", ...s])
      expect(missing.code).toBe(2)
      expect(missing.stderr).toContain("--context")
      const choice = await ctx(["get", "a", "--resource-type", "pdf", ...s])
      expect(choice.code).toBe(2)
      expect(choice.stderr).toContain("image, video, raw")
    }
  )

  it("global options work before and after the command", async ({ expect }) => {
    const { dir, url } = tempStore()
    const cloud = ["--cloud", "shop"]
    expect((await ctx(["--store", url, ...cloud, "upload", "a", "--context", "k=v"])).code).toBe(0)
    const before = await ctx(["--json", `--store=${url}`, "--cloud=shop", "get", "a"])
    const after = await ctx(["get", "a", "--json", "--store", url, "--cloud", "shop"])
    expect(before.code).toBe(0)
    expect(JSON.parse(before.stdout)).toMatchObject({ public_id: "a", context: { k: "v" } })
    expect(after.stdout).toBe(before.stdout)
    const mixed = await ctx(["--json", "get", "--store", url, "a", ...cloud])
    expect(mixed.stdout).toBe(before.stdout)
    expect((await ctx(["get", "a", "--store", url])).code).toBe(1)
    expect(existsSync(join(dir, "x.db"))).toBe(true)
  })

  it("CTXLOG_STORE names the store, and --store overrides it", async ({ expect }) => {
    const one = tempStore().url
    const two = tempStore().url
    await ctx(["upload", "a", "--context", "where=one", "--store", one])
    await ctx(["upload", "a", "--context", "where=two", "--store", two])
    const fromEnv = await ctxJson(["get", "a"], { env: { CTXLOG_STORE: one } })
    expect(fromEnv.json).toMatchObject({ context: { where: "one" } })
    const overridden = await ctxJson(["get", "a", "--store", two], { env: { CTXLOG_STORE: one } })
    expect(overridden.json).toMatchObject({ context: { where: "two" } })
  })

  it("the default store is .ctxlog/ctxlog.db in the working directory", async ({ expect }) => {
    const { dir } = tempStore()
    expect((await ctx(["upload", "a", "--context", "k=v"], { cwd: dir })).code).toBe(0)
    expect(existsSync(join(dir, ".ctxlog", "ctxlog.db"))).toBe(true)
    const got = await ctxJson(["get", "a", "--store", "sqlite:./.ctxlog/ctxlog.db"], { cwd: dir })
    expect(got.json).toMatchObject({ context: { k: "v" } })
  })

  it(
    "a store URL with a durability is accepted, and a wrong durability is wrong usage",
    async ({ expect }) => {
      const { url } = tempStore()
      expect((await ctx(["upload", "a", "--store", `${url}?durability=full`])).code).toBe(0)
      expect((await ctx(["get", "a", "--store", `${url}?durability=off`])).code).toBe(0)
      const wrong = await ctx(["get", "a", "--store", `${url}?durability=sometimes`])
      expect(wrong.code).toBe(2)
      expect(wrong.stderr).toContain("durability must be off, normal or full")
    }
  )

  it("an unknown store URL is wrong usage, named with the accepted forms", async ({ expect }) => {
    const result = await ctx(["get", "a", "--store", "postgres://db/ctx"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("invalid store URL \"postgres://db/ctx\"")
    expect(result.stderr).toContain("sqlite:<path>")
    expect(result.stderr).toContain("memory:")
  })

  it("a NATS server that does not answer fails with exit status 1 and says so", async ({ expect }) => {
    const [port] = await freePorts(1)
    const result = await ctx(["get", "a", "--store", `nats://127.0.0.1:${port}`])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`cannot open the NATS store`)
    expect(result.stderr).toContain(`127.0.0.1:${port}`)
  })

  it("a store that cannot be opened fails with exit status 1 and says why", async ({ expect }) => {
    const { dir } = tempStore()
    const file = join(dir, "not-a-database.db")
    writeFileSync(file, "this is not SQLite ".repeat(100))
    const result = await ctx(["get", "a", "--store", `sqlite:${file}`])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`cannot open the ctxlog store ${file}`)
  })

  it("the memory: store works within one process and keeps nothing", async ({ expect }) => {
    const up = await ctxJson(["upload", "a", "--context", "k=v", "--store", "memory:"])
    expect(up.code).toBe(0)
    expect(up.json).toMatchObject({ public_ids: ["a"], not_found: [] })
    expect((await ctx(["get", "a", "--store", "memory:"])).code).toBe(1)
  })

  it("an invalid cloud name is refused with exit status 1", async ({ expect }) => {
    const result = await ctx(["upload", "a", "--cloud", "Not A Cloud", "--store", "memory:"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("a cloud name is 1 to 64 characters")
  })

  it("prints no colour when stdout is not a terminal", async ({ expect }) => {
    const { url } = tempStore()
    await ctx(["upload", "a", "--context", "k=v", "--store", url])
    const result = await ctx(["history", "a", "--store", url])
    expect(result.stdout).toContain("uploaded")
    expect(result.stdout).not.toContain("\x1b[")
  })
})
