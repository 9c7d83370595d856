import { AssetId, ProjectionStore, SearchExpression } from "@ctxlog/core"
import { describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import { expect } from "vitest"

const parsed = (text: string) => Either.getOrThrow(SearchExpression.parse(text))
const failure = (text: string) => {
  const result = SearchExpression.parse(text)
  if (Either.isRight(result)) throw new Error(`expected a syntax error for ${JSON.stringify(text)}`)
  return result.left
}

const view = (
  publicId: string,
  context: Record<string, string>,
  options: { resourceType?: AssetId.ResourceType; type?: string; createdAt?: string } = {}
) =>
  new ProjectionStore.AssetView({
    asset: AssetId.make({
      cloud: "demo",
      publicId,
      resourceType: options.resourceType,
      type: options.type
    }),
    revision: 1,
    position: 1,
    context: Object.entries(context).map(([key, value]) => ({ key, value })),
    createdAt: new Date(options.createdAt ?? "2026-12-01T10:00:00Z"),
    updatedAt: new Date(options.createdAt ?? "2026-12-01T10:00:00Z")
  })

const shirt = view("shirts/blue", { color: "Deep Blue", sku: "ABC-123", size: "M" })
const hat = view("hats/red", { color: "red", sku: "XYZ-9" }, { createdAt: "2026-11-01T00:00:00Z" })
const clip = view("clips/intro", { color: "blue" }, { resourceType: "video", type: "private" })
const assets = [shirt, hat, clip]

const ids = (expression: string, now = Date.parse("2026-12-03T00:00:00Z")) =>
  assets.filter((a) => SearchExpression.matches(parsed(expression), a, now)).map((a) =>
    a.asset.publicId
  )

describe("SearchExpression", () => {
  describe("parse", () => {
    it("reads terms, operators, prefixes and existence", () => {
      expect(parsed("context.color=blue")).toEqual({
        _tag: "Term",
        field: { _tag: "Context", key: "color" },
        operator: "=",
        value: "blue",
        prefix: false
      })
      expect(parsed("context.sku:ABC*")).toMatchObject({
        operator: ":",
        value: "ABC",
        prefix: true
      })
      expect(parsed("context.color:*")).toEqual({
        _tag: "Exists",
        field: { _tag: "Context", key: "color" }
      })
      expect(parsed("created_at>=2026-01-01")).toMatchObject({
        field: { _tag: "CreatedAt" },
        operator: ">="
      })
      expect(parsed("")).toEqual({ _tag: "All" })
    })

    it("binds AND tighter than OR, and reads NOT, -, && and || and parentheses", () => {
      expect(parsed("a OR b AND c")).toMatchObject({
        _tag: "Or",
        left: { _tag: "Bare", value: "a" },
        right: { _tag: "And" }
      })
      expect(parsed("(a || b) && -c")).toMatchObject({
        _tag: "And",
        left: { _tag: "Or" },
        right: { _tag: "Not", expression: { _tag: "Bare", value: "c" } }
      })
      expect(parsed("a b")).toMatchObject({ _tag: "And" })
      expect(parsed("NOT context.x=1")).toMatchObject({ _tag: "Not" })
    })

    it("reads quoted values with escaped quotes, and keeps hyphens inside words", () => {
      expect(parsed("context.title=\"say \\\"hi\\\" (now)\"")).toMatchObject({
        value: "say \"hi\" (now)"
      })
      expect(parsed("context.sku=ABC-123")).toMatchObject({ value: "ABC-123" })
      expect(parsed("context.n=-5")).toMatchObject({ value: "-5" })
    })

    it("names the position and what was expected", () => {
      expect(failure("context.color=")).toMatchObject({ position: 14, expected: "a value after =" })
      expect(failure("(context.a=1")).toMatchObject({
        position: 12,
        expected: "a closing parenthesis"
      })
      expect(failure("colour=red")).toMatchObject({ position: 0 })
      expect(failure("colour=red").expected).toMatch(/a field/)
      expect(failure("context.a=\"open")).toMatchObject({ position: 10 })
      expect(failure("context.a=1 )")).toMatchObject({ position: 12 })
      expect(failure("context.a<x*")).toMatchObject({ expected: "= or : before a prefix" })
      expect(failure("context.a=*")).toMatchObject({
        expected: "the : operator before * (existence)"
      })
      expect(failure("context.a=b*c*")).toMatchObject({ position: 11 })
      expect(failure("a AND")).toMatchObject({ position: 5, expected: "a term" })
      expect(failure("context.a=").message).toBe(
        "search expression at position 10: expected a value after ="
      )
    })
  })

  describe("matches", () => {
    it("compares exactly with =, and matches words case-insensitively with :", () => {
      expect(ids("context.color=blue")).toEqual(["clips/intro"])
      expect(ids("context.color:BLUE")).toEqual(["shirts/blue", "clips/intro"])
      expect(ids("context.color:\"deep blue\"")).toEqual(["shirts/blue"])
      expect(ids("context.color:dee")).toEqual([])
    })

    it("finds prefixes, existence and ranges", () => {
      expect(ids("context.sku:abc*")).toEqual(["shirts/blue"])
      expect(ids("context.sku=ABC*")).toEqual(["shirts/blue"])
      expect(ids("context.sku=abc*")).toEqual([])
      expect(ids("context.size:*")).toEqual(["shirts/blue"])
      expect(ids("context.sku>X")).toEqual(["hats/red"])
      expect(ids("created_at<2026-11-15")).toEqual(["hats/red"])
      expect(ids("created_at>1w")).toEqual(["shirts/blue", "clips/intro"])
    })

    it("reads public ids, resource types, types and bare terms", () => {
      expect(ids("public_id:hats*")).toEqual(["hats/red"])
      expect(ids("resource_type=video")).toEqual(["clips/intro"])
      expect(ids("type=private OR context.color=red")).toEqual(["hats/red", "clips/intro"])
      expect(ids("red")).toEqual(["hats/red"])
      expect(ids("blue -context.color=blue")).toEqual(["shirts/blue"])
      expect(ids("")).toEqual(["shirts/blue", "hats/red", "clips/intro"])
    })

    it.prop(
      "NOT is the complement and OR the union",
      [FastCheck.constantFrom("context.color:blue", "red", "context.sku:*", "type=upload")],
      ([term]) => {
        const all = ids("")
        const yes = ids(term)
        const no = ids(`NOT (${term})`)
        expect([...yes, ...no].sort()).toEqual([...all].sort())
        expect(ids(`(${term}) OR NOT (${term})`)).toEqual(all)
      }
    )
  })
})
