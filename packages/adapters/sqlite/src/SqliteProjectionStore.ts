/**
 * The projection store on a ctxlog SQLite file: one row per asset, an index row per context
 * pair, an index row per word of each asset's public id and context values, and a checkpoint per
 * projection. Text compares with SQLite's BINARY collation, which on UTF-8 is code point order,
 * the order every ctxlog store sorts by.
 *
 * `search` answers every plan from these indexes alone, and ranges of creation times from an
 * index of the views by creation time: each leaf of the plan is one index lookup, `And` and `Or`
 * are the INTERSECT and UNION of their parts, and only the views of the result are read. The one
 * plan that reads the whole cloud is an empty `And`, which holds every asset (as does a range of
 * creation times with no bound).
 *
 * @since 0.1.0
 */
import { AssetId, Errors, ProjectionStore, SearchPlan } from "@ctxlog/core"
import type BetterSqlite3 from "better-sqlite3"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

type Db = BetterSqlite3.Database
type Statement = BetterSqlite3.Statement

interface AssetRow {
  readonly cloud: string
  readonly resource_type: string
  readonly type: string
  readonly public_id: string
  readonly revision: number
  readonly position: number
  readonly context: string
  readonly created_at: string
  readonly updated_at: string
}

const trusted = { disableValidation: true } as const

const toView = (row: AssetRow): ProjectionStore.AssetView =>
  new ProjectionStore.AssetView({
    asset: new AssetId.AssetId({
      cloud: AssetId.Cloud.make(row.cloud, trusted),
      resourceType: row.resource_type as AssetId.ResourceType,
      type: row.type,
      publicId: row.public_id
    }, trusted),
    revision: row.revision,
    position: row.position,
    context: JSON.parse(row.context),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at)
  }, trusted)

const idParams = (a: AssetId.AssetId) => [a.cloud, a.resourceType, a.type, a.publicId] as const

/**
 * Where a row of `ctxlog_words` was found. A separate column, because a context key may be any
 * string, the empty one included, so no key can stand for the public id.
 */
const PUBLIC_ID = "p"
const CONTEXT = "c"

type WordRow = readonly [field: string, key: string, word: string]

/** The rows of `ctxlog_words` that a view has, by a text that tells them apart. */
const wordRows = (view: ProjectionStore.AssetView | undefined): Map<string, WordRow> => {
  const rows = new Map<string, WordRow>()
  if (view === undefined) return rows
  for (const [key, word] of SearchPlan.wordsOf(view)) {
    const row: WordRow = key === undefined ? [PUBLIC_ID, "", word] : [CONTEXT, key, word]
    rows.set(JSON.stringify(row), row)
  }
  return rows
}

/** The columns that name an asset within its cloud: what every lookup of a search gives. */
const IDENTITY = "resource_type, type, public_id"

interface IdentityRow {
  readonly resource_type: string
  readonly type: string
  readonly public_id: string
}

/**
 * One statement and its parameters, in the order of its placeholders.
 *
 * @since 0.1.0
 * @category search
 */
export interface SearchStatement {
  readonly sql: string
  readonly params: ReadonlyArray<unknown>
}

type Lookup = Exclude<SearchPlan.Plan, { readonly _tag: "And" | "Or" }>

const bounded = (
  column: string,
  lower: SearchPlan.Bound | undefined,
  upper: SearchPlan.Bound | undefined,
  where: Array<string>,
  params: Array<unknown>
) => {
  if (lower !== undefined) {
    where.push(`${column} ${lower.inclusive ? ">=" : ">"} ?`)
    params.push(lower.value)
  }
  if (upper !== undefined) {
    where.push(`${column} ${upper.inclusive ? "<=" : "<"} ?`)
    params.push(upper.value)
  }
}

// A range rather than LIKE or GLOB: those fold case or read `%`, `_`, `*` as wildcards, and the
// range is what an index seeks.
const prefixed = (column: string, prefix: string, where: Array<string>, params: Array<unknown>) => {
  const upper = SearchPlan.successor(prefix)
  bounded(
    column,
    { value: prefix, inclusive: true },
    upper === undefined ? undefined : { value: upper, inclusive: false },
    where,
    params
  )
}

/** The first and last times a `Date` holds, in milliseconds since the epoch. */
const DATE_MIN = -8.64e15
const DATE_MAX = 8.64e15

/** The first millisecond of a year that a `Date` holds, or its first time in the earliest. */
const yearStart = (year: number) => {
  const date = new Date(0)
  date.setUTCFullYear(year, 0, 1)
  const t = date.getTime()
  return Number.isNaN(t) ? DATE_MIN : Math.max(t, DATE_MIN)
}
const yearEnd = (year: number) => yearStart(year + 1) - 1
const yearOf = (t: number) => new Date(t).getUTCFullYear()
const EARLIEST_YEAR = yearOf(DATE_MIN)
const YEAR_0 = yearStart(0)
const YEAR_10000 = yearStart(10000)

/*
 * Views keep their creation time as `Date.toISOString` writes it, which sorts as text in time
 * order for years 0000 to 9999 only. Outside them it writes a sign and six digits, and `+` and
 * `-` sort before every digit: in text order come the years from 10000 (in time order), then the
 * years before 0, latest first though each year runs forwards, then the years 0000 to 9999. A
 * range of times is therefore up to five ranges of texts, which the index of creation times
 * answers exactly, whatever a view's year; clamping bounds to 0000-9999 would miss the views
 * outside, and checking them in JavaScript would take them out of the lookups that compose in
 * SQL. Bounds in years 0000 to 9999 give one range, or two for a lower bound alone (the years
 * from 10000, normally empty, are one more seek). Each range has inclusive ends: times are whole
 * milliseconds, so `> t` is `>= t + 1`.
 */

/** The time whose ISO text comes right after that of `t` in text order; none after the last. */
const textNext = (t: number): number | undefined => {
  if (t >= YEAR_10000) return t < DATE_MAX ? t + 1 : yearStart(-1)
  if (t >= YEAR_0) return t < YEAR_10000 - 1 ? t + 1 : undefined
  const year = yearOf(t)
  if (t < yearEnd(year)) return t + 1
  return year > EARLIEST_YEAR ? yearStart(year - 1) : YEAR_0
}
/** The times of the lowest and the highest ISO texts. */
const TEXT_FIRST = YEAR_10000
const TEXT_LAST = YEAR_10000 - 1

/**
 * The times of a `CreatedAt` plan as whole milliseconds from `from` to `to`, both in, as a
 * `Date` holds them; none when no time lies between the bounds (a bound may be any number).
 */
const closedTimes = (
  lower: SearchPlan.TimeBound | undefined,
  upper: SearchPlan.TimeBound | undefined
): readonly [from: number, to: number] | undefined => {
  const from = lower === undefined
    ? DATE_MIN
    : lower.inclusive
    ? Math.ceil(lower.value)
    : Math.floor(lower.value) + 1
  const to = upper === undefined
    ? DATE_MAX
    : upper.inclusive
    ? Math.floor(upper.value)
    : Math.ceil(upper.value) - 1
  const a = Math.max(from, DATE_MIN)
  const b = Math.min(to, DATE_MAX)
  // Also false for NaN, which no time equals or passes.
  return a <= b ? [a, b] : undefined
}

/**
 * The ranges of ISO texts of the times from `a` to `b`, in text order, each as the times of its
 * lowest and highest texts, neighbours in text order joined.
 */
const textRanges = (a: number, b: number): ReadonlyArray<readonly [number, number]> => {
  const ranges: Array<[number, number]> = []
  const add = (lo: number, hi: number) => {
    const last = ranges[ranges.length - 1]
    if (last !== undefined && textNext(last[1]) === lo) last[1] = hi
    else ranges.push([lo, hi])
  }
  /** Times from `lo` to `hi` whose texts are in time order. */
  const addTimes = (lo: number, hi: number) => {
    if (lo <= hi) add(lo, hi)
  }
  addTimes(Math.max(a, YEAR_10000), b)
  const lo = a
  const hi = Math.min(b, YEAR_0 - 1)
  if (lo <= hi) {
    const first = yearOf(lo)
    const last = yearOf(hi)
    const wholeFrom = lo === yearStart(first) ? first : first + 1
    const wholeTo = hi === yearEnd(last) ? last : last - 1
    if (first === last) add(lo, hi)
    else {
      // The latest year's texts are the lowest, the earliest year's the highest; the whole
      // years between run from the start of the latest to the end of the earliest.
      if (wholeTo < last) add(yearStart(last), hi)
      if (wholeFrom <= wholeTo) add(yearStart(wholeTo), yearEnd(wholeFrom))
      if (wholeFrom > first) add(lo, yearEnd(first))
    }
  }
  addTimes(Math.max(a, YEAR_0), Math.min(b, YEAR_10000 - 1))
  return ranges
}

/**
 * The conditions on `created_at` of the views created between the bounds, one list for each
 * range of texts (none when no view can be), with their parameters.
 */
const createdBetween = (
  lower: SearchPlan.TimeBound | undefined,
  upper: SearchPlan.TimeBound | undefined
): ReadonlyArray<
  { readonly where: ReadonlyArray<string>; readonly params: ReadonlyArray<string> }
> => {
  const times = closedTimes(lower, upper)
  if (times === undefined) return []
  return textRanges(...times).map(([lo, hi]) => {
    const where: Array<string> = []
    const params: Array<string> = []
    if (lo !== TEXT_FIRST) {
      where.push("created_at >= ?")
      params.push(new Date(lo).toISOString())
    }
    if (hi !== TEXT_LAST) {
      where.push("created_at <= ?")
      params.push(new Date(hi).toISOString())
    }
    return { where, params }
  })
}

/** The identities of the assets a leaf of a plan holds, from one index. */
const lookup = (cloud: string, plan: Lookup): SearchStatement => {
  const where = ["cloud = ?"]
  const params: Array<unknown> = [cloud]
  const from = (table: string): SearchStatement => ({
    sql: `SELECT ${IDENTITY} FROM ${table} WHERE ${where.join(" AND ")}`,
    params
  })
  switch (plan._tag) {
    case "Value":
      where.push("key = ?", "value = ?")
      params.push(plan.key, plan.value)
      return from("ctxlog_context_index")
    case "Key":
      where.push("key = ?")
      params.push(plan.key)
      return from("ctxlog_context_index")
    case "Range":
      where.push("key = ?")
      params.push(plan.key)
      bounded("value", plan.lower, plan.upper, where, params)
      return from("ctxlog_context_index")
    case "Word": {
      const field = plan.field
      if (field._tag !== "Any") {
        where.push("field = ?", "key = ?")
        params.push(
          field._tag === "PublicId" ? PUBLIC_ID : CONTEXT,
          field._tag === "PublicId" ? "" : field.key
        )
      }
      if (plan.prefix) prefixed("word", plan.word, where, params)
      else {
        where.push("word = ?")
        params.push(plan.word)
      }
      return from("ctxlog_words")
    }
    case "PublicId":
      if (plan.prefix) prefixed("public_id", plan.value, where, params)
      else {
        where.push("public_id = ?")
        params.push(plan.value)
      }
      return from("ctxlog_assets")
    case "CreatedAt": {
      // One SELECT per range of texts, so that each seeks the index: SQLite seeks a range OR
      // another only by the cloud. The ranges hold no text twice.
      const ranges = createdBetween(plan.lower, plan.upper)
      if (ranges.length === 0) where.push("0")
      if (ranges.length <= 1) {
        where.push(...ranges[0]?.where ?? [])
        params.push(...ranges[0]?.params ?? [])
        return from("ctxlog_assets")
      }
      return {
        sql: ranges.map((range) =>
          `SELECT ${IDENTITY} FROM ctxlog_assets WHERE ${
            ["cloud = ?", ...range.where].join(" AND ")
          }`
        ).join(" UNION ALL "),
        params: ranges.flatMap((range) => [cloud, ...range.params])
      }
    }
  }
}

interface Build {
  readonly lookups: Array<string>
  readonly params: Array<unknown>
}

/**
 * A SELECT of the identities a plan holds. Each lookup is a MATERIALIZED common table
 * expression, so that SQLite plans it alone: inside a compound it would pick the index that
 * returns rows in the compound's sort order, such as every pair of a key for a range of its
 * values, over the index that bounds the lookup. `compound` says the SELECT must be wrapped to
 * be a term of another one, as SQLite takes no parentheses around the terms of a compound.
 */
const selectOf = (
  cloud: string,
  plan: SearchPlan.Plan,
  build: Build
): { readonly sql: string; readonly compound: boolean } => {
  if ((plan._tag === "And" || plan._tag === "Or") && plan.plans.length > 0) {
    if (plan.plans.length === 1) return selectOf(cloud, plan.plans[0]!, build)
    const terms = plan.plans.map((p) => {
      const term = selectOf(cloud, p, build)
      return term.compound ? `SELECT * FROM (${term.sql})` : term.sql
    })
    return { sql: terms.join(plan._tag === "And" ? " INTERSECT " : " UNION "), compound: true }
  }
  // An empty And holds every asset and an empty Or none.
  const { params, sql } = plan._tag === "And"
    ? { sql: `SELECT ${IDENTITY} FROM ctxlog_assets WHERE cloud = ?`, params: [cloud] }
    : plan._tag === "Or"
    ? { sql: `SELECT ${IDENTITY} FROM ctxlog_assets WHERE cloud = ? AND 0`, params: [cloud] }
    : lookup(cloud, plan)
  const name = `t${build.lookups.length}`
  build.lookups.push(`${name} AS MATERIALIZED (${sql})`)
  build.params.push(...params)
  return { sql: `SELECT * FROM ${name}`, compound: false }
}

/** The identities a plan holds, each once, as a WITH clause and the SELECT that follows it. */
const identitiesOf = (cloud: string, plan: SearchPlan.Plan) => {
  const build: Build = { lookups: [], params: [] }
  const select = selectOf(cloud, plan, build)
  // One lookup may give an asset more than once (a word in several of its values); a compound
  // gives each once.
  return {
    sql: `WITH ${build.lookups.join(", ")}
      ${select.compound ? select.sql : `SELECT DISTINCT * FROM (${select.sql})`}`,
    params: build.params
  }
}

/**
 * The statement that gives the views a plan holds in a cloud, each once. The views are read by
 * primary key for the identities the lookups give, never by a scan.
 *
 * @since 0.1.0
 * @category search
 */
export const searchStatement = (cloud: string, plan: SearchPlan.Plan): SearchStatement => {
  const { params, sql } = identitiesOf(cloud, plan)
  return {
    sql: `SELECT a.* FROM (${sql}) m CROSS JOIN ctxlog_assets a
      ON a.cloud = ? AND a.resource_type = m.resource_type AND a.type = m.type
        AND a.public_id = m.public_id`,
    params: [...params, cloud]
  }
}

/**
 * How far one statement goes: SQLite takes at most 500 terms in a compound SELECT and nests
 * subqueries a few hundred deep. A larger plan is answered a statement per part.
 */
const MAX_LOOKUPS = 256
const MAX_DEPTH = 64

/**
 * A part of a conjunction that holds fewer assets than this is read alone, the others checked
 * on its views; counting a part costs at most this many index rows.
 */
const FEW_ENOUGH = 100_000

interface Size {
  readonly lookups: number
  readonly depth: number
}

const sizes = new WeakMap<SearchPlan.Plan, Size>()

const sizeOf = (plan: SearchPlan.Plan): Size => {
  const known = sizes.get(plan)
  if (known !== undefined) return known
  let size: Size = { lookups: 1, depth: 0 }
  if ((plan._tag === "And" || plan._tag === "Or") && plan.plans.length > 0) {
    const parts = plan.plans.map(sizeOf)
    size = {
      lookups: parts.reduce((n, p) => n + p.lookups, 0),
      depth: 1 + parts.reduce((d, p) => Math.max(d, p.depth), 0)
    }
  }
  sizes.set(plan, size)
  return size
}

const fits = (plan: SearchPlan.Plan) => {
  const size = sizeOf(plan)
  return size.lookups <= MAX_LOOKUPS && size.depth <= MAX_DEPTH
}

const identityKey = (row: IdentityRow) =>
  JSON.stringify([row.resource_type, row.type, row.public_id])

const unionInto = (into: Map<string, IdentityRow>, other: ReadonlyMap<string, IdentityRow>) => {
  for (const [key, row] of other) into.set(key, row)
  return into
}

const intersectInto = (
  into: Map<string, IdentityRow>,
  other: ReadonlyMap<string, IdentityRow>
) => {
  for (const key of into.keys()) if (!other.has(key)) into.delete(key)
  return into
}

/**
 * The store's synchronous operations, for the event log to call inside its own transaction
 * (`commit` here opens none of its own).
 *
 * @since 0.1.0
 * @category models
 */
export interface SyncProjections {
  readonly get: (asset: AssetId.AssetId) => ProjectionStore.AssetView | undefined
  readonly commit: (commit: ProjectionStore.Commit) => void
  readonly checkpoint: (projection: string) => number
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (db: Db): {
  readonly store: ProjectionStore.ProjectionStoreShape
  readonly sync: SyncProjections
} => {
  const getStmt = db.prepare(
    `SELECT * FROM ctxlog_assets
     WHERE cloud = ? AND resource_type = ? AND type = ? AND public_id = ?`
  )
  const upsertStmt = db.prepare(
    `INSERT INTO ctxlog_assets
       (cloud, resource_type, type, public_id, revision, position, context, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (cloud, resource_type, type, public_id) DO UPDATE SET
       revision = excluded.revision, position = excluded.position, context = excluded.context,
       created_at = excluded.created_at, updated_at = excluded.updated_at`
  )
  const deleteStmt = db.prepare(
    `DELETE FROM ctxlog_assets
     WHERE cloud = ? AND resource_type = ? AND type = ? AND public_id = ?`
  )
  const unindexStmt = db.prepare(
    `DELETE FROM ctxlog_context_index
     WHERE cloud = ? AND resource_type = ? AND type = ? AND public_id = ?`
  )
  const indexStmt = db.prepare(
    `INSERT OR IGNORE INTO ctxlog_context_index
       (cloud, key, value, resource_type, type, public_id)
     VALUES (?, ?, ?, ?, ?, ?)`
  )
  const wordStmt = db.prepare(
    `INSERT OR IGNORE INTO ctxlog_words
       (cloud, field, key, word, resource_type, type, public_id)
     VALUES (?, ?, ?, ?, ?, ?, ?)`
  )
  const unwordStmt = db.prepare(
    `DELETE FROM ctxlog_words
     WHERE cloud = ? AND field = ? AND key = ? AND word = ?
       AND resource_type = ? AND type = ? AND public_id = ?`
  )
  const checkpointStmt = db.prepare(
    "SELECT position FROM ctxlog_checkpoints WHERE projection = ?"
  ).pluck()
  const saveCheckpointStmt = db.prepare(
    `INSERT INTO ctxlog_checkpoints (projection, position) VALUES (?, ?)
     ON CONFLICT (projection) DO UPDATE SET position = max(position, excluded.position)`
  )
  const setCheckpointStmt = db.prepare(
    `INSERT INTO ctxlog_checkpoints (projection, position) VALUES (?, ?)
     ON CONFLICT (projection) DO UPDATE SET position = excluded.position`
  )

  const checkpoint = (projection: string): number =>
    (checkpointStmt.get(projection) as number | undefined) ?? 0

  const get = (asset: AssetId.AssetId) => {
    const row = getStmt.get(...idParams(asset)) as AssetRow | undefined
    return row === undefined ? undefined : toView(row)
  }

  /**
   * Brings the words of an asset from those of `before` to those of `after`. Most changes touch
   * one or two values, so writing only the difference keeps the rest of the asset's words as
   * they are.
   */
  const reword = (
    asset: AssetId.AssetId,
    before: ProjectionStore.AssetView | undefined,
    after: ProjectionStore.AssetView | undefined
  ) => {
    const had = wordRows(before)
    const has = wordRows(after)
    for (const [text, row] of had) {
      if (!has.has(text)) {
        unwordStmt.run(asset.cloud, ...row, asset.resourceType, asset.type, asset.publicId)
      }
    }
    for (const [text, row] of has) {
      if (!had.has(text)) {
        wordStmt.run(asset.cloud, ...row, asset.resourceType, asset.type, asset.publicId)
      }
    }
  }

  /** The body of a commit, for callers that are inside a transaction already. */
  const commitIn = (c: ProjectionStore.Commit) => {
    if (c.position <= checkpoint(c.projection)) return
    for (const asset of c.deletes) {
      reword(asset, get(asset), undefined)
      deleteStmt.run(...idParams(asset))
      unindexStmt.run(...idParams(asset))
    }
    for (const view of c.upserts) {
      const id = idParams(view.asset)
      reword(view.asset, get(view.asset), view)
      upsertStmt.run(
        ...id,
        view.revision,
        view.position,
        JSON.stringify(view.context),
        view.createdAt.toISOString(),
        view.updatedAt.toISOString()
      )
      unindexStmt.run(...id)
      for (const { key, value } of view.context) {
        indexStmt.run(
          view.asset.cloud,
          key,
          value,
          view.asset.resourceType,
          view.asset.type,
          view.asset.publicId
        )
      }
    }
    setCheckpointStmt.run(c.projection, c.position)
  }
  const commit = db.transaction(commitIn)

  /** Listing statements differ by which filters are present; each shape is prepared once. */
  const cache = new Map<string, Statement>()
  const prepared = (sql: string) => {
    let stmt = cache.get(sql)
    if (!stmt) cache.set(sql, stmt = db.prepare(sql))
    return stmt
  }

  const scoped = (
    table: string,
    q: ProjectionStore.Scope & ProjectionStore.Page,
    where: Array<string>,
    params: Array<unknown>
  ) => {
    if (q.resourceType !== undefined) {
      where.push(`${table}.resource_type = ?`)
      params.push(q.resourceType)
    }
    if (q.type !== undefined) {
      where.push(`${table}.type = ?`)
      params.push(q.type)
    }
    if (q.after !== undefined) {
      where.push(`(${table}.resource_type, ${table}.type, ${table}.public_id) > (?, ?, ?)`)
      params.push(q.after.resourceType, q.after.type, q.after.publicId)
    }
    params.push(Math.max(0, q.limit))
    return `WHERE ${where.join(" AND ")}
      ORDER BY ${table}.resource_type, ${table}.type, ${table}.public_id LIMIT ?`
  }

  const byContext = (q: ProjectionStore.ByContextQuery) => {
    const where = ["i.cloud = ?", "i.key = ?"]
    const params: Array<unknown> = [q.cloud, q.key]
    if (q.value !== undefined) {
      where.push("i.value = ?")
      params.push(q.value)
    }
    const sql = `SELECT a.* FROM ctxlog_context_index i
      JOIN ctxlog_assets a ON a.cloud = i.cloud AND a.resource_type = i.resource_type
        AND a.type = i.type AND a.public_id = i.public_id
      ${scoped("i", q, where, params)}`
    return (prepared(sql).all(...params) as Array<AssetRow>).map(toView)
  }

  // The keys are read by a walk over the index that seeks each next key, so listing them costs
  // one seek per key, not one step per pair. The first seek starts at the prefix, or after the
  // key a previous page ended with.
  const keysFrom = (first: ">=" | ">") =>
    db.prepare(
      `WITH RECURSIVE k(key) AS (
         SELECT (SELECT min(key) FROM ctxlog_context_index
           WHERE cloud = :cloud AND key ${first} :from)
         UNION ALL
         SELECT (SELECT min(key) FROM ctxlog_context_index WHERE cloud = :cloud AND key > k.key)
         FROM k WHERE k.key IS NOT NULL AND (:upper IS NULL OR k.key < :upper)
       )
       SELECT key FROM k WHERE key IS NOT NULL AND (:upper IS NULL OR key < :upper) LIMIT :limit`
    ).pluck()
  const keysAtPrefix = keysFrom(">=")
  const keysAfter = keysFrom(">")

  const keys = (q: ProjectionStore.KeysQuery): ReadonlyArray<string> => {
    if (q.limit <= 0) return []
    const prefix = q.prefix ?? ""
    const upper = prefix === "" ? null : SearchPlan.successor(prefix) ?? null
    const after = q.after !== undefined && AssetId.compareCodePoints(q.after, prefix) >= 0
      ? q.after
      : undefined
    const params = { cloud: q.cloud, from: after ?? prefix, upper, limit: q.limit }
    return (after === undefined ? keysAtPrefix : keysAfter).all(params) as Array<string>
  }

  const list = (q: ProjectionStore.ListQuery) => {
    const where = ["a.cloud = ?"]
    const params: Array<unknown> = [q.cloud]
    if (q.prefix !== undefined && q.prefix !== "") {
      // The range lets the primary key find the start; substr keeps the match exact.
      where.push("a.public_id >= ?", "substr(a.public_id, 1, ?) = ?")
      params.push(q.prefix, AssetId.codePointLength(q.prefix), q.prefix)
    }
    const sql = `SELECT a.* FROM ctxlog_assets a ${scoped("a", q, where, params)}`
    return (prepared(sql).all(...params) as Array<AssetRow>).map(toView)
  }

  /** The identities a plan holds: one statement when it fits in one, else one per part. */
  const identities = (cloud: string, plan: SearchPlan.Plan): Map<string, IdentityRow> => {
    if (fits(plan) || (plan._tag !== "And" && plan._tag !== "Or")) {
      const { params, sql } = identitiesOf(cloud, plan)
      const rows = db.prepare(sql).all(...params) as Array<IdentityRow>
      return new Map(rows.map((row) => [identityKey(row), row]))
    }
    // Neighbouring parts that fit are asked together, as a plan of the same kind, as long as
    // they fit in one statement.
    const parts: Array<SearchPlan.Plan> = []
    let group: Array<SearchPlan.Plan> = []
    let lookups = 0
    const close = () => {
      if (group.length > 0) {
        parts.push(group.length === 1 ? group[0]! : { _tag: plan._tag, plans: group })
      }
      group = []
      lookups = 0
    }
    for (const part of plan.plans) {
      const size = sizeOf(part)
      if (!fits(part) || size.depth >= MAX_DEPTH) {
        parts.push(part)
        continue
      }
      if (lookups + size.lookups > MAX_LOOKUPS) close()
      group.push(part)
      lookups += size.lookups
    }
    close()
    let result: Map<string, IdentityRow> | undefined
    for (const part of parts) {
      const found = identities(cloud, part)
      result = result === undefined
        ? found
        : plan._tag === "Or"
        ? unionInto(result, found)
        : intersectInto(result, found)
      // Nothing more can join an empty intersection.
      if (plan._tag === "And" && result.size === 0) break
    }
    return result ?? new Map()
  }

  // A plan in parts reads in one transaction, so that every part sees the same state of a file
  // that other connections write.
  const searchInParts = db.transaction((cloud: string, plan: SearchPlan.Plan) => {
    const views: Array<ProjectionStore.AssetView> = []
    for (const id of identities(cloud, plan).values()) {
      const row = getStmt.get(cloud, id.resource_type, id.type, id.public_id)
      // An identity comes from an index row, and the commit that removes a view removes it.
      if (row !== undefined) views.push(toView(row as AssetRow))
    }
    return views
  })

  const read = (cloud: string, plan: SearchPlan.Plan) => {
    if (!fits(plan)) return searchInParts(cloud, plan)
    const { params, sql } = searchStatement(cloud, plan)
    return (db.prepare(sql).all(...params) as Array<AssetRow>).map(toView)
  }

  /**
   * How many index rows a part of a plan has, counted up to `limit` and no further (an asset
   * with a word in two values counts twice, which only makes the part look wider). A lookup is
   * counted on its index directly: as a MATERIALIZED expression it would be read in full first.
   */
  const countUpTo = (cloud: string, plan: SearchPlan.Plan, limit: number) => {
    const { params, sql } = plan._tag === "And" || plan._tag === "Or"
      ? identitiesOf(cloud, plan)
      : lookup(cloud, plan)
    return db.prepare(`SELECT count(*) FROM (${sql} LIMIT ${limit})`).pluck()
      .get(...params) as number
  }

  /**
   * The part of a conjunction that holds the fewest assets, if one holds fewer than
   * `FEW_ENOUGH`. The parts are counted up to a bound that grows tenfold until one falls
   * short of it, so finding a part of n assets costs about 10n index rows per part.
   */
  const narrowest = (cloud: string, parts: ReadonlyArray<SearchPlan.Plan>) => {
    for (let bound = 100; bound <= FEW_ENOUGH; bound *= 10) {
      const counted = parts.map((part) => ({ part, count: countUpTo(cloud, part, bound) }))
      const least = counted.reduce((a, b) => b.count < a.count ? b : a)
      if (least.count < bound) return least.part
    }
    return undefined
  }

  // Not cached as the listings are: the shapes of plans have no bound. An INTERSECT reads every
  // part in full, so a conjunction whose narrowest part is small reads that part alone and checks
  // the others on the views it gave: `a=1 AND b=2` costs what the rarer term holds, not the
  // commoner.
  const search = db.transaction((q: ProjectionStore.SearchQuery) => {
    const plan = q.plan
    if (plan._tag === "And" && plan.plans.length > 1 && plan.plans.every(fits)) {
      const least = narrowest(q.cloud, plan.plans)
      if (least !== undefined) {
        const rest = plan.plans.filter((part) => part !== least)
        return read(q.cloud, least).filter((view) =>
          rest.every((part) => SearchPlan.matches(part, view))
        )
      }
    }
    return read(q.cloud, plan)
  })

  const reset = db.transaction((projection: string) => {
    db.prepare("DELETE FROM ctxlog_words").run()
    db.prepare("DELETE FROM ctxlog_context_index").run()
    db.prepare("DELETE FROM ctxlog_assets").run()
    db.prepare("DELETE FROM ctxlog_checkpoints WHERE projection = ?").run(projection)
  })

  const attempt = <A>(operation: string, f: () => A) =>
    Effect.try({
      try: f,
      catch: (cause) => new Errors.ProjectionStoreError({ operation, detail: String(cause), cause })
    })

  const store = ProjectionStore.ProjectionStore.of({
    get: (asset) => attempt("get", () => Option.fromNullable(get(asset))),
    byContext: (q) => attempt("byContext", () => byContext(q)),
    list: (q) => attempt("list", () => list(q)),
    search: (q) => attempt("search", () => search(q)),
    keys: (q) => attempt("keys", () => keys(q)),
    commit: (c) => attempt("commit", () => commit.immediate(c)),
    checkpoint: (projection) => attempt("checkpoint", () => checkpoint(projection)),
    saveCheckpoint: (projection, position) =>
      attempt("saveCheckpoint", () => void saveCheckpointStmt.run(projection, position)),
    reset: (projection) => attempt("reset", () => reset.immediate(projection))
  })

  return { store: { ...store, inline: true }, sync: { get, commit: commitIn, checkpoint } }
}
