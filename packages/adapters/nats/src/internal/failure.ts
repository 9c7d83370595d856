/**
 * What the NATS client's errors mean to ctxlog: a readable detail, and whether trying again later
 * can succeed.
 *
 * The client's errors are matched by `name` rather than by class, so that two copies of the
 * client in one process still classify each other's errors.
 */

/** `code` of a JetStream API error for a stream that does not exist. */
export const STREAM_NOT_FOUND = 10059

/** `code` of a JetStream API error for a stream name that another stream has. */
export const STREAM_NAME_IN_USE = 10058

/** `code` of a JetStream API error for an expected last sequence that is not the current one. */
export const WRONG_LAST_SEQUENCE = 10071

const named = (error: unknown): error is Error & { readonly code?: unknown } =>
  error instanceof Error

/** The `code` of a JetStream API error, if it is one. */
export const apiCode = (error: unknown): number | undefined =>
  named(error) && typeof error.code === "number" ? error.code : undefined

/**
 * True for failures that pass: a timeout, a lost or refused connection, no responder for the
 * JetStream API (a server restarting), JetStream unavailable while a leader is elected.
 */
export const isRetryable = (error: unknown, depth = 0): boolean => {
  if (!named(error) || depth > 4) return false
  switch (error.name) {
    case "TimeoutError":
    case "ConnectionError":
    case "NoResponders":
    case "NoRespondersError":
    case "JetStreamNotEnabled":
      return true
    case "JetStreamApiError": {
      // 503: "JetStream system temporarily unavailable", answered during elections.
      const status = (error as { readonly status?: unknown }).status
      if (status === 503) return true
      break
    }
  }
  if (/timeout|temporarily unavailable|no responders|not enabled/i.test(error.message)) {
    return true
  }
  return isRetryable(error.cause, depth + 1)
}

/** The error's name and message, and its cause's, on one line. */
export const describe = (error: unknown): string => {
  if (!named(error)) return String(error)
  const own = error.message === "" ? error.name : `${error.name}: ${error.message}`
  return error.cause === undefined ? own : `${own} (${describe(error.cause)})`
}
