/**
 * The decider of one asset: `decide(command, state)` gives the events a command makes of that
 * asset, or a typed refusal; `evolve(state, event)` folds an event into the state. Both are pure.
 *
 * A multi-asset command is decided once for each of its assets, each against that asset's state.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import type { AssetId } from "./AssetId.js"
import type * as Command from "./Command.js"
import * as Ctx from "./Context.js"
import { AssetNotFound } from "./Errors.js"
import * as Event from "./Event.js"
import * as Policy from "./Policy.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface AssetState {
  readonly asset: AssetId
  readonly exists: boolean
  /** The number of events in the asset's stream; 0 before the first. */
  readonly revision: number
  readonly context: Ctx.Context
}

/**
 * @since 0.1.0
 * @category models
 */
export type Refusal = AssetNotFound | Policy.PolicyViolation

/**
 * @since 0.1.0
 * @category models
 */
export interface Decider {
  readonly initialState: (asset: AssetId) => AssetState
  readonly decide: (
    command: Command.Command,
    state: AssetState
  ) => Either.Either<ReadonlyArray<Event.DomainEvent>, Refusal>
  readonly evolve: (state: AssetState, event: Event.DomainEvent) => AssetState
}

const initialState = (asset: AssetId): AssetState => ({
  asset,
  exists: false,
  revision: 0,
  context: Ctx.empty
})

const evolve = (state: AssetState, event: Event.DomainEvent): AssetState => {
  const revision = state.revision + 1
  switch (event._tag) {
    case "AssetUploaded":
      return { ...state, exists: true, revision, context: event.context }
    case "ContextChanged":
      return { ...state, revision, context: Ctx.patch(state.context, event) }
    case "AssetDeleted":
      return { ...state, exists: false, revision, context: Ctx.empty }
  }
}

const notFound = (state: AssetState) =>
  Either.left(new AssetNotFound({ cloud: state.asset.cloud, asset: state.asset.path }))

/**
 * A decider that enforces the given limits.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (limits: Policy.Limits = Policy.defaults): Decider => {
  const change = (
    state: AssetState,
    pairs: ReadonlyArray<Ctx.Pair>,
    next: Ctx.Context
  ): Either.Either<ReadonlyArray<Event.DomainEvent>, Refusal> =>
    Either.gen(function*() {
      const path = state.asset.path
      yield* Policy.checkPairs(limits, path, pairs)
      const change = Ctx.diff(state.context, next)
      // Reordering alone is not a change: the diff cannot express it, and a context is a map.
      if (Ctx.isEmptyDiff(change)) return []
      yield* Policy.checkContext(limits, path, Ctx.patch(state.context, change))
      return [new Event.ContextChanged(change, Event.trusted)]
    })

  const decide: Decider["decide"] = (command, state) => {
    switch (command._tag) {
      case "Upload":
        return Either.gen(function*() {
          const path = state.asset.path
          yield* Policy.checkPairs(limits, path, command.context)
          const context = Ctx.fromPairs(command.context)
          yield* Policy.checkContext(limits, path, context)
          const previous = state.exists ? state.context : Ctx.empty
          // Uploading again with the same context is still an upload: the asset is overwritten.
          return [
            new Event.AssetUploaded({ context, ...Ctx.diff(previous, context) }, Event.trusted)
          ]
        })
      case "AddContext":
        if (!state.exists) return notFound(state)
        return change(state, command.pairs, Ctx.merge(state.context, command.pairs))
      case "RemoveAllContext":
        if (!state.exists) return notFound(state)
        return change(state, [], Ctx.empty)
      case "ReplaceContext":
        if (!state.exists) return notFound(state)
        return change(state, command.context, Ctx.fromPairs(command.context))
      case "RemoveKeys":
        if (!state.exists) return notFound(state)
        return change(state, [], Ctx.removeKeys(state.context, command.keys))
      case "DeleteAssets":
        if (!state.exists) return notFound(state)
        return Either.right([
          new Event.AssetDeleted(
            { removed: Ctx.diff(state.context, Ctx.empty).removed },
            Event.trusted
          )
        ])
    }
  }

  return { initialState, decide, evolve }
}

/**
 * Decides with the default limits.
 *
 * @since 0.1.0
 * @category deciding
 */
export const decide: Decider["decide"] = make().decide

export {
  /**
   * @since 0.1.0
   * @category deciding
   */
  evolve,
  /**
   * @since 0.1.0
   * @category deciding
   */
  initialState
}

/**
 * Folds events into a state, from the initial one.
 *
 * @since 0.1.0
 * @category combinators
 */
export const fold = (asset: AssetId, events: Iterable<Event.DomainEvent>): AssetState => {
  let state = initialState(asset)
  for (const event of events) state = evolve(state, event)
  return state
}
