/**
 * A ctxlog HTTP server on a free loopback port, on an in-memory store, for tests.
 */
import { Ctxlog, Settings } from "@ctxlog/core"
import { Credentials, Server } from "@ctxlog/http"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { None as LogLevelNone } from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"

export interface TestKey {
  readonly cloud: string
  readonly apiKey: string
  readonly apiSecret: string
}

export const keys: ReadonlyArray<TestKey> = [
  { cloud: "demo", apiKey: "111111111111111", apiSecret: "demo-secret-abcdefghijklmnopq" },
  { cloud: "other", apiKey: "222222222222222", apiSecret: "other-secret-abcdefghijklmnop" }
]

export interface Running {
  readonly origin: string
  readonly runtime: ManagedRuntime.ManagedRuntime<Ctxlog.Ctxlog, unknown>
  readonly close: () => Promise<void>
  readonly basic: (key?: TestKey) => string
  /** The log position of the last event: unchanged after a refused request. */
  readonly head: () => Promise<number>
}

export const start = async (
  options: Server.Options & {
    readonly policy?: Ctxlog.Options["limits"]
    /** Receives the server's log lines; none are kept when absent. */
    readonly log?: (line: string) => void
  } = {}
): Promise<Running> => {
  const core = Layer.merge(Ctxlog.layerMemory({ limits: options.policy }), Settings.layerMemory)
  const credentials = Credentials.layer(
    keys.map((k) => ({ cloud: k.cloud, apiKey: k.apiKey, apiSecret: Redacted.make(k.apiSecret) }))
  )
  const server = Server.layer({ ...options, port: 0 }).pipe(
    Layer.provide(credentials),
    Layer.provideMerge(core)
  )
  const log = options.log
  const logging = log === undefined
    ? Logger.minimumLogLevel(LogLevelNone)
    : Logger.replace(
      Logger.defaultLogger,
      Logger.logfmtLogger.pipe(Logger.map((line) => log(line)))
    )
  const runtime = ManagedRuntime.make(server.pipe(Layer.provide(logging)))
  const address = await runtime.runPromise(Server.address)
  return {
    origin: `http://127.0.0.1:${address.port}`,
    runtime: runtime as unknown as Running["runtime"],
    close: () => runtime.dispose(),
    head: () => runtime.runPromise(Effect.flatMap(Ctxlog.Ctxlog, (c) => c.head)),
    basic: (key = keys[0]!) =>
      `Basic ${Buffer.from(`${key.apiKey}:${key.apiSecret}`).toString("base64")}`
  }
}
