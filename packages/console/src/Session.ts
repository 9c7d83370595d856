/**
 * Signing in and out. The server keeps the session and sets an HttpOnly cookie; the page only
 * holds what the server answered: the cloud of the key, the key, and the CSRF token.
 */
import type { Session } from "./Api.js"
import { ApiError, send } from "./Api.js"

const PATH = "/console/session"

/** The session the cookie names, or nothing when signed out (401). */
export const current = async (): Promise<Session | undefined> => {
  try {
    return await send<Session>("GET", PATH)
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined
    throw error
  }
}

/** Signs in; a wrong key or secret rejects with the server's message. */
export const signIn = (apiKey: string, apiSecret: string): Promise<Session> =>
  send<Session>("POST", PATH, { body: { api_key: apiKey, api_secret: apiSecret } })

export const signOut = async (session: Session): Promise<void> => {
  await send("DELETE", PATH, { csrf: session.csrf_token })
}
