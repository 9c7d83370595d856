import { ProjectionStoreContract, SettingsContract } from "@ctxlog/core/testkit"
import { runContract } from "../support/contract.js"
import { freshStore, usePostgres } from "../support/postgres.js"

usePostgres()

// Every case builds the layer anew: a schema of its own, dropped afterwards. The server is
// real, so the cases run on the real clock.
runContract("PostgreSQL projection store", ProjectionStoreContract.cases, freshStore(), {
  live: true
})
runContract("PostgreSQL settings", SettingsContract.cases, freshStore(), { live: true })
