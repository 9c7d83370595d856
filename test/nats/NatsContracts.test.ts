import { ProjectionStoreContract, SettingsContract } from "@ctxlog/core/testkit"
import { NatsKvProjectionStore, NatsSettings } from "@ctxlog/nats"
import * as Layer from "effect/Layer"
import { runContract } from "../support/contract.js"
import { uniqueName, useNatsServer } from "../support/nats.js"

const server = useNatsServer()

/** New buckets for every case, so that each starts empty. */
const fresh = Layer.suspend(() =>
  NatsKvProjectionStore.layer({ servers: server.current.url, bucketPrefix: uniqueName("c") })
)

runContract("NATS KV projection store", ProjectionStoreContract.cases, fresh)

/** A new bucket for every case. The server is real, so the cases run on the real clock. */
const freshSettings = Layer.suspend(() =>
  NatsSettings.layer({ servers: server.current.url, bucketPrefix: uniqueName("s") })
)

runContract("NATS KV settings", SettingsContract.cases, freshSettings, { live: true })
