/**
 * @since 0.1.0
 */
export * as SqliteEventLog from "./SqliteEventLog.js"
export * as SqliteProjectionStore from "./SqliteProjectionStore.js"
export * as SqliteSettings from "./SqliteSettings.js"
export * as SqliteStore from "./SqliteStore.js"
