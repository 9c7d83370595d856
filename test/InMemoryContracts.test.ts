import { InMemoryEventLog, InMemoryProjectionStore } from "@ctxlog/core"
import { EventLogContract, ProjectionStoreContract } from "@ctxlog/core/testkit"
import { runContract } from "./support/contract.js"

runContract("in-memory event log", EventLogContract.cases, InMemoryEventLog.layer)
runContract(
  "in-memory projection store",
  ProjectionStoreContract.cases,
  InMemoryProjectionStore.layer
)
