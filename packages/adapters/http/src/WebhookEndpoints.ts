/**
 * The notification URLs of each cloud, their delivery state and their dead letters, kept with
 * the store through the core's `Settings` port, so that every process on the store sees the
 * same registrations and a restart loses no pending delivery.
 *
 * @since 0.1.0
 */
import type { Errors, Notification } from "@ctxlog/core"
import { Settings } from "@ctxlog/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { createHash } from "node:crypto"
import * as WebhookSignature from "./WebhookSignature.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Secret {
  readonly secret: string
  /** When a rotated-out secret stops signing; absent for the current one. */
  readonly expiresAt?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Endpoint {
  readonly id: string
  readonly cloud: string
  readonly url: string
  /** The notification types it wants; empty for all. */
  readonly types: ReadonlyArray<Notification.NotificationType>
  readonly secrets: ReadonlyArray<Secret>
  readonly createdAt: string
  /** Notifications after this log position are delivered to it. */
  readonly from: number
  readonly disabled?: { readonly at: string; readonly reason: string } | undefined
}

/**
 * Where an endpoint's delivery stands: the last log position delivered (or given up), and the
 * attempts on the next notification.
 *
 * @since 0.1.0
 * @category models
 */
export interface State {
  readonly position: number
  readonly attempts: number
  readonly nextAttemptAt?: string | undefined
  readonly lastError?: string | undefined
  /** When the endpoint last started failing; cleared by a success. */
  readonly failingSince?: string | undefined
}

/**
 * A notification given up on after the retry schedule ran out.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeadLetter {
  readonly endpointId: string
  readonly cloud: string
  readonly url: string
  readonly position: number
  readonly notificationId: string
  readonly notificationType: string
  readonly attempts: number
  readonly error: string
  readonly failedAt: string
}

/**
 * @since 0.1.0
 * @category errors
 */
export class WebhookNotFound extends Schema.TaggedError<WebhookNotFound>()("WebhookNotFound", {
  cloud: Schema.String,
  url: Schema.String
}) {
  override get message(): string {
    return `no webhook ${this.url} is registered for cloud ${this.cloud}`
  }
}

const ENDPOINT = "webhooks.endpoint."
const STATE = "webhooks.state."
const DEAD = "webhooks.dead."

/**
 * The id of an endpoint: stable for a cloud and URL.
 *
 * @since 0.1.0
 * @category constructors
 */
export const idOf = (cloud: string, url: string): string =>
  createHash("sha256").update(`${cloud}\u0000${url}`).digest("hex").slice(0, 16)

const endpointName = (cloud: string, id: string) => `${ENDPOINT}${cloud}.${id}`

const parse = <A>(text: string): A => JSON.parse(text) as A

/**
 * Every endpoint, of one cloud or of all.
 *
 * @since 0.1.0
 * @category reading
 */
export const list = (
  cloud?: string
): Effect.Effect<ReadonlyArray<Endpoint>, Errors.SettingsError, Settings.Settings> =>
  Effect.flatMap(
    Settings.Settings,
    (s) => s.list(cloud === undefined ? ENDPOINT : `${ENDPOINT}${cloud}.`)
  )
    .pipe(Effect.map((entries) => entries.map(([, value]) => parse<Endpoint>(value))))

/**
 * @since 0.1.0
 * @category reading
 */
export const find = (
  cloud: string,
  url: string
): Effect.Effect<Endpoint, Errors.SettingsError | WebhookNotFound, Settings.Settings> =>
  Effect.flatMap(Settings.Settings, (s) => s.get(endpointName(cloud, idOf(cloud, url)))).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(new WebhookNotFound({ cloud, url })),
      onSome: (text) => Effect.succeed(parse<Endpoint>(text))
    }))
  )

/**
 * Registers a URL for a cloud, or changes the types of one already registered (keeping its
 * secret). Two processes adding the same URL at once end with one endpoint and one secret.
 *
 * @since 0.1.0
 * @category writing
 */
export const add = (input: {
  readonly cloud: string
  readonly url: string
  readonly types: ReadonlyArray<Notification.NotificationType>
  readonly from: number
}): Effect.Effect<
  { readonly endpoint: Endpoint; readonly created: boolean },
  Errors.SettingsError,
  Settings.Settings
> =>
  Effect.gen(function*() {
    const settings = yield* Settings.Settings
    const id = idOf(input.cloud, input.url)
    const fresh: Endpoint = {
      id,
      cloud: input.cloud,
      url: input.url,
      types: input.types,
      secrets: [{ secret: WebhookSignature.newSecret() }],
      createdAt: new Date().toISOString(),
      from: input.from
    }
    const name = endpointName(input.cloud, id)
    const stored = parse<Endpoint>(yield* settings.setIfAbsent(name, JSON.stringify(fresh)))
    if (stored.secrets[0]!.secret === fresh.secrets[0]!.secret) {
      return { endpoint: stored, created: true }
    }
    const updated: Endpoint = { ...stored, types: input.types }
    yield* settings.set(name, JSON.stringify(updated))
    return { endpoint: updated, created: false }
  })

/**
 * @since 0.1.0
 * @category writing
 */
export const save = (
  endpoint: Endpoint
): Effect.Effect<void, Errors.SettingsError, Settings.Settings> =>
  Effect.flatMap(
    Settings.Settings,
    (s) => s.set(endpointName(endpoint.cloud, endpoint.id), JSON.stringify(endpoint))
  )

/**
 * Removes an endpoint with its delivery state and dead letters.
 *
 * @since 0.1.0
 * @category writing
 */
export const remove = (
  cloud: string,
  url: string
): Effect.Effect<Endpoint, Errors.SettingsError | WebhookNotFound, Settings.Settings> =>
  Effect.gen(function*() {
    const endpoint = yield* find(cloud, url)
    const settings = yield* Settings.Settings
    yield* settings.remove(endpointName(cloud, endpoint.id))
    yield* settings.remove(`${STATE}${endpoint.id}`)
    for (const [name] of yield* settings.list(`${DEAD}${endpoint.id}.`)) {
      yield* settings.remove(name)
    }
    return endpoint
  })

/**
 * Gives an endpoint a new secret; the old one keeps signing for `overlapMs`.
 *
 * @since 0.1.0
 * @category writing
 */
export const rotate = (
  cloud: string,
  url: string,
  overlapMs: number
): Effect.Effect<Endpoint, Errors.SettingsError | WebhookNotFound, Settings.Settings> =>
  Effect.gen(function*() {
    const endpoint = yield* find(cloud, url)
    const now = Date.now()
    const expiresAt = new Date(now + overlapMs).toISOString()
    const kept = endpoint.secrets
      .filter((s) => s.expiresAt === undefined || Date.parse(s.expiresAt) > now)
      .map((s) => s.expiresAt === undefined ? { ...s, expiresAt } : s)
    const rotated: Endpoint = {
      ...endpoint,
      secrets: [{ secret: WebhookSignature.newSecret() }, ...kept]
    }
    yield* save(rotated)
    return rotated
  })

/**
 * The secrets that sign now: the current one and any rotated-out one still in its overlap.
 *
 * @since 0.1.0
 * @category reading
 */
export const signingSecrets = (endpoint: Endpoint, now = Date.now()): ReadonlyArray<string> =>
  endpoint.secrets
    .filter((s) => s.expiresAt === undefined || Date.parse(s.expiresAt) > now)
    .map((s) => s.secret)

/**
 * @since 0.1.0
 * @category reading
 */
export const state = (
  endpoint: Endpoint
): Effect.Effect<State, Errors.SettingsError, Settings.Settings> =>
  Effect.flatMap(Settings.Settings, (s) => s.get(`${STATE}${endpoint.id}`)).pipe(
    Effect.map(Option.match({
      onNone: () => ({ position: endpoint.from, attempts: 0 }),
      onSome: (text) => parse<State>(text)
    }))
  )

/**
 * @since 0.1.0
 * @category writing
 */
export const saveState = (
  endpoint: Endpoint,
  next: State
): Effect.Effect<void, Errors.SettingsError, Settings.Settings> =>
  Effect.flatMap(Settings.Settings, (s) => s.set(`${STATE}${endpoint.id}`, JSON.stringify(next)))

const deadName = (endpointId: string, position: number) =>
  `${DEAD}${endpointId}.${String(position).padStart(16, "0")}`

/**
 * @since 0.1.0
 * @category writing
 */
export const addDeadLetter = (
  letter: DeadLetter
): Effect.Effect<void, Errors.SettingsError, Settings.Settings> =>
  Effect.flatMap(
    Settings.Settings,
    (s) => s.set(deadName(letter.endpointId, letter.position), JSON.stringify(letter))
  )

/**
 * @since 0.1.0
 * @category writing
 */
export const removeDeadLetter = (
  letter: DeadLetter
): Effect.Effect<void, Errors.SettingsError, Settings.Settings> =>
  Effect.flatMap(Settings.Settings, (s) => s.remove(deadName(letter.endpointId, letter.position)))

/**
 * Dead letters of a cloud, oldest first, optionally only those that failed at or after `since`.
 *
 * @since 0.1.0
 * @category reading
 */
export const deadLetters = (
  cloud: string,
  since?: Date
): Effect.Effect<ReadonlyArray<DeadLetter>, Errors.SettingsError, Settings.Settings> =>
  Effect.flatMap(Settings.Settings, (s) => s.list(DEAD)).pipe(
    Effect.map((entries) =>
      entries
        .map(([, value]) => parse<DeadLetter>(value))
        .filter((l) => l.cloud === cloud)
        .filter((l) => since === undefined || Date.parse(l.failedAt) >= since.getTime())
        .sort((a, b) => a.position - b.position)
    )
  )
