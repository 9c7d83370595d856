/**
 * ctxlog notifications published to RabbitMQ (AMQP 0-9-1) with publisher confirms.
 *
 * @since 0.1.0
 */
export * as RabbitMqNotificationSink from "./RabbitMqNotificationSink.js"
