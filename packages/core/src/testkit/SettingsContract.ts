/**
 * The contract every settings adapter passes, unchanged. Each case expects fresh, empty settings.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { byName, Settings } from "../Settings.js"
import { type ContractCase, equal, failsWith, isTrue } from "./Expect.js"

const c = (name: string, run: Effect.Effect<void, unknown, Settings>): ContractCase<Settings> => ({
  name,
  run
})

const invalidNames: ReadonlyArray<string> = [
  "",
  "with space",
  "slash/in",
  "star*",
  "equals=sign",
  "ünicode",
  "tab\t",
  "x".repeat(201)
]

/**
 * @since 0.1.0
 * @category contract
 */
export const cases: ReadonlyArray<ContractCase<Settings>> = [
  c(
    "a name without a value reads as none",
    Effect.gen(function*() {
      const settings = yield* Settings
      yield* equal(Option.isNone(yield* settings.get("cloud:demo:api_key")), true, "get")
      yield* equal(yield* settings.list(""), [], "list of everything")
    })
  ),

  c(
    "setIfAbsent stores the first value and gives it back to every later call",
    Effect.gen(function*() {
      const settings = yield* Settings
      const first = yield* settings.setIfAbsent("cloud:demo:api_key", "first")
      const second = yield* settings.setIfAbsent("cloud:demo:api_key", "second")
      yield* equal([first, second], ["first", "first"], "what the two calls gave")
      yield* equal(yield* settings.get("cloud:demo:api_key"), Option.some("first"), "stored")
    })
  ),

  c(
    "of twenty writers racing setIfAbsent on one name, all get the same single value",
    Effect.gen(function*() {
      const settings = yield* Settings
      const values = Array.from({ length: 20 }, (_, i) => `secret-${i}`)
      const got = yield* Effect.all(
        values.map((value) => settings.setIfAbsent("cloud:demo:api_secret", value)),
        { concurrency: "unbounded" }
      )
      const distinct = [...new Set(got)]
      yield* equal(distinct.length, 1, `distinct values given (${JSON.stringify(distinct)})`)
      yield* isTrue(values.includes(distinct[0]!), "the value is one a writer offered")
      yield* equal(
        yield* settings.get("cloud:demo:api_secret"),
        Option.some(distinct[0]!),
        "stored value"
      )
    })
  ),

  c(
    "set writes a value, replacing any it had",
    Effect.gen(function*() {
      const settings = yield* Settings
      yield* settings.set("webhook:a", "one")
      yield* equal(yield* settings.get("webhook:a"), Option.some("one"), "after the first set")
      yield* settings.set("webhook:a", "two")
      yield* equal(yield* settings.get("webhook:a"), Option.some("two"), "after the second set")
      yield* equal(yield* settings.setIfAbsent("webhook:a", "three"), "two", "setIfAbsent after")
      yield* equal(yield* settings.list(""), [["webhook:a", "two"]], "one entry")
    })
  ),

  c(
    "remove drops a value, after which setIfAbsent stores a new one",
    Effect.gen(function*() {
      const settings = yield* Settings
      yield* settings.set("webhook:a", "one")
      yield* settings.set("webhook:b", "other")
      yield* settings.remove("webhook:a")
      yield* equal(Option.isNone(yield* settings.get("webhook:a")), true, "removed")
      yield* equal(yield* settings.get("webhook:b"), Option.some("other"), "another name stays")
      yield* settings.remove("webhook:a")
      yield* settings.remove("never:set")
      yield* equal(yield* settings.list(""), [["webhook:b", "other"]], "list after removals")
      yield* equal(yield* settings.setIfAbsent("webhook:a", "again"), "again", "stored again")
      yield* equal(yield* settings.get("webhook:a"), Option.some("again"), "read again")
    })
  ),

  c(
    "list gives the names under a prefix in code point order, and no others",
    Effect.gen(function*() {
      const settings = yield* Settings
      const names = [
        "webhook:b",
        "webhook:a.2",
        "webhook:a",
        "webhook:B",
        "webhook:a.10",
        "webhooks",
        "webhook",
        "Webhook:c",
        "cloud:demo:api_key"
      ]
      for (const name of names) yield* settings.set(name, `value of ${name}`)
      const entry = (name: string) => [name, `value of ${name}`] as const
      yield* equal(
        yield* settings.list("webhook:"),
        ["webhook:B", "webhook:a", "webhook:a.10", "webhook:a.2", "webhook:b"].map(entry),
        "under webhook:"
      )
      yield* equal(
        yield* settings.list("webhook:a."),
        ["webhook:a.10", "webhook:a.2"].map(entry),
        "under webhook:a."
      )
      yield* equal(
        yield* settings.list(""),
        [...names].sort().map(entry),
        "everything, upper case before lower case"
      )
      yield* equal(yield* settings.list("nothing:"), [], "a prefix no name has")
    })
  ),

  c(
    "names with dots and colons in any place are kept apart",
    Effect.gen(function*() {
      const settings = yield* Settings
      const names = [".", "..", ".lead", "trail.", "a..b", "a.b", "a:b", "a::b", ":", "-", "_"]
      for (const name of names) yield* settings.set(name, `value of ${name}`)
      for (const name of names) {
        yield* equal(yield* settings.get(name), Option.some(`value of ${name}`), `get ${name}`)
      }
      yield* equal(
        (yield* settings.list("")).map(([name]) => name),
        [...names].sort(),
        "every name listed once"
      )
      yield* equal((yield* settings.list("a.")).map(([name]) => name), ["a..b", "a.b"], "a.")
    })
  ),

  c(
    "invalid names are refused, saying which name and why, and nothing is stored",
    Effect.gen(function*() {
      const settings = yield* Settings
      for (const name of invalidNames) {
        const what = `name ${JSON.stringify(name.slice(0, 20))}`
        const refusals = [
          failsWith(settings.get(name), "SettingsError", `get of ${what}`),
          failsWith(settings.setIfAbsent(name, "v"), "SettingsError", `setIfAbsent of ${what}`),
          failsWith(settings.set(name, "v"), "SettingsError", `set of ${what}`),
          failsWith(settings.remove(name), "SettingsError", `remove of ${what}`)
        ]
        // The name as JSON, to its first 20 characters: a long name may be shown cut short.
        const shown = name === "" ? "empty" : JSON.stringify(name.slice(0, 20)).slice(0, -1)
        for (const refusal of refusals) {
          const error = yield* refusal
          yield* isTrue(
            error.message.includes(shown),
            `the message names the ${what}: ${error.message}`
          )
        }
      }
      yield* failsWith(settings.list("with space"), "SettingsError", "list of an invalid prefix")
      yield* equal(yield* settings.list(""), [], "nothing stored")
      const longest = "a".repeat(200)
      yield* settings.set(longest, "v")
      yield* settings.set("Az09_.:-", "w")
      yield* equal(yield* settings.get(longest), Option.some("v"), "a name of 200 characters")
      yield* equal(yield* settings.get("Az09_.:-"), Option.some("w"), "every allowed character")
    })
  ),

  c(
    "unicode values, an empty value and a 64 KiB value survive the round trip",
    Effect.gen(function*() {
      const settings = yield* Settings
      const values: ReadonlyArray<readonly [string, string]> = [
        ["unicode", "日本語 ünïcödé 😀\nsecond line\ttab \"quote\" 'apostrophe' \\ \u0000 end"],
        ["empty", ""],
        ["ascii.64k", "x".repeat(64 * 1024)],
        ["two-byte.64k", "é".repeat(32 * 1024)],
        ["json", JSON.stringify({ url: "https://example.com/hook?a=1&b=2", events: ["upload"] })]
      ]
      for (const [name, value] of values) yield* settings.set(name, value)
      for (const [name, value] of values) {
        const got = yield* settings.get(name)
        yield* isTrue(
          Option.isSome(got) && got.value === value,
          `the value of ${name} (${value.length} characters) read back as it was written`
        )
      }
      yield* equal(
        yield* settings.setIfAbsent("unicode.again", values[0]![1]),
        values[0]![1],
        "setIfAbsent of a unicode value"
      )
      const expected = [...values, ["unicode.again", values[0]![1]] as const].sort(byName)
      const listed = yield* settings.list("")
      yield* equal(listed.map(([name]) => name), expected.map(([name]) => name), "listed names")
      yield* isTrue(
        listed.every(([, value], i) => value === expected[i]![1]),
        "list gives the values as they were written"
      )
    })
  ),

  c(
    "a value over 64 KiB, or with a lone surrogate, is refused",
    Effect.gen(function*() {
      const settings = yield* Settings
      yield* failsWith(settings.set("big", "x".repeat(64 * 1024 + 1)), "SettingsError", "set")
      yield* failsWith(
        settings.setIfAbsent("big", "é".repeat(32 * 1024) + "x"),
        "SettingsError",
        "setIfAbsent of 64 KiB and one byte"
      )
      yield* failsWith(settings.set("surrogate", "a\ud83d"), "SettingsError", "lone surrogate")
      yield* failsWith(settings.set("surrogate", "\ude00b"), "SettingsError", "lone low surrogate")
      yield* equal(yield* settings.list(""), [], "nothing stored")
    })
  )
]
