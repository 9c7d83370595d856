/**
 * Runs commands: loads each asset's state from its stream, decides, and appends the events as one
 * atomic batch at the revisions it read. A conflict means another writer came first: the command
 * is decided again on fresh state, a bounded number of times. A revision the caller states is
 * honoured instead: a mismatch fails with `RevisionConflict`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type { AssetId } from "./AssetId.js"
import * as Command from "./Command.js"
import { CommandResult, Receipt } from "./CommandResult.js"
import * as Decider from "./Decider.js"
import type { AssetNotFound } from "./Errors.js"
import { EventLogError, InvalidCommand, RevisionConflict } from "./Errors.js"
import type { DomainEvent } from "./Event.js"
import { PendingEvent, trusted } from "./Event.js"
import type { StreamWrite } from "./EventLog.js"
import { EventLog } from "./EventLog.js"
import { stableId } from "./internal/hash.js"
import * as Policy from "./Policy.js"

/**
 * @since 0.1.0
 * @category models
 */
export type CommandError =
  | InvalidCommand
  | Policy.PolicyViolation
  | AssetNotFound
  | RevisionConflict
  | EventLogError

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How many times a command is decided in all when other writers keep coming first. */
  readonly maxAttempts?: number | undefined
  /** How many asset streams are read at once for a multi-asset command. */
  readonly readConcurrency?: number | undefined
  /**
   * How many asset states to keep between commands. A kept state is brought up to date by
   * reading only the events after it, so a long stream is not folded again on every command.
   */
  readonly stateCacheSize?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CommandServiceShape {
  readonly execute: (command: Command.Command) => Effect.Effect<CommandResult, CommandError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class CommandService extends Context.Tag("@ctxlog/core/CommandService")<
  CommandService,
  CommandServiceShape
>() {}

/**
 * The key under which the log remembers a command. Command ids are scoped to a cloud, so tenants
 * cannot collide.
 *
 * @since 0.1.0
 * @category idempotency
 */
export const idempotencyKey = (cloud: string, commandId: string): string =>
  `${cloud}\u0000${commandId}`

const decodeReceipt = Schema.decodeEither(Receipt)

const plainAsset = (a: AssetId) => ({
  cloud: a.cloud,
  resourceType: a.resourceType,
  type: a.type,
  publicId: a.publicId
})

/** The encoded form of `Receipt`, written directly: this runs on every command. */
const encodeReceipt = (receipt: {
  applied: ReadonlyArray<AssetId>
  changed: ReadonlyArray<AssetId>
  notFound: ReadonlyArray<AssetId>
}): string =>
  JSON.stringify({
    applied: receipt.applied.map(plainAsset),
    changed: receipt.changed.map(plainAsset),
    notFound: receipt.notFound.map(plainAsset)
  })

/**
 * Decodes a command from untrusted input; the error names the first field that is wrong.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeCommand = (input: unknown): Effect.Effect<Command.Command, InvalidCommand> =>
  Schema.decodeUnknown(Command.Command)(input).pipe(
    Effect.mapError((error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      return new InvalidCommand({
        path: issue?.path.join(".") ?? "",
        detail: issue?.message ?? error.message
      })
    })
  )

const checkShape = (command: Command.Command, limits: Policy.Limits) =>
  Effect.gen(function*() {
    const assets = Command.assetsOf(command)
    yield* Policy.checkAssetCount(limits, assets.length)
    const first = assets[0]!
    for (let i = 1; i < assets.length; i++) {
      const a = assets[i]!
      if (
        a.cloud !== first.cloud || a.resourceType !== first.resourceType || a.type !== first.type
      ) {
        return yield* new InvalidCommand({
          path: `assets.${i}`,
          detail: `every asset of one command shares its cloud, resource type and type; ` +
            `${a} differs from ${first}`
        })
      }
    }
    const seen = new Set<string>()
    return assets.filter((a) => !seen.has(a.key) && seen.add(a.key) !== undefined)
  })

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const limits = yield* Policy.Policy
    const decider = Decider.make(limits)
    const maxAttempts = options.maxAttempts ?? 16
    const concurrency = options.readConcurrency ?? 16
    const conflictRetry = Schedule.exponential("1 millis", 2).pipe(
      Schedule.jittered,
      Schedule.intersect(Schedule.recurs(maxAttempts - 1))
    )

    const cacheSize = options.stateCacheSize ?? 10_000
    // Insertion order makes the Map an LRU: a hit is moved to the end, the oldest goes first.
    const cache = new Map<string, Decider.AssetState>()
    const remember = (state: Decider.AssetState) => {
      if (cacheSize <= 0) return
      cache.delete(state.asset.key)
      cache.set(state.asset.key, state)
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value!)
    }

    const load = (asset: AssetId) =>
      Effect.suspend(() => {
        const known = cache.get(asset.key) ?? decider.initialState(asset)
        return log.readStream(asset, { fromRevision: known.revision }).pipe(
          Effect.map((events) => {
            let state = known
            for (const e of events) state = decider.evolve(state, e.event)
            remember(state)
            return state
          })
        )
      })

    const fromReceipt = (
      commandId: string,
      found: {
        position: number
        revisions: CommandResult["revisions"]
        receipt: string | undefined
      }
    ) =>
      Either.match(decodeReceipt(found.receipt ?? ""), {
        onLeft: (error) =>
          Effect.fail(
            new EventLogError({
              operation: "lookup",
              detail: `the receipt of command ${commandId} is unreadable: ${error.message}`
            })
          ),
        onRight: (receipt) =>
          Effect.succeed(
            new CommandResult({
              commandId,
              ...receipt,
              position: found.position,
              revisions: found.revisions,
              duplicate: true
            })
          )
      })

    /**
     * The states a first attempt may decide on without reading: the remembered ones, when every
     * asset has one, and for an upload, whose asset is most often new, an empty stream in place
     * of one not remembered. Only a decision to write is taken on them, because the append checks
     * each written stream's revision and turns a wrong guess into a conflict and a fresh read; a
     * refusal, a missing asset or a no-op would be believed unchecked, so those are decided
     * again on fresh reads.
     */
    const remembered = (command: Command.Command, assets: ReadonlyArray<AssetId>) => {
      const states: Array<Decider.AssetState> = []
      for (const asset of assets) {
        const state = cache.get(asset.key) ??
          (command._tag === "Upload" ? decider.initialState(asset) : undefined)
        if (state === undefined) return undefined
        states.push(state)
      }
      return states
    }

    const attempt = (
      command: Command.Command,
      assets: ReadonlyArray<AssetId>,
      key: string,
      cached: ReadonlyArray<Decider.AssetState> | undefined
    ): Effect.Effect<CommandResult, CommandError> =>
      Effect.gen(function*() {
        const expected = Command.expectedRevisionOf(command)
        // Forking readers costs more than one read: only a multi-asset command reads in parallel.
        const states = cached ?? (yield* Effect.forEach(assets, load, {
          concurrency: assets.length > 1 ? concurrency : 1
        }))
        const applied: Array<AssetId> = []
        const notFound: Array<AssetId> = []
        const decided: Array<{ state: Decider.AssetState; events: ReadonlyArray<DomainEvent> }> = []
        for (const state of states) {
          if (expected !== undefined && expected !== state.revision) {
            return yield* new RevisionConflict({
              asset: state.asset.toString(),
              expected,
              actual: state.revision
            })
          }
          const decision = decider.decide(command, state)
          if (cached !== undefined && (Either.isLeft(decision) || decision.right.length === 0)) {
            return yield* attempt(command, assets, key, undefined)
          }
          if (Either.isLeft(decision)) {
            const refusal = decision.left
            if (refusal._tag === "AssetNotFound" && "assets" in command) {
              notFound.push(state.asset)
              continue
            }
            return yield* refusal
          }
          applied.push(state.asset)
          if (decision.right.length > 0) decided.push({ state, events: decision.right })
        }
        const size = decided.length
        const writes: Array<StreamWrite> = decided.map(({ events, state }, index) => ({
          asset: state.asset,
          expectedRevision: state.revision,
          events: events.map((event, n) =>
            new PendingEvent({
              eventId: stableId(`event\u0000${key}\u0000${state.asset.key}\u0000${n}`),
              asset: state.asset,
              commandId: command.commandId,
              source: command.source,
              actor: command.actor,
              timestamp: command.timestamp,
              batch: { index, size },
              event
            }, trusted)
          )
        }))
        const changed = decided.map(({ state }) => state.asset)
        const result = yield* log.append({
          idempotencyKey: key,
          writes,
          receipt: encodeReceipt({ applied, changed, notFound })
        })
        if (result.duplicate) return yield* fromReceipt(command.commandId, result)
        for (const { events, state } of decided) remember(events.reduce(decider.evolve, state))
        return new CommandResult({
          commandId: command.commandId,
          applied,
          changed,
          notFound,
          position: result.position,
          revisions: result.revisions,
          duplicate: false,
          projected: result.projected
        }, trusted)
      })

    const execute: CommandServiceShape["execute"] = (command) =>
      Effect.gen(function*() {
        const assets = yield* checkShape(command, limits)
        const key = idempotencyKey(assets[0]!.cloud, command.commandId)
        const explicit = Command.expectedRevisionOf(command) !== undefined
        // A stated revision is compared with the state before the append, so it needs a read.
        let first = explicit ? undefined : remembered(command, assets)
        return yield* Effect.suspend(() => {
          const cached = first
          first = undefined
          return attempt(command, assets, key, cached)
        }).pipe(
          Effect.retry({
            while: (error) => error._tag === "RevisionConflict" && !explicit,
            schedule: conflictRetry
          }),
          // A command seen before returns its first result. The log answers a repeated append
          // that way itself; the lookup is for a repeat that the current state would refuse (an
          // asset deleted since, a stated revision passed), so it costs nothing on the way in.
          Effect.catchAll((error) =>
            Effect.flatMap(log.lookup(key), (known) =>
              Option.isSome(known)
                ? fromReceipt(command.commandId, known.value)
                : Effect.fail(error))
          )
        )
      }).pipe(
        Effect.withSpan("ctxlog.command", {
          attributes: { "ctxlog.command": command._tag, "ctxlog.command_id": command.commandId },
          // A stack trace per command costs more than deciding it.
          captureStackTrace: false
        })
      )

    return CommandService.of({ execute })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Options
): Layer.Layer<CommandService, never, EventLog | Policy.Policy> =>
  Layer.effect(CommandService, make(options))
