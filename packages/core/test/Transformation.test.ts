import { Context, Transformation } from "@ctxlog/core"
import { describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { expect } from "vitest"

const resolved = (transformation: string, context: Record<string, string> = {}) =>
  Either.getOrThrow(Transformation.resolve(transformation, Context.fromRecord(context)))

const failure = (transformation: string, context: Record<string, string> = {}) => {
  const result = Transformation.resolve(transformation, Context.fromRecord(context))
  if (Either.isRight(result)) {
    throw new Error(`expected ${JSON.stringify(transformation)} to be refused`)
  }
  return result.left
}

/** Whether the condition holds: its component survives resolution. */
const holds = (condition: string, context: Record<string, string> = {}) =>
  resolved(`if_${condition},e_sepia`, context) === "e_sepia"

describe("Transformation", () => {
  describe("the examples of the wire format", () => {
    it("keeps a block whose context condition holds and drops it otherwise", () => {
      const transformation = "if_ctx:!productType!_eq_!shoes!/ar_1:1,c_fill,w_200/if_end"
      expect(resolved(transformation, { productType: "shoes" })).toBe("ar_1:1,c_fill,w_200")
      expect(resolved(transformation, { productType: "hats" })).toBe("")
    })

    it("applies a condition that shares its component to that component only", () => {
      const transformation = "if_ctx:!caption!_ne_!New!,e_sepia/w_300"
      expect(resolved(transformation, { caption: "Old" })).toBe("e_sepia/w_300")
      expect(resolved(transformation, { caption: "New" })).toBe("w_300")
    })

    it("tests that a key exists", () => {
      const transformation = "if_!color!_in_ctx,e_grayscale"
      expect(resolved(transformation, { color: "red" })).toBe("e_grayscale")
      expect(resolved(transformation, { size: "L" })).toBe("")
    })

    it("substitutes a variable read from the context into a text overlay", () =>
      expect(resolved("$award_ctx:!award!,l_text:Arial_40:$(award)", { award: "Gold" }))
        .toBe("l_text:Arial_40:Gold"))

    it("casts a context value to a float", () =>
      expect(resolved("$x_ctx:!x_pos!_to_f/c_crop,w_100,x_$x", { x_pos: "12.50" }))
        .toBe("c_crop,w_100,x_12.5"))
  })

  describe("comparisons on the context", () => {
    const context = { color: "red", size: "M", price: "9" }

    it("eq and ne compare the value with a string", () => {
      expect(holds("ctx:!color!_eq_!red!", context)).toBe(true)
      expect(holds("ctx:!color!_eq_!Red!", context)).toBe(false)
      expect(holds("ctx:!color!_ne_!blue!", context)).toBe(true)
      expect(holds("ctx:!color!_ne_!red!", context)).toBe(false)
    })

    it("lt, gt, lte and gte compare strings as strings", () => {
      expect(holds("ctx:!size!_lt_!N!", context)).toBe(true)
      expect(holds("ctx:!size!_gt_!N!", context)).toBe(false)
      expect(holds("ctx:!size!_lte_!M!", context)).toBe(true)
      expect(holds("ctx:!size!_gte_!M!", context)).toBe(true)
      expect(holds("ctx:!size!_gte_!Ma!", context)).toBe(false)
      // "9" sorts after "10" as a string, though 9 < 10 as a number.
      expect(holds("ctx:!price!_gt_!10!", context)).toBe(true)
    })

    it("orders strings by code point, not by UTF-16 unit", () => {
      // U+1F600 is written with a surrogate (0xD83D) that sorts below U+FF45 as a UTF-16 unit.
      expect(holds("ctx:!face!_gt_!ｅ!", { face: "😀" })).toBe(true)
      expect(holds("ctx:!face!_lt_!a!", { face: "Z" })).toBe(true)
    })

    it("in and nin look the value up in a list written with : between the items", () => {
      expect(holds("ctx:!color!_in_!blue:red!", context)).toBe(true)
      expect(holds("ctx:!color!_in_!blue:green!", context)).toBe(false)
      expect(holds("ctx:!color!_nin_!blue:green!", context)).toBe(true)
      expect(holds("ctx:!color!_nin_!red!", context)).toBe(false)
    })

    it("compares the whole value with each item of an in list", () =>
      expect(holds("ctx:!pair!_in_!a:b!", { pair: "a:b" })).toBe(false))

    it("compares a missing key as absent: only ne and nin hold", () => {
      expect(holds("ctx:!gone!_eq_!red!", context)).toBe(false)
      expect(holds("ctx:!gone!_ne_!red!", context)).toBe(true)
      expect(holds("ctx:!gone!_nin_!red:blue!", context)).toBe(true)
      for (const operator of ["in", "lt", "gt", "lte", "gte"]) {
        expect(holds(`ctx:!gone!_${operator}_!red!`, context)).toBe(false)
      }
    })

    it("takes !! as no value, so that eq !! asks whether a key is missing", () => {
      expect(holds("ctx:!gone!_eq_!!", context)).toBe(true)
      expect(holds("ctx:!color!_eq_!!", context)).toBe(false)
      expect(holds("ctx:!color!_ne_!!", context)).toBe(true)
    })

    it("compares two context values", () => {
      expect(holds("ctx:!a!_eq_ctx:!b!", { a: "x", b: "x" })).toBe(true)
      expect(holds("ctx:!a!_lt_ctx:!b!", { a: "x", b: "y" })).toBe(true)
    })

    it("keeps underscores inside strings", () =>
      expect(holds("ctx:!x_pos!_eq_!a_and_b!", { x_pos: "a_and_b" })).toBe(true))
  })

  describe("key existence", () => {
    it("in_ctx holds when the key is present, nin_ctx when it is missing", () => {
      expect(holds("!color!_in_ctx", { color: "red" })).toBe(true)
      expect(holds("!color!_nin_ctx", { color: "red" })).toBe(false)
      expect(holds("!color!_nin_ctx", {})).toBe(true)
    })

    it("takes a list of keys: in_ctx wants every key, nin_ctx none", () => {
      const context = { a: "1", b: "2" }
      expect(holds("!a:b!_in_ctx", context)).toBe(true)
      expect(holds("!a:c!_in_ctx", context)).toBe(false)
      expect(holds("!c:d!_nin_ctx", context)).toBe(true)
      expect(holds("!a:d!_nin_ctx", context)).toBe(false)
    })
  })

  describe("and and or", () => {
    const t = "ctx:!t!_eq_!1!"
    const f = "ctx:!f!_eq_!1!"
    const context = { t: "1", f: "0" }

    it("and holds when every side holds", () => {
      expect(holds(`${t}_and_${t}`, context)).toBe(true)
      expect(holds(`${t}_and_${f}`, context)).toBe(false)
    })

    it("or holds when any side holds", () => {
      expect(holds(`${f}_or_${t}`, context)).toBe(true)
      expect(holds(`${f}_or_${f}`, context)).toBe(false)
    })

    it("binds and tighter than or", () => {
      // As (t or f) and f this would be false.
      expect(holds(`${t}_or_${f}_and_${f}`, context)).toBe(true)
      // As f and (f or t) this would be false.
      expect(holds(`${f}_and_${f}_or_${t}`, context)).toBe(true)
      expect(holds(`${f}_or_${t}_and_${f}`, context)).toBe(false)
    })

    it("mixes existence with comparisons", () =>
      expect(holds("!t!_in_ctx_and_ctx:!f!_ne_!1!", context)).toBe(true))
  })

  describe("blocks", () => {
    const transformation =
      "w_500/if_ctx:!tier!_eq_!gold!/e_sepia,r_20/if_else/e_grayscale/if_end/q_80"

    it("keeps the branch taken, in place, and drops the other", () => {
      expect(resolved(transformation, { tier: "gold" })).toBe("w_500/e_sepia,r_20/q_80")
      expect(resolved(transformation, { tier: "silver" })).toBe("w_500/e_grayscale/q_80")
    })

    it("nests conditionals", () => {
      const nested = "if_!a!_in_ctx/w_100/if_ctx:!b!_eq_!1!/e_sepia/if_else/e_blur/if_end" +
        "/h_50/if_else/w_10/if_end"
      expect(resolved(nested, { a: "x", b: "1" })).toBe("w_100/e_sepia/h_50")
      expect(resolved(nested, { a: "x", b: "2" })).toBe("w_100/e_blur/h_50")
      expect(resolved(nested, { b: "1" })).toBe("w_10")
    })

    it("decides a condition beside parameters inside a block", () => {
      const inner = "if_!a!_in_ctx/if_ctx:!b!_eq_!1!,e_sepia/w_100/if_end"
      expect(resolved(inner, { a: "x", b: "1" })).toBe("e_sepia/w_100")
      expect(resolved(inner, { a: "x" })).toBe("w_100")
      expect(resolved(inner, { b: "1" })).toBe("")
    })

    it("drops empty components and parameters without leaving separators", () =>
      expect(resolved("/w_100,,c_fill//if_!x!_in_ctx/e_sepia/if_end/", {})).toBe("w_100,c_fill"))

    it("passes a transformation without conditions through unchanged", () => {
      const plain = "c_fill,g_auto,h_300,w_400/e_sharpen:80/l_text:Arial_40:Hello!/fl_layer_apply"
      expect(resolved(plain, { a: "1" })).toBe(plain)
    })
  })

  describe("variables", () => {
    it("substitutes $name and $(name) with the value", () =>
      expect(resolved("$c_ctx:!color!/co_$c,l_text:Arial_20:$(c)!", { color: "red" }))
        .toBe("co_red,l_text:Arial_20:red!"))

    it("casts with to_i by truncating and with to_f as read", () => {
      const transformation = "$i_ctx:!n!_to_i,$f_ctx:!n!_to_f/x_$i,y_$f"
      expect(resolved(transformation, { n: "7.9" })).toBe("x_7,y_7.9")
      expect(resolved(transformation, { n: "-2.5" })).toBe("x_-2,y_-2.5")
    })

    it("casts what does not read as a number, and a missing key, to 0", () => {
      expect(resolved("$i_ctx:!n!_to_i/w_$i", { n: "wide" })).toBe("w_0")
      expect(resolved("$f_ctx:!n!_to_f/w_$f", {})).toBe("w_0")
    })

    it("substitutes an uncast missing key as the empty string", () =>
      expect(resolved("$t_ctx:!title!/l_text:Arial_20:$(t)x", {})).toBe("l_text:Arial_20:x"))

    it("prints numbers plainly, without an exponent", () =>
      expect(resolved("$n_ctx:!n!_to_f/w_$n", { n: "1e21" })).toBe("w_1000000000000000000000"))

    it("assigns literals and other variables", () =>
      expect(resolved("$a_10,$s_!big!/$b_$a_to_f/w_$b,t_$s")).toBe("w_10,t_big"))

    it("compares cast variables with numbers as numbers", () => {
      const transformation = "$n_ctx:!count!_to_i/if_$n_gt_10/w_300/if_else/w_100/if_end"
      expect(resolved(transformation, { count: "9" })).toBe("w_100")
      expect(resolved(transformation, { count: "11" })).toBe("w_300")
      expect(resolved("$n_ctx:!n!_to_f/if_$n_lte_2.5,e_sepia", { n: "2.50" })).toBe("e_sepia")
      expect(resolved("$n_ctx:!n!_to_i/if_$n_eq_3_and_$n_ne_4,e_sepia", { n: "3" }))
        .toBe("e_sepia")
    })

    it("compares an uncast number-like string with a number as numbers", () =>
      expect(resolved("$n_ctx:!n!/if_$n_lt_10,e_sepia", { n: "9" })).toBe("e_sepia"))

    it("evaluates the assignments of a component before its condition", () => {
      const transformation = "if_$n_gte_3,$n_ctx:!count!_to_i,w_$n"
      expect(resolved(transformation, { count: "4" })).toBe("w_4")
      expect(resolved(transformation, { count: "2" })).toBe("")
    })

    it("takes the value of the latest assignment on the path taken", () => {
      const transformation = "$v_!a!/if_!k!_in_ctx/$v_!b!/if_end/t_$v"
      expect(resolved(transformation, { k: "1" })).toBe("t_b")
      expect(resolved(transformation, {})).toBe("t_a")
    })

    it("leaves a $ that does not start a name alone", () =>
      expect(resolved("l_text:Arial_20:%245/t_$")).toBe("l_text:Arial_20:%245/t_$"))
  })

  describe("what only Cloudinary can decide", () => {
    it("keeps conditions on image characteristics, with their else and end", () => {
      const transformation = "if_w_gt_200/if_ctx:!a!_eq_!1!/e_sepia/if_else/e_blur/if_end" +
        "/if_else/w_10/if_end"
      expect(resolved(transformation, { a: "1" })).toBe("if_w_gt_200/e_sepia/if_else/w_10/if_end")
    })

    it("folds decided parts into the rest of the condition", () => {
      expect(resolved("if_ctx:!a!_eq_!1!_and_w_gt_200,e_sepia", { a: "1" }))
        .toBe("if_w_gt_200,e_sepia")
      expect(resolved("if_ctx:!a!_eq_!1!_and_w_gt_200,e_sepia", { a: "2" })).toBe("")
      expect(resolved("if_ctx:!a!_eq_!1!_or_w_gt_200,e_sepia", { a: "2" }))
        .toBe("if_w_gt_200,e_sepia")
      expect(resolved("if_ctx:!a!_eq_!1!_or_w_gt_200,e_sepia", { a: "1" })).toBe("e_sepia")
    })

    it("keeps tags and structured metadata conditions", () =>
      expect(resolved("if_!sale!_in_tags_and_md:!size!_eq_!L!,e_sepia"))
        .toBe("if_!sale!_in_tags_and_md:!size!_eq_!L!,e_sepia"))

    it("writes known variables into a kept condition", () =>
      expect(resolved("$n_ctx:!n!_to_i,$s_ctx:!s!/if_w_gt_$n_or_$s_eq_fc,e_sepia", {
        n: "300",
        s: "big"
      })).toBe("if_w_gt_300_or_!big!_eq_fc,e_sepia"))

    it("keeps a variable assigned from an expression, and its uses", () =>
      expect(resolved("$n_ctx:!n!_to_i/$w_iw_div_$n/c_scale,w_$w", { n: "2" }))
        .toBe("$w_iw_div_2/c_scale,w_$w"))

    it("keeps every assignment of a variable assigned inside a kept conditional", () =>
      expect(resolved("$x_ctx:!x!_to_i/if_w_gt_1/$x_6/if_end/x_$x", { x: "5" }))
        .toBe("$x_ctx:!x!_to_i/if_w_gt_1/$x_6/if_end/x_$x"))
  })

  describe("malformed transformations", () => {
    const refused = (transformation: string) => {
      const error = failure(transformation)
      return [error.position, error.reason]
    }

    it("names the opening ! of an unclosed string", () =>
      expect(refused("w_100/if_ctx:!a!_eq_!b,e_sepia")).toEqual([
        20,
        "expected a closing \"!\" for the string opened here"
      ]))

    it("names an if_end without an open if_", () =>
      expect(refused("w_100/if_end")).toEqual([6, "expected an open if_ before if_end"]))

    it("names an if_else without an open if_", () =>
      expect(refused("if_else/w_1")).toEqual([0, "expected an open if_ before if_else"]))

    it("names a second if_else", () =>
      expect(refused("if_w_gt_1/e_sepia/if_else/e_blur/if_else/if_end")).toEqual([
        33,
        "expected if_end: this conditional has its if_else"
      ]))

    it("names an unknown operator", () =>
      expect(refused("if_ctx:!a!_equals_!b!,e_sepia")).toEqual([
        11,
        "unknown operator \"equals\"; expected eq, ne, lt, gt, lte, gte, in or nin"
      ]))

    it("names the innermost conditional left open", () =>
      expect(refused("if_w_gt_1/if_ctx:!a!_eq_!1!/e_sepia/if_end")).toEqual([
        0,
        "expected if_end to close the conditional opened here"
      ]))

    it("names a variable used before any assignment", () => {
      expect(refused("w_100,l_text:Arial_20:$(who)/$who_!me!")).toEqual([
        22,
        "expected $who to be assigned before it is used"
      ])
      expect(refused("if_$n_gt_1/w_1/if_end")).toEqual([
        3,
        "expected $n to be assigned before it is used"
      ])
    })

    it("names a variable whose only assignment is in a branch not taken", () => {
      const error = failure("if_!a!_in_ctx/$x_!foo!/if_end/t_$x", {})
      expect([error.position, error.reason]).toEqual([
        32,
        "expected $x to be assigned before it is used; its assignment is in a branch that is " +
        "not taken"
      ])
    })

    it("refuses if_else and if_end beside other parameters", () =>
      expect(refused("if_w_gt_1/e_sepia/if_end,w_1")).toEqual([
        18,
        "expected if_end alone in its component"
      ]))

    it("refuses an if_ that is not first in its component", () =>
      expect(refused("e_sepia,if_w_gt_1")).toEqual([8, "expected if_ only first in its component"]))

    it("refuses empty conditions and operands", () => {
      expect(refused("if_,e_sepia")).toEqual([3, "expected a condition after \"if_\""])
      expect(refused("if_ctx:!a!_eq,e_sepia")).toEqual([13, "expected an operand after \"eq\""])
      expect(refused("if_ctx:!a!_eq_!b!_and,e_sepia")).toEqual([
        21,
        "expected a comparison after \"and\""
      ])
      expect(refused("if_ctx:!a!__eq_!b!,e_sepia")).toEqual([11, "expected a term before \"_\""])
    })

    it("refuses a context reference without its key", () =>
      expect(refused("if_ctx:color_eq_!red!,e_sepia")).toEqual([
        7,
        "expected !key! after \"ctx:\""
      ]))

    it("refuses an assignment without a value", () =>
      expect(refused("$x/w_1")).toEqual([2, "expected \"_\" and a value after $x"]))

    it("says where and what in its message", () =>
      expect(failure("w_100/if_end").message).toBe(
        "malformed transformation at position 6: expected an open if_ before if_end"
      ))
  })
})
