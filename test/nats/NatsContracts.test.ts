import { ProjectionStoreContract } from "@ctxlog/core/testkit"
import { NatsKvProjectionStore } from "@ctxlog/nats"
import * as Layer from "effect/Layer"
import { runContract } from "../support/contract.js"
import { uniqueName, useNatsServer } from "../support/nats.js"

const server = useNatsServer()

/** New buckets for every case, so that each starts empty. */
const fresh = Layer.suspend(() =>
  NatsKvProjectionStore.layer({ servers: server.current.url, bucketPrefix: uniqueName("c") })
)

runContract("NATS KV projection store", ProjectionStoreContract.cases, fresh)
