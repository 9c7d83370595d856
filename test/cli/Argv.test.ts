import { describe, expect, it } from "vitest"
import { normalize } from "../../packages/cli/src/Argv.js"

describe("Argv.normalize", () => {
  it("moves global options written before the command to just after it", () => {
    expect(normalize(["--json", "--store", "memory:", "get", "a"])).toStrictEqual([
      "get",
      "--json",
      "--store",
      "memory:",
      "a"
    ])
    expect(normalize(["--cloud=shop", "add", "a", "--context", "k=v"])).toStrictEqual([
      "add",
      "--cloud=shop",
      "a",
      "--context",
      "k=v"
    ])
  })

  it("leaves a command line that starts with the command as it is", () => {
    const args = ["get", "a", "--json", "--store", "memory:"]
    expect(normalize(args)).toStrictEqual(args)
  })

  it("keeps built-in options and their values in front of the command", () => {
    expect(normalize(["--log-level", "debug", "--json", "replay"])).toStrictEqual([
      "--log-level",
      "debug",
      "replay",
      "--json"
    ])
  })

  it("does not take the value of --store for the command name", () => {
    expect(normalize(["--store", "get", "history", "a"])).toStrictEqual([
      "history",
      "--store",
      "get",
      "a"
    ])
  })

  it("drops global options when there is no command", () => {
    expect(normalize(["--json", "--help"])).toStrictEqual(["--help"])
  })
})
