/**
 * A whole ctxlog store on NATS: the event log on a JetStream stream, the projections and the
 * settings in KV buckets, over one connection. Every process that opens the same prefix shares
 * them all.
 *
 * @since 0.1.0
 */
import type { Errors, EventLog, ProjectionStore, Settings } from "@ctxlog/core"
import * as Layer from "effect/Layer"
import * as NatsConnection from "./NatsConnection.js"
import * as NatsEventLog from "./NatsEventLog.js"
import * as NatsKvProjectionStore from "./NatsKvProjectionStore.js"
import * as NatsSettings from "./NatsSettings.js"
import type * as StreamSetup from "./StreamSetup.js"
import * as Subject from "./Subject.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends NatsConnection.Options, NatsEventLog.Options {
  /** Names the projection and settings buckets; `<prefix>` (dots as underscores) unless set. */
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
  | EventLog.EventLog
  | ProjectionStore.ProjectionStore
  | Settings.Settings
  | NatsConnection.NatsConnection,
  | NatsConnection.NatsConnectionError
  | StreamSetup.StreamMismatch
  | StreamSetup.StreamSetupError
  | Errors.ProjectionStoreError
  | Errors.SettingsError
> => {
  const prefix = options.prefix ?? Subject.defaultPrefix
  const buckets = {
    bucketPrefix: options.bucketPrefix ?? prefix.replaceAll(".", "_"),
    replicas: options.replicas
  }
  const stores = Layer.mergeAll(
    NatsEventLog.layerWithConnection(options),
    NatsKvProjectionStore.layerWithConnection(buckets),
    NatsSettings.layerWithConnection(buckets)
  )
  return Layer.provideMerge(stores, NatsConnection.layer(options))
}
