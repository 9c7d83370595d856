/**
 * The RabbitMQ broker of the tests, and a consumer that records what it receives.
 *
 * `RABBITMQ_URL` names the broker; `amqp://guest:guest@127.0.0.1:5672` unless set. The tests
 * fail, rather than skip, when it does not answer: a sink that is never exercised proves
 * nothing.
 *
 * amqplib is a dependency of the adapter alone, so it is loaded from there, and the few calls
 * the tests make are typed here.
 */
import { randomBytes } from "node:crypto"
import { createRequire } from "node:module"
import { beforeAll, beforeEach } from "vitest"

/** A message as the consumer sees it. */
export interface Message {
  readonly content: Buffer
  readonly fields: { readonly routingKey: string; readonly exchange: string }
  readonly properties: {
    readonly deliveryMode?: number
    readonly contentType?: string
    readonly messageId?: string
    readonly timestamp?: number
    readonly type?: string
    readonly appId?: string
    readonly headers?: Record<string, unknown>
  }
}

/** The channel calls the tests make. */
export interface Channel {
  readonly assertExchange: (
    name: string,
    type: string,
    options: { durable: boolean }
  ) => Promise<unknown>
  readonly deleteExchange: (name: string) => Promise<unknown>
  readonly assertQueue: (
    name: string,
    options: { durable: boolean; arguments?: Record<string, unknown> }
  ) => Promise<unknown>
  readonly bindQueue: (queue: string, exchange: string, pattern: string) => Promise<unknown>
  readonly deleteQueue: (name: string) => Promise<unknown>
  readonly consume: (
    queue: string,
    onMessage: (message: Message | null) => void,
    options: { noAck: boolean }
  ) => Promise<unknown>
  readonly on: (event: "error" | "close", listener: (error?: unknown) => void) => void
  readonly close: () => Promise<void>
}

interface Connection {
  readonly createChannel: () => Promise<Channel>
  readonly on: (event: "error" | "close", listener: (error?: unknown) => void) => void
  readonly close: () => Promise<void>
}

interface Client {
  readonly connect: (url: string, socketOptions?: { timeout?: number }) => Promise<Connection>
}

const adapter = new URL("../../../packages/adapters/rabbitmq/package.json", import.meta.url)
const amqp = createRequire(adapter)("amqplib") as Client

/** The broker's url. */
export const brokerUrl = process.env.RABBITMQ_URL || "amqp://guest:guest@127.0.0.1:5672"

/** Host and port of the broker, for a proxy in front of it. */
export const brokerAddress = (): { host: string; port: number } => {
  const url = new URL(brokerUrl)
  return { host: url.hostname, port: url.port === "" ? 5672 : Number(url.port) }
}

/** The broker's url with another host and port, keeping credentials and virtual host. */
export const urlVia = (port: number): string => {
  const url = new URL(brokerUrl)
  url.hostname = "127.0.0.1"
  url.port = String(port)
  return url.toString()
}

/** A name no other test uses: `<prefix>.<random hex>`. */
export const uniqueName = (prefix: string): string => `${prefix}.${randomBytes(6).toString("hex")}`

const shown = () => {
  const url = new URL(brokerUrl)
  if (url.password !== "") url.password = "***"
  return url.toString()
}

/**
 * Fails every test of the file, saying what to do, when the broker does not answer. The broker is
 * asked once; each test then fails on its own, so that none is reported as skipped.
 */
export const useBroker = (): void => {
  let unreachable: Error | undefined
  beforeAll(async () => {
    try {
      const connection = await amqp.connect(brokerUrl, { timeout: 5000 })
      connection.on("error", () => undefined)
      await connection.close()
    } catch (error) {
      unreachable = new Error(
        `no RabbitMQ broker answers at ${shown()} (${String(error)}): start one, e.g. ` +
          "`docker run -d -p 5672:5672 rabbitmq:3`, or set RABBITMQ_URL to a broker these " +
          "tests may create and delete exchanges and queues on"
      )
    }
  })
  beforeEach(() => {
    if (unreachable !== undefined) throw unreachable
  })
}

/** Runs `f` on a channel of a connection of its own, closed afterwards. */
export const withChannel = async <A>(f: (channel: Channel) => Promise<A>): Promise<A> => {
  const connection = await amqp.connect(brokerUrl, { timeout: 5000 })
  connection.on("error", () => undefined)
  try {
    const channel = await connection.createChannel()
    channel.on("error", () => undefined)
    return await f(channel)
  } finally {
    await connection.close().catch(() => undefined)
  }
}

/** A queue bound to an exchange, and what has arrived on it. */
export interface Listener {
  readonly exchange: string
  readonly queue: string
  /** Every message, in arrival order, duplicates included. */
  readonly received: () => ReadonlyArray<Message>
  /** The distinct message ids, in order of first arrival. */
  readonly distinct: () => ReadonlyArray<string>
  /** Resolves once `n` distinct message ids have arrived; rejects, saying how many did not. */
  readonly awaitDistinct: (n: number, timeoutMs?: number) => Promise<void>
  /** Stops consuming and deletes the queue and the exchange. */
  readonly close: () => Promise<void>
}

/**
 * Declares a durable exchange (as the sink does), a queue bound to it with `#`, and consumes
 * from it. The exchange exists before the sink's first publish, so nothing is dropped unrouted.
 */
export const listen = async (options: {
  readonly exchange: string
  readonly queue: string
  readonly exchangeType?: string
  readonly queueArguments?: Record<string, unknown>
  /** Declares and binds, but does not consume, so that messages stay in the queue. */
  readonly consume?: boolean
}): Promise<Listener> => {
  const { exchange, queue } = options
  const connection = await amqp.connect(brokerUrl, { timeout: 5000 })
  connection.on("error", () => undefined)
  const channel = await connection.createChannel()
  channel.on("error", () => undefined)
  await channel.assertExchange(exchange, options.exchangeType ?? "topic", { durable: true })
  await channel.assertQueue(queue, {
    durable: false,
    ...(options.queueArguments === undefined ? {} : { arguments: options.queueArguments })
  })
  await channel.bindQueue(queue, exchange, "#")

  const received: Array<Message> = []
  const ids: Array<string> = []
  const seen = new Set<string>()
  const waiters = new Set<() => void>()
  if (options.consume !== false) {
    await channel.consume(queue, (message) => {
      if (message === null) return
      received.push(message)
      const id = String(message.properties.messageId)
      if (!seen.has(id)) {
        seen.add(id)
        ids.push(id)
        for (const wake of [...waiters]) wake()
      }
    }, { noAck: true })
  }

  return {
    exchange,
    queue,
    received: () => received.slice(),
    distinct: () => ids.slice(),
    awaitDistinct: (n, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (ids.length < n) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new Error(`${ids.length} of ${n} distinct messages arrived within ${timeoutMs} ms`)
          )
        }, timeoutMs)
        waiters.add(check)
        check()
      }),
    close: async () => {
      try {
        await channel.deleteQueue(queue)
        await channel.deleteExchange(exchange)
      } finally {
        await connection.close().catch(() => undefined)
      }
    }
  }
}
