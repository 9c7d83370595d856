/**
 * Transformations written by the official Cloudinary SDK, with its `if` and `variables`
 * options, resolve against a context to the transformation Cloudinary would apply.
 */
import { Context, Transformation } from "@ctxlog/core"
import type { v2 } from "cloudinary"
import * as Either from "effect/Either"
import { beforeAll, describe, expect, it } from "vitest"

let cloudinary: typeof v2

beforeAll(async () => {
  cloudinary = (await import("cloudinary")).v2
})

type Options = Parameters<typeof v2.utils.generate_transformation_string>[0]

// The SDK consumes the options it is given, so every call builds them afresh.
const written = (options: () => Options) =>
  cloudinary.utils.generate_transformation_string(options())

const resolved = (transformation: string, context: Record<string, string>) =>
  Either.getOrThrow(Transformation.resolve(transformation, Context.fromRecord(context)))

describe("Transformations the Cloudinary SDK writes", () => {
  it("resolves a block opened with if and closed with if end", () => {
    const transformation = written(() => [
      { if: "ctx:!productType! = !shoes!" },
      { aspect_ratio: "1:1", crop: "fill", width: 200 },
      { if: "end" }
    ])
    expect(transformation).toBe("if_ctx:!productType!_eq_!shoes!/ar_1:1,c_fill,w_200/if_end")
    expect(resolved(transformation, { productType: "shoes" })).toBe("ar_1:1,c_fill,w_200")
    expect(resolved(transformation, { productType: "boots" })).toBe("")
  })

  it("resolves the if_ the SDK puts in front of the other parameters of a component", () => {
    const transformation = written(() => ({ if: "ctx:!caption! != !New!", effect: "sepia" }))
    expect(transformation).toBe("if_ctx:!caption!_ne_!New!,e_sepia")
    expect(resolved(transformation, { caption: "Old" })).toBe("e_sepia")
    expect(resolved(transformation, { caption: "New" })).toBe("")
    expect(resolved(transformation, {})).toBe("e_sepia")
  })

  it("resolves key existence", () => {
    const present = written(() => ({ if: "!color!_in_ctx", effect: "grayscale" }))
    const missing = written(() => ({ if: "!color!_nin_ctx", effect: "grayscale" }))
    expect(resolved(present, { color: "red" })).toBe("e_grayscale")
    expect(resolved(present, {})).toBe("")
    expect(resolved(missing, {})).toBe("e_grayscale")
  })

  it("resolves in and nin over the list the SDK writes as one string", () => {
    const among = written(() => ({ if: "ctx:!color! in !red:blue!", effect: "grayscale" }))
    const outside = written(() => ({ if: "ctx:!color! nin !red:blue!", effect: "sepia" }))
    expect(among).toBe("if_ctx:!color!_in_!red:blue!,e_grayscale")
    expect(resolved(among, { color: "blue" })).toBe("e_grayscale")
    expect(resolved(among, { color: "green" })).toBe("")
    expect(resolved(outside, { color: "green" })).toBe("e_sepia")
    expect(resolved(outside, { color: "red" })).toBe("")
  })

  it("resolves && and || with && binding tighter", () => {
    const transformation = written(() => ({
      if: "ctx:!a! = !x! || ctx:!b! >= !m! && ctx:!c! < !c!",
      effect: "sepia"
    }))
    expect(transformation).toBe("if_ctx:!a!_eq_!x!_or_ctx:!b!_gte_!m!_and_ctx:!c!_lt_!c!,e_sepia")
    expect(resolved(transformation, { a: "x", b: "a", c: "z" })).toBe("e_sepia")
    expect(resolved(transformation, { a: "y", b: "n", c: "a" })).toBe("e_sepia")
    expect(resolved(transformation, { a: "y", b: "n", c: "z" })).toBe("")
  })

  it("resolves else branches and nested conditionals", () => {
    const transformation = written(() => [
      { variables: [["$n", "ctx:!count!_to_i"]] },
      { if: "$n > 2" },
      { if: "ctx:!tier! = !gold!" },
      { effect: "sepia" },
      { if: "else" },
      { effect: "grayscale" },
      { if: "end" },
      { if: "else" },
      { width: 100, crop: "scale" },
      { if: "end" }
    ])
    expect(transformation).toBe(
      "$n_ctx:!count!_to_i/if_$n_gt_2/if_ctx:!tier!_eq_!gold!/e_sepia/if_else/e_grayscale" +
        "/if_end/if_else/c_scale,w_100/if_end"
    )
    expect(resolved(transformation, { count: "10", tier: "gold" })).toBe("e_sepia")
    expect(resolved(transformation, { count: "3", tier: "silver" })).toBe("e_grayscale")
    expect(resolved(transformation, { count: "2", tier: "gold" })).toBe("c_scale,w_100")
  })

  it("substitutes a variable into a text overlay", () => {
    const transformation = written(() => ({
      variables: [["$award", "ctx:!award!"]],
      overlay: { font_family: "Arial", font_size: 40, text: "$(award)" }
    }))
    expect(transformation).toBe("$award_ctx:!award!,l_text:Arial_40:$(award)")
    expect(resolved(transformation, { award: "Gold" })).toBe("l_text:Arial_40:Gold")
  })

  it("casts variables with to_f and to_i, in either way of declaring them", () => {
    const listed = written(() => ({
      variables: [["$x", "ctx:!x_pos! to_f"], ["$y", "ctx:!y_pos!_to_i"]],
      crop: "crop",
      width: 100,
      x: "$x",
      y: "$y"
    }))
    const keyed = written(() => ({ $x: "ctx:!x_pos!_to_f", x: "$x" }))
    expect(listed).toBe("$x_ctx:!x_pos!_to_f,$y_ctx:!y_pos!_to_i,c_crop,w_100,x_$x,y_$y")
    expect(resolved(listed, { x_pos: "12.50", y_pos: "7.9" })).toBe("c_crop,w_100,x_12.5,y_7")
    expect(resolved(keyed, { x_pos: "0.25" })).toBe("x_0.25")
  })

  it("reads a variable assigned in the same component as the condition on it", () => {
    const transformation = written(() => ({
      variables: [["$n", "ctx:!count!_to_i"]],
      if: "$n >= 3",
      width: "$n * 100"
    }))
    expect(transformation).toBe("if_$n_gte_3,$n_ctx:!count!_to_i,w_$n_mul_100")
    expect(resolved(transformation, { count: "4" })).toBe("w_4_mul_100")
    expect(resolved(transformation, { count: "2" })).toBe("")
  })

  it("keeps for Cloudinary what depends on the image, folding in what the context decides", () => {
    const transformation = written(() => ({
      if: "ctx:!a! = !1! && width > 200",
      effect: "sepia"
    }))
    expect(transformation).toBe("if_ctx:!a!_eq_!1!_and_w_gt_200,e_sepia")
    expect(resolved(transformation, { a: "1" })).toBe("if_w_gt_200,e_sepia")
    expect(resolved(transformation, { a: "2" })).toBe("")
  })

  it("resolves the transformation part of a delivery URL", () => {
    const url = cloudinary.url("sample.jpg", {
      cloud_name: "demo",
      transformation: [{ if: "ctx:!tier! = !gold!" }, { effect: "sepia" }, { if: "end" }]
    })
    const transformation = new URL(url).pathname
      .replace("/demo/image/upload/", "")
      .replace("/sample.jpg", "")
    expect(transformation).toBe("if_ctx:!tier!_eq_!gold!/e_sepia/if_end")
    expect(resolved(transformation, { tier: "gold" })).toBe("e_sepia")
  })

  describe("rewrites the SDK makes inside strings", () => {
    it("writes spaces as underscores, which are then part of the string", () => {
      const transformation = written(() => ({
        if: "ctx:!caption! = !New arrival!",
        effect: "sepia"
      }))
      expect(transformation).toBe("if_ctx:!caption!_eq_!New_arrival!,e_sepia")
      expect(resolved(transformation, { caption: "New arrival" })).toBe("")
      expect(resolved(transformation, { caption: "New_arrival" })).toBe("e_sepia")
    })

    it("abbreviates names of image characteristics even as context keys", () => {
      const transformation = written(() => ({ if: "ctx:!width! = !wide!", effect: "sepia" }))
      expect(transformation).toBe("if_ctx:!w!_eq_!wide!,e_sepia")
      expect(resolved(transformation, { width: "wide" })).toBe("")
      expect(resolved(transformation, { w: "wide" })).toBe("e_sepia")
    })
  })
})
