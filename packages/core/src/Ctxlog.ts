/**
 * The assembled service: commands with read-your-writes, queries, the notification stream and
 * projection rebuilds, on whatever event log and projection store are provided.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import type { Command } from "./Command.js"
import type { CommandResult } from "./CommandResult.js"
import * as CommandService from "./CommandService.js"
import type { EventLogError, ProjectionStoreError } from "./Errors.js"
import { EventLog } from "./EventLog.js"
import * as InMemoryStore from "./InMemoryStore.js"
import type { Positioned } from "./Notification.js"
import * as Notifier from "./Notifier.js"
import * as Policy from "./Policy.js"
import type { ProjectionStore } from "./ProjectionStore.js"
import * as Projector from "./Projector.js"
import * as Queries from "./Queries.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends CommandService.Options, Projector.Options {
  readonly limits?: Partial<Policy.Limits> | undefined
  /**
   * How long a command waits for the projections to reflect it before it returns anyway. The
   * command is in the log either way; only a read right after it could miss it.
   */
  readonly projectionWait?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CtxlogShape extends Queries.QueriesShape {
  /** Runs a command; once it returns, queries see its effect. */
  readonly execute: (
    command: Command
  ) => Effect.Effect<CommandResult, CommandService.CommandError>
  /** Notifications of commands completed after `after`, then live ones. */
  readonly notifications: (after?: number) => Stream.Stream<Positioned, EventLogError>
  readonly rebuild: Projector.ProjectorShape["rebuild"]
  /** The log position of the last event. */
  readonly head: Effect.Effect<number, EventLogError>
  /** The limits commands are held to, for clients that check input before they send it. */
  readonly limits: Policy.Limits
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Ctxlog extends Context.Tag("@ctxlog/core/Ctxlog")<Ctxlog, CtxlogShape>() {}

const make = (options: Options) =>
  Effect.gen(function*() {
    const commands = yield* CommandService.CommandService
    const queries = yield* Queries.Queries
    const projector = yield* Projector.Projector
    const log = yield* EventLog
    const limits = yield* Policy.Policy
    const wait = Duration.decode(options.projectionWait ?? "30 seconds")

    const execute: CtxlogShape["execute"] = (command) =>
      commands.execute(command).pipe(
        Effect.tap((result) =>
          result.projected ? Effect.void : projector.awaitPosition(result.position, wait).pipe(
            Effect.flatMap((caughtUp) =>
              caughtUp ? Effect.void : Effect.logWarning(
                "the projections did not catch up with a command in time"
              ).pipe(Effect.annotateLogs({ position: result.position }))
            )
          )
        )
      )

    return Ctxlog.of({
      ...queries,
      execute,
      notifications: (after = 0) => Notifier.stream(log, after),
      rebuild: projector.rebuild,
      head: log.head,
      limits
    })
  })

/**
 * The service on the provided event log and projection store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  Ctxlog,
  Policy.InvalidLimit | ProjectionStoreError,
  EventLog | ProjectionStore
> => {
  const services = Layer.mergeAll(
    CommandService.layer(options),
    Queries.layer,
    Projector.layer(options)
  ).pipe(Layer.provideMerge(Policy.layer(options.limits)))
  return Layer.effect(Ctxlog, make(options)).pipe(Layer.provide(services))
}

/**
 * The service on in-memory adapters.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (
  options: Options = {}
): Layer.Layer<Ctxlog | EventLog | ProjectionStore, Policy.InvalidLimit | ProjectionStoreError> =>
  layer(options).pipe(Layer.provideMerge(InMemoryStore.layer))
