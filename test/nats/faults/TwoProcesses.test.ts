import { AssetId, Client, Decider } from "@ctxlog/core"
import { NatsStore } from "@ctxlog/nats"
import { describe, expect, it } from "@effect/vitest"
import { startServer, uniqueName } from "../../support/nats.js"
import {
  exactlyOnceViolations,
  liveViews,
  loadOutcomes,
  readLog,
  readStreams,
  rebuiltViews,
  startWriter,
  type Writer
} from "./Writers.js"

const HOT = ["hot0", "hot1", "hot2", "hot3", "hot4"]
const PER_PROCESS = 250

describe("NatsEventLog shared by two processes", () => {
  it(
    "loses no update when both add keys to the same assets at once",
    async ({ annotate, onTestFinished }) => {
      const server = await startServer()
      // Hooks, not `finally`: they run even when the test times out.
      onTestFinished(() => server.stop())
      const prefix = uniqueName("tp")
      const where = { servers: server.url, prefix }
      const writers = ["a", "b"].map((tag) => ({ tag, writer: undefined as undefined | Writer }))
      onTestFinished(() => {
        for (const w of writers) w.writer?.stop()
      })
      const setup = await Client.open({ store: NatsStore.layer(where) })
      for (const publicId of HOT) {
        await setup.upload(publicId, [], { commandId: `setup-${publicId}` })
      }
      await setup.close()

      for (const w of writers) {
        w.writer = startWriter("adder.mjs", {
          servers: server.url,
          prefix,
          tag: w.tag,
          commands: PER_PROCESS,
          assets: HOT,
          inFlight: 8
        })
      }
      const exits = await Promise.all(writers.map((w) => w.writer!.exit))
      const lines = writers.flatMap((w) => w.writer!.lines)
      const outcomes = loadOutcomes(lines)
      const started = Math.min(...lines.map((l) => l.at))
      const ended = Math.max(...lines.map((l) => l.at))
      await annotate(
        `${outcomes.acked.size} acknowledged, ${outcomes.failed.size} failed ` +
          `(${[...new Set(outcomes.failed.values())].slice(0, 3).join("; ")}) in ` +
          `${(ended - started).toFixed(0)} ms`,
        "figures"
      )
      for (const exit of exits) expect(exit.code, exit.stderr).toBe(0)
      for (const w of writers) expect(w.writer!.lines.at(-1)?.kind).toBe("done")
      expect(outcomes.acked.size + outcomes.failed.size).toBe(2 * PER_PROCESS)

      const { events, head } = await readLog(where)
      expect(exactlyOnceViolations(outcomes, events, ["setup-"])).toEqual([])

      // Each acknowledgement names the revision its add made: no two may name the same one.
      const claimed = new Map<string, string>()
      for (const { words } of lines.filter((l) => l.kind === "ack")) {
        const [, id, , , publicId, , revision] = words
        const slot = `${publicId}@${revision}`
        expect(claimed.get(slot), `${id} and ${claimed.get(slot)} both made ${slot}`)
          .toBeUndefined()
        claimed.set(slot, id!)
      }

      const streams = await readStreams(where, HOT)
      for (const [i, publicId] of HOT.entries()) {
        const stream = streams[i]!
        expect(stream.map((e) => e.revision)).toEqual(stream.map((_, n) => n + 1))
        for (const e of stream) {
          const claimant = claimed.get(`${publicId}@${e.revision}`)
          if (claimant !== undefined) expect(e.commandId).toBe(claimant)
        }
        const asset = AssetId.make({ cloud: "demo", publicId })
        const keys = new Set(
          Decider.fold(asset, stream.map((e) => e.event)).context.map((p) => p.key)
        )
        const ackedHere = lines.filter((l) => l.kind === "ack" && l.words[4] === publicId)
        for (const { words } of ackedHere) expect(keys.has(words[5]!), words[5]).toBe(true)
        // Every event past the upload added one key that no other command adds.
        expect(keys.size).toBe(stream.length - 1)
      }

      const live = await liveViews(where)
      const rebuilt = await rebuiltViews(where)
      expect(live.checkpoint).toBe(head)
      expect(live.views).toEqual(rebuilt.views)
    },
    120_000
  )
})
