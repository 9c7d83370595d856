/**
 * Signed-in sessions of the web console: a session is a random id in an HttpOnly,
 * SameSite=Strict cookie, the key it signed in with, and a CSRF token that every request other
 * than a read must echo in a header. Sessions are kept in the store's settings, so they outlive
 * a restart and every server on the store knows them. A session ends when it signs out, after
 * eight idle hours, or when its key is no longer one of the server's. An address that
 * fails to sign in ten times in fifteen minutes is refused until the fifteen minutes are over.
 *
 * @since 0.1.0
 */
import { Settings } from "@ctxlog/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { createHash, randomBytes } from "node:crypto"
import * as ApiError from "./ApiError.js"
import type { CredentialsShape, Principal } from "./Credentials.js"
import { constantTimeEquals, verify } from "./Credentials.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Session {
  readonly id: string
  readonly principal: Principal
  readonly csrfToken: string
  lastSeen: number
}

/**
 * @since 0.1.0
 * @category constants
 */
export const COOKIE = "ctxlog_session"

/** Idle time after which a session ends. */
const IDLE_MS = 8 * 3_600_000

/**
 * Failed sign-ins one address may make in a window before it is refused until the window
 * ends. Counted by address, not by key: a count by key would let anyone lock a key's owner out.
 */
const MAX_FAILURES = 10
const FAILURE_WINDOW_MS = 15 * 60_000
/** Addresses whose failures are remembered at most; the oldest is forgotten first. */
const MAX_ADDRESSES = 10_000

const token = () => randomBytes(32).toString("base64url")

/**
 * @since 0.1.0
 * @category models
 */
export interface ConsoleSessions {
  /**
   * Checks a key and secret, and opens a session for the key's cloud. `client` is the address
   * the attempt came from, whose failures are counted.
   */
  readonly signIn: (
    credentials: CredentialsShape,
    apiKey: string,
    apiSecret: string,
    client: string
  ) => Effect.Effect<Session, ApiError.ApiError>
  /** The live session a cookie names, if its key is still one of the server's. */
  readonly find: (
    credentials: CredentialsShape,
    id: string | undefined
  ) => Effect.Effect<Option.Option<Session>, ApiError.ApiError>
  readonly signOut: (id: string) => Effect.Effect<void, ApiError.ApiError>
  /** Whether a request's CSRF header is the session's token. */
  readonly checkCsrf: (session: Session, header: string | undefined) => boolean
}

/** What a session keeps in the settings: everything but its id and the key's secret. */
const Stored = Schema.parseJson(Schema.Struct({
  cloud: Schema.String,
  api_key: Schema.String,
  csrf_token: Schema.String,
  last_seen: Schema.Number
}))

const PREFIX = "console.session."

/**
 * A session's name in the settings: a hash of its id, so that whoever reads the settings holds
 * no cookie that signs in.
 */
const nameOf = (id: string) => `${PREFIX}${createHash("sha256").update(id).digest("base64url")}`

/** A session is written again when it is used at least this long after it last was. */
const TOUCH_MS = 60_000

/** Ended sessions are swept from the settings at most this often. */
const SWEEP_MS = 3_600_000

const storeError = (e: { readonly message: string }) =>
  new ApiError.ApiError({ status: 500, detail: `the console's sessions: ${e.message}` })

/**
 * Sessions in the given settings, so that they outlive a restart and every server on one store
 * shares them; in this process's memory when none are given. Failed sign-ins are counted in
 * memory either way.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: { readonly settings?: Settings.SettingsShape; readonly now?: () => number } = {}
): ConsoleSessions => {
  const now = options.now ?? Date.now
  const settings = options.settings ?? Effect.runSync(Settings.makeMemory)
  const failures = new Map<string, { count: number; since: number }>()
  let swept = 0
  const failed = (client: string, at: number) => {
    const seen = failures.get(client)
    if (seen === undefined || at - seen.since > FAILURE_WINDOW_MS) {
      failures.delete(client)
      failures.set(client, { count: 1, since: at })
      while (failures.size > MAX_ADDRESSES) failures.delete(failures.keys().next().value!)
    } else {
      seen.count++
    }
    return Effect.fail(ApiError.unauthorized("wrong api key or secret"))
  }
  const write = (session: Session) =>
    Effect.flatMap(
      Schema.encode(Stored)({
        cloud: session.principal.cloud,
        api_key: session.principal.apiKey,
        csrf_token: session.csrfToken,
        last_seen: session.lastSeen
      }),
      (value) => settings.set(nameOf(session.id), value)
    )
  /** Removes the sessions that ended, so that the settings do not grow without bound. */
  const sweep = (at: number) =>
    at - swept < SWEEP_MS ? Effect.void : Effect.gen(function*() {
      swept = at
      for (const [name, value] of yield* settings.list(PREFIX)) {
        const stored = Schema.decodeUnknownOption(Stored)(value)
        if (Option.isNone(stored) || at - stored.value.last_seen > IDLE_MS) {
          yield* settings.remove(name)
        }
      }
    })
  return {
    signIn: (credentials, apiKey, apiSecret, client) =>
      Effect.gen(function*() {
        const at = now()
        const seen = failures.get(client)
        if (
          seen !== undefined && seen.count >= MAX_FAILURES &&
          at - seen.since <= FAILURE_WINDOW_MS
        ) {
          const wait = Math.ceil((seen.since + FAILURE_WINDOW_MS - at) / 1000)
          return yield* new ApiError.ApiError({
            status: 429,
            detail: `too many failed sign-ins from this address; try again in ${wait} s`
          })
        }
        // Which of the two was wrong is not said: that would tell a guesser the keys.
        const key = verify(credentials, apiKey, apiSecret)
        if (Either.isLeft(key)) return yield* failed(client, at)
        const session: Session = {
          id: token(),
          principal: key.right,
          csrfToken: token(),
          lastSeen: at
        }
        yield* write(session)
        yield* sweep(at)
        return session
      }).pipe(Effect.catchTags({ SettingsError: storeError, ParseError: storeError })),
    find: (credentials, id) =>
      Effect.gen(function*() {
        if (id === undefined || id === "") return Option.none()
        const name = nameOf(id)
        const value = yield* settings.get(name)
        if (Option.isNone(value)) return Option.none()
        const stored = Schema.decodeUnknownOption(Stored)(value.value)
        // The key may have been removed from the configuration, or given to another cloud.
        const key = Option.flatMap(stored, (s) => credentials.find(s.api_key))
        const at = now()
        if (
          Option.isNone(stored) || Option.isNone(key) ||
          key.value.cloud !== stored.value.cloud || at - stored.value.last_seen > IDLE_MS
        ) {
          yield* settings.remove(name)
          return Option.none()
        }
        const session: Session = {
          id,
          principal: key.value,
          csrfToken: stored.value.csrf_token,
          lastSeen: stored.value.last_seen
        }
        if (at - session.lastSeen >= TOUCH_MS) {
          session.lastSeen = at
          yield* write(session)
        }
        return Option.some(session)
      }).pipe(Effect.catchTags({ SettingsError: storeError, ParseError: storeError })),
    signOut: (id) => settings.remove(nameOf(id)).pipe(Effect.catchTag("SettingsError", storeError)),
    checkCsrf: (session, header) =>
      header !== undefined && constantTimeEquals(header, session.csrfToken)
  }
}

/**
 * The value of one cookie in a `Cookie` header.
 *
 * @since 0.1.0
 * @category cookies
 */
export const cookieValue = (header: string | undefined, name: string): string | undefined => {
  if (header === undefined) return undefined
  for (const part of header.split(";")) {
    const eq = part.indexOf("=")
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/**
 * The `Set-Cookie` value of a session; `secure` when the page was reached over HTTPS.
 *
 * @since 0.1.0
 * @category cookies
 */
export const setCookie = (session: Session | undefined, secure: boolean): string =>
  [
    `${COOKIE}=${session?.id ?? ""}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    session === undefined ? "Max-Age=0" : `Max-Age=${IDLE_MS / 1000}`,
    ...(secure ? ["Secure"] : [])
  ].join("; ")
