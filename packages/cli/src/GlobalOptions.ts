/**
 * The options every command takes: which store, which cloud, and whether to print JSON. They may
 * be written before or after the command name (see `Argv.normalize`).
 *
 * @since 0.1.0
 */
import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Store from "./Store.js"

/**
 * @since 0.1.0
 * @category options
 */
export const store = Options.text("store").pipe(
  Options.withFallbackConfig(Config.string(Store.ENV_VAR)),
  Options.withDefault(Store.DEFAULT_URL),
  Options.withPseudoName("url"),
  Options.withDescription(
    "Where the log is kept: sqlite:<path>[?durability=off|normal|full] (relative to the " +
      "working directory), nats://<host>:<port>[,<host>:<port>…][?prefix=<p>&replicas=1|3&" +
      `creds=<file>&tls=true] (JetStream) or memory:. Also read from ${Store.ENV_VAR}; ` +
      `the default is ${Store.DEFAULT_URL}.`
  )
)

/**
 * @since 0.1.0
 * @category options
 */
export const cloud = Options.text("cloud").pipe(
  Options.withDefault("demo"),
  Options.withPseudoName("name"),
  Options.withDescription("The cloud (tenant) of the assets; the default is demo.")
)

/**
 * @since 0.1.0
 * @category options
 */
export const json = Options.boolean("json").pipe(
  Options.withDescription("Print machine-readable JSON on stdout instead of text for people.")
)

/**
 * @since 0.1.0
 * @category options
 */
export const options = { store, cloud, json } as const

/**
 * @since 0.1.0
 * @category models
 */
export interface Globals {
  readonly store: string
  readonly cloud: string
  readonly json: boolean
}

/**
 * The global flags that take a value, as the argument normaliser must know them.
 *
 * @since 0.1.0
 * @category constants
 */
export const valued: ReadonlyArray<string> = ["--store", "--cloud"]

/**
 * The global flags that take no value.
 *
 * @since 0.1.0
 * @category constants
 */
export const flags: ReadonlyArray<string> = ["--json"]
