/**
 * A context: an ordered map of string keys to string values. It is kept as a list of pairs,
 * because plain objects reorder integer-like keys and the order is part of the canonical text.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category schemas
 */
export const Pair = Schema.Struct({ key: Schema.String, value: Schema.String })

/**
 * @since 0.1.0
 * @category models
 */
export interface Pair extends Schema.Schema.Type<typeof Pair> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const Context = Schema.Array(Pair)

/**
 * @since 0.1.0
 * @category models
 */
export type Context = ReadonlyArray<Pair>

/**
 * @since 0.1.0
 * @category schemas
 */
export const Updated = Schema.Struct({
  key: Schema.String,
  value: Schema.String,
  previous: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Updated extends Schema.Schema.Type<typeof Updated> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const Removed = Schema.Struct({ key: Schema.String, previous: Schema.String })

/**
 * @since 0.1.0
 * @category models
 */
export interface Removed extends Schema.Schema.Type<typeof Removed> {}

/**
 * What a change did to a context, so that no consumer needs the earlier state.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Diff = Schema.Struct({
  added: Schema.Array(Pair),
  updated: Schema.Array(Updated),
  removed: Schema.Array(Removed)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Diff extends Schema.Schema.Type<typeof Diff> {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const empty: Context = []

/**
 * Builds a context from pairs; a repeated key keeps its first position and its last value, and
 * an empty value means the key is absent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromPairs = (pairs: Iterable<Pair>): Context => {
  const map = new Map<string, string>()
  for (const { key, value } of pairs) {
    if (value === "") map.delete(key)
    else map.set(key, value)
  }
  return toContext(map)
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const fromRecord = (record: Readonly<Record<string, string>>): Context =>
  fromPairs(Object.entries(record).map(([key, value]) => ({ key, value })))

/**
 * The wire form (`{ "caption": "New" }`). Key order follows JavaScript's object rules.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toRecord = (context: Context): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const { key, value } of context) out[key] = value
  return out
}

const toMap = (context: Context): Map<string, string> =>
  new Map(context.map(({ key, value }) => [key, value]))

const toContext = (map: ReadonlyMap<string, string>): Context =>
  Array.from(map, ([key, value]) => ({ key, value }))

/**
 * @since 0.1.0
 * @category getters
 */
export const get = (context: Context, key: string): string | undefined =>
  context.find((pair) => pair.key === key)?.value

/**
 * Merges pairs into a context: new keys are appended, known keys take the new value in place,
 * and an empty value removes the key.
 *
 * @since 0.1.0
 * @category combinators
 */
export const merge = (context: Context, pairs: Iterable<Pair>): Context => {
  const map = toMap(context)
  for (const { key, value } of pairs) {
    if (value === "") map.delete(key)
    else map.set(key, value)
  }
  return toContext(map)
}

/**
 * @since 0.1.0
 * @category combinators
 */
export const removeKeys = (context: Context, keys: Iterable<string>): Context => {
  const drop = new Set(keys)
  return context.filter((pair) => !drop.has(pair.key))
}

/**
 * What turns `before` into `after`; `added` follows the order of `after`, `removed` that of
 * `before`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const diff = (before: Context, after: Context): Diff => {
  const old = toMap(before)
  const next = toMap(after)
  const added: Array<Pair> = []
  const updated: Array<Updated> = []
  for (const { key, value } of after) {
    const previous = old.get(key)
    if (previous === undefined) added.push({ key, value })
    else if (previous !== value) updated.push({ key, value, previous })
  }
  const removed: Array<Removed> = []
  for (const { key, value } of before) {
    if (!next.has(key)) removed.push({ key, previous: value })
  }
  return { added, updated, removed }
}

/**
 * Applies a diff. Keys updated in place keep their position; added keys go to the end.
 *
 * @since 0.1.0
 * @category combinators
 */
export const patch = (context: Context, change: Diff): Context => {
  const map = toMap(context)
  for (const { key } of change.removed) map.delete(key)
  for (const { key, value } of change.updated) map.set(key, value)
  for (const { key, value } of change.added) map.set(key, value)
  return toContext(map)
}

/**
 * @since 0.1.0
 * @category predicates
 */
export const isEmptyDiff = (change: Diff): boolean =>
  change.added.length === 0 && change.updated.length === 0 && change.removed.length === 0

/**
 * Equal as ordered maps: same pairs in the same order.
 *
 * @since 0.1.0
 * @category equivalence
 */
export const equals = (a: Context, b: Context): boolean =>
  a.length === b.length &&
  a.every((pair, i) => pair.key === b[i]!.key && pair.value === b[i]!.value)
