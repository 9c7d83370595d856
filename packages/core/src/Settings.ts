/**
 * The settings port: a few named strings kept with the store, for what a host must remember from
 * one start to the next (the API key it made for a cloud, webhook registrations). Settings are
 * not history: a write replaces the value and keeps no record of the one before.
 *
 * An adapter must honour these rules, which the contract suite of the test kit checks:
 * - `setIfAbsent` is atomic across every process on the same store: of writers racing on a name
 *   that has no value, exactly one stores its value and every one of them gets that value back.
 * - Names are 1 to 200 characters of `A-Z a-z 0-9 _ . : -`; values are well-formed strings of at
 *   most 64 KiB in UTF-8. Anything else fails with `SettingsError` before the storage is
 *   touched, which `validated` does for an adapter.
 * - `list` gives the names that start with a prefix, in code point order, with their values.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { SettingsError } from "./Errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface SettingsShape {
  readonly get: (name: string) => Effect.Effect<Option.Option<string>, SettingsError>
  /**
   * Stores `value` only when `name` has none, atomically across processes; gives the value
   * stored afterwards, which is another writer's when that one came first.
   */
  readonly setIfAbsent: (name: string, value: string) => Effect.Effect<string, SettingsError>
  /** Stores `value`, replacing any value `name` has. */
  readonly set: (name: string, value: string) => Effect.Effect<void, SettingsError>
  /** Removes `name`'s value; a name without one stays without one. */
  readonly remove: (name: string) => Effect.Effect<void, SettingsError>
  /** Every name that starts with `prefix` (all of them for `""`), sorted, with its value. */
  readonly list: (
    prefix: string
  ) => Effect.Effect<ReadonlyArray<readonly [string, string]>, SettingsError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Settings extends Context.Tag("@ctxlog/core/Settings")<Settings, SettingsShape>() {}

/**
 * The longest name, in characters.
 *
 * @since 0.1.0
 * @category constants
 */
export const NAME_MAX = 200

/**
 * The largest value, in bytes of UTF-8.
 *
 * @since 0.1.0
 * @category constants
 */
export const VALUE_MAX_BYTES = 64 * 1024

const NAME_CHAR = /^[A-Za-z0-9_.:-]$/
const ALPHABET = "A-Z, a-z, 0-9, _ . : and -"

/** A name as an error shows it: quoted, and cut short when long. */
const show = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)

/** Why `text` is not made of name characters only, or undefined when it is. */
const badCharacter = (text: string, what: string): string | undefined => {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (!NAME_CHAR.test(ch)) {
      return `${what} ${show(text)} has ${JSON.stringify(ch)} at index ${i}; ` +
        `names are made of ${ALPHABET}`
    }
  }
  return undefined
}

const refuse = (operation: string, detail: string) => new SettingsError({ operation, detail })

/**
 * Succeeds with the name when the port accepts it; else fails saying which name and why.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkName = (
  operation: string,
  name: string
): Effect.Effect<string, SettingsError> => {
  if (name.length === 0) {
    return Effect.fail(
      refuse(operation, `the name is empty; a name has 1 to ${NAME_MAX} characters`)
    )
  }
  if (name.length > NAME_MAX) {
    return Effect.fail(
      refuse(
        operation,
        `the name ${show(name)} has ${name.length} characters; a name has at most ${NAME_MAX}`
      )
    )
  }
  const bad = badCharacter(name, "the name")
  return bad === undefined ? Effect.succeed(name) : Effect.fail(refuse(operation, bad))
}

/**
 * A prefix for `list`: like a name, but it may be empty.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkPrefix = (
  operation: string,
  prefix: string
): Effect.Effect<string, SettingsError> => {
  if (prefix.length > NAME_MAX) {
    return Effect.fail(
      refuse(operation, `the prefix ${show(prefix)} is longer than any name (${NAME_MAX})`)
    )
  }
  const bad = badCharacter(prefix, "the prefix")
  return bad === undefined ? Effect.succeed(prefix) : Effect.fail(refuse(operation, bad))
}

/**
 * Succeeds with the value when the port accepts it. A lone surrogate is refused because UTF-8,
 * which every store writes, has no form for it: it would come back as U+FFFD.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkValue = (
  operation: string,
  name: string,
  value: string
): Effect.Effect<string, SettingsError> => {
  let bytes = 0
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit < 0xd800 || unit > 0xdfff) bytes += 3
    else {
      const next = value.charCodeAt(i + 1)
      if (unit > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) {
        return Effect.fail(
          refuse(
            operation,
            `the value of ${show(name)} has a lone surrogate at index ${i}, which UTF-8 cannot hold`
          )
        )
      }
      bytes += 4
      i++
    }
  }
  if (bytes <= VALUE_MAX_BYTES) return Effect.succeed(value)
  const size = `${bytes} bytes in UTF-8; a value has at most ${VALUE_MAX_BYTES}`
  return Effect.fail(refuse(operation, `the value of ${show(name)} is ${size}`))
}

/**
 * The port's checks of names, prefixes and values in front of an adapter's operations, so that
 * the adapter only stores and every adapter refuses the same input with the same message.
 *
 * @since 0.1.0
 * @category constructors
 */
export const validated = (unchecked: SettingsShape): SettingsShape =>
  Settings.of({
    get: (name) => Effect.flatMap(checkName("get", name), unchecked.get),
    setIfAbsent: (name, value) =>
      Effect.zipRight(
        checkName("setIfAbsent", name),
        Effect.flatMap(
          checkValue("setIfAbsent", name, value),
          (v) => unchecked.setIfAbsent(name, v)
        )
      ),
    set: (name, value) =>
      Effect.zipRight(
        checkName("set", name),
        Effect.flatMap(checkValue("set", name, value), (v) => unchecked.set(name, v))
      ),
    remove: (name) => Effect.flatMap(checkName("remove", name), unchecked.remove),
    list: (prefix) => Effect.flatMap(checkPrefix("list", prefix), unchecked.list)
  })

/**
 * Code unit order, which for the ASCII of names is code point order too.
 *
 * @since 0.1.0
 * @category ordering
 */
export const byName = (
  a: readonly [string, string],
  b: readonly [string, string]
): number => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0

/**
 * Settings in process memory, gone when the process ends.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<SettingsShape> = Effect.sync(() => {
  const values = new Map<string, string>()
  return validated({
    get: (name) => Effect.sync(() => Option.fromNullable(values.get(name))),
    // One fiber runs at a time and this does not yield, so the check and the write are one step.
    setIfAbsent: (name, value) =>
      Effect.sync(() => {
        const stored = values.get(name)
        if (stored !== undefined) return stored
        values.set(name, value)
        return value
      }),
    set: (name, value) => Effect.sync(() => void values.set(name, value)),
    remove: (name) => Effect.sync(() => void values.delete(name)),
    list: (prefix) =>
      Effect.sync(() =>
        [...values].filter(([name]) => name.startsWith(prefix)).sort(byName) as ReadonlyArray<
          readonly [string, string]
        >
      )
  })
})

/**
 * In-memory settings, a new empty map each time the layer is built.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<Settings> = Layer.effect(Settings, makeMemory)
