import { afterEach, describe, expect, it } from "vitest"
import { colourFor, stripAnsi, style, table } from "../../packages/cli/src/Output.js"

describe("Output", () => {
  const saved = process.env.NO_COLOR
  afterEach(() => {
    if (saved === undefined) delete process.env.NO_COLOR
    else process.env.NO_COLOR = saved
  })

  it("uses colour only on a terminal and while NO_COLOR is unset", () => {
    delete process.env.NO_COLOR
    expect(colourFor({ isTTY: true })).toBe(true)
    expect(colourFor({ isTTY: false })).toBe(false)
    expect(colourFor({})).toBe(false)
    process.env.NO_COLOR = "1"
    expect(colourFor({ isTTY: true })).toBe(false)
  })

  it("aligns columns by their visible width, ignoring colour codes", () => {
    const s = style(true)
    const lines = table([[s.bold("KEY"), "VALUE"], ["héllo", "x"], ["a", "y"]])
    expect(lines.map(stripAnsi)).toStrictEqual(["KEY    VALUE", "héllo  x", "a      y"])
    expect(lines[0]).toContain("\x1b[1mKEY\x1b[22m")
  })

  it("writes no escape codes without colour", () => {
    const s = style(false)
    expect(s.red("x") + s.bold("y") + s.dim("z")).toBe("xyz")
  })
})
