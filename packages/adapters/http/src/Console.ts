/**
 * The web console's own routes: its page and built files under `/console`, and signing in and
 * out at `/console/session`. The page reads and writes through the same APIs as any client,
 * authenticated by its session cookie (see `HttpApi`). The built files are read once, when the
 * server starts: they are small, and a running server never serves half of a new build.
 *
 * @since 0.1.0
 */
import type { Policy } from "@ctxlog/core"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { extname, join } from "node:path"
import * as ApiError from "./ApiError.js"
import * as Body from "./Body.js"
import * as ConsoleSessions from "./ConsoleSessions.js"
import type { CredentialsShape } from "./Credentials.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface File {
  readonly body: Uint8Array
  readonly contentType: string
  readonly etag: string
}

/**
 * The built console: `index.html` and the files under `assets/`; none when it was not built.
 *
 * @since 0.1.0
 * @category models
 */
export interface Files {
  readonly index: Option.Option<File>
  readonly assets: ReadonlyMap<string, File>
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json",
  ".map": "application/json"
}

const fileAt = (path: string): File => {
  const body = readFileSync(path)
  return {
    body,
    contentType: TYPES[extname(path)] ?? "application/octet-stream",
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`
  }
}

/**
 * Reads a built console from its folder.
 *
 * @since 0.1.0
 * @category constructors
 */
export const load = (directory: string | undefined): Files => {
  const assets = new Map<string, File>()
  if (directory === undefined || !existsSync(join(directory, "index.html"))) {
    return { index: Option.none(), assets }
  }
  const assetDir = join(directory, "assets")
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      if (statSync(join(assetDir, name)).isFile()) assets.set(name, fileAt(join(assetDir, name)))
    }
  }
  return { index: Option.some(fileAt(join(directory, "index.html"))), assets }
}

/** The page runs only its own scripts and talks only to this server. */
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; img-src 'self' data:; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY"
}

const serve = (file: File, ifNoneMatch: string | undefined, immutable: boolean) =>
  ifNoneMatch === file.etag
    ? HttpServerResponse.empty({ status: 304, headers: { etag: file.etag } })
    : HttpServerResponse.uint8Array(file.body, {
      status: 200,
      contentType: file.contentType,
      headers: {
        ...SECURITY_HEADERS,
        etag: file.etag,
        // Built assets carry a hash of their content in their names; the page does not.
        "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache"
      }
    })

/**
 * What a console route needs of its request.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request {
  readonly method: string
  readonly rest: ReadonlyArray<string>
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: Effect.Effect<Body.Body, ApiError.ApiError>
  /** The address the request came from. */
  readonly client: string
}

const sessionJson = (session: ConsoleSessions.Session, limits: Policy.Limits) => ({
  cloud: session.principal.cloud,
  api_key: session.principal.apiKey,
  csrf_token: session.csrfToken,
  // The page checks what a person types against the same limits as the server.
  limits: {
    max_context_length: limits.maxContextLength,
    max_key_length: limits.maxKeyLength,
    max_value_length: limits.maxValueLength,
    max_pairs: limits.maxPairs
  }
})

const withCookie = (
  response: HttpServerResponse.HttpServerResponse,
  session: ConsoleSessions.Session | undefined,
  headers: Request["headers"]
) =>
  HttpServerResponse.setHeader(
    response,
    "set-cookie",
    ConsoleSessions.setCookie(session, headers["x-forwarded-proto"] === "https")
  )

/**
 * Serves `/console/<rest>`.
 *
 * @since 0.1.0
 * @category handlers
 */
export const handle = (
  files: Files,
  sessions: ConsoleSessions.ConsoleSessions,
  credentials: CredentialsShape,
  limits: Policy.Limits,
  request: Request
): Effect.Effect<HttpServerResponse.HttpServerResponse, ApiError.ApiError> =>
  Effect.gen(function*() {
    const { headers, method, rest } = request
    const cookie = ConsoleSessions.cookieValue(headers.cookie, ConsoleSessions.COOKIE)
    if (rest[0] === "session" && rest.length === 1) {
      if (method === "GET") {
        const session = yield* sessions.find(credentials, cookie)
        if (Option.isNone(session)) return yield* ApiError.unauthorized("not signed in")
        return HttpServerResponse.unsafeJson(sessionJson(session.value, limits), {
          headers: { "cache-control": "no-store" }
        })
      }
      if (method === "POST") {
        // A sign-in form posted from another site would sign the browser in to an account of
        // the attacker's; the page's own requests carry its origin.
        if (fromOtherSite(headers)) {
          return yield* ApiError.forbidden("sign in from the console's own page")
        }
        const body = yield* request.body
        const apiKey = Body.string(body.fields, "api_key")
        const apiSecret = Body.string(body.fields, "api_secret")
        if (apiKey === undefined || apiKey === "") {
          return yield* ApiError.badRequest("Missing required parameter - api_key")
        }
        if (apiSecret === undefined || apiSecret === "") {
          return yield* ApiError.badRequest("Missing required parameter - api_secret")
        }
        const session = yield* sessions.signIn(credentials, apiKey, apiSecret, request.client)
        return withCookie(
          HttpServerResponse.unsafeJson(sessionJson(session, limits), {
            headers: { "cache-control": "no-store" }
          }),
          session,
          headers
        )
      }
      if (method === "DELETE") {
        const session = yield* sessions.find(credentials, cookie)
        if (Option.isSome(session)) {
          if (!sessions.checkCsrf(session.value, headers["x-csrf-token"])) {
            return yield* ApiError.forbidden("the request has no valid X-CSRF-Token header")
          }
          yield* sessions.signOut(session.value.id)
        }
        return withCookie(HttpServerResponse.unsafeJson({ signed_out: true }), undefined, headers)
      }
      return yield* ApiError.notFound(`${method} /console/session is not served`)
    }
    if (method !== "GET" && method !== "HEAD") {
      return yield* ApiError.notFound(`${method} /console/${rest.join("/")} is not served`)
    }
    if (rest.length === 0 || (rest.length === 1 && rest[0] === "index.html")) {
      if (Option.isNone(files.index)) {
        return HttpServerResponse.text(
          "The console is not built: run `pnpm build` in the ctxlog checkout.",
          { status: 503 }
        )
      }
      return serve(files.index.value, headers["if-none-match"], false)
    }
    if (rest[0] === "assets" && rest.length === 2) {
      const file = files.assets.get(rest[1]!)
      if (file !== undefined) return serve(file, headers["if-none-match"], true)
    }
    return yield* ApiError.notFound(`/console/${rest.join("/")} is not part of the console`)
  })

/**
 * Whether a request says it was sent by a page of another site: its `Origin` header names a
 * host other than the one it was sent to. A request without the header says nothing.
 *
 * @since 0.1.0
 * @category security
 */
export const fromOtherSite = (headers: Request["headers"]): boolean => {
  const { host, origin } = headers
  if (origin === undefined || host === undefined) return false
  try {
    return new URL(origin).host !== host
  } catch {
    return true
  }
}
