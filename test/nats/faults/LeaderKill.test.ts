import { describe, expect, it } from "@effect/vitest"
import { connect } from "@nats-io/transport-node"
import {
  type ClusterNode,
  controllable,
  type NatsCluster,
  startCluster,
  uniqueName
} from "../../support/nats.js"
import {
  exactlyOnceViolations,
  expectCaughtUp,
  liveViews,
  loadOutcomes,
  longestGap,
  now,
  placed,
  readLog,
  rebuiltViews,
  startWriter
} from "./Writers.js"

const COMMANDS = 4_000
const KILL_AFTER = 1_500

/**
 * Asks the stream's leader to step down until `node` leads, so that what is read next comes
 * from its copy. A leader that steps down hands over to a current replica of its choosing.
 */
const leadFrom = async (cluster: NatsCluster, stream: string, node: ClusterNode) => {
  for (let tries = 0; tries < 12; tries++) {
    const leader = await cluster.awaitLeader(stream)
    if (leader.name === node.name) return
    const nc = await connect({ servers: leader.url })
    try {
      const reply = await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, "", {
        timeout: 5000
      })
      const answer = reply.json<{ success?: boolean; error?: { description?: string } }>()
      if (answer.success !== true) throw new Error(`step-down refused: ${reply.string()}`)
    } finally {
      await nc.close()
    }
    await cluster.awaitLeader(stream, { not: leader.name })
    await cluster.awaitCaughtUp(stream)
  }
  throw new Error(`${node.name} never became the leader of ${stream}`)
}

describe("NatsEventLog on a three-node cluster when the stream leader is killed", () => {
  it.runIf(controllable)(
    "resumes writes after the election, keeps every acknowledged command once, and the " +
      "killed node rejoins with the same log",
    async ({ annotate, onTestFinished }) => {
      const cluster = await startCluster(3)
      // Hooks, not `finally`: they run even when the test times out.
      onTestFinished(() => cluster.stop())
      const prefix = uniqueName("lk")
      const stream = `${prefix}_events`
      const where = { servers: cluster.servers, prefix, replicas: 3 } as const
      let killed: ClusterNode | undefined
      let killedAt = 0
      let electedAt = 0
      let acksAtKill = 0
      let killing: Promise<void> | undefined
      let acks = 0
      const writer = startWriter("load.mjs", {
        servers: cluster.servers,
        prefix,
        replicas: 3,
        commands: COMMANDS,
        assets: 200,
        inFlight: 48,
        tag: "l",
        seed: 11
      }, (line) => {
        if (line.kind !== "ack" || ++acks !== KILL_AFTER) return
        killing = (async () => {
          const leader = await cluster.leaderOf(stream)
          leader.kill("SIGKILL")
          killed = leader
          killedAt = now()
          acksAtKill = acks
          await cluster.awaitLeader(stream, { not: leader.name })
          electedAt = now()
        })()
        // Awaited once the load is over; until then a failure must not go unhandled.
        killing.catch(() => undefined)
      })
      onTestFinished(() => writer.stop())
      const exit = await writer.exit
      expect(killing, "the load ended before the leader was killed").toBeDefined()
      await killing

      const outcomes = loadOutcomes(writer.lines)
      const acked = writer.lines.filter((l) => l.kind === "ack")
      const afterKill = acked.filter((l) => l.at > killedAt)
      const afterElection = acked.find((l) => l.at >= electedAt)?.at ?? NaN
      await annotate(
        `killed ${killed?.name} after ${acksAtKill} acks; ${afterKill.length} acks after ` +
          `the kill; ${outcomes.failed.size} failed ` +
          `(${[...new Set(outcomes.failed.values())].slice(0, 3).join("; ")}); new leader ` +
          `known after ${(electedAt - killedAt).toFixed(0)} ms; first ack after that ` +
          `+${(afterElection - electedAt).toFixed(0)} ms; longest pause between acks ` +
          `${longestGap(acked, killedAt).toFixed(0)} ms; load ` +
          `${(acked.at(-1)!.at - acked[0]!.at).toFixed(0)} ms, projector caught up ` +
          `${((writer.lines.at(-1)?.at ?? NaN) - acked.at(-1)!.at).toFixed(0)} ms later`,
        "figures"
      )
      expect(exit.code, exit.stderr).toBe(0)
      expect(outcomes.acked.size + outcomes.failed.size).toBe(COMMANDS)
      // Writes resume on the new leader: most of what was left is acknowledged after the kill.
      expect(afterKill.length).toBeGreaterThan((COMMANDS - KILL_AFTER) / 2)

      const all = await readLog(where)
      const live = await liveViews(where)
      const rebuilt = await rebuiltViews(where)
      const rejoining = killed!
      const restartedAt = now()
      await rejoining.restart()
      await cluster.awaitJetStream()
      await cluster.awaitCaughtUp(stream)
      const caughtUpAt = now()
      await leadFrom(cluster, stream, rejoining)
      const leader = await cluster.leaderOf(stream)
      const alone = await readLog({ servers: rejoining.url, prefix, replicas: 3 })
      // Annotations are refused once a soft assertion has failed, so they come first.
      await annotate(
        `${all.events.length} events; ${rejoining.name} caught up ` +
          `${(caughtUpAt - restartedAt).toFixed(0)} ms after its restart and, as the leader, ` +
          `read ${alone.events.length} events`,
        "rejoin"
      )

      // Soft, so that one broken rule does not hide the others.
      expectCaughtUp(writer, true)
      expect.soft(exactlyOnceViolations(outcomes, all.events)).toEqual([])
      expect.soft(all.events.at(-1)?.position).toBe(all.head)
      expect.soft(live.checkpoint).toBe(all.head)
      expect.soft(live.views).toEqual(rebuilt.views)
      expect.soft(leader.name).toBe(rejoining.name)
      expect.soft(alone.head).toBe(all.head)
      expect.soft(placed(alone.events)).toEqual(placed(all.events))
    },
    180_000
  )
})
