/**
 * `ctx deliver` publishing to the RabbitMQ exchange its configuration names.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { brokerUrl, listen, uniqueName, useBroker } from "../rabbitmq/support/broker.js"
import { ctx, start, tempStore, useBinary } from "./support/ctx.js"

useBinary()
useBroker()

describe("queues configured for ctx deliver", () => {
  it("publishes every notification to the configured exchange, routed by cloud and type", async () => {
    const { dir, url: store } = tempStore()
    const listener = await listen({ exchange: uniqueName("ctxlog.cli"), queue: uniqueName("q") })
    const config = join(dir, "queues.json")
    writeFileSync(
      config,
      JSON.stringify({ rabbitmq: { url: brokerUrl, exchange: listener.exchange } })
    )
    const deliver = start(["deliver", "--config", config, "--store", store])
    await ctx(["upload", "q1", "--context", "a=1", "--store", store])
    await ctx(["add", "q1", "--context", "b=2", "--store", store])
    await listener.awaitDistinct(2)
    expect(listener.received().map((m) => m.fields.routingKey)).toEqual([
      "demo.upload",
      "demo.resource_context_changed"
    ])
    deliver.child.kill("SIGTERM")
    expect((await deliver.exited).code).toBe(0)
    await listener.close()
  })
})
