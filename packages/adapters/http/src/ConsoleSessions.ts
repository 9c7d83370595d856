/**
 * Signed-in sessions of the web console, held in this process: a session is a random id in an
 * HttpOnly, SameSite=Strict cookie, the key it signed in with, and a CSRF token that every
 * request other than a read must echo in a header. A session ends when it signs out, after
 * eight idle hours, or when the process stops (then everyone signs in again). An address that
 * fails to sign in ten times in fifteen minutes is refused until the fifteen minutes are over.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { randomBytes, timingSafeEqual } from "node:crypto"
import * as ApiError from "./ApiError.js"
import type { CredentialsShape, Principal } from "./Credentials.js"

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

/** Sessions kept at most; the least recently used one ends first beyond it. */
const MAX_SESSIONS = 10_000

/**
 * Failed sign-ins one address may make in a window before it is refused until the window
 * ends. Counted by address, not by key: a count by key would let anyone lock a key's owner out.
 */
const MAX_FAILURES = 10
const FAILURE_WINDOW_MS = 15 * 60_000
/** Addresses whose failures are remembered at most; the oldest is forgotten first. */
const MAX_ADDRESSES = 10_000

const token = () => randomBytes(32).toString("base64url")

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

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
  ) => Either.Either<Session, ApiError.ApiError>
  /** The live session a cookie names. */
  readonly find: (id: string | undefined) => Option.Option<Session>
  readonly signOut: (id: string) => void
  /** Whether a request's CSRF header is the session's token. */
  readonly checkCsrf: (session: Session, header: string | undefined) => boolean
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (now: () => number = Date.now): ConsoleSessions => {
  // A Map keeps insertion order; a session is moved to the end when it is used, so the first
  // entry is always the least recently used one.
  const sessions = new Map<string, Session>()
  const failures = new Map<string, { count: number; since: number }>()
  const failed = (client: string, at: number) => {
    const seen = failures.get(client)
    if (seen === undefined || at - seen.since > FAILURE_WINDOW_MS) {
      failures.delete(client)
      failures.set(client, { count: 1, since: at })
      while (failures.size > MAX_ADDRESSES) failures.delete(failures.keys().next().value!)
    } else {
      seen.count++
    }
    return Either.left(ApiError.unauthorized("wrong api key or secret"))
  }
  return {
    signIn: (credentials, apiKey, apiSecret, client) => {
      const at = now()
      const seen = failures.get(client)
      if (
        seen !== undefined && seen.count >= MAX_FAILURES && at - seen.since <= FAILURE_WINDOW_MS
      ) {
        const wait = Math.ceil((seen.since + FAILURE_WINDOW_MS - at) / 1000)
        return Either.left(
          new ApiError.ApiError({
            status: 429,
            detail: `too many failed sign-ins from this address; try again in ${wait} s`
          })
        )
      }
      const key = credentials.find(apiKey)
      if (Option.isNone(key)) {
        // Still compare, so that an unknown key takes as long as a wrong secret.
        sameText(apiSecret, apiSecret)
        return failed(client, at)
      }
      if (!sameText(apiSecret, Redacted.value(key.value.apiSecret))) return failed(client, at)
      const session: Session = {
        id: token(),
        principal: key.value,
        csrfToken: token(),
        lastSeen: at
      }
      sessions.set(session.id, session)
      while (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!)
      return Either.right(session)
    },
    find: (id) => {
      if (id === undefined) return Option.none()
      const session = sessions.get(id)
      if (session === undefined) return Option.none()
      const at = now()
      if (at - session.lastSeen > IDLE_MS) {
        sessions.delete(id)
        return Option.none()
      }
      session.lastSeen = at
      sessions.delete(id)
      sessions.set(id, session)
      return Option.some(session)
    },
    signOut: (id) => {
      sessions.delete(id)
    },
    checkCsrf: (session, header) => header !== undefined && sameText(header, session.csrfToken)
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
