import { InMemoryEventLog, InMemoryProjectionStore, InMemoryStore, Settings } from "@ctxlog/core"
import { EventLogContract, ProjectionStoreContract, SettingsContract } from "@ctxlog/core/testkit"
import { runContract } from "./support/contract.js"

runContract("in-memory event log", EventLogContract.cases, InMemoryEventLog.layer)
runContract(
  "in-memory projection store",
  ProjectionStoreContract.cases,
  InMemoryProjectionStore.layer
)
runContract("in-memory settings", SettingsContract.cases, Settings.layerMemory)

// The pair wired together projects inline; it keeps the same contracts.
runContract("in-memory store, event log side", EventLogContract.cases, InMemoryStore.layer)
runContract("in-memory store, projection side", ProjectionStoreContract.cases, InMemoryStore.layer)
