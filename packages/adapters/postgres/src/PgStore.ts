/**
 * ctxlog's projections and settings on PostgreSQL, for a host that keeps its read models there.
 * The event log comes from elsewhere: the projector follows it and commits here, so several
 * processes following one log can share one schema.
 *
 * @since 0.1.0
 */
import type { Errors, ProjectionStore, Settings } from "@ctxlog/core"
import * as PgClient from "@effect/sql-pg/PgClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { describe } from "./internal/failure.js"
import * as PgProjectionStore from "./PgProjectionStore.js"
import * as PgSettings from "./PgSettings.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** A `postgres://user:password@host:port/database` URL; the fields below override its parts. */
  readonly url?: string | Redacted.Redacted | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly database?: string | undefined
  readonly username?: string | undefined
  readonly password?: string | Redacted.Redacted | undefined
  /** The schema of the tables; `ctxlog` unless set. Created, with them, when missing. */
  readonly schema?: string | undefined
  /** The size of the connection pool; the driver's default (10) unless set. */
  readonly maxConnections?: number | undefined
}

/**
 * The first connection to the server failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class PgConnectionError extends Schema.TaggedError<PgConnectionError>()(
  "PgConnectionError",
  {
    /** The server and database, without the password. */
    target: Schema.String,
    detail: Schema.String,
    cause: Schema.optional(Schema.Defect)
  }
) {
  override get message(): string {
    return `cannot connect to PostgreSQL at ${this.target}: ${this.detail}`
  }
}

const redacted = (value: string | Redacted.Redacted | undefined) =>
  value === undefined ? undefined : Redacted.isRedacted(value) ? value : Redacted.make(value)

/** Where the options point, for messages: the URL's parts and the fields that override them. */
const target = (options: Options): string => {
  let url: URL | undefined
  try {
    if (options.url !== undefined) url = new URL(Redacted.value(redacted(options.url)!))
  } catch {
    url = undefined
  }
  const user = options.username ?? (url?.username || undefined)
  const host = options.host ?? (url?.hostname || "localhost")
  const port = options.port ?? (url?.port || 5432)
  const database = options.database ?? (url?.pathname.slice(1) || user || "postgres")
  return `${user === undefined ? "" : `${user}@`}${host}:${port}/${database}`
}

/**
 * The pool alone, as `SqlClient`; it closes when the layer is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient = (
  options: Options
): Layer.Layer<SqlClient.SqlClient, PgConnectionError> =>
  PgClient.layer({
    url: redacted(options.url),
    host: options.host,
    port: options.port,
    database: options.database,
    username: options.username,
    password: redacted(options.password),
    maxConnections: options.maxConnections,
    applicationName: "ctxlog"
  }).pipe(
    Layer.mapError((error) =>
      new PgConnectionError({ target: target(options), detail: describe(error), cause: error })
    )
  )

/**
 * The projection store and the settings on a `SqlClient` the host provides.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithClient = (
  options: { readonly schema?: string | undefined } = {}
): Layer.Layer<
  ProjectionStore.ProjectionStore | Settings.Settings,
  Errors.ProjectionStoreError | Errors.SettingsError,
  SqlClient.SqlClient
> =>
  // One after the other: each creates its tables, and both would wait on the same lock anyway.
  Layer.provideMerge(PgSettings.layer(options), PgProjectionStore.layer(options))

/**
 * The projection store and the settings on a pool of their own, which closes when the layer is
 * released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  ProjectionStore.ProjectionStore | Settings.Settings | SqlClient.SqlClient,
  PgConnectionError | Errors.ProjectionStoreError | Errors.SettingsError
> => Layer.provideMerge(layerWithClient(options), layerClient(options))
