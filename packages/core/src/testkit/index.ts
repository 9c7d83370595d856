/**
 * The test kit: contract suites that every adapter runs unchanged, and the fixtures they use.
 * The suites are plain effects, so they run under any test framework.
 *
 * @since 0.1.0
 */
export * as EventLogContract from "./EventLogContract.js"
export * as Expect from "./Expect.js"
export * as Fixtures from "./fixtures.js"
export * as ProjectionStoreContract from "./ProjectionStoreContract.js"
export * as SettingsContract from "./SettingsContract.js"
