/**
 * What the NATS fault tests share: writer processes (the fixtures under `../fixtures`) whose
 * report lines are timed as they arrive, readings of the log and of the views, and the checks
 * that every fault test makes of them.
 */
import type { Event } from "@ctxlog/core"
import {
  AssetId,
  AssetProjection,
  Ctxlog,
  EventLog,
  InMemoryProjectionStore,
  ProjectionStore
} from "@ctxlog/core"
import { NatsEventLog, NatsKvProjectionStore } from "@ctxlog/nats"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { type ChildProcess, spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { expect } from "vitest"

/** A fixture's path by file name. */
export const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

/** A pause for a fault that lasts a while, such as a server that stays down. */
export const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))

/** A report line of a writer, split into words, with the time it arrived (ms since start). */
export interface Line {
  readonly at: number
  readonly kind: "ack" | "fail" | "done"
  readonly words: ReadonlyArray<string>
}

export interface Writer {
  readonly child: ChildProcess
  /** Every report line so far, in the order they arrived. */
  readonly lines: Array<Line>
  /** The last lines of stdout that are not reports: the writer's own logs. */
  readonly logs: ReadonlyArray<string>
  /** The process's end, with its last lines of stderr for a failure's message. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
  /** Kills the process if it still runs: for `finally`, after a test that failed early. */
  readonly stop: () => void
}

const started = performance.now()
/** Milliseconds since this module loaded, the clock of every `Line`. */
export const now = (): number => performance.now() - started

/** Starts `node <fixture> <config as JSON>`; `onLine` sees each report line as it arrives. */
export const startWriter = (
  name: string,
  config: object,
  onLine?: (line: Line, lines: ReadonlyArray<Line>) => void
): Writer => {
  const child = spawn(process.execPath, [fixture(name), JSON.stringify(config)], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<Line> = []
  const logs: Array<string> = []
  const stderr: Array<string> = []
  createInterface({ input: child.stdout! }).on("line", (text) => {
    const words = text.split(" ")
    const kind = words[0]
    // Anything else is a log line of the writer's runtime, kept for a failure's message.
    if (kind !== "ack" && kind !== "fail" && kind !== "done") {
      logs.push(text)
      if (logs.length > 100) logs.shift()
      return
    }
    const line = { at: now(), kind, words } as const
    lines.push(line)
    onLine?.(line, lines)
  })
  createInterface({ input: child.stderr! }).on("line", (text) => {
    stderr.push(text)
    if (stderr.length > 30) stderr.shift()
  })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve, reject) => {
      child.once("error", reject)
      child.once("close", (code, signal) => resolve({ code, signal, stderr: stderr.join("\n") }))
    }
  )
  return {
    child,
    lines,
    logs,
    exit,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    }
  }
}

/** The load's last line says that the writer's projector reached the log's head. */
export const expectCaughtUp = (writer: Writer, soft = false): void => {
  const words = writer.lines.at(-1)?.words ?? []
  const check = soft ? expect.soft : expect
  check(words[0], "the load did not end with its done line").toBe("done")
  check(
    words[2],
    `the projector was at ${words[3]} of ${words[1]}; its logs:\n${writer.logs.join("\n")}`
  ).toBe("true")
}

/** Where a store lives: the servers to connect to, its prefix, its replication. */
export interface Where {
  readonly servers: string | ReadonlyArray<string>
  readonly prefix: string
  readonly replicas?: 1 | 3
}

const logLayer = (where: Where) =>
  NatsEventLog.layer({
    servers: where.servers,
    prefix: where.prefix,
    replicas: where.replicas ?? 1,
    requestTimeoutMs: 2000,
    reconnectTimeWaitMs: 100
  })

/** A reading that has not ended in 30 s fails, saying so, rather than the test timing out. */
const bounded = (what: string, where: Where) =>
  Effect.timeoutFail({
    duration: "30 seconds",
    onTimeout: () => new Error(`${what} of the store ${where.prefix} did not end within 30 s`)
  })

/** The whole log, as `readAll` gives it, and its head. */
export const readLog = (where: Where) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const log = yield* EventLog.EventLog
      const head = yield* log.head
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(log.readAll({ after: 0 })))
      return { head, events }
    }).pipe(Effect.provide(logLayer(where)), bounded("readAll", where))
  )

/** Each asset's stream, as `readStream` gives it. */
export const readStreams = (where: Where, publicIds: ReadonlyArray<string>) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const log = yield* EventLog.EventLog
      return yield* Effect.forEach(publicIds, (publicId) =>
        log.readStream(AssetId.make({ cloud: "demo", publicId })))
    }).pipe(Effect.provide(logLayer(where)), bounded("readStream", where))
  )

/** What identifies an event and its place, to compare two readings of one log. */
export const placed = (events: ReadonlyArray<Event.RecordedEvent>) =>
  events.map((e) => `${e.position} ${e.asset.key}@${e.revision} ${e.commandId} ${e.eventId}`)

/** An asset view in a form that compares field by field. */
export interface ViewShape {
  readonly id: string
  readonly revision: number
  readonly position: number
  readonly context: ReadonlyArray<string>
}

const viewsIn = Effect.gen(function*() {
  const store = yield* ProjectionStore.ProjectionStore
  const views = yield* store.list({ cloud: "demo", limit: 1_000_000 })
  const checkpoint = yield* store.checkpoint(AssetProjection.NAME)
  const shapes: Array<ViewShape> = views.map((v) => ({
    id: v.asset.key,
    revision: v.revision,
    position: v.position,
    context: v.context.map((p) => `${p.key}=${p.value}`)
  }))
  return { views: shapes, checkpoint }
})

/**
 * The views the writers' projectors left in the store's KV buckets, and their checkpoint. The
 * store does not retry a request that timed out, as one can just after a node of a cluster was
 * lost, so the reading is tried again, as any client would.
 */
export const liveViews = (where: Where) =>
  Effect.runPromise(
    viewsIn.pipe(
      Effect.provide(
        NatsKvProjectionStore.layer({
          servers: where.servers,
          bucketPrefix: where.prefix,
          replicas: where.replicas ?? 1
        })
      ),
      Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 20 })
    )
  )

/** The views a rebuild from the log makes in a store that starts empty (in memory). */
export const rebuiltViews = (where: Where) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const summary = yield* (yield* Ctxlog.Ctxlog).rebuild()
      return { ...(yield* viewsIn), events: summary.events }
    }).pipe(
      Effect.provide(
        Ctxlog.layer().pipe(
          Layer.provideMerge(Layer.merge(logLayer(where), InMemoryProjectionStore.layer))
        )
      ),
      bounded("a rebuild", where)
    )
  )

/** The acknowledged and the failed commands of a load, by command id. */
export interface Outcomes {
  readonly acked: Map<string, { readonly position: number; readonly changed: number }>
  readonly failed: Map<string, string>
}

/** The outcomes in the lines of `load.mjs`. */
export const loadOutcomes = (lines: ReadonlyArray<Line>): Outcomes => {
  const acked = new Map<string, { position: number; changed: number }>()
  const failed = new Map<string, string>()
  for (const { kind, words } of lines) {
    if (kind === "ack") acked.set(words[1]!, { position: Number(words[2]), changed: +words[3]! })
    if (kind === "fail") failed.set(words[1]!, words.slice(2).join(" "))
  }
  return { acked, failed }
}

/**
 * What breaks exactly-once: an acknowledged command not in the log as often as it changed
 * assets, or elsewhere than its acknowledged position; a failed one in it twice; an event of no
 * command the writers issued; an asset whose revisions in log order are not 1, 2, ... n.
 * Commands whose id starts with one of `extra` (a setup) may be in the log once.
 */
export const exactlyOnceViolations = (
  outcomes: Outcomes,
  events: ReadonlyArray<Event.RecordedEvent>,
  extra: ReadonlyArray<string> = []
): Array<string> => {
  const out: Array<string> = []
  const byCommand = new Map<string, Array<Event.RecordedEvent>>()
  for (const e of events) {
    const list = byCommand.get(e.commandId) ?? []
    list.push(e)
    byCommand.set(e.commandId, list)
  }
  for (const [id, ack] of outcomes.acked) {
    const found = byCommand.get(id) ?? []
    if (found.length !== ack.changed) {
      out.push(
        `acknowledged ${id} (changed ${ack.changed}, at ${ack.position}) is in the log ` +
          `${found.length} times${found.length > 0 ? ", at " : ""}` +
          found.map((e) => e.position).join(", ")
      )
    } else if (found.length > 0 && found.at(-1)!.position !== ack.position) {
      out.push(`acknowledged ${id} at ${ack.position} is at ${found.at(-1)!.position}`)
    }
  }
  for (const [id, found] of byCommand) {
    if (found.length > 1 && !outcomes.acked.has(id)) {
      out.push(`${id} is in the log ${found.length} times`)
    }
    if (!outcomes.acked.has(id) && !outcomes.failed.has(id)) {
      if (!extra.some((p) => id.startsWith(p))) out.push(`${id} was never issued`)
    }
  }
  const latest = new Map<string, Event.RecordedEvent>()
  const where = (e: Event.RecordedEvent) => `${e.revision} at ${e.position} by ${e.commandId}`
  let last = 0
  for (const e of events) {
    if (e.position <= last) out.push(`position ${e.position} follows ${last}`)
    last = e.position
    const before = latest.get(e.asset.key)
    if (e.revision !== (before?.revision ?? 0) + 1) {
      out.push(
        `${e.asset.key} has revision ${where(e)} after ` +
          (before === undefined ? "nothing" : where(before))
      )
    }
    latest.set(e.asset.key, e)
  }
  return out
}

/** The longest pause between two consecutive lines that arrived in [from, to). */
export const longestGap = (lines: ReadonlyArray<Line>, from: number, to = Infinity): number => {
  let gap = 0
  let previous = from
  for (const line of lines) {
    if (line.at < from || line.at >= to) continue
    gap = Math.max(gap, line.at - previous)
    previous = line.at
  }
  return gap
}
