/**
 * Settings in the NATS KV bucket `<prefix>_settings`, so that what a host keeps (the API key it
 * made for a cloud) lives with the store and every process on the same server shares it.
 * `setIfAbsent` is the KV create, which the server refuses when the key has a value: of
 * processes racing on a name, one writes and the others read what it wrote.
 *
 * A name is its own key, with `:` (which keys do not allow) written `=3A`, and a `.` that would
 * leave an empty token (at either end, or next to another) written `=2E`. Names never hold `=`,
 * so the mapping reverses, and a key such as `cloud.demo=3Aapi_key` stays readable to
 * `nats kv` users.
 *
 * @since 0.1.0
 */
import { Errors, Settings } from "@ctxlog/core"
import { StorageType } from "@nats-io/jetstream"
import type { KV, KvEntry } from "@nats-io/kv"
import { Kvm } from "@nats-io/kv"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { apiCode, describe, WRONG_LAST_SEQUENCE } from "./internal/failure.js"
import * as NatsConnection from "./NatsConnection.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Names the bucket `<prefix>_settings`; `ctxlog` unless set. */
  readonly bucketPrefix?: string | undefined
  /** 1 on a single server; 3 on a cluster. Applies when this creates the bucket. */
  readonly replicas?: 1 | 3 | undefined
}

/**
 * The bucket name for a prefix.
 *
 * @since 0.1.0
 * @category constants
 */
export const bucketName = (prefix: string): string => `${prefix}_settings`

/**
 * The server's answer to an expected sequence it cannot check (the key's last message is gone
 * from the stream); the KV client treats it as the key having a value, and so does this.
 */
const WRONG_LAST_SEQUENCE_UNKNOWN = 10164

const taken = (error: unknown) =>
  apiCode(error) === WRONG_LAST_SEQUENCE || apiCode(error) === WRONG_LAST_SEQUENCE_UNKNOWN

/** True when the dot at `i` would start, end or sit next to an empty token of the key. */
const leavesEmptyToken = (name: string, i: number) =>
  i === 0 || i === name.length - 1 || name[i - 1] === "." || name[i + 1] === "."

/**
 * The KV key of a valid name.
 *
 * @since 0.1.0
 * @category encoding
 */
export const keyOf = (name: string): string => {
  let out = ""
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!
    if (ch === ":") out += "=3A"
    else if (ch === "." && leavesEmptyToken(name, i)) out += "=2E"
    else out += ch
  }
  return out
}

/**
 * The name a key stands for; none for a key that `keyOf` never writes.
 *
 * @since 0.1.0
 * @category encoding
 */
export const nameOf = (key: string): Option.Option<string> => {
  const name = key.replace(/=(3A|2E)/g, (escape) => escape === "=3A" ? ":" : ".")
  return keyOf(name) === key && name.length <= Settings.NAME_MAX && /^[A-Za-z0-9_.:-]+$/.test(name)
    ? Option.some(name)
    : Option.none()
}

const failure = (operation: string) => (cause: unknown) =>
  new Errors.SettingsError({ operation, detail: describe(cause), cause })

const attempt = <A>(operation: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: failure(operation) })

const live = (entry: KvEntry | null): entry is KvEntry =>
  entry !== null && entry.operation === "PUT"

/**
 * Settings on a connection; creates the bucket when it is missing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Settings.SettingsShape, Errors.SettingsError, NatsConnection.NatsConnection> =>
  Effect.gen(function*() {
    const prefix = options.bucketPrefix ?? "ctxlog"
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(prefix)) {
      return yield* new Errors.SettingsError({
        operation: "open",
        detail: `the bucket prefix ${JSON.stringify(prefix)} is not 1 to 32 characters of ` +
          "A-Z, a-z, 0-9, _ and -"
      })
    }
    const { js } = yield* NatsConnection.NatsConnection
    const name = bucketName(prefix)
    // Not yet: an existing bucket is used as it is; its replicas and history are not checked
    // against these options.
    const kv: KV = yield* attempt("open", () =>
      new Kvm(js).create(name, {
        history: 1,
        storage: StorageType.File,
        replicas: options.replicas ?? 1
      })).pipe(
        Effect.mapError((e) =>
          new Errors.SettingsError({
            operation: e.operation,
            detail: `bucket ${name}: ${e.detail}`,
            cause: e.cause
          })
        )
      )

    const read = async (key: string) => {
      const entry = await kv.get(key)
      return live(entry) ? entry.string() : undefined
    }

    const setIfAbsent = async (key: string, value: string): Promise<string> => {
      // Another process may remove the name between a refused create and the read; the create
      // is then tried again, so the loop ends when some value is seen stored.
      for (;;) {
        try {
          await kv.create(key, value)
          return value
        } catch (error) {
          if (!taken(error)) throw error
        }
        const stored = await read(key)
        if (stored !== undefined) return stored
      }
    }

    // KV keys are matched by whole tokens, so a name prefix cannot be a key filter: every key
    // is listed and filtered here. Settings are few, so this costs a read per setting.
    const list = async (filter: string) => {
      const names: Array<string> = []
      for await (const key of await kv.keys()) {
        const decoded = nameOf(key)
        if (Option.isNone(decoded)) {
          throw new Error(
            `the key ${JSON.stringify(key)} of bucket ${name} was not written by ctxlog`
          )
        }
        if (decoded.value.startsWith(filter)) names.push(decoded.value)
      }
      const entries = await Promise.all(
        names.map(async (n) => [n, await read(keyOf(n))] as const)
      )
      // A name removed between the listing and its read is left out.
      return entries.filter((e): e is readonly [string, string] => e[1] !== undefined).sort(
        Settings.byName
      )
    }

    return Settings.validated({
      get: (n) => attempt("get", () => read(keyOf(n)).then(Option.fromNullable)),
      setIfAbsent: (n, value) => attempt("setIfAbsent", () => setIfAbsent(keyOf(n), value)),
      set: (n, value) => attempt("set", () => kv.put(keyOf(n), value).then(() => undefined)),
      remove: (n) => attempt("remove", () => kv.delete(keyOf(n))),
      list: (filter) => attempt("list", () => list(filter))
    })
  })

/**
 * Settings with a connection of their own, closed when the layer is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options & NatsConnection.Options
): Layer.Layer<Settings.Settings, Errors.SettingsError | NatsConnection.NatsConnectionError> =>
  Layer.effect(Settings.Settings, make(options)).pipe(
    Layer.provide(NatsConnection.layer(options))
  )

/**
 * Settings on a connection the host provides, to share one connection across the adapter.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithConnection = (
  options: Options = {}
): Layer.Layer<Settings.Settings, Errors.SettingsError, NatsConnection.NatsConnection> =>
  Layer.effect(Settings.Settings, make(options))
