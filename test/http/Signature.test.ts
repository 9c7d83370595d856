import { Signature } from "@ctxlog/http"
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"

const reasonOf = (result: Either.Either<void, Signature.SignatureError>) =>
  Either.isLeft(result) ? result.left.reason : "accepted"

describe("Signature", () => {
  it("gives the SHA-1 and SHA-256 digests of the wire document's test vectors", () => {
    const fields = { public_id: "sample", timestamp: 1315060510 }
    expect(Signature.toSign(fields)).toBe("public_id=sample&timestamp=1315060510")
    expect(Signature.sign(fields, "abcd")).toBe("c3470533147774275dd37996cc4d0e68fd03cd4f")
    expect(Signature.sign(fields, "abcd", "sha256")).toBe(
      "0d4fe14b2b4a3f68a97ccc5097c43908b623d24293c296826a9390c14d891509"
    )
    expect(Signature.sign({ context: "caption=New|alt=a\\=b\\|c", timestamp: 1700000000 }, "abcd"))
      .toBe("59cbcefac334e09130c71bf5e570523916572b4e")
  })

  it("leaves out unsigned and empty fields, sorts keys and joins lists with commas", () => {
    expect(Signature.toSign({
      timestamp: 1,
      file: "data",
      api_key: "k",
      resource_type: "image",
      cloud_name: "demo",
      signature: "x",
      "public_ids[]": ["b", "a"],
      command: "add",
      empty: "",
      nothing: null,
      none: []
    })).toBe("command=add&public_ids=b,a&timestamp=1")
  })

  it("writes an & inside a pair as %26 in version 2 and leaves it in version 1", () => {
    const fields = { context: "a=x&y", timestamp: 5 }
    expect(Signature.toSign(fields)).toBe("context=a=x%26y&timestamp=5")
    expect(Signature.toSign(fields, 1)).toBe("context=a=x&y&timestamp=5")
  })

  it("accepts a request signed either way, told apart by the signature's length", () => {
    const fields = { public_id: "sample", timestamp: "1315060510" }
    const now = 1315060510 + 60
    for (const algorithm of ["sha1", "sha256"] as const) {
      const signature = Signature.sign(fields, "abcd", algorithm)
      expect(reasonOf(Signature.verify({ ...fields, signature }, "abcd", { now }))).toBe(
        "accepted"
      )
      expect(
        reasonOf(Signature.verify({ ...fields, signature: signature.toUpperCase() }, "abcd", {
          now
        }))
      ).toBe("accepted")
    }
  })

  it("refuses a changed field, a wrong secret, and a missing or malformed signature", () => {
    const fields = { public_id: "sample", timestamp: 1000 }
    const signature = Signature.sign(fields, "abcd")
    const now = 1000
    expect(
      reasonOf(Signature.verify({ ...fields, public_id: "other", signature }, "abcd", { now }))
    )
      .toBe("mismatch")
    expect(reasonOf(Signature.verify({ ...fields, signature }, "abce", { now }))).toBe("mismatch")
    expect(reasonOf(Signature.verify(fields, "abcd", { now }))).toBe("missing")
    expect(reasonOf(Signature.verify({ ...fields, signature: "abc" }, "abcd", { now }))).toBe(
      "malformed"
    )
    expect(reasonOf(Signature.verify({ ...fields, signature: "z".repeat(40) }, "abcd", { now })))
      .toBe("malformed")
  })

  it("refuses a request signed more than an hour ago, or an hour ahead", () => {
    const at = (timestamp: number) => {
      const fields = { public_id: "p", timestamp }
      return Signature.verify({ ...fields, signature: Signature.sign(fields, "s") }, "s", {
        now: 10_000
      })
    }
    expect(reasonOf(at(10_000 - 3600))).toBe("accepted")
    expect(reasonOf(at(10_000 - 3601))).toBe("stale")
    expect(reasonOf(at(10_000 + 3601))).toBe("future")
    const noTime = { public_id: "p", signature: Signature.sign({ public_id: "p" }, "s") }
    expect(reasonOf(Signature.verify(noTime, "s"))).toBe("missing")
    const badTime = { public_id: "p", timestamp: "soon" }
    expect(
      reasonOf(Signature.verify({ ...badTime, signature: Signature.sign(badTime, "s") }, "s"))
    ).toBe("malformed")
  })
})
