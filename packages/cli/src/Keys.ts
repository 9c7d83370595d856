/**
 * The api keys a server or a dispatcher works with: the configured ones, or else the key of the
 * default cloud kept in the store, made on the first start and found on every later one (two
 * processes starting together on one store agree on it).
 *
 * @since 0.1.0
 */
import type { Errors } from "@ctxlog/core"
import { Settings } from "@ctxlog/core"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { randomBytes, randomInt } from "node:crypto"
import type * as ServeConfig from "./ServeConfig.js"

const settingName = (cloud: string) => `http.keys.${cloud}`

// Shaped like Cloudinary's: a 15-digit key and a 27-character secret.
const newKey = (cloud: string) =>
  JSON.stringify({
    cloud,
    api_key: `${randomInt(1, 10)}${Array.from({ length: 14 }, () => randomInt(0, 10)).join("")}`,
    api_secret: randomBytes(20).toString("base64url").slice(0, 27)
  })

/**
 * The configured keys, or the stored key of `cloud` when none is configured.
 *
 * @since 0.1.0
 * @category resolving
 */
export const resolve = (
  configured: ReadonlyArray<ServeConfig.Key>,
  cloud: string
): Effect.Effect<ReadonlyArray<ServeConfig.Key>, Errors.SettingsError, Settings.Settings> =>
  configured.length > 0
    ? Effect.succeed(configured)
    : Effect.gen(function*() {
      const settings = yield* Settings.Settings
      const text = yield* settings.setIfAbsent(settingName(cloud), newKey(cloud))
      const stored = JSON.parse(text) as { api_key: string; api_secret: string }
      return [{ cloud, apiKey: stored.api_key, apiSecret: Redacted.make(stored.api_secret) }]
    })
