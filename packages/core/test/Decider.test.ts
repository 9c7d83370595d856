import { AssetId, Command, Event, Policy } from "@ctxlog/core"
import { describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { expect } from "vitest"
import { add, ctx, remove, removeAll, removeKeys, replace, upload } from "./support/commands.js"
import { DeciderSpecification } from "./support/DeciderSpecification.js"

const shirt = AssetId.make({ cloud: "demo", publicId: "shirt1" })
const spec = DeciderSpecification()

const uploaded = (record: Record<string, string>) =>
  new Event.AssetUploaded({ context: ctx(record), added: ctx(record), updated: [], removed: [] })

const changed = (diff: Partial<ConstructorParameters<typeof Event.ContextChanged>[0]>) =>
  new Event.ContextChanged({ added: [], updated: [], removed: [], ...diff })

describe("Decider", () => {
  describe("upload", () => {
    it("registers a new asset with its context", () =>
      spec.given(shirt).when(upload(shirt, { caption: "New" })).then([
        uploaded({ caption: "New" })
      ]))

    it("registers an asset with no context", () =>
      spec.given(shirt).when(upload(shirt)).then([uploaded({})]))

    it("overwrites an existing asset, with the diff against its old context", () =>
      spec.given(shirt, [uploaded({ caption: "Old", sku: "1" })])
        .when(upload(shirt, { caption: "New", color: "red" }))
        .then([
          new Event.AssetUploaded({
            context: ctx({ caption: "New", color: "red" }),
            added: [{ key: "color", value: "red" }],
            updated: [{ key: "caption", value: "New", previous: "Old" }],
            removed: [{ key: "sku", previous: "1" }]
          })
        ]))

    it("registers a deleted asset again, from an empty context", () =>
      spec.given(shirt, [
        uploaded({ a: "1" }),
        new Event.AssetDeleted({ removed: [{ key: "a", previous: "1" }] })
      ])
        .when(upload(shirt, { a: "1" }))
        .then([uploaded({ a: "1" })]))

    it("drops pairs with an empty value and keeps the last of repeated keys", () =>
      spec.given(shirt).when(
        new Command.Upload({
          ...upload(shirt),
          context: [{ key: "a", value: "1" }, { key: "b", value: "" }, { key: "a", value: "2" }]
        })
      ).then([uploaded({ a: "2" })]))
  })

  describe("add", () => {
    it("adds new keys, updates changed values and keeps the rest", () =>
      spec.given(shirt, [uploaded({ caption: "Old", sku: "1" })])
        .when(add([shirt], { caption: "New", product: "shirt" }))
        .then([
          changed({
            added: [{ key: "product", value: "shirt" }],
            updated: [{ key: "caption", value: "New", previous: "Old" }]
          })
        ]))

    it("removes a key given an empty value", () =>
      spec.given(shirt, [uploaded({ caption: "Old", sku: "1" })])
        .when(add([shirt], { sku: "" }))
        .then([changed({ removed: [{ key: "sku", previous: "1" }] })]))

    it("is a no-op when nothing would change", () =>
      spec.given(shirt, [uploaded({ caption: "New" })])
        .when(add([shirt], { caption: "New", missing: "" }))
        .then([]))

    it("refuses an asset that does not exist", () =>
      spec.given(shirt).when(add([shirt], { a: "1" })).thenFails("AssetNotFound", (e) => {
        expect(e.asset).toBe("image/upload/shirt1")
        expect(e.message).toBe("asset image/upload/shirt1 does not exist in cloud demo")
      }))

    it("refuses a deleted asset", () =>
      spec.given(shirt, [uploaded({}), new Event.AssetDeleted({ removed: [] })])
        .when(add([shirt], { a: "1" }))
        .thenFails("AssetNotFound"))
  })

  describe("remove_all", () => {
    it("clears the context", () =>
      spec.given(shirt, [uploaded({ a: "1", b: "2" })])
        .when(removeAll([shirt]))
        .then([changed({ removed: [{ key: "a", previous: "1" }, { key: "b", previous: "2" }] })]))

    it("is a no-op on an empty context", () =>
      spec.given(shirt, [uploaded({})]).when(removeAll([shirt])).then([]))

    it("refuses an asset that does not exist", () =>
      spec.given(shirt).when(removeAll([shirt])).thenFails("AssetNotFound"))
  })

  describe("replace", () => {
    it("sets the whole context", () =>
      spec.given(shirt, [uploaded({ a: "1", b: "2" })])
        .when(replace(shirt, { b: "3", c: "4" }))
        .then([
          changed({
            added: [{ key: "c", value: "4" }],
            updated: [{ key: "b", value: "3", previous: "2" }],
            removed: [{ key: "a", previous: "1" }]
          })
        ]))

    it("is a no-op for the same pairs, even in another order", () =>
      spec.given(shirt, [uploaded({ a: "1", b: "2" })]).when(replace(shirt, { b: "2", a: "1" }))
        .then([]))

    it("refuses an asset that does not exist", () =>
      spec.given(shirt).when(replace(shirt, { a: "1" })).thenFails("AssetNotFound"))
  })

  describe("remove_keys", () => {
    it("removes just the named keys", () =>
      spec.given(shirt, [uploaded({ a: "1", b: "2", c: "3" })])
        .when(removeKeys([shirt], ["a", "c", "absent"]))
        .then([changed({ removed: [{ key: "a", previous: "1" }, { key: "c", previous: "3" }] })]))

    it("is a no-op when none of the keys is present", () =>
      spec.given(shirt, [uploaded({ a: "1" })]).when(removeKeys([shirt], ["x"])).then([]))

    it("refuses an asset that does not exist", () =>
      spec.given(shirt).when(removeKeys([shirt], ["a"])).thenFails("AssetNotFound"))
  })

  describe("delete", () => {
    it("deletes the asset and records the context it had", () =>
      spec.given(shirt, [uploaded({ a: "1" })])
        .when(remove([shirt]))
        .then([new Event.AssetDeleted({ removed: [{ key: "a", previous: "1" }] })]))

    it("refuses an asset that does not exist", () =>
      spec.given(shirt).when(remove([shirt])).thenFails("AssetNotFound"))

    it("refuses an asset deleted already", () =>
      spec.given(shirt, [uploaded({}), new Event.AssetDeleted({ removed: [] })])
        .when(remove([shirt]))
        .thenFails("AssetNotFound"))
  })

  describe("limits", () => {
    const tight = DeciderSpecification(
      Either.getOrThrow(
        Policy.make({ maxContextLength: 20, maxKeyLength: 5, maxValueLength: 6, maxPairs: 2 })
      )
    )

    it("refuses a context longer than the limit, naming asset, limit and length", () =>
      spec.given(shirt, [uploaded({})]).when(add([shirt], { caption: "x".repeat(300) })).thenFails(
        "PolicyViolation",
        (e) => {
          expect(e.rule).toBe("context_length")
          expect(e.limit).toBe(255)
          expect(e.actual).toBe(308)
          expect(e.asset).toBe("image/upload/shirt1")
          expect(e.message).toBe(
            "context of image/upload/shirt1 would be 308 characters; the limit is 255"
          )
        }
      ))

    it("counts the escapes of the canonical encoding in the length", () =>
      tight.given(shirt, [uploaded({})]).when(add([shirt], { a: "||||||", b: "==" })).thenFails(
        "PolicyViolation",
        (e) => expect([e.rule, e.actual]).toEqual(["context_length", 21])
      ))

    it("counts characters, not UTF-16 units", () =>
      tight.given(shirt, [uploaded({})]).when(add([shirt], { e: "😀😀😀😀😀😀" })).then([
        changed({ added: [{ key: "e", value: "😀😀😀😀😀😀" }] })
      ]))

    it("measures the context after the change, so a change that shrinks it passes", () =>
      tight.given(shirt, [uploaded({ a: "123456", b: "123456" })])
        .when(add([shirt], { a: "" }))
        .then([changed({ removed: [{ key: "a", previous: "123456" }] })]))

    it("applies the length limit to uploads and replacements too", () => {
      tight.given(shirt).when(upload(shirt, { a: "123456", b: "123456", c: "1" })).thenFails(
        "PolicyViolation"
      )
      tight.given(shirt, [uploaded({})]).when(replace(shirt, { abcde: "123456", b: "123456" }))
        .thenFails(
          "PolicyViolation",
          (e) => expect(e.rule).toBe("context_length")
        )
    })

    it("refuses a key longer than its limit", () =>
      tight.given(shirt, [uploaded({})]).when(add([shirt], { abcdef: "1" })).thenFails(
        "PolicyViolation",
        (e) => {
          expect([e.rule, e.limit, e.actual, e.key]).toEqual(["key_length", 5, 6, "abcdef"])
          expect(e.message).toBe(
            "key \"abcdef\" of image/upload/shirt1 is 6 characters; the limit is 5"
          )
        }
      ))

    it("refuses a value longer than its limit", () =>
      tight.given(shirt, [uploaded({})]).when(add([shirt], { k: "1234567" })).thenFails(
        "PolicyViolation",
        (e) => expect([e.rule, e.limit, e.actual, e.key]).toEqual(["value_length", 6, 7, "k"])
      ))

    it("refuses more pairs than the limit", () =>
      tight.given(shirt, [uploaded({ a: "1", b: "2" })]).when(add([shirt], { c: "3" })).thenFails(
        "PolicyViolation",
        (e) => {
          expect([e.rule, e.limit, e.actual]).toEqual(["pair_count", 2, 3])
          expect(e.message).toBe(
            "context of image/upload/shirt1 would have 3 pairs; the limit is 2"
          )
        }
      ))

    it("refuses control characters other than newline, naming the position", () =>
      spec.given(shirt, [uploaded({})]).when(add([shirt], { k: "ab\u0007c" })).thenFails(
        "PolicyViolation",
        (e) => {
          expect(e.rule).toBe("characters")
          expect(e.actual).toBe("the control character U+0007 at position 2")
        }
      ))

    it("refuses control characters in keys, and C1 controls and DEL", () => {
      spec.given(shirt, [uploaded({})]).when(add([shirt], { "a\tb": "1" })).thenFails(
        "PolicyViolation"
      )
      spec.given(shirt, [uploaded({})]).when(add([shirt], { k: "\u0085" })).thenFails(
        "PolicyViolation"
      )
      spec.given(shirt, [uploaded({})]).when(add([shirt], { k: "\u007f" })).thenFails(
        "PolicyViolation"
      )
    })

    it("allows newlines and spaces", () =>
      spec.given(shirt, [uploaded({})]).when(add([shirt], { "a b": "line 1\nline 2" })).then([
        changed({ added: [{ key: "a b", value: "line 1\nline 2" }] })
      ]))

    it("refuses text that is not valid UTF-8 (a lone surrogate)", () =>
      spec.given(shirt, [uploaded({})]).when(add([shirt], { k: "a\ud800b" })).thenFails(
        "PolicyViolation",
        (e) => expect(e.actual).toBe("a lone surrogate U+D800 at position 1")
      ))

    it("refuses an empty key", () =>
      spec.given(shirt, [uploaded({})]).when(add([shirt], [{ key: "", value: "v" }])).thenFails(
        "PolicyViolation",
        (e) => expect(e.rule).toBe("empty_key")
      ))
  })

  describe("limits configuration", () => {
    it("has the documented defaults", () =>
      expect(Policy.defaults).toEqual({
        maxContextLength: 255,
        maxKeyLength: 1024,
        maxValueLength: 1024,
        maxPairs: 1000,
        maxPublicIdsPerCommand: 1000
      }))

    it("refuses a limit that is not a positive integer", () => {
      const result = Policy.make({ maxPairs: 0 })
      expect(Either.isLeft(result) && result.left.message).toBe(
        "limit maxPairs must be a positive integer, got 0"
      )
    })
  })
})
