/**
 * An event log and a projection store in memory, wired like a database adapter: each append
 * projects its events into the store at once, so reads after writes need no waiting.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { EventLog } from "./EventLog.js"
import * as InMemoryEventLog from "./InMemoryEventLog.js"
import * as InMemoryProjectionStore from "./InMemoryProjectionStore.js"
import { ProjectionStore } from "./ProjectionStore.js"

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<EventLog | ProjectionStore> = Layer.effectContext(
  Effect.gen(function*() {
    const { store, sync } = InMemoryProjectionStore.makeSync()
    const log = yield* InMemoryEventLog.makeWith(sync)
    return Context.make(EventLog, log).pipe(
      Context.add(ProjectionStore, { ...store, inline: true })
    )
  })
)
