/**
 * One connection to a NATS deployment, shared by every part of the adapter that a host wires
 * together. The client reconnects on its own, forever, so a server restart or a leader change
 * costs failed (retryable) operations while it lasts, never a dead connection.
 *
 * @since 0.1.0
 */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream"
import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import type {
  Authenticator,
  NatsConnection as Client,
  NodeConnectionOptions,
  Status
} from "@nats-io/transport-node"
import { connect, credsAuthenticator } from "@nats-io/transport-node"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { describe, isRetryable } from "./internal/failure.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `host:port` or `nats://host:port`, one or several servers of the same cluster. */
  readonly servers: string | ReadonlyArray<string>
  /** Shown by the server's monitoring for this client. */
  readonly name?: string | undefined
  /** The contents of a `.creds` file (a user JWT and its NKey seed). */
  readonly credentials?: string | undefined
  readonly token?: string | undefined
  readonly user?: string | undefined
  readonly pass?: string | undefined
  /** Passed to the client as they are: `{}` requires TLS, files or PEM text set the keys. */
  readonly tls?: NodeConnectionOptions["tls"] | undefined
  /** How long a JetStream request or a publish waits for its answer; 5000 ms unless set. */
  readonly requestTimeoutMs?: number | undefined
  /** How long the first connection may take; 20000 ms unless set. */
  readonly connectTimeoutMs?: number | undefined
  /** The pause between reconnect attempts; 2000 ms unless set. */
  readonly reconnectTimeWaitMs?: number | undefined
  /** Any other client option, applied last. */
  readonly connection?: Partial<NodeConnectionOptions> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Handle {
  readonly nc: Client
  readonly js: JetStreamClient
  readonly jsm: JetStreamManager
  /** The servers it was given, for messages. */
  readonly servers: string
}

/**
 * @since 0.1.0
 * @category tags
 */
export class NatsConnection extends Context.Tag("@ctxlog/nats/NatsConnection")<
  NatsConnection,
  Handle
>() {}

/**
 * The first connection failed, or the server answers without JetStream.
 *
 * @since 0.1.0
 * @category errors
 */
export class NatsConnectionError extends Schema.TaggedError<NatsConnectionError>()(
  "NatsConnectionError",
  {
    servers: Schema.String,
    detail: Schema.String,
    retryable: Schema.Boolean,
    cause: Schema.optional(Schema.Defect)
  }
) {
  override get message(): string {
    return `cannot connect to NATS at ${this.servers}: ${this.detail}`
  }
}

/**
 * The client options these options stand for.
 *
 * @since 0.1.0
 * @category constructors
 */
export const clientOptions = (options: Options): NodeConnectionOptions => {
  const authenticator: Array<Authenticator> = []
  if (options.credentials !== undefined) {
    authenticator.push(credsAuthenticator(new TextEncoder().encode(options.credentials)))
  }
  return {
    servers: typeof options.servers === "string" ? options.servers : [...options.servers],
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 2000,
    // The client otherwise builds an Error with a stack for every request, to show where a
    // failure was asked for: a large share of a publish's cost. Failures still say what failed.
    noAsyncTraces: true,
    ...(options.connectTimeoutMs !== undefined ? { timeout: options.connectTimeoutMs } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(authenticator.length > 0 ? { authenticator } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.user !== undefined ? { user: options.user } : {}),
    ...(options.pass !== undefined ? { pass: options.pass } : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
    ...options.connection
  }
}

const serversText = (options: Options) =>
  typeof options.servers === "string" ? options.servers : options.servers.join(",")

const statusLog = (status: Status) => {
  switch (status.type) {
    case "disconnect":
      return Effect.logWarning("disconnected from NATS; reconnecting").pipe(
        Effect.annotateLogs({ server: status.server })
      )
    case "reconnect":
      return Effect.logInfo("reconnected to NATS").pipe(
        Effect.annotateLogs({ server: status.server })
      )
    case "error":
      return Effect.logWarning("NATS reported an error").pipe(
        Effect.annotateLogs({ error: describe(status.error) })
      )
    default:
      return undefined
  }
}

/**
 * Connection events go to the log; a disconnect is what an operator may need to act on. The
 * loop ends when the connection closes: interrupting a fiber parked on the client's status
 * iterator would wait forever, so it is not a fiber of the scope.
 */
const followStatus = (nc: Client, servers: string) =>
  Effect.map(Effect.runtime<never>(), (runtime) => {
    const run = Runtime.runFork(runtime)
    void (async () => {
      for await (const status of nc.status()) {
        const log = statusLog(status)
        if (log !== undefined) run(Effect.annotateLogs(log, { servers }))
      }
    })().catch(() => undefined)
  })

/**
 * Connects, checks that JetStream answers, and closes the connection when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<Handle, NatsConnectionError, Scope.Scope> =>
  Effect.gen(function*() {
    const servers = serversText(options)
    const fail = (cause: unknown) =>
      new NatsConnectionError({
        servers,
        detail: describe(cause),
        retryable: isRetryable(cause),
        cause
      })
    const nc = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => connect(clientOptions(options)), catch: fail }),
      (nc) =>
        Effect.tryPromise(() => nc.close()).pipe(
          Effect.catchAll((error) =>
            Effect.logDebug("closing the NATS connection failed").pipe(
              Effect.annotateLogs({ error: describe(error) })
            )
          )
        )
    )
    const timeout = options.requestTimeoutMs ?? 5000
    // The manager asks the server for the account's JetStream info, so a server without
    // JetStream fails here, once, rather than on every later call.
    const jsm = yield* Effect.tryPromise({
      try: () => jetstreamManager(nc, { timeout }),
      catch: fail
    })
    const js = jetstream(nc, { timeout })
    yield* followStatus(nc, servers)
    return NatsConnection.of({ nc, js, jsm, servers })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<NatsConnection, NatsConnectionError> =>
  Layer.scoped(NatsConnection, make(options))
