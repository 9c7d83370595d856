/**
 * The official Cloudinary SDK, pointed at a ctxlog server through `CLOUDINARY_URL`, manages
 * contextual metadata unchanged.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Running } from "./support/server.js"
import { keys, start } from "./support/server.js"

// The SDK's declarations are narrower than what it accepts at run time (object contexts for
// add_context, per-call keys), and those forms are what these tests are about.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Sdk = any

let server: Running
let cloudinary: Sdk
let png: string

// The smallest valid PNG: the server tells the format from its first bytes.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64"
)

beforeAll(async () => {
  server = await start()
  const demo = keys[0]!
  // The SDK picks http or https once, when it is first loaded, from `upload_prefix`.
  process.env.CLOUDINARY_URL =
    `cloudinary://${demo.apiKey}:${demo.apiSecret}@${demo.cloud}?upload_prefix=${server.origin}`
  cloudinary = (await import("cloudinary")).v2
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "ctxlog-sdk-"))
  png = Path.join(dir, "pixel.png")
  Fs.writeFileSync(png, PNG)
})

afterAll(async () => {
  await server?.close()
})

/** What a rejected SDK promise carries. */
const failure = async (promise: Promise<unknown>) => {
  try {
    await promise
  } catch (error) {
    const e = (error as { error?: unknown }).error ?? error
    return e as { http_code?: number; message?: string }
  }
  throw new Error("the call was expected to fail")
}

describe("Upload API", () => {
  it("uploads a file with context as an object and reads it back", async () => {
    const uploaded = await cloudinary.uploader.upload(png, {
      public_id: "shirts/blue shirt",
      context: { caption: "New = fresh | bold", alt: "back\\slash", title: "Ünïcødé ✓ 日本" }
    })
    expect(uploaded.public_id).toBe("shirts/blue shirt")
    expect(uploaded.resource_type).toBe("image")
    expect(uploaded.type).toBe("upload")
    expect(uploaded.format).toBe("png")
    expect(uploaded.bytes).toBe(PNG.length)
    expect(uploaded.secure_url).toMatch(/^https:\/\//)
    expect(uploaded.context).toEqual({
      custom: { caption: "New = fresh | bold", alt: "back\\slash", title: "Ünïcødé ✓ 日本" }
    })
    const read = await cloudinary.api.resource("shirts/blue shirt")
    expect(read.context.custom).toEqual(uploaded.context.custom)
    expect(read.public_id).toBe("shirts/blue shirt")
  })

  it("uploads by URL with context as pipe text", async () => {
    const uploaded = await cloudinary.uploader.upload("https://example.com/images/dog.jpg", {
      public_id: "dog",
      context: "caption=A dog \\= good|product=pet\\|food"
    })
    expect(uploaded.format).toBe("jpg")
    expect(uploaded.context.custom).toEqual({ caption: "A dog = good", product: "pet|food" })
  })

  it("accepts requests signed with SHA-256", async () => {
    const uploaded = await cloudinary.uploader.upload(png, {
      public_id: "sha256",
      context: "alg=sha256",
      signature_algorithm: "sha256"
    })
    expect(uploaded.context.custom).toEqual({ alg: "sha256" })
  })

  it("uploads without a public id, and gets one in the folder asked for", async () => {
    // In a folder of its own, so that its random id can never match another test's prefix.
    const uploaded = await cloudinary.uploader.upload(png, {
      folder: "generated",
      context: { a: "1" }
    })
    expect(uploaded.public_id).toMatch(/^generated\/[a-z0-9]{20}$/)
    const read = await cloudinary.api.resource(uploaded.public_id)
    expect(read.context.custom).toEqual({ a: "1" })
  })

  it("uploads in parts with upload_large", async () => {
    const big = Path.join(Path.dirname(png), "big.bin")
    Fs.writeFileSync(big, Buffer.alloc(12 * 1024 * 1024, 7))
    const uploaded = await new Promise<Record<string, unknown>>((resolve, reject) =>
      cloudinary.uploader.upload_large(
        big,
        { public_id: "big", resource_type: "raw", chunk_size: 6 * 1024 * 1024, context: "k=v" },
        (error: unknown, result: unknown) =>
          error ? reject(error) : resolve(result as Record<string, unknown>)
      )
    )
    expect(uploaded.public_id).toBe("big")
    expect(uploaded.bytes).toBe(12 * 1024 * 1024)
    expect(uploaded.context).toEqual({ custom: { k: "v" } })
  })

  it("adds context to several assets, leaving out missing ones", async () => {
    await cloudinary.uploader.upload(png, { public_id: "hat" })
    await cloudinary.uploader.upload(png, { public_id: "cap", context: "color=red" })
    const added = await cloudinary.uploader.add_context(
      "season=summer|note=a\\|b",
      ["hat", "cap", "missing-one"]
    )
    expect(added.public_ids).toEqual(["hat", "cap"])
    const cap = await cloudinary.api.resource("cap")
    expect(cap.context.custom).toEqual({ color: "red", season: "summer", note: "a|b" })
    const again = await cloudinary.uploader.add_context({ color: "blue", size: 42 }, ["cap"])
    expect(again.public_ids).toEqual(["cap"])
    const after = await cloudinary.api.resource("cap")
    expect(after.context.custom).toEqual({
      color: "blue",
      season: "summer",
      note: "a|b",
      size: "42"
    })
  })

  it("refuses a context the SDK sent without a key, and stores nothing", async () => {
    const head = await server.head()
    const error = await failure(cloudinary.uploader.add_context({ f: 1.5 } as never, ["cap"]))
    expect(error.http_code).toBe(400)
    expect(error.message).toMatch(/position/)
    expect(await server.head()).toBe(head)
  })

  it("removes all context; the resource then has no context key", async () => {
    const removed = await cloudinary.uploader.remove_all_context(["cap", "nope"])
    expect(removed.public_ids).toEqual(["cap"])
    const cap = await cloudinary.api.resource("cap")
    expect(cap).not.toHaveProperty("context")
  })

  it("answers remove_all_context with no ids with a clear 400", async () => {
    const error = await failure(cloudinary.uploader.remove_all_context([]))
    expect(error.http_code).toBe(400)
    expect(error.message).toMatch(/public_ids/)
  })

  it("sets context through explicit", async () => {
    const result = await cloudinary.uploader.explicit("hat", { type: "upload", context: "x=1" })
    expect(result.context).toEqual({ custom: { x: "1" } })
  })
})

describe("Admin API", () => {
  it("finds resources by context, with and without a value, page by page", async () => {
    for (const id of ["p1", "p2", "p3"]) {
      await cloudinary.uploader.upload(png, { public_id: id, context: { item: "shoe" } })
    }
    await cloudinary.uploader.upload(png, { public_id: "p4", context: { item: "sock" } })
    const shoes = await cloudinary.api.resources_by_context("item", "shoe", { context: true })
    expect(shoes.resources.map((r: { public_id: string }) => r.public_id)).toEqual([
      "p1",
      "p2",
      "p3"
    ])
    expect(shoes.resources[0].context.custom).toEqual({ item: "shoe" })
    const any = await cloudinary.api.resources_by_context("item")
    // Options passed second are sent as `value=` by the SDK: any value, like no value.
    const quirk = await cloudinary.api.resources_by_context("item", { context: true })
    expect(quirk.resources).toHaveLength(4)
    expect(any.resources.map((r: { public_id: string }) => r.public_id)).toEqual([
      "p1",
      "p2",
      "p3",
      "p4"
    ])
    const first = await cloudinary.api.resources_by_context("item", "", { max_results: 2 })
    expect(first.resources).toHaveLength(2)
    expect(first.next_cursor).toBeTypeOf("string")
    const second = await cloudinary.api.resources_by_context("item", "", {
      max_results: 2,
      next_cursor: first.next_cursor
    })
    expect(second.resources.map((r: { public_id: string }) => r.public_id)).toEqual(["p3", "p4"])
    expect(second.next_cursor).toBeUndefined()
  })

  it("lists resources by prefix and by ids, with context", async () => {
    const byPrefix = await cloudinary.api.resources({ type: "upload", prefix: "p", context: true })
    expect(byPrefix.resources.map((r: { public_id: string }) => r.public_id)).toEqual([
      "p1",
      "p2",
      "p3",
      "p4"
    ])
    expect(byPrefix.resources[3].context.custom).toEqual({ item: "sock" })
    const byIds = await cloudinary.api.resources_by_ids(["p2", "nope", "p4"], { context: true })
    expect(byIds.resources.map((r: { public_id: string }) => r.public_id)).toEqual(["p2", "p4"])
  })

  it("replaces context with update", async () => {
    const updated = await cloudinary.api.update("p1", { context: "product=boot|size=44" })
    expect(updated.context.custom).toEqual({ product: "boot", size: "44" })
    const read = await cloudinary.api.resource("p1")
    expect(read.context.custom).toEqual({ product: "boot", size: "44" })
  })

  it("answers a missing resource with 404", async () => {
    const error = await failure(cloudinary.api.resource("does-not-exist"))
    expect(error.http_code).toBe(404)
  })

  it("deletes resources", async () => {
    const deleted = await cloudinary.api.delete_resources(["p4", "never-was"])
    expect(deleted.deleted).toEqual({ p4: "deleted", "never-was": "not_found" })
    const error = await failure(cloudinary.api.resource("p4"))
    expect(error.http_code).toBe(404)
  })
})

describe("Search", () => {
  it("finds by context with AND, and returns flat context", async () => {
    await cloudinary.uploader.upload(png, {
      public_id: "s1",
      context: { color: "Deep Blue", kind: "tee" }
    })
    await cloudinary.uploader.upload(png, {
      public_id: "s2",
      context: { color: "blue", kind: "hat" }
    })
    await cloudinary.uploader.upload(png, {
      public_id: "s3",
      context: { color: "red", kind: "tee" }
    })
    const exact = await cloudinary.search
      .expression("context.color=blue")
      .with_field("context")
      .execute()
    expect(exact.total_count).toBe(1)
    expect(exact.resources[0].public_id).toBe("s2")
    expect(exact.resources[0].context).toEqual({ color: "blue", kind: "hat" })
    const match = await cloudinary.search
      .expression("context.color:blue AND context.kind=tee")
      .with_field("context")
      .sort_by("public_id", "asc")
      .execute()
    expect(match.resources.map((r: { public_id: string }) => r.public_id)).toEqual(["s1"])
    const both = await cloudinary.search
      .expression("context.color:BLUE")
      .sort_by("public_id", "asc")
      .max_results(1)
      .execute()
    expect(both.total_count).toBe(2)
    expect(both.resources.map((r: { public_id: string }) => r.public_id)).toEqual(["s1"])
    expect(both.resources[0]).not.toHaveProperty("context")
    const next = await cloudinary.search
      .expression("context.color:BLUE")
      .sort_by("public_id", "asc")
      .max_results(1)
      .next_cursor(both.next_cursor)
      .execute()
    expect(next.resources.map((r: { public_id: string }) => r.public_id)).toEqual(["s2"])
    expect(next.next_cursor).toBeUndefined()
  })

  it("runs prefixes, OR, NOT and aggregations", async () => {
    const found = await cloudinary.search
      .expression("context.color:blu* OR context.kind=hat")
      .sort_by("public_id", "asc")
      .execute()
    expect(found.resources.map((r: { public_id: string }) => r.public_id)).toEqual(["s1", "s2"])
    const not = await cloudinary.search
      .expression("context.kind=tee -context.color:blue")
      .execute()
    expect(not.resources.map((r: { public_id: string }) => r.public_id)).toEqual(["s3"])
    const counted = await cloudinary.search
      .expression("context.kind:*")
      .aggregate("context.kind")
      .execute()
    expect(counted.aggregations).toEqual({ "context.kind": { tee: 2, hat: 1 } })
  })

  it("refuses a malformed expression, naming the position", async () => {
    const error = await failure(cloudinary.search.expression("context.color=").execute())
    expect(error.http_code).toBe(400)
    expect(error.message).toMatch(/position 14/)
  })
})

describe("refusals", () => {
  it("a wrong signature: 401, nothing stored", async () => {
    const head = await server.head()
    const error = await failure(
      cloudinary.uploader.upload(png, {
        public_id: "forged",
        context: "a=1",
        api_secret: "not-the-secret"
      })
    )
    expect(error.http_code).toBe(401)
    expect(error.message).toMatch(/signature/)
    expect(await server.head()).toBe(head)
  })

  it("a stale timestamp: 401, nothing stored", async () => {
    const head = await server.head()
    const error = await failure(
      cloudinary.uploader.upload(png, {
        public_id: "stale",
        timestamp: Math.floor(Date.now() / 1000) - 3700
      })
    )
    expect(error.http_code).toBe(401)
    expect(error.message).toMatch(/3600/)
    expect(await server.head()).toBe(head)
  })

  it("an unknown api key: 401 on both APIs, nothing stored", async () => {
    const head = await server.head()
    const upload = await failure(
      cloudinary.uploader.upload(png, { public_id: "x", api_key: "999", api_secret: "zzz" })
    )
    expect(upload.http_code).toBe(401)
    const admin = await failure(
      cloudinary.api.update("p1", { context: "a=1", api_key: "999", api_secret: "zzz" })
    )
    expect(admin.http_code).toBe(401)
    expect(await server.head()).toBe(head)
  })

  it("a key of another cloud: 403, nothing stored", async () => {
    const head = await server.head()
    const other = keys[1]!
    const upload = await failure(
      cloudinary.uploader.upload(png, { public_id: "x", cloud_name: other.cloud })
    )
    expect(upload.http_code).toBe(403)
    const admin = await failure(
      cloudinary.api.resources_by_context("item", "shoe", { cloud_name: other.cloud })
    )
    expect(admin.http_code).toBe(403)
    const context = await failure(
      cloudinary.uploader.add_context("a=1", ["p1"], {
        api_key: other.apiKey,
        api_secret: other.apiSecret
      })
    )
    expect(context.http_code).toBe(403)
    expect(await server.head()).toBe(head)
  })

  it("an oversize context: 400 naming the limit, nothing stored", async () => {
    const head = await server.head()
    const error = await failure(
      cloudinary.uploader.add_context({ long: "x".repeat(300) }, ["p1", "p2"])
    )
    expect(error.http_code).toBe(400)
    expect(error.message).toMatch(/255/)
    expect(await server.head()).toBe(head)
    const p2 = await cloudinary.api.resource("p2")
    expect(p2.context.custom).toEqual({ item: "shoe" })
  })
})
