import { describe, expect, it } from "@effect/vitest"
import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { existsSync } from "node:fs"
import { connect as tcpConnect } from "node:net"
import { controllable, startCluster, startServer, uniqueName } from "../support/nats.js"

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port })
    socket.once("connect", () => {
      socket.destroy()
      resolve(false)
    })
    socket.once("error", () => resolve(true))
  })

const withClient = async <A>(
  servers: string | ReadonlyArray<string>,
  f: (
    js: ReturnType<typeof jetstream>,
    jsm: Awaited<ReturnType<typeof jetstreamManager>>
  ) => Promise<A>
) => {
  const nc = await connect({ servers: typeof servers === "string" ? servers : [...servers] })
  try {
    return await f(jetstream(nc), await jetstreamManager(nc))
  } finally {
    await nc.close()
  }
}

describe("the NATS test helper", () => {
  it.runIf(controllable)(
    "starts a JetStream server that keeps its data across a SIGKILL and a restart",
    async () => {
      const server = await startServer()
      try {
        expect(server.url).toBe(`nats://127.0.0.1:${server.port}`)
        expect(existsSync(server.dataDir)).toBe(true)
        const stream = uniqueName("S")
        await withClient(server.url, async (js, jsm) => {
          await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] })
          await js.publish(`${stream}.a`, "kept")
        })
        server.kill("SIGKILL")
        await server.restart()
        const messages = await withClient(
          server.url,
          async (_, jsm) => (await jsm.streams.info(stream)).state.messages
        )
        expect(messages).toBe(1)
      } finally {
        await server.stop()
      }
      expect(existsSync(server.dataDir)).toBe(false)
      expect(await refused(server.port)).toBe(true)
    }
  )

  it.runIf(controllable)(
    "says how to get a server when it finds no binary and no Docker",
    async () => {
      const path = process.env.PATH
      process.env.PATH = ""
      try {
        await expect(startServer()).rejects.toThrow(/apt-get install nats-server.*NATS_URL=/s)
      } finally {
        process.env.PATH = path
      }
    }
  )

  it.runIf(!controllable)("uses the server NATS_URL names, and refuses to kill it", async () => {
    const server = await startServer()
    expect(server.external).toBe(true)
    expect(() => server.kill()).toThrow(/cannot kill or restart/)
    await withClient(server.url, async (_, jsm) => {
      expect((await jsm.getAccountInfo()).streams).toBeGreaterThanOrEqual(0)
    })
  })

  it("forms a three-node cluster that finds a stream's leader and restarts a node", async () => {
    const cluster = await startCluster(3)
    try {
      expect(cluster.nodes.map((n) => n.name)).toEqual(["n1", "n2", "n3"])
      const stream = uniqueName("R")
      await withClient(cluster.servers, async (js, jsm) => {
        await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], num_replicas: 3 })
        await js.publish(`${stream}.a`, "replicated")
        const info = await jsm.streams.info(stream)
        expect(info.cluster?.replicas?.length).toBe(2)
      })
      const leader = await cluster.leaderOf(stream)
      // A follower, so that no election has to run: the sink's cluster test kills a leader.
      const follower = cluster.nodes.find((n) => n.name !== leader.name)!
      follower.kill("SIGKILL")
      await follower.restart()
      expect(follower.running).toBe(true)
      await cluster.awaitJetStream()
      await cluster.awaitCaughtUp(stream)
      const messages = await withClient(
        follower.url,
        async (_, jsm) => (await jsm.streams.info(stream)).state.messages
      )
      expect(messages).toBe(1)
    } finally {
      await cluster.stop()
    }
    for (const node of cluster.nodes) expect(existsSync(node.dataDir)).toBe(false)
  }, 60_000)
})
