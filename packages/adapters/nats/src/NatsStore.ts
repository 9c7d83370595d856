/**
 * A whole ctxlog store on NATS: the event log on a JetStream stream and the projections in KV
 * buckets, over one connection. Every process that opens the same prefix shares both.
 *
 * @since 0.1.0
 */
import type { Errors, EventLog, ProjectionStore } from "@ctxlog/core"
import * as Layer from "effect/Layer"
import * as NatsConnection from "./NatsConnection.js"
import * as NatsEventLog from "./NatsEventLog.js"
import * as NatsKvProjectionStore from "./NatsKvProjectionStore.js"
import type * as StreamSetup from "./StreamSetup.js"
import * as Subject from "./Subject.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends NatsConnection.Options, NatsEventLog.Options {
  /** Names the projection buckets; `<prefix>` (dots as underscores) unless set. */
  readonly bucketPrefix?: string | undefined
}

/**
 * The store and the connection it runs on; the connection closes when the layer is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<
  EventLog.EventLog | ProjectionStore.ProjectionStore | NatsConnection.NatsConnection,
  | NatsConnection.NatsConnectionError
  | StreamSetup.StreamMismatch
  | StreamSetup.StreamSetupError
  | Errors.ProjectionStoreError
> => {
  const prefix = options.prefix ?? Subject.defaultPrefix
  const stores = Layer.merge(
    NatsEventLog.layerWithConnection(options),
    NatsKvProjectionStore.layerWithConnection({
      bucketPrefix: options.bucketPrefix ?? prefix.replaceAll(".", "_"),
      replicas: options.replicas
    })
  )
  return Layer.provideMerge(stores, NatsConnection.layer(options))
}
