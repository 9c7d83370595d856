/**
 * One delivery attempt: a POST of the notification to a checked target, with a time limit, and
 * what its answer means. 2xx is delivered; 410 asks to stop; 429, 5xx, other statuses,
 * timeouts and connection errors are worth trying again (with the `Retry-After` the server
 * asked for). Redirects are not followed: a webhook goes where it was registered, or nowhere.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Http from "node:http"
import * as Https from "node:https"
import type * as WebhookTarget from "./WebhookTarget.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Outcome =
  | { readonly _tag: "Delivered"; readonly status: number }
  | { readonly _tag: "Gone"; readonly status: 410 }
  | {
    readonly _tag: "Failed"
    readonly error: string
    /** How long the server asked to wait, in milliseconds. */
    readonly retryAfterMs?: number | undefined
  }

/**
 * A `Retry-After` value (seconds or an HTTP date) in milliseconds from now.
 *
 * @since 0.1.0
 * @category parsing
 */
export const retryAfter = (value: string | undefined, now = Date.now()): number | undefined => {
  if (value === undefined || value.trim() === "") return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/**
 * Sends `body` with `headers` to the target, answering within `timeoutMs`.
 *
 * @since 0.1.0
 * @category sending
 */
export const send = (
  target: WebhookTarget.Target,
  body: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number
): Effect.Effect<Outcome> =>
  Effect.async<Outcome>((resume, signal) => {
    const client = target.url.protocol === "https:" ? Https : Http
    let settled = false
    const finish = (outcome: Outcome) => {
      if (settled) return
      settled = true
      resume(Effect.succeed(outcome))
    }
    const request = client.request(target.url, {
      method: "POST",
      headers: {
        ...headers,
        "content-length": String(Buffer.byteLength(body)),
        "user-agent": "ctxlog-webhooks/0.1"
      },
      // Connect to the address that was checked, whatever the name resolves to now.
      lookup: (_host, options, callback) => {
        if ((options as { all?: boolean }).all) {
          ;(callback as (e: null, a: Array<{ address: string; family: number }>) => void)(
            null,
            [{ address: target.address, family: target.family }]
          )
        } else {
          callback(null, target.address, target.family)
        }
      },
      signal,
      timeout: timeoutMs
    }, (response) => {
      const status = response.statusCode ?? 0
      // The answer's body is read and dropped, so that the connection can close cleanly.
      response.resume()
      response.on("end", () => {
        if (status >= 200 && status < 300) finish({ _tag: "Delivered", status })
        else if (status === 410) finish({ _tag: "Gone", status: 410 })
        else {
          finish({
            _tag: "Failed",
            error: status >= 300 && status < 400
              ? `answered ${status} (redirects are not followed)`
              : `answered ${status}`,
            retryAfterMs: status === 429 || status === 503
              ? retryAfter(response.headers["retry-after"])
              : undefined
          })
        }
      })
      response.on("error", (e) => finish({ _tag: "Failed", error: e.message }))
    })
    const timer = setTimeout(() => {
      request.destroy(new Error(`no answer within ${timeoutMs} ms`))
    }, timeoutMs)
    request.on("close", () => clearTimeout(timer))
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    request.on("error", (e) => finish({ _tag: "Failed", error: e.message }))
    request.end(body)
  })
