/**
 * ctxlog on NATS JetStream.
 *
 * @since 0.1.0
 */
export * as NatsConnection from "./NatsConnection.js"
export * as NatsEventLog from "./NatsEventLog.js"
export * as NatsKvProjectionStore from "./NatsKvProjectionStore.js"
export * as NatsNotificationSink from "./NatsNotificationSink.js"
export * as NatsSettings from "./NatsSettings.js"
export * as NatsStore from "./NatsStore.js"
export * as StreamSetup from "./StreamSetup.js"
export * as Subject from "./Subject.js"
