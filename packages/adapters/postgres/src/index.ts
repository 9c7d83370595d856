/**
 * ctxlog's projections and settings in PostgreSQL.
 *
 * @since 0.1.0
 */
export * as PgProjectionStore from "./PgProjectionStore.js"
export * as PgSettings from "./PgSettings.js"
export * as PgStore from "./PgStore.js"
