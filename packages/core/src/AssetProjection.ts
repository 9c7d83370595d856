/**
 * The projection of the current view of every asset: how an event changes a view. Pure; the
 * projector runs it against the log and the projection store.
 *
 * @since 0.1.0
 */
import type { AssetId } from "./AssetId.js"
import * as Ctx from "./Context.js"
import type { RecordedEvent } from "./Event.js"
import { trusted } from "./Event.js"
import type { Commit } from "./ProjectionStore.js"
import { AssetView } from "./ProjectionStore.js"

/**
 * The name under which the asset projection keeps its checkpoint.
 *
 * @since 0.1.0
 * @category constants
 */
export const NAME = "assets"

/**
 * The view after an event; `undefined` when the asset does not exist afterwards. An event at or
 * below the view's revision was applied already and changes nothing.
 *
 * @since 0.1.0
 * @category projecting
 */
export const evolve = (
  view: AssetView | undefined,
  recorded: RecordedEvent
): AssetView | undefined => {
  if (view !== undefined && recorded.revision <= view.revision) return view
  const event = recorded.event
  switch (event._tag) {
    case "AssetUploaded":
      return new AssetView({
        asset: recorded.asset,
        revision: recorded.revision,
        position: recorded.position,
        context: event.context,
        createdAt: view?.createdAt ?? recorded.timestamp,
        updatedAt: recorded.timestamp
      }, trusted)
    case "ContextChanged":
      // A change to an asset the view does not hold can only follow a delete, which the decider
      // refuses; keeping nothing is the faithful answer.
      if (view === undefined) return undefined
      return new AssetView({
        ...view,
        revision: recorded.revision,
        position: recorded.position,
        context: Ctx.patch(view.context, event),
        updatedAt: recorded.timestamp
      }, trusted)
    case "AssetDeleted":
      return undefined
  }
}

/**
 * Folds a run of events into one commit, given the views as they were before the run.
 *
 * @since 0.1.0
 * @category projecting
 */
export const project = (
  before: (asset: AssetId) => AssetView | undefined,
  events: Iterable<RecordedEvent>,
  projection: string = NAME
): Commit => {
  const touched = new Map<string, { asset: AssetId; view: AssetView | undefined }>()
  let position = 0
  for (const event of events) {
    const key = event.asset.key
    const current = touched.has(key) ? touched.get(key)!.view : before(event.asset)
    touched.set(key, { asset: event.asset, view: evolve(current, event) })
    position = Math.max(position, event.position)
  }
  const upserts: Array<AssetView> = []
  const deletes: Array<AssetId> = []
  for (const { asset, view } of touched.values()) {
    if (view === undefined) deletes.push(asset)
    else upserts.push(view)
  }
  return { projection, position, upserts, deletes }
}
