/**
 * Store URLs: which event log and projection store a `ctx` process opens.
 *
 * - `sqlite:<path>[?durability=off|normal|full]`: one SQLite file, the path relative to the
 *   working directory (`sqlite:///abs/path` is also accepted). The file is created if missing.
 * - `memory:`: nothing is kept after the process ends; for trying things out and for tests.
 * - `nats://host:port`: reserved for the NATS JetStream store, not part of this build yet.
 *
 * @since 0.1.0
 */
import type { EventLog, ProjectionStore } from "@ctxlog/core"
import { InMemoryStore } from "@ctxlog/core"
import type { SqliteStore } from "@ctxlog/sqlite"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Path from "node:path"
import { StoreUnavailable, UsageError } from "./Errors.js"

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_URL = "sqlite:./.ctxlog/ctxlog.db"

/**
 * @since 0.1.0
 * @category constants
 */
export const ENV_VAR = "CTXLOG_STORE"

/**
 * @since 0.1.0
 * @category models
 */
export type Durability = "off" | "normal" | "full"

/**
 * A store URL, understood.
 *
 * @since 0.1.0
 * @category models
 */
export type Spec =
  | { readonly _tag: "Sqlite"; readonly filename: string; readonly durability?: Durability }
  | { readonly _tag: "Memory" }

const FORMS = "sqlite:<path>[?durability=off|normal|full], memory: or nats://<host>:<port>"

const durabilities: ReadonlyArray<string> = ["off", "normal", "full"]

const isDurability = (s: string): s is Durability => durabilities.includes(s)

const usage = (url: string, why: string) =>
  Either.left(
    new UsageError({ detail: `invalid store URL ${JSON.stringify(url)}: ${why}; use ${FORMS}` })
  )

const parseSqlite = (
  url: string,
  rest: string,
  cwd: string
): Either.Either<Spec, UsageError> => {
  const q = rest.indexOf("?")
  const raw = q === -1 ? rest : rest.slice(0, q)
  const path = raw.startsWith("//") ? raw.slice(2) : raw
  if (path === "") return usage(url, "the SQLite file path is missing")
  let durability: Durability | undefined
  if (q !== -1) {
    for (const [name, value] of new URLSearchParams(rest.slice(q + 1))) {
      if (name !== "durability") return usage(url, `unknown parameter ${JSON.stringify(name)}`)
      if (!isDurability(value)) {
        return usage(url, `durability must be off, normal or full, got ${JSON.stringify(value)}`)
      }
      durability = value
    }
  }
  const filename = Path.resolve(cwd, path)
  return Either.right(
    durability === undefined
      ? { _tag: "Sqlite", filename }
      : { _tag: "Sqlite", filename, durability }
  )
}

/**
 * Reads a store URL; a relative SQLite path is resolved against `cwd`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (
  url: string,
  cwd: string = process.cwd()
): Either.Either<Spec, UsageError | StoreUnavailable> => {
  if (url.startsWith("sqlite:")) return parseSqlite(url, url.slice("sqlite:".length), cwd)
  if (url === "memory:") return Either.right({ _tag: "Memory" })
  if (url.startsWith("nats://")) {
    return Either.left(
      new StoreUnavailable({ url, detail: "the NATS store is not available in this build yet" })
    )
  }
  return usage(url, "unknown kind of store")
}

// The SQLite adapter loads a native module; it is imported only when a SQLite store is opened,
// so that `--help` and the other stores do not pay for it.
const sqlite = (
  spec: Extract<Spec, { _tag: "Sqlite" }>
): Layer.Layer<
  EventLog.EventLog | ProjectionStore.ProjectionStore,
  StoreUnavailable | SqliteStore.SqliteError
> =>
  Layer.unwrapEffect(
    Effect.tryPromise({
      try: () => import("@ctxlog/sqlite"),
      catch: (cause) =>
        new StoreUnavailable({
          url: `sqlite:${spec.filename}`,
          detail: `the SQLite store cannot be loaded: ${
            cause instanceof Error ? cause.message : String(cause)
          }`
        })
    }).pipe(
      Effect.map(({ SqliteStore }) =>
        SqliteStore.layer({ filename: spec.filename, durability: spec.durability })
      )
    )
  )

/**
 * The event log and projection store a URL names, opened when the layer is built and closed when
 * it is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  url: string,
  cwd?: string
): Layer.Layer<
  EventLog.EventLog | ProjectionStore.ProjectionStore,
  UsageError | StoreUnavailable | SqliteStore.SqliteError
> =>
  Either.match(parse(url, cwd), {
    onLeft: (error) => Layer.fail(error),
    onRight: (spec) =>
      spec._tag === "Memory"
        ? InMemoryStore.layer
        : sqlite(spec)
  })
