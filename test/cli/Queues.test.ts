/**
 * `ctx deliver` publishing to the RabbitMQ exchange its configuration names.
 */
import { execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { brokerUrl, listen, uniqueName, useBroker } from "../rabbitmq/support/broker.js"
import { ctx, start, tempStore, useBinary } from "./support/ctx.js"

useBinary()
useBroker()

describe("queues configured for ctx deliver", () => {
  it("publishes every notification to the exchange, routed by cloud and type", async () => {
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

  it("keeps publishing after the broker closes its connection", async () => {
    const { dir, url: store } = tempStore()
    const listener = await listen({ exchange: uniqueName("ctxlog.cli"), queue: uniqueName("q") })
    const name = uniqueName("cli-sink")
    const config = join(dir, "queues.json")
    writeFileSync(
      config,
      JSON.stringify({ rabbitmq: { url: brokerUrl, exchange: listener.exchange, name } })
    )
    const deliver = start(["deliver", "--config", config, "--store", store])
    await ctx(["upload", "b1", "--store", store])
    await listener.awaitDistinct(1)
    // The broker itself closes the connection this sink opened, found by its name.
    const listed = execFileSync("rabbitmqctl", [
      "-q",
      "list_connections",
      "pid",
      "client_properties"
    ], {
      encoding: "utf8"
    })
    const line = listed.split("\n").find((l) => l.includes(`ctxlog ${name}`))
    expect(line).toBeDefined()
    const pid = line!.split("\t")[0]!
    execFileSync("rabbitmqctl", ["-q", "close_connection", pid, "closed by the test"])
    for (let i = 2; i <= 4; i++) await ctx(["upload", `b${i}`, "--store", store])
    await listener.awaitDistinct(4)
    expect(listener.distinct()).toHaveLength(4)
    deliver.child.kill("SIGTERM")
    const exited = await deliver.exited
    expect(exited.code).toBe(0)
    expect(exited.stderr).toMatch(/lost|closed/i)
    await listener.close()
  })
})
