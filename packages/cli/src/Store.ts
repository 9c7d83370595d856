/**
 * Store URLs: which event log and projection store a `ctx` process opens.
 *
 * - `sqlite:<path>[?durability=off|normal|full]`: one SQLite file, the path relative to the
 *   working directory (`sqlite:///abs/path` is also accepted). The file is created if missing.
 * - `memory:`: nothing is kept after the process ends; for trying things out and for tests.
 * - `nats://[user:pass@]host:port[,host:port…][?prefix=<p>&replicas=1|3&creds=<file>&tls=true]`:
 *   the event log on a JetStream stream and the projections in KV buckets, shared by every
 *   process that names the same servers and prefix. Several hosts are servers of one cluster.
 *
 * @since 0.1.0
 */
import type { EventLog, ProjectionStore } from "@ctxlog/core"
import { InMemoryStore, Settings } from "@ctxlog/core"
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
  | {
    readonly _tag: "Nats"
    readonly servers: ReadonlyArray<string>
    readonly prefix?: string
    readonly replicas?: 1 | 3
    readonly user?: string
    readonly pass?: string
    readonly credsFile?: string
    readonly tls?: boolean
  }

const FORMS = "sqlite:<path>[?durability=off|normal|full], memory: or " +
  "nats://<host>:<port>[?prefix=<p>&replicas=1|3&creds=<file>&tls=true]"

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
  if (url.startsWith("nats://")) return parseNats(url, url.slice("nats://".length), cwd)
  return usage(url, "unknown kind of store")
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/

const parseNats = (
  url: string,
  rest: string,
  cwd: string
): Either.Either<Spec, UsageError> => {
  const q = rest.indexOf("?")
  let authority = q === -1 ? rest : rest.slice(0, q)
  if (authority.endsWith("/")) authority = authority.slice(0, -1)
  let user: string | undefined
  let pass: string | undefined
  const at = authority.lastIndexOf("@")
  if (at !== -1) {
    const credentials = authority.slice(0, at)
    authority = authority.slice(at + 1)
    const colon = credentials.indexOf(":")
    user = decodeURIComponent(colon === -1 ? credentials : credentials.slice(0, colon))
    pass = colon === -1 ? undefined : decodeURIComponent(credentials.slice(colon + 1))
  }
  if (authority === "") return usage(url, "the NATS server is missing")
  const servers: Array<string> = []
  for (const host of authority.split(",")) {
    if (!HOST_PORT.test(host)) return usage(url, `${JSON.stringify(host)} is not host:port`)
    servers.push(`nats://${host}`)
  }
  let spec: Extract<Spec, { _tag: "Nats" }> = {
    _tag: "Nats",
    servers,
    ...(user === undefined ? {} : { user }),
    ...(pass === undefined ? {} : { pass })
  }
  if (q !== -1) {
    for (const [name, value] of new URLSearchParams(rest.slice(q + 1))) {
      switch (name) {
        case "prefix":
          if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(value)) {
            return usage(url, `the prefix ${JSON.stringify(value)} is not dot-separated tokens`)
          }
          spec = { ...spec, prefix: value }
          break
        case "replicas":
          if (value !== "1" && value !== "3") {
            return usage(url, `replicas must be 1 or 3, got ${JSON.stringify(value)}`)
          }
          spec = { ...spec, replicas: value === "1" ? 1 : 3 }
          break
        case "creds":
          spec = { ...spec, credsFile: Path.resolve(cwd, value) }
          break
        case "tls":
          if (value !== "true" && value !== "false") {
            return usage(url, `tls must be true or false, got ${JSON.stringify(value)}`)
          }
          spec = { ...spec, tls: value === "true" }
          break
        default:
          return usage(url, `unknown parameter ${JSON.stringify(name)}`)
      }
    }
  }
  return Either.right(spec)
}

// The SQLite adapter loads a native module; it is imported only when a SQLite store is opened,
// so that `--help` and the other stores do not pay for it.
const sqlite = (
  spec: Extract<Spec, { _tag: "Sqlite" }>
): Layer.Layer<
  EventLog.EventLog | ProjectionStore.ProjectionStore | Settings.Settings,
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

const unavailable = (url: string, what: string) => (cause: unknown) =>
  new StoreUnavailable({
    url,
    detail: `${what}: ${cause instanceof Error ? cause.message : String(cause)}`
  })

// Like SQLite's, the NATS client is loaded only when a NATS store is opened.
const nats = (
  spec: Extract<Spec, { _tag: "Nats" }>
): Layer.Layer<
  EventLog.EventLog | ProjectionStore.ProjectionStore | Settings.Settings,
  StoreUnavailable
> => {
  const url = `nats://${spec.servers.map((s) => s.slice("nats://".length)).join(",")}`
  return Layer.unwrapEffect(
    Effect.gen(function*() {
      const { NatsStore } = yield* Effect.tryPromise({
        try: () => import("@ctxlog/nats"),
        catch: unavailable(url, "the NATS store cannot be loaded")
      })
      const credentials = spec.credsFile === undefined ? undefined : yield* Effect.tryPromise({
        try: () => import("node:fs/promises").then((fs) => fs.readFile(spec.credsFile!, "utf8")),
        catch: unavailable(url, `cannot read the credentials file ${spec.credsFile}`)
      })
      return NatsStore.layer({
        servers: spec.servers,
        name: "ctx",
        connectTimeoutMs: 5000,
        prefix: spec.prefix,
        replicas: spec.replicas,
        user: spec.user,
        pass: spec.pass,
        credentials,
        tls: spec.tls === true ? {} : undefined
      }).pipe(
        Layer.mapError((error) =>
          new StoreUnavailable({ url, detail: `cannot open the NATS store: ${error.message}` })
        )
      )
    })
  )
}

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
  EventLog.EventLog | ProjectionStore.ProjectionStore | Settings.Settings,
  UsageError | StoreUnavailable | SqliteStore.SqliteError
> =>
  Either.match(parse(url, cwd), {
    onLeft: (error) => Layer.fail(error),
    onRight: (spec) =>
      spec._tag === "Memory"
        ? Layer.merge(InMemoryStore.layer, Settings.layerMemory)
        : spec._tag === "Nats"
        ? nats(spec)
        : sqlite(spec)
  })
