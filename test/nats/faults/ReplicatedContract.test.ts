import { EventLog } from "@ctxlog/core"
import { EventLogContract, Fixtures } from "@ctxlog/core/testkit"
import { NatsEventLog } from "@ctxlog/nats"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { runContract } from "../../support/contract.js"
import { uniqueName, useNatsCluster } from "../../support/nats.js"

// The fault tests run loads on replicated streams; the log's rules must hold there before any
// fault, and a server may check a replicated stream's expectations otherwise than a single one's.
const cluster = useNatsCluster()

const fresh = Layer.suspend(() =>
  NatsEventLog.layer({
    servers: cluster.current.servers,
    prefix: uniqueName("r"),
    replicas: 3
  })
)

runContract("NATS event log on an R3 stream", EventLogContract.cases, fresh, { live: true })

describe("NATS event log on an R3 stream", () => {
  it.live(
    "of many writers racing on a revision past the first, exactly one wins",
    () =>
      Effect.gen(function*() {
        const log = yield* EventLog.EventLog
        const hot = Fixtures.asset("hot")
        const append = (key: string, expectedRevision: number) =>
          log.append({
            idempotencyKey: key,
            writes: [{
              asset: hot,
              expectedRevision,
              events: [Fixtures.added(hot, [{ key, value: "1" }])]
            }]
          })
        yield* append("first", 0)
        const outcomes = yield* Effect.all(
          Array.from({ length: 20 }, (_, i) => Effect.either(append(`race${i}`, 1))),
          { concurrency: "unbounded" }
        )
        const stream = yield* log.readStream(hot)
        expect({
          wins: outcomes.filter((o) => o._tag === "Right").length,
          revisions: stream.map((e) => e.revision)
        }).toEqual({ wins: 1, revisions: [1, 2] })
      }).pipe(Effect.provide(fresh)),
    30_000
  )
})
