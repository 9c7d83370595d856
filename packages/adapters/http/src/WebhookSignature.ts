/**
 * How webhooks are signed, twice over: Cloudinary's `X-Cld-Signature` (a digest of the body, the
 * timestamp and the cloud's api secret, which the SDK's `verifyNotificationSignature` checks),
 * and the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`, an
 * HMAC-SHA256 keyed by the endpoint's `whsec_` secret). While a secret is being rotated, both
 * the old and the new one sign, so receivers can switch without missing a delivery.
 *
 * @since 0.1.0
 */
import { createHash, createHmac, randomBytes } from "node:crypto"

/**
 * @since 0.1.0
 * @category constants
 */
export const SECRET_PREFIX = "whsec_"

/**
 * A new Standard Webhooks secret: `whsec_` and 24 random bytes in base64.
 *
 * @since 0.1.0
 * @category constructors
 */
export const newSecret = (): string => `${SECRET_PREFIX}${randomBytes(24).toString("base64")}`

/**
 * Cloudinary's signature of a body sent at `timestamp` (Unix seconds).
 *
 * @since 0.1.0
 * @category signing
 */
export const cloudinary = (
  body: string,
  timestamp: number,
  apiSecret: string,
  algorithm: "sha1" | "sha256" = "sha1"
): string => createHash(algorithm).update(body + timestamp + apiSecret).digest("hex")

/**
 * The Standard Webhooks signature of one message under one `whsec_` secret: `v1,<base64>`.
 *
 * @since 0.1.0
 * @category signing
 */
export const standard = (id: string, timestamp: number, body: string, secret: string): string => {
  const key = Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    "base64"
  )
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`
}

/**
 * Every header of a delivery.
 *
 * @since 0.1.0
 * @category signing
 */
export const headers = (options: {
  readonly id: string
  readonly timestamp: number
  readonly body: string
  readonly apiSecret: string
  readonly secrets: ReadonlyArray<string>
}): Record<string, string> => ({
  "content-type": "application/json",
  "x-cld-timestamp": String(options.timestamp),
  "x-cld-signature": cloudinary(options.body, options.timestamp, options.apiSecret),
  "webhook-id": options.id,
  "webhook-timestamp": String(options.timestamp),
  "webhook-signature": options.secrets
    .map((secret) => standard(options.id, options.timestamp, options.body, secret))
    .join(" ")
})
