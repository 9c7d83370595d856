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

  it("knows the memory store", () => {
    expect(parse("memory:")).toStrictEqual(Either.right({ _tag: "Memory" }))
  })

  it("reads NATS servers, credentials and parameters", () => {
    expect(parse("nats://localhost:4222")).toStrictEqual(
      Either.right({ _tag: "Nats", servers: ["nats://localhost:4222"] })
    )
    expect(parse("nats://u:p%40ss@a:1,b:2/?prefix=t.x&replicas=3&creds=c.creds&tls=true", "/w"))
      .toStrictEqual(Either.right({
        _tag: "Nats",
        servers: ["nats://a:1", "nats://b:2"],
        user: "u",
        pass: "p@ss",
        prefix: "t.x",
        replicas: 3,
        credsFile: "/w/c.creds",
        tls: true
      }))
  })

  it("refuses a NATS URL without a server or with a bad parameter", () => {
    for (
      const url of [
        "nats://",
        "nats://a b:1",
        "nats://h:1?replicas=2",
        "nats://h:1?prefix=a..b",
        "nats://h:1?tls=yes",
        "nats://h:1?stream=x"
      ]
    ) {
      const result = parse(url, "/w")
      expect(Either.isLeft(result) && result.left._tag, url).toBe("UsageError")
    }
  })
})
