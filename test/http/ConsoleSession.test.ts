/**
 * The console's sessions on the server side: signing in and out, the cookie's attributes, one
 * cloud per session, CSRF tokens on every change, and changes recorded as from the UI. The page
 * itself is tested in a real browser under test/console.
 */
import { Settings } from "@ctxlog/core"
import { ConsoleSessions, Credentials } from "@ctxlog/http"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Running } from "./support/server.js"
import { keys, start } from "./support/server.js"

let server: Running
const demo = keys[0]!

beforeAll(async () => {
  const built = mkdtempSync(join(tmpdir(), "ctxlog-console-files-"))
  mkdirSync(join(built, "assets"))
  writeFileSync(join(built, "index.html"), "<!doctype html><title>ctxlog console</title>")
  writeFileSync(join(built, "assets", "app-abc123.js"), "export {}")
  server = await start({ consoleDirectory: built })
})

afterAll(async () => {
  await server?.close()
})

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (response: Response): Promise<any> => response.json()

const signIn = async (apiKey = demo.apiKey, apiSecret = demo.apiSecret) => {
  const response = await fetch(`${server.origin}/console/session`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: server.origin },
    body: JSON.stringify({ api_key: apiKey, api_secret: apiSecret })
  })
  const cookie = response.headers.get("set-cookie") ?? ""
  return {
    status: response.status,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    body: await response.json() as any,
    setCookie: cookie,
    cookie: cookie.split(";")[0]!
  }
}

const withSession = (
  session: { cookie: string; body: { csrf_token: string } },
  method: string,
  path: string,
  body?: unknown,
  extra: Record<string, string> = {}
) =>
  fetch(`${server.origin}${path}`, {
    method,
    headers: {
      cookie: session.cookie,
      "x-csrf-token": session.body.csrf_token,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...extra
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })

describe("signing in to the console", () => {
  it("opens a session for the key's cloud in an HttpOnly, SameSite=Strict cookie", async () => {
    const session = await signIn()
    expect(session.status).toBe(200)
    expect(session.body).toMatchObject({
      cloud: "demo",
      api_key: demo.apiKey,
      limits: { max_context_length: 255, max_key_length: 1024, max_value_length: 1024 }
    })
    expect(session.body.csrf_token).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    expect(session.setCookie).toMatch(/^ctxlog_session=[A-Za-z0-9_-]{40,}; /)
    expect(session.setCookie).toContain("HttpOnly")
    expect(session.setCookie).toContain("SameSite=Strict")
    expect(session.setCookie).toContain("Path=/")
    expect(session.setCookie).not.toContain("Secure")

    const again = await fetch(`${server.origin}/console/session`, {
      headers: { cookie: session.cookie }
    })
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual(session.body)
  })

  it("refuses a wrong secret or an unknown key, and sets no cookie", async () => {
    for (const [key, secret] of [[demo.apiKey, "wrong"], ["999", demo.apiSecret]] as const) {
      const refused = await signIn(key, secret)
      expect(refused.status).toBe(401)
      expect(refused.body).toEqual({ error: { message: "wrong api key or secret" } })
      expect(refused.setCookie).toBe("")
    }
    const missing = await fetch(`${server.origin}/console/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key: demo.apiKey })
    })
    expect(missing.status).toBe(400)
    expect((await json(missing)).error.message).toContain("api_secret")
  })

  it("refuses a sign-in posted from another site", async () => {
    const response = await fetch(`${server.origin}/console/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: JSON.stringify({ api_key: demo.apiKey, api_secret: demo.apiSecret })
    })
    expect(response.status).toBe(403)
    expect(response.headers.get("set-cookie")).toBeNull()
  })
})

describe("a console session", () => {
  it("records its commands as from the UI, with its key as actor", async () => {
    const session = await signIn()
    const up = await withSession(session, "POST", "/api/v1/demo/commands/upload", {
      public_id: "ui/1",
      context: "a=1",
      source: "api"
    })
    expect(up.status).toBe(200)
    const history = await withSession(session, "GET", "/api/v1/demo/history/image/upload/ui/1")
    const events = (await json(history)).events
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ source: "ui", actor: demo.apiKey })

    // The same command with Basic auth stays from the API.
    const api = await fetch(`${server.origin}/api/v1/demo/commands/add`, {
      method: "POST",
      headers: { authorization: server.basic(), "content-type": "application/json" },
      body: JSON.stringify({ public_ids: ["ui/1"], context: "b=2" })
    })
    expect(api.status).toBe(200)
    const both = await json(
      await withSession(session, "GET", "/api/v1/demo/history/image/upload/ui/1")
    )
    expect(both.events.map((e: { source: string }) => e.source)).toEqual(["ui", "api"])
  })

  it("changes nothing without its CSRF token, or from another site", async () => {
    const session = await signIn()
    const head = await server.head()
    const noToken = await fetch(`${server.origin}/api/v1/demo/commands/upload`, {
      method: "POST",
      headers: { cookie: session.cookie, "content-type": "application/json" },
      body: JSON.stringify({ public_id: "ui/2", context: "a=1" })
    })
    expect(noToken.status).toBe(403)
    expect((await json(noToken)).error.message).toContain("X-CSRF-Token")
    const wrongToken = await withSession(
      { ...session, body: { csrf_token: "x".repeat(43) } },
      "POST",
      "/api/v1/demo/commands/upload",
      { public_id: "ui/2", context: "a=1" }
    )
    expect(wrongToken.status).toBe(403)
    const foreign = await withSession(
      session,
      "POST",
      "/api/v1/demo/commands/upload",
      { public_id: "ui/2", context: "a=1" },
      { origin: "https://evil.example" }
    )
    expect(foreign.status).toBe(403)
    const search = await fetch(`${server.origin}/v1_1/demo/resources/search`, {
      method: "POST",
      headers: { cookie: session.cookie, "content-type": "application/json" },
      body: JSON.stringify({ expression: "" })
    })
    expect(search.status).toBe(403)
    expect(await server.head()).toBe(head)
    // Reads need no token.
    const read = await fetch(`${server.origin}/api/v1/demo/head`, {
      headers: { cookie: session.cookie }
    })
    expect(read.status).toBe(200)
  })

  it("sees only its own cloud", async () => {
    const session = await signIn()
    const other = await withSession(session, "GET", "/api/v1/other/head")
    expect(other.status).toBe(403)
    const stream = await withSession(session, "GET", "/v1_1/other/context/stream")
    expect(stream.status).toBe(403)
  })

  it("ends when it signs out", async () => {
    const session = await signIn()
    const noToken = await fetch(`${server.origin}/console/session`, {
      method: "DELETE",
      headers: { cookie: session.cookie }
    })
    expect(noToken.status).toBe(403)
    const out = await withSession(session, "DELETE", "/console/session")
    expect(out.status).toBe(200)
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0")
    const after = await withSession(session, "GET", "/api/v1/demo/head")
    expect(after.status).toBe(401)
    expect((await json(after)).error.message).toContain("sign in again")
    const page = await fetch(`${server.origin}/console/session`, {
      headers: { cookie: session.cookie }
    })
    expect(page.status).toBe(401)
  })
})

describe("failed sign-ins", () => {
  it("refuse an address after ten failures for fifteen minutes, and no other address", () => {
    let clock = 0
    const sessions = ConsoleSessions.make({ now: () => clock })
    const credentials = Either.getOrThrow(
      Credentials.make([{ cloud: "demo", apiKey: "k", apiSecret: Redacted.make("right") }])
    )
    const attempt = (secret: string, client: string) =>
      Effect.runSync(Effect.either(sessions.signIn(credentials, "k", secret, client)))
    const status = (secret: string, client: string) =>
      Either.match(attempt(secret, client), {
        onLeft: (error) => error.status,
        onRight: () => 200
      })
    for (let i = 0; i < 10; i++) expect(status("wrong", "10.0.0.1")).toBe(401)
    // Refused even with the right secret, so that guessing cannot go on.
    expect(status("right", "10.0.0.1")).toBe(429)
    const refusal = attempt("right", "10.0.0.1")
    expect(Either.isLeft(refusal) && refusal.left.message).toMatch(/try again in 900 s/)
    expect(status("right", "10.0.0.2")).toBe(200)
    clock += 15 * 60_000 + 1
    expect(status("right", "10.0.0.1")).toBe(200)
  })
})

describe("sessions in the settings", () => {
  it("are kept under a hash of their id, with neither the id nor the secret", async () => {
    const settings = Effect.runSync(Settings.makeMemory)
    const sessions = ConsoleSessions.make({ settings })
    const credentials = Either.getOrThrow(
      Credentials.make([{ cloud: "demo", apiKey: "k", apiSecret: Redacted.make("right") }])
    )
    const session = Effect.runSync(sessions.signIn(credentials, "k", "right", "10.0.0.3"))
    const stored = Effect.runSync(settings.list(""))
    expect(stored).toHaveLength(1)
    const [name, value] = stored[0]!
    expect(name).toMatch(/^console\.session\.[A-Za-z0-9_-]{43}$/)
    expect(`${name}${value}`).not.toContain(session.id)
    expect(value).not.toContain("right")
    expect(JSON.parse(value)).toMatchObject({ cloud: "demo", api_key: "k" })

    // Another process on the same settings finds it; without the key it is gone.
    const other = ConsoleSessions.make({ settings })
    const found = Effect.runSync(other.find(credentials, session.id))
    expect(Option.getOrUndefined(found)?.csrfToken).toBe(session.csrfToken)
    const without = Either.getOrThrow(Credentials.make([]))
    expect(Option.isNone(Effect.runSync(other.find(without, session.id)))).toBe(true)
    expect(Effect.runSync(settings.list(""))).toEqual([])
  })
})

describe("the console's files", () => {
  it("serves the page and its assets with a strict content security policy", async () => {
    const page = await fetch(`${server.origin}/console`)
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toContain("text/html")
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'")
    expect(page.headers.get("cache-control")).toBe("no-cache")
    expect(await page.text()).toContain("ctxlog console")
    const etag = page.headers.get("etag")!
    const cached = await fetch(`${server.origin}/console/`, { headers: { "if-none-match": etag } })
    expect(cached.status).toBe(304)

    const asset = await fetch(`${server.origin}/console/assets/app-abc123.js`)
    expect(asset.status).toBe(200)
    expect(asset.headers.get("content-type")).toContain("text/javascript")
    expect(asset.headers.get("cache-control")).toContain("immutable")

    for (const path of ["/console/assets/missing.js", "/console/assets/..%2Findex.html"]) {
      expect((await fetch(`${server.origin}${path}`)).status).toBe(404)
    }
  })
})
