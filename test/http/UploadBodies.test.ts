/**
 * The Upload API's `/context` call as other clients send it: urlencoded, or JSON with the
 * signature in the body or the query; signed with SHA-1 or SHA-256.
 */
import { Signature } from "@ctxlog/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Running } from "./support/server.js"
import { keys, start } from "./support/server.js"

let server: Running
const key = keys[0]!

beforeAll(async () => {
  server = await start()
  for (const id of ["u1", "u2"]) {
    const response = await fetch(`${server.origin}/api/v1/demo/commands/upload`, {
      method: "POST",
      headers: { authorization: server.basic(), "content-type": "application/json" },
      body: JSON.stringify({ public_id: id })
    })
    expect(response.status).toBe(200)
  }
})

afterAll(async () => {
  await server?.close()
})

const now = () => String(Math.floor(Date.now() / 1000))

const contextOf = async (id: string) => {
  const response = await fetch(`${server.origin}/v1_1/demo/resources/image/upload/${id}`, {
    headers: { authorization: server.basic() }
  })
  return ((await response.json()) as { context?: { custom: Record<string, string> } }).context
}

describe("the context call", () => {
  it("accepts a urlencoded body with repeated public_ids[]", async () => {
    const fields = {
      command: "add",
      context: "via=form",
      public_ids: ["u1", "u2"],
      timestamp: now()
    }
    const body = new URLSearchParams([
      ["command", "add"],
      ["context", "via=form"],
      ["public_ids[]", "u1"],
      ["public_ids[]", "u2"],
      ["timestamp", fields.timestamp],
      ["api_key", key.apiKey],
      ["signature", Signature.sign(fields, key.apiSecret)]
    ])
    const response = await fetch(`${server.origin}/v1_1/demo/image/context`, {
      method: "POST",
      body
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ public_ids: ["u1", "u2"] })
    expect(await contextOf("u2")).toEqual({ custom: { via: "form" } })
  })

  it("accepts JSON with the signature in the body, signed with SHA-256", async () => {
    const fields = { command: "add", context: "via=json", public_ids: ["u1"], timestamp: now() }
    const response = await fetch(`${server.origin}/v1_1/demo/image/context`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        ...fields,
        api_key: key.apiKey,
        signature: Signature.sign(fields, key.apiSecret, "sha256")
      })
    })
    expect(response.status).toBe(200)
    expect(await contextOf("u1")).toEqual({ custom: { via: "json" } })
  })

  it("accepts JSON with the signature in the query and the context as an object", async () => {
    const timestamp = now()
    const signed = {
      command: "add",
      context: "k=a\\=b",
      public_ids: ["u2"],
      timestamp
    }
    const query = new URLSearchParams({
      timestamp,
      api_key: key.apiKey,
      signature: Signature.sign(signed, key.apiSecret)
    })
    const response = await fetch(`${server.origin}/v1_1/demo/image/context?${query}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ command: "add", context: { k: "a=b" }, public_ids: ["u2"] })
    })
    expect(response.status).toBe(200)
    expect(await contextOf("u2")).toEqual({ custom: { via: "form", k: "a=b" } })
  })

  it("removes all context on command=remove_all, and the context key disappears", async () => {
    const fields = { command: "remove_all", public_ids: ["u1"], timestamp: now() }
    const response = await fetch(`${server.origin}/v1_1/demo/image/context`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        ...fields,
        api_key: key.apiKey,
        signature: Signature.sign(fields, key.apiSecret)
      })
    })
    expect(await response.json()).toEqual({ public_ids: ["u1"] })
    expect(await contextOf("u1")).toBeUndefined()
  })

  it("refuses a tampered field, an unknown command and a missing context", async () => {
    const head = await server.head()
    const fields = { command: "add", context: "a=1", public_ids: ["u1"], timestamp: now() }
    const send = (body: Record<string, unknown>) =>
      fetch(`${server.origin}/v1_1/demo/image/context`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body)
      })
    const signature = Signature.sign(fields, key.apiSecret)
    const tampered = await send({ ...fields, context: "a=2", api_key: key.apiKey, signature })
    expect(tampered.status).toBe(401)
    const unknown = { ...fields, command: "merge" }
    const badCommand = await send({
      ...unknown,
      api_key: key.apiKey,
      signature: Signature.sign(unknown, key.apiSecret)
    })
    expect(badCommand.status).toBe(400)
    expect(((await badCommand.json()) as { error: { message: string } }).error.message)
      .toMatch(/add or remove_all/)
    const { context: _, ...bare } = fields
    const noContext = await send({
      ...bare,
      api_key: key.apiKey,
      signature: Signature.sign(bare, key.apiSecret)
    })
    expect(noContext.status).toBe(400)
    expect(await server.head()).toBe(head)
  })
})
