import { AssetId } from "@ctxlog/core"
import { Fixtures } from "@ctxlog/core/testkit"
import { Subject } from "@ctxlog/nats"
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"

const P = Subject.defaultPrefix
const id = (publicId: string) => AssetId.make({ cloud: "demo", publicId })
const decoded = (subject: string) => Either.getOrThrow(Subject.decode(P, subject))

/** Any well-formed Unicode of 1 to 255 code points: what a public id may be. */
const publicId = FastCheck.string({ unit: "binary", minLength: 1, maxLength: 255 })

const tokenPattern = /^[A-Za-z0-9_-]+$/

describe("Subject", () => {
  it("keeps letters, digits and hyphens of ordinary ids as they are", () => {
    expect(Subject.encode(P, id("Shirt-1"))).toBe("ctxlog.events.demo.image.upload.Shirt-1")
    expect(Subject.encode(
      "acme.ctx",
      AssetId.make({
        cloud: "shop",
        publicId: "a",
        resourceType: "video",
        type: "private"
      })
    )).toBe("acme.ctx.events.shop.video.private.a")
  })

  it("writes every other byte, underscore included, as _XX in uppercase hex", () => {
    const examples: ReadonlyArray<readonly [string, string]> = [
      ["folder/sub id", "folder_2Fsub_20id"],
      ["a.b", "a_2Eb"],
      ["*", "_2A"],
      [">", "_3E"],
      ["100%_off", "100_25_5Foff"],
      ["日本", "_E6_97_A5_E6_9C_AC"]
    ]
    for (const [text, token] of examples) {
      const subject = Subject.encode(P, id(text))
      expect(subject).toBe(`ctxlog.events.demo.image.upload.${token}`)
      expect(decoded(subject).publicId).toBe(text)
    }
  })

  it("encodes cloud and type the same way", () => {
    const asset = AssetId.make({ cloud: "my_cloud", publicId: "x", type: "authenticated_2" })
    const subject = Subject.encode(P, asset)
    expect(subject).toBe("ctxlog.events.my_5Fcloud.image.authenticated_5F2.x")
    expect(decoded(subject)).toEqual(asset)
  })

  it.prop("decode gives back every public id that encode wrote", [publicId], ([text]) => {
    const asset = id(text)
    expect(decoded(Subject.encode(P, asset))).toEqual(asset)
  })

  it.prop("writes each part as a token of [A-Za-z0-9_-]", [publicId], ([text]) => {
    const tokens = Subject.encode(P, id(text)).split(".")
    expect(tokens.length).toBe(6)
    for (const token of tokens) expect(token).toMatch(tokenPattern)
  })

  it.prop(
    "gives distinct ids distinct subjects",
    [publicId, publicId],
    ([a, b]) => {
      FastCheck.pre(a !== b)
      expect(Subject.encode(P, id(a))).not.toBe(Subject.encode(P, id(b)))
    }
  )

  it("keeps the awkward ids of the test kit apart and readable back", () => {
    const subjects = Fixtures.awkwardIds.map((text) => Subject.encode(P, id(text)))
    expect(new Set(subjects).size).toBe(Fixtures.awkwardIds.length)
    expect(subjects.map((s) => decoded(s).publicId)).toEqual(Fixtures.awkwardIds)
  })

  it("stays under 4000 bytes for the longest identity of the widest characters", () => {
    const worst = AssetId.make({
      cloud: "_".repeat(64),
      resourceType: "video",
      type: `a${"_".repeat(31)}`,
      publicId: "😀".repeat(255)
    })
    const subject = Subject.encode(P, worst)
    expect(Subject.encodeToken(worst.publicId).length).toBe(3060)
    expect(Buffer.byteLength(subject)).toBeLessThan(4000)
    expect(decoded(subject)).toEqual(worst)
  })

  it("refuses subjects that encode never writes", () => {
    const bad = [
      "other.events.demo.image.upload.a",
      "ctxlog.events.demo.image.upload",
      "ctxlog.events.demo.image.upload.a.b",
      "ctxlog.events.demo.image.upload.a_2a",
      "ctxlog.events.demo.image.upload._41",
      "ctxlog.events.demo.image.upload._FF",
      "ctxlog.events.demo.image.upload.a*b",
      "ctxlog.events.demo.image.upload.",
      "ctxlog.events.demo.picture.upload.a",
      "ctxlog.events.Demo.image.upload.a"
    ]
    for (const subject of bad) {
      const result = Subject.decode(P, subject)
      expect(Either.isLeft(result) && result.left._tag).toBe("InvalidSubject")
    }
    expect(Option.isNone(Subject.decodeToken("_4"))).toBe(true)
  })

  it("names the notification subject of a cloud", () => {
    expect(Subject.notificationsSubject(P, "demo")).toBe("ctxlog.notifications.demo")
    expect(Subject.notificationsSubject("acme.ctx", "my_cloud"))
      .toBe("acme.ctx.notifications.my_5Fcloud")
    expect(Subject.notificationsWildcard(P)).toBe("ctxlog.notifications.>")
  })

  it("accepts prefixes of dot-separated tokens only", () => {
    expect(["ctxlog", "acme.ctx", "a_b-1"].every(Subject.isValidPrefix)).toBe(true)
    expect(["", "a..b", ".a", "a.", "a b", "a.*", "a>"].some(Subject.isValidPrefix)).toBe(false)
  })
})
