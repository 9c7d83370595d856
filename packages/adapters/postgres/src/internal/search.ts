/**
 * Search plans as SQL on the PostgreSQL projection store's indexes. A plan becomes a query of the
 * identities (resource type, type, public id) of the cloud's assets that it holds: each leaf one
 * index lookup, `And` their INTERSECT and `Or` their UNION, which also give each asset once.
 *
 * Every value is a bound parameter. Every comparison of text is in the `"C"` collation, the one
 * the indexes are built in: code point order, as `SearchPlan.matches` compares, whatever the
 * database's own collation, and an operator in another collation could not use them.
 */
import type { ProjectionStore } from "@ctxlog/core"
import { SearchPlan } from "@ctxlog/core"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Fragment } from "@effect/sql/Statement"
import { HEAD, head } from "./head.js"
import { CONTEXT, PUBLIC_ID } from "./words.js"

/**
 * The times `created_at` holds. A view is written as `Date.toISOString` text, which PostgreSQL
 * reads for years 0001 to 9999 only (it has no year 0 and takes no sign or sixth digit of a
 * year), so the commit of a view from another year fails and no such view is stored. A bound
 * beyond these times is therefore no bound, or one that nothing passes; and a bound within them
 * is text that PostgreSQL reads, which one beyond might not be.
 */
const FIRST_TIME = Date.parse("0001-01-01T00:00:00.000Z")
const LAST_TIME = Date.parse("9999-12-31T23:59:59.999Z")

/**
 * A `CreatedAt` plan's bounds as whole milliseconds from `from` to `to`, both in, where the
 * stored times are; none when no stored time lies between them. The columns hold milliseconds
 * exactly, as written from ISO text, so a time passes an exclusive bound exactly when it reaches
 * the next millisecond; a bound may be any number, a fraction or NaN too.
 */
export const createdRange = (
  lower: SearchPlan.TimeBound | undefined,
  upper: SearchPlan.TimeBound | undefined
): { readonly from?: number | undefined; readonly to?: number | undefined } | undefined => {
  const from = lower === undefined
    ? FIRST_TIME
    : Math.max(FIRST_TIME, lower.inclusive ? Math.ceil(lower.value) : Math.floor(lower.value) + 1)
  const to = upper === undefined
    ? LAST_TIME
    : Math.min(LAST_TIME, upper.inclusive ? Math.floor(upper.value) : Math.ceil(upper.value) - 1)
  // Also false for NaN, which no time equals or passes.
  if (!(from <= to)) return undefined
  return {
    from: from > FIRST_TIME ? from : undefined,
    to: to < LAST_TIME ? to : undefined
  }
}

/** The store's tables, qualified. */
export interface Tables {
  readonly assets: Fragment
  readonly index: Fragment
  readonly words: Fragment
}

/**
 * The query of the identities of the assets of `cloud` that `plan` holds, with the columns
 * `resource_type`, `type` and `public_id`, possibly more than once.
 */
export const identities = (
  sql: SqlClient.SqlClient,
  tables: Tables,
  cloud: string,
  plan: SearchPlan.Plan
): Fragment => {
  const text = (value: string) => sql`${value}::text COLLATE "C"`
  /** The head of a value given as a parameter, cut as the indexed column's is. */
  const headOf = (value: string) =>
    sql`left(${value}::text, ${sql.literal(String(HEAD))}) COLLATE "C"`
  const columns = (alias: string) =>
    sql.literal(`${alias}.resource_type, ${alias}.type, ${alias}.public_id`)
  const lowerOp = (bound: SearchPlan.Bound) => sql.literal(bound.inclusive ? ">=" : ">")
  const upperOp = (bound: SearchPlan.Bound) => sql.literal(bound.inclusive ? "<=" : "<")

  /** The key/value index rows of `key`; the hash finds them, the text rules out a collision. */
  const pairs = (key: string, where: ReadonlyArray<Fragment>) =>
    sql`SELECT ${columns("i")} FROM ${tables.index} i
      WHERE ${
      sql.and([
        sql`i.cloud = ${cloud}`,
        sql`i.key_hash = md5(${key}::text)::uuid AND i.key = ${text(key)}`,
        ...where
      ])
    }`

  /**
   * A range of values: the head of a value is no lower than the head of the lower bound, and no
   * higher than the upper bound, which is what lets the index's range on heads find them.
   */
  const range = (lower: SearchPlan.Bound | undefined, upper: SearchPlan.Bound | undefined) => {
    const valueHead = sql.literal(head("i.value"))
    const where: Array<Fragment> = []
    if (lower !== undefined) {
      where.push(
        sql`${valueHead} >= ${headOf(lower.value)}`,
        sql`i.value ${lowerOp(lower)} ${text(lower.value)}`
      )
    }
    if (upper !== undefined) {
      where.push(
        sql`${valueHead} ${upperOp(upper)} ${text(upper.value)}`,
        sql`i.value ${upperOp(upper)} ${text(upper.value)}`
      )
    }
    return where
  }

  const words = (
    field: SearchPlan.WordField,
    word: string,
    prefix: boolean
  ) => {
    const wordHead = sql.literal(head("w.word"))
    const where: Array<Fragment> = [sql`w.cloud = ${cloud}`]
    if (prefix) {
      // Every word that starts with `word` lies below its successor, and so does the word's
      // head, a prefix of it; the head of `word` is a lower bound of theirs.
      const upper = SearchPlan.successor(word)
      where.push(sql`${wordHead} >= ${headOf(word)}`)
      if (upper !== undefined) where.push(sql`${wordHead} < ${text(upper)}`)
      where.push(sql`starts_with(w.word, ${text(word)})`)
    } else {
      where.push(
        sql`${wordHead} = ${headOf(word)}`,
        sql`w.word = ${text(word)}`
      )
    }
    if (field._tag === "PublicId") where.push(sql`w.field = ${PUBLIC_ID}`)
    if (field._tag === "Context") {
      where.push(
        sql`w.field = ${CONTEXT}`,
        sql`w.key_hash = md5(${field.key}::text)::uuid AND w.key = ${text(field.key)}`
      )
    }
    return sql`SELECT ${columns("w")} FROM ${tables.words} w WHERE ${sql.and(where)}`
  }

  const publicIds = (where: ReadonlyArray<Fragment>) =>
    sql`SELECT ${columns("p")} FROM ${tables.assets} p
      WHERE ${sql.and([sql`p.cloud = ${cloud}`, ...where])}`

  // A single plan needs no set operation, whose sort or hash would only cost.
  const combine = (operator: "INTERSECT" | "UNION", plans: ReadonlyArray<SearchPlan.Plan>) =>
    plans.length === 1
      ? go(plans[0]!)
      : sql.join(` ${operator} `, false)(plans.map((p) => sql`(${go(p)})`))

  const go = (p: SearchPlan.Plan): Fragment => {
    switch (p._tag) {
      case "Value":
        return pairs(p.key, [
          sql`i.value_hash = md5(${p.value}::text)::uuid AND i.value = ${text(p.value)}`
        ])
      case "Key":
        return pairs(p.key, [])
      case "Range":
        return pairs(p.key, range(p.lower, p.upper))
      case "Word":
        return words(p.field, p.word, p.prefix)
      case "PublicId": {
        if (!p.prefix) return publicIds([sql`p.public_id = ${text(p.value)}`])
        const upper = SearchPlan.successor(p.value)
        return publicIds([
          sql`p.public_id >= ${text(p.value)}`,
          ...(upper === undefined ? [] : [sql`p.public_id < ${text(upper)}`])
        ])
      }
      case "CreatedAt": {
        const range = createdRange(p.lower, p.upper)
        if (range === undefined) return publicIds([sql`FALSE`])
        const at = (t: number) => sql`${new Date(t).toISOString()}::timestamptz`
        return publicIds([
          ...(range.from === undefined ? [] : [sql`p.created_at >= ${at(range.from)}`]),
          ...(range.to === undefined ? [] : [sql`p.created_at <= ${at(range.to)}`])
        ])
      }
      case "And":
        // Every asset holds an empty conjunction; no asset holds an empty disjunction.
        return p.plans.length === 0 ? publicIds([]) : combine("INTERSECT", p.plans)
      case "Or":
        return p.plans.length === 0 ? publicIds([sql`FALSE`]) : combine("UNION", p.plans)
    }
  }
  return go(plan)
}

/**
 * The search itself: the `columns` of the views (of alias `a`) whose identities `plan` holds, each
 * once. The identities' query is a semi-join, so an asset that several lookups find comes once.
 */
export const select = (
  sql: SqlClient.SqlClient,
  tables: Tables,
  columns: Fragment,
  query: ProjectionStore.SearchQuery
): Fragment =>
  sql`SELECT ${columns} FROM ${tables.assets} a
    WHERE a.cloud = ${query.cloud} AND (a.resource_type, a.type, a.public_id) IN (
      ${identities(sql, tables, query.cloud, query.plan)}
    )`
