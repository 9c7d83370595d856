import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { parse } from "../../packages/cli/src/Store.js"

describe("Store.parse", () => {
  it("resolves a relative SQLite path against the working directory", () => {
    expect(parse("sqlite:./.ctxlog/ctxlog.db", "/work")).toStrictEqual(
      Either.right({ _tag: "Sqlite", filename: "/work/.ctxlog/ctxlog.db" })
    )
    expect(parse("sqlite:///var/x.db", "/work")).toStrictEqual(
      Either.right({ _tag: "Sqlite", filename: "/var/x.db" })
    )
  })

  it("reads the durability parameter", () => {
    expect(parse("sqlite:x.db?durability=off", "/w")).toStrictEqual(
      Either.right({ _tag: "Sqlite", filename: "/w/x.db", durability: "off" })
    )
  })

  it("refuses unknown parameters, an empty path and unknown kinds of store", () => {
    for (const url of ["sqlite:x.db?mode=ro", "sqlite:", "sqlite:?durability=full", "file:x"]) {
      const result = parse(url, "/w")
      expect(Either.isLeft(result) && result.left._tag).toBe("UsageError")
    }
  })

  it("knows the memory store and that NATS is not in this build", () => {
    expect(parse("memory:")).toStrictEqual(Either.right({ _tag: "Memory" }))
    const nats = parse("nats://localhost:4222")
    expect(Either.isLeft(nats) && nats.left.message).toBe(
      "the NATS store is not available in this build yet"
    )
  })
})
