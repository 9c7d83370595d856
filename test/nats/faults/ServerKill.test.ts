import { describe, expect, it } from "@effect/vitest"
import { controllable, startServer, uniqueName } from "../../support/nats.js"
import {
  exactlyOnceViolations,
  expectCaughtUp,
  liveViews,
  loadOutcomes,
  longestGap,
  now,
  pause,
  readLog,
  rebuiltViews,
  startWriter
} from "./Writers.js"

const COMMANDS = 10_000
const KILL_AFTER = 3_000
/** How long the server stays down, as an operator's restart would take. */
const DOWN_MS = 1_000

describe("NatsEventLog when its server is killed", () => {
  it.runIf(controllable)(
    "keeps every acknowledged command exactly once, and views equal to a rebuild",
    async ({ annotate, onTestFinished }) => {
      const server = await startServer()
      // Hooks, not `finally`: they run even when the test times out.
      onTestFinished(() => server.stop())
      const prefix = uniqueName("sk")
      let killedAt = 0
      let upAt = 0
      let restarted: Promise<void> | undefined
      let acks = 0
      const writer = startWriter("load.mjs", {
        servers: server.url,
        prefix,
        commands: COMMANDS,
        assets: 300,
        inFlight: 48,
        tag: "w",
        seed: 7
      }, (line) => {
        if (line.kind !== "ack" || ++acks !== KILL_AFTER) return
        server.kill("SIGKILL")
        killedAt = now()
        restarted = (async () => {
          await pause(DOWN_MS)
          await server.restart()
          upAt = now()
        })()
        // Awaited once the load is over; until then a failure must not go unhandled.
        restarted.catch(() => undefined)
      })
      onTestFinished(() => writer.stop())
      const exit = await writer.exit
      expect(restarted, "the load ended before the server was killed").toBeDefined()
      await restarted

      const outcomes = loadOutcomes(writer.lines)
      const acked = writer.lines.filter((l) => l.kind === "ack")
      const afterUp = acked.filter((l) => l.at >= upAt).length
      const firstAfterUp = acked.find((l) => l.at >= upAt)?.at ?? NaN
      // Figures first, so that a failing run shows them too.
      await annotate(
        `${KILL_AFTER} acks before the kill, ` +
          `${acked.filter((l) => l.at > killedAt && l.at < upAt).length} while down, ` +
          `${afterUp} after the restart; ${outcomes.failed.size} failed ` +
          `(${[...new Set(outcomes.failed.values())].slice(0, 3).join("; ")}); ` +
          `down ${(upAt - killedAt).toFixed(0)} ms; first ack after the restart ` +
          `+${(firstAfterUp - upAt).toFixed(0)} ms; longest pause between acks ` +
          `${longestGap(acked, killedAt).toFixed(0)} ms; load ` +
          `${(acked.at(-1)!.at - acked[0]!.at).toFixed(0)} ms, projector caught up ` +
          `${((writer.lines.at(-1)?.at ?? NaN) - acked.at(-1)!.at).toFixed(0)} ms later`,
        "figures"
      )
      expect(exit.code, exit.stderr).toBe(0)
      // The writer's projector reached the head it saw once the load was over.
      expectCaughtUp(writer)
      expect(outcomes.acked.size + outcomes.failed.size).toBe(COMMANDS)
      // The load goes on once the server is back: most of what was left is acknowledged.
      expect(afterUp).toBeGreaterThan((COMMANDS - KILL_AFTER) / 2)

      const { events, head } = await readLog({ servers: server.url, prefix })
      expect(exactlyOnceViolations(outcomes, events)).toEqual([])
      expect(events.at(-1)?.position).toBe(head)

      const live = await liveViews({ servers: server.url, prefix })
      const rebuilt = await rebuiltViews({ servers: server.url, prefix })
      await annotate(
        `${events.length} events up to position ${head}; ${live.views.length} views, ` +
          `checkpoint ${live.checkpoint}`,
        "log"
      )
      expect(rebuilt.events).toBe(events.length)
      expect(live.checkpoint).toBe(head)
      expect(live.views.length).toBe(rebuilt.views.length)
      expect(live.views).toEqual(rebuilt.views)
    },
    180_000
  )
})
