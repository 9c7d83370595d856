import { EventLogContract, ProjectionStoreContract } from "@ctxlog/core/testkit"
import { SqliteStore } from "@ctxlog/sqlite"
import * as Layer from "effect/Layer"
import { join } from "node:path"
import { runContract } from "../support/contract.js"
import { tempDir } from "../support/tmp.js"

const dir = tempDir("ctxlog-sqlite-contract-")
let n = 0
/** A new file for every case, so that each starts empty. */
const fresh = Layer.suspend(() => SqliteStore.layer({ filename: join(dir, `case-${++n}.db`) }))

runContract("SQLite event log", EventLogContract.cases, fresh)
runContract("SQLite projection store", ProjectionStoreContract.cases, fresh)
