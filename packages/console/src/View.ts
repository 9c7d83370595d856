/**
 * What every screen of the signed-in console is given, and what it gives back.
 */
import type { Client } from "./Api.js"
import type { LiveStream } from "./LiveStream.js"
import type { Route } from "./Router.js"
import type { Limits } from "./Validation.js"

export interface Env {
  readonly client: Client
  readonly live: LiveStream
  readonly limits: Limits
}

export interface View {
  readonly element: HTMLElement
  /** Where focus goes when the screen opens: its heading, so a screen reader starts there. */
  readonly heading: HTMLElement
  /** Follows a route change that stays on this screen (an `as_of` in the asset's address). */
  readonly update?: (route: Route) => void
  /** Stops listening to the change stream and anything else the screen started. */
  readonly dispose: () => void
}

/** The message of anything thrown, for the user. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)
