import { EventLogContract } from "@ctxlog/core/testkit"
import { NatsEventLog } from "@ctxlog/nats"
import * as Layer from "effect/Layer"
import { runContract } from "../support/contract.js"
import { uniqueName, useNatsServer } from "../support/nats.js"

const server = useNatsServer()

/** A new stream for every case, so that each starts empty. */
const fresh = Layer.suspend(() =>
  NatsEventLog.layer({ servers: server.current.url, prefix: uniqueName("c") })
)

runContract("NATS event log", EventLogContract.cases, fresh, { live: true })
