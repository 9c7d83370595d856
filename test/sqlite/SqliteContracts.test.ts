import { Settings } from "@ctxlog/core"
import { EventLogContract, ProjectionStoreContract, SettingsContract } from "@ctxlog/core/testkit"
import { SqliteStore } from "@ctxlog/sqlite"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { join } from "node:path"
import { runContract } from "../support/contract.js"
import { tempDir } from "../support/tmp.js"

const dir = tempDir("ctxlog-sqlite-contract-")
let n = 0
/** A new file for every case, so that each starts empty. */
const fresh = Layer.suspend(() => SqliteStore.layer({ filename: join(dir, `case-${++n}.db`) }))

runContract("SQLite event log", EventLogContract.cases, fresh)
runContract("SQLite projection store", ProjectionStoreContract.cases, fresh)
runContract("SQLite settings", SettingsContract.cases, fresh)

/** The settings of a store opened on `filename`, open until the scope closes. */
const settingsOn = (filename: string) =>
  Effect.map(Layer.build(SqliteStore.layer({ filename })), Context.get(Settings.Settings))

describe("SQLite settings shared by two stores on one file", () => {
  it.live("both get the value the first setIfAbsent stored, and it outlives a reopen", () =>
    Effect.gen(function*() {
      const filename = join(dir, "shared.db")
      const name = "cloud:demo:api_key"
      const got = yield* Effect.scoped(
        Effect.gen(function*() {
          const [a, b] = yield* Effect.all([settingsOn(filename), settingsOn(filename)], {
            concurrency: "unbounded"
          })
          return yield* Effect.all(
            Array.from({ length: 10 }, (_, i) => [
              a.setIfAbsent(name, `from-a-${i}`),
              b.setIfAbsent(name, `from-b-${i}`)
            ]).flat(),
            { concurrency: "unbounded" }
          )
        })
      )
      expect(new Set(got).size).toBe(1)
      expect(got[0]).toMatch(/^from-[ab]-\d$/)

      const reopened = yield* Effect.scoped(
        Effect.flatMap(
          settingsOn(filename),
          (s) => Effect.all([s.get(name), s.setIfAbsent(name, "after the reopen")])
        )
      )
      expect(reopened).toEqual([Option.some(got[0]), got[0]])
    }))
})
