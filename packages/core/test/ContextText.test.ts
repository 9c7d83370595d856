import { ContextText } from "@ctxlog/core"
import { describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import { expect } from "vitest"

const parsed = (text: string) => Either.getOrThrow(ContextText.parse(text))
const failure = (text: string) => {
  const result = ContextText.parse(text)
  if (Either.isRight(result)) throw new Error(`expected a parse error for ${JSON.stringify(text)}`)
  return result.left
}

describe("ContextText", () => {
  describe("parse", () => {
    it("splits pairs on | and each pair on its first =", () =>
      expect(parsed("caption=New|product=shirt")).toEqual([
        { key: "caption", value: "New" },
        { key: "product", value: "shirt" }
      ]))

    it("keeps unescaped = after the first inside the value", () =>
      expect(parsed("k=a=b")).toEqual([{ key: "k", value: "a=b" }]))

    it("reads \\=, \\| and \\\\ as the character after the backslash", () =>
      expect(parsed("a\\=b=c\\|d\\\\e")).toEqual([{ key: "a=b", value: "c|d\\e" }]))

    it("keeps any other backslash literally, as the SDK sends it", () =>
      expect(parsed("path=back\\slash|end=trailing\\")).toEqual([
        { key: "path", value: "back\\slash" },
        { key: "end", value: "trailing\\" }
      ]))

    it("keeps array values verbatim", () =>
      expect(parsed("tags=[\"a\",\"b\"]")).toEqual([{ key: "tags", value: "[\"a\",\"b\"]" }]))

    it("keeps empty values and repeated keys, for the command to interpret", () =>
      expect(parsed("a=|a=2")).toEqual([{ key: "a", value: "" }, { key: "a", value: "2" }]))

    it("reads the empty string as the empty context and skips empty segments", () => {
      expect(parsed("")).toEqual([])
      expect(parsed("a=1||b=2|")).toEqual([{ key: "a", value: "1" }, { key: "b", value: "2" }])
    })

    it("keeps unicode and newlines", () =>
      expect(parsed("日本=😀\nline")).toEqual([{ key: "日本", value: "😀\nline" }]))

    it("refuses a pair without =, naming its position", () => {
      const error = failure("caption=New|1.5")
      expect(error.position).toBe(12)
      expect(error.message).toBe(
        "malformed context at position 12: the pair \"1.5\" has no \"=\" " +
          "between its key and its value"
      )
    })

    it("refuses an empty key, naming its position", () => {
      const error = failure("a=1|=v")
      expect([error.position, error.reason]).toEqual([4, "a key is empty"])
    })

    it("does not take an escaped = as the separator", () =>
      expect(failure("a\\=b").reason).toContain("has no \"=\""))
  })

  describe("encode", () => {
    it("escapes exactly \\, = and | and keeps the order", () =>
      expect(ContextText.encode([
        { key: "z=", value: "a|b\\c" },
        { key: "a", value: "plain: text, 'quotes'" }
      ])).toBe("z\\==a\\|b\\\\c|a=plain: text, 'quotes'"))

    it("writes a backslash the SDK sent unescaped in its canonical, doubled form", () =>
      expect(ContextText.encode(parsed("path=back\\slash"))).toBe("path=back\\\\slash"))
  })

  describe("properties", () => {
    const text = FastCheck.oneof(
      FastCheck.string({ unit: "grapheme", maxLength: 12 }),
      FastCheck.stringMatching(/^[a-z=|\\]{0,12}$/)
    )
    const context = FastCheck.uniqueArray(
      FastCheck.record({
        key: text.filter((k) => k.length > 0),
        value: text.filter((v) => v.length > 0)
      }),
      { selector: (p) => p.key, maxLength: 8 }
    )

    it.prop("encode then parse gives the context back", [context], ([ctx]) => {
      expect(parsed(ContextText.encode(ctx))).toEqual(ctx)
    })

    it.prop("encode∘parse is the identity on canonical text", [context], ([ctx]) => {
      const canonical = ContextText.encode(ctx)
      expect(ContextText.encode(parsed(canonical))).toBe(canonical)
    })

    it.prop(
      "parse never throws: it gives pairs or an error with a position inside the input",
      [FastCheck.oneof(
        FastCheck.string({ unit: "binary", maxLength: 40 }),
        FastCheck.stringMatching(/^[ab=|\\]{0,40}$/)
      )],
      ([input]) => {
        const result = ContextText.parse(input)
        if (Either.isLeft(result)) {
          expect(result.left._tag).toBe("ContextParseError")
          expect(result.left.position).toBeGreaterThanOrEqual(0)
          expect(result.left.position).toBeLessThanOrEqual(input.length)
        } else {
          for (const pair of result.right) expect(pair.key.length).toBeGreaterThan(0)
        }
      },
      { fastCheck: { numRuns: 2000 } }
    )
  })
})
