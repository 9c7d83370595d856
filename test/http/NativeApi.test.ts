/**
 * The native JSON API: history, reads as of a point, remove_keys, expected revisions and
 * idempotency keys, and its OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Running } from "./support/server.js"
import { keys, start } from "./support/server.js"

let server: Running

beforeAll(async () => {
  server = await start()
})

afterAll(async () => {
  await server?.close()
})

interface Reply {
  readonly status: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any
}

const call = async (
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<Reply> => {
  const response = await fetch(`${server.origin}${path}`, {
    method,
    headers: {
      authorization: server.basic(),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: response.status, body: await response.json() }
}

describe("commands", () => {
  it("runs every command and reports what it changed", async () => {
    const up = await call("POST", "/api/v1/demo/commands/upload", {
      public_id: "n/1",
      context: "a=1|b=2|c=3"
    })
    expect(up.status).toBe(200)
    expect(up.body).toMatchObject({ applied: ["n/1"], changed: ["n/1"], revisions: { "n/1": 1 } })
    const add = await call("POST", "/api/v1/demo/commands/add", {
      public_ids: ["n/1", "n/missing"],
      context: { d: "4", a: "" }
    })
    expect(add.body).toMatchObject({ applied: ["n/1"], not_found: ["n/missing"] })
    const removed = await call("POST", "/api/v1/demo/commands/remove_keys", {
      public_ids: ["n/1"],
      keys: ["b"]
    })
    expect(removed.body.revisions).toEqual({ "n/1": 3 })
    const read = await call("GET", "/api/v1/demo/assets/image/upload/n/1")
    expect(read.body.context).toEqual({ c: "3", d: "4" })
    expect(read.body.pairs).toEqual([{ key: "c", value: "3" }, { key: "d", value: "4" }])
    const replaced = await call("POST", "/api/v1/demo/commands/replace", {
      public_id: "n/1",
      context: [{ key: "z", value: "26" }]
    })
    expect(replaced.body.revisions).toEqual({ "n/1": 4 })
    const cleared = await call("POST", "/api/v1/demo/commands/remove_all", { public_ids: ["n/1"] })
    expect(cleared.body.changed).toEqual(["n/1"])
  })

  it("honours an expected revision: a conflict is a 409 and changes nothing", async () => {
    await call("POST", "/api/v1/demo/commands/upload", { public_id: "occ", context: "v=1" })
    const ok = await call("POST", "/api/v1/demo/commands/replace", {
      public_id: "occ",
      context: "v=2",
      expected_revision: 1
    })
    expect(ok.status).toBe(200)
    const stale = await call("POST", "/api/v1/demo/commands/replace", {
      public_id: "occ",
      context: "v=3",
      expected_revision: 1
    })
    expect(stale.status).toBe(409)
    expect(stale.body.error).toMatchObject({ expected_revision: 1, actual_revision: 2 })
    const read = await call("GET", "/api/v1/demo/assets/image/upload/occ")
    expect(read.body.context).toEqual({ v: "2" })
    const fresh = await call("POST", "/api/v1/demo/commands/upload", {
      public_id: "occ",
      expected_revision: 0
    })
    expect(fresh.status).toBe(409)
  })

  it("treats a repeated idempotency key as the same command", async () => {
    const headers = { "idempotency-key": "order-77" }
    const body = { public_ids: ["occ"], context: { once: "yes" } }
    const first = await call("POST", "/api/v1/demo/commands/add", body, headers)
    const again = await call("POST", "/api/v1/demo/commands/add", body, headers)
    expect(first.body.duplicate).toBe(false)
    expect(again.body).toEqual({ ...first.body, duplicate: true })
    const history = await call("GET", "/api/v1/demo/history/image/upload/occ")
    expect(history.body.events.filter((e: { command_id: string }) => e.command_id === "order-77"))
      .toHaveLength(1)
    const clash = await call(
      "POST",
      "/api/v1/demo/commands/add",
      { ...body, command_id: "other" },
      headers
    )
    expect(clash.status).toBe(400)
  })

  it("refuses malformed commands with a message naming the field", async () => {
    const cases: ReadonlyArray<readonly [string, unknown, RegExp]> = [
      ["add", { public_ids: ["x"] }, /context is required/],
      ["add", { public_ids: ["x"], context: { k: 1 } }, /value of k must be a string/],
      ["add", { public_ids: ["x"], context: "novalue" }, /position/],
      ["remove_keys", { public_ids: ["x"], keys: [] }, /keys/],
      ["upload", { public_ids: ["a", "b"] }, /one public_id/],
      ["upload", {}, /public_ids/],
      ["upload", { public_id: "x", resource_type: "audio" }, /resource type/],
      ["upload", { public_id: "x", expected_revision: -1 }, /expected_revision/],
      ["add", { public_ids: ["x"], context: "a=1", expected_revision: 1 }, /upload and replace/],
      ["upload", { public_id: "", context: "a=1" }, /invalid asset/],
      ["upload", { public_id: "x", source: "robot" }, /source/]
    ]
    const head = await server.head()
    for (const [name, body, message] of cases) {
      const reply = await call("POST", `/api/v1/demo/commands/${name}`, body)
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect(reply.body.error.message).toMatch(message)
    }
    expect((await call("POST", "/api/v1/demo/commands/frobnicate", {})).status).toBe(404)
    expect(await server.head()).toBe(head)
  })
})

describe("queries", () => {
  it("reads history and the context as of a revision or a time", async () => {
    await call("POST", "/api/v1/demo/commands/upload", { public_id: "tt", context: "v=1" })
    const between = new Date()
    await new Promise((r) => setTimeout(r, 20))
    await call("POST", "/api/v1/demo/commands/add", { public_ids: ["tt"], context: "v=2|w=x" })
    const history = await call("GET", "/api/v1/demo/history/image/upload/tt")
    expect(history.body.events.map((e: { kind: string }) => e.kind)).toEqual([
      "AssetUploaded",
      "ContextChanged"
    ])
    expect(history.body.events[1]).toMatchObject({
      revision: 2,
      source: "api",
      actor: keys[0]!.apiKey,
      added: [{ key: "w", value: "x" }],
      updated: [{ key: "v", value: "2", previous: "1" }],
      removed: []
    })
    const atOne = await call("GET", "/api/v1/demo/assets/image/upload/tt?as_of=1")
    expect(atOne.body.context).toEqual({ v: "1" })
    const atTime = await call(
      "GET",
      `/api/v1/demo/assets/image/upload/tt?as_of=${encodeURIComponent(between.toISOString())}`
    )
    expect(atTime.body).toMatchObject({ revision: 1, context: { v: "1" } })
    expect((await call("GET", "/api/v1/demo/assets/image/upload/tt?as_of=9")).status).toBe(400)
    expect((await call("GET", "/api/v1/demo/assets/image/upload/tt?as_of=soon")).status).toBe(400)
    expect((await call("GET", "/api/v1/demo/assets/image/upload/nothing")).status).toBe(404)
  })

  it("resolves a transformation against an asset's context", async () => {
    await call("POST", "/api/v1/demo/commands/upload", { public_id: "tf/1", context: "kind=shoe" })
    const t = encodeURIComponent("if_ctx:!kind!_eq_!shoe!,w_200/if_ctx:!kind!_ne_!shoe!,e_sepia")
    const resolved = await call(
      "GET",
      `/api/v1/demo/transform/image/upload/tf/1?transformation=${t}`
    )
    expect(resolved.body).toEqual({
      transformation: "w_200",
      url: "https://res.cloudinary.com/demo/image/upload/w_200/tf/1"
    })
    const bad = await call("GET", "/api/v1/demo/transform/image/upload/tf/1?transformation=if_end")
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toMatch(/position 0/)
    expect((await call("GET", "/api/v1/demo/transform/image/upload/tf/1")).status).toBe(400)
  })

  it("lists by context and reports the head", async () => {
    const page = await call("GET", "/api/v1/demo/assets?key=v&max_results=1")
    expect(page.body.assets).toHaveLength(1)
    expect(page.body.next_cursor).toBeTypeOf("string")
    const head = await call("GET", "/api/v1/demo/head")
    expect(head.body.position).toBe(await server.head())
  })

  it("keeps clouds apart", async () => {
    const other = await call("GET", "/api/v1/other/head")
    expect(other.status).toBe(403)
    const theirs = await call("GET", "/api/v1/other/head", undefined, {
      authorization: server.basic(keys[1])
    })
    expect(theirs.status).toBe(200)
  })
})

describe("context keys", () => {
  it("lists the cloud's keys in order, by prefix and paged, and refuses a bad limit", async () => {
    await call("POST", "/api/v1/demo/commands/upload", {
      public_id: "keys/1",
      context: "kz_color=red|kz_size=M"
    })
    await call("POST", "/api/v1/demo/commands/upload", {
      public_id: "keys/2",
      context: "kz_color=blue|kz_caption=hi"
    })
    const all = await call("GET", "/api/v1/demo/keys?prefix=kz_")
    expect(all).toEqual({ status: 200, body: { keys: ["kz_caption", "kz_color", "kz_size"] } })
    const page = await call("GET", "/api/v1/demo/keys?prefix=kz_&after=kz_caption&limit=1")
    expect(page.body).toEqual({ keys: ["kz_color"] })
    const other = await call("GET", "/api/v1/other/keys?prefix=kz_", undefined, {
      authorization: server.basic(keys[1])
    })
    expect(other.body).toEqual({ keys: [] })
    const bad = await call("GET", "/api/v1/demo/keys?limit=0")
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain("limit")
  })
})

describe("the OpenAPI document", () => {
  it("is served without credentials and describes every native route", async () => {
    const response = await fetch(`${server.origin}/openapi.json`)
    expect(response.status).toBe(200)
    const document = (await response.json()) as {
      openapi: string
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
      components: { schemas: Record<string, unknown> }
    }
    expect(document.openapi).toBe("3.1.0")
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining([
      "/api/v1/{cloud}/commands/{command}",
      "/api/v1/{cloud}/assets/{resource_type}/{type}/{public_id}",
      "/api/v1/{cloud}/history/{resource_type}/{type}/{public_id}",
      "/api/v1/{cloud}/assets",
      "/api/v1/{cloud}/head",
      "/api/v1/{cloud}/keys",
      "/v1_1/{cloud}/context/stream"
    ]))
    // Every reference points at a schema that exists.
    const refs = JSON.stringify(document).match(/#\/components\/schemas\/\w+/g) ?? []
    for (const ref of refs) {
      expect(document.components.schemas).toHaveProperty(ref.split("/").pop()!)
    }
    for (const methods of Object.values(document.paths)) {
      for (const operation of Object.values(methods)) {
        expect(operation.responses).toHaveProperty("200")
      }
    }
  })
})
