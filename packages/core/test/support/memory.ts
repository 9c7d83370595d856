import { Ctxlog, InMemoryNotificationSink, Notifier } from "@ctxlog/core"
import * as Layer from "effect/Layer"

/** The whole service on in-memory adapters, with notifications delivered to a memory sink. */
export const memory = (options: Ctxlog.Options = {}) => {
  const core = Ctxlog.layerMemory(options)
  return Layer.mergeAll(
    core,
    InMemoryNotificationSink.layer,
    Notifier.layer.pipe(Layer.provide(Layer.merge(core, InMemoryNotificationSink.layer)))
  )
}
