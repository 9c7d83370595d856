/**
 * The event log on a ctxlog SQLite file. Appends run in `BEGIN IMMEDIATE` transactions, so that
 * writers in several processes queue for the file's write lock instead of failing half-way; the
 * unique key on (stream, revision) backs the revision check, and the command table remembers
 * idempotency keys. When the asset projection is caught up, the append projects its events in the
 * same transaction, so that a read right after a write sees it.
 *
 * @since 0.1.0
 */
import { AssetId, AssetProjection, Errors, Event, EventCodec, EventLog } from "@ctxlog/core"
import type BetterSqlite3 from "better-sqlite3"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { SyncProjections } from "./SqliteProjectionStore.js"

type Db = BetterSqlite3.Database

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How often a follower looks for events written by other processes. */
  readonly pollInterval?: number | undefined
}

interface CommandRow {
  readonly position: number
  readonly revisions: string
  readonly receipt: string | null
}

interface EventRow {
  readonly data: string
}

const PAGE = 1000

const isBusy = (cause: unknown) =>
  typeof cause === "object" && cause !== null &&
  ((cause as { code?: string }).code === "SQLITE_BUSY" ||
    (cause as { code?: string }).code === "SQLITE_LOCKED")

class Conflict {
  constructor(readonly error: Errors.RevisionConflict) {}
}

class Busy {
  constructor(readonly cause: unknown) {}
}

const plainAsset = (a: AssetId.AssetId) => ({
  cloud: a.cloud,
  resourceType: a.resourceType,
  type: a.type,
  publicId: a.publicId
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  db: Db,
  projections: SyncProjections,
  options: Options = {}
): EventLog.EventLogShape => {
  const pollInterval = options.pollInterval ?? 100
  const headStmt = db.prepare("SELECT coalesce(max(position), 0) FROM ctxlog_events").pluck()
  const revisionStmt = db.prepare(
    `SELECT coalesce(max(revision), 0) FROM ctxlog_events
     WHERE cloud = ? AND resource_type = ? AND type = ? AND public_id = ?`
  ).pluck()
  const commandStmt = db.prepare(
    "SELECT position, revisions, receipt FROM ctxlog_commands WHERE idempotency_key = ?"
  )
  const insertEvent = db.prepare(
    `INSERT INTO ctxlog_events
       (position, cloud, resource_type, type, public_id, revision, event_id, command_key, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const insertCommand = db.prepare(
    `INSERT INTO ctxlog_commands (idempotency_key, position, revisions, receipt)
     VALUES (?, ?, ?, ?)`
  )
  const streamStmt = db.prepare(
    `SELECT data FROM ctxlog_events
     WHERE cloud = ? AND resource_type = ? AND type = ? AND public_id = ?
       AND revision > ? AND revision <= ?
     ORDER BY revision`
  )
  const afterStmt = db.prepare(
    "SELECT data FROM ctxlog_events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?"
  )

  const head = () => headStmt.get() as number

  const decodeRows = (rows: ReadonlyArray<EventRow>, operation: string) => {
    const out: Array<Event.RecordedEvent> = []
    for (const row of rows) {
      const decoded = EventCodec.fromJson(row.data)
      if (Either.isLeft(decoded)) {
        throw new Errors.EventLogError({
          operation,
          detail: decoded.left.message,
          cause: decoded.left
        })
      }
      out.push(decoded.right)
    }
    return out
  }

  const toResult = (row: CommandRow, duplicate: boolean): EventLog.AppendResult => ({
    duplicate,
    position: row.position,
    revisions: (JSON.parse(row.revisions) as Array<{ asset: unknown; revision: number }>).map(
      (r) => ({
        asset: new AssetId.AssetId(r.asset as AssetId.AssetId, trusted),
        revision: r.revision
      })
    ),
    receipt: row.receipt ?? undefined
  })

  const trusted = { disableValidation: true } as const

  const appendTx = db.transaction((batch: EventLog.AppendBatch): EventLog.AppendResult => {
    const known = commandStmt.get(batch.idempotencyKey) as CommandRow | undefined
    if (known) return toResult(known, true)
    for (const write of batch.writes) {
      const actual = revisionStmt.get(...Object.values(plainAsset(write.asset))) as number
      if (actual !== write.expectedRevision) {
        throw new Conflict(
          new Errors.RevisionConflict({
            asset: write.asset.toString(),
            expected: write.expectedRevision,
            actual
          })
        )
      }
    }
    const before = head()
    let position = before
    const recorded: Array<Event.RecordedEvent> = []
    const revisions: Array<{ asset: AssetId.AssetId; revision: number }> = []
    for (const write of batch.writes) {
      let revision = write.expectedRevision
      for (const pending of write.events) {
        const event = Event.record(pending, { revision: ++revision, position: ++position })
        const a = event.asset
        insertEvent.run(
          position,
          a.cloud,
          a.resourceType,
          a.type,
          a.publicId,
          revision,
          event.eventId,
          batch.idempotencyKey,
          EventCodec.toJson(event)
        )
        recorded.push(event)
      }
      revisions.push({ asset: write.asset, revision })
    }
    const row: CommandRow = {
      position,
      revisions: JSON.stringify(
        revisions.map((r) => ({ asset: plainAsset(r.asset), revision: r.revision }))
      ),
      receipt: batch.receipt ?? null
    }
    insertCommand.run(batch.idempotencyKey, row.position, row.revisions, row.receipt)
    // Project inline only when the projection is exactly caught up: during a rebuild, or after
    // another process fell behind, the projector owns the catching up.
    const projected = projections.checkpoint(AssetProjection.NAME) === before
    if (projected && recorded.length > 0) {
      projections.commit(AssetProjection.project((asset) => projections.get(asset), recorded))
    }
    return { duplicate: false, position, revisions, receipt: batch.receipt, projected }
  })

  /** Local appends wake local followers at once; other processes are noticed by polling. */
  const listeners = new Set<() => void>()
  const wake = () => {
    const all = [...listeners]
    listeners.clear()
    for (const listener of all) listener()
  }
  const nextAppend = Effect.async<void>((resume) => {
    const done = () => {
      clearTimeout(timer)
      listeners.delete(done)
      resume(Effect.void)
    }
    const timer = setTimeout(done, pollInterval)
    listeners.add(done)
    return Effect.sync(() => {
      clearTimeout(timer)
      listeners.delete(done)
    })
  })

  const fail = (operation: string) => (cause: unknown) =>
    cause instanceof Errors.EventLogError
      ? cause
      : new Errors.EventLogError({ operation, detail: String(cause), cause })

  const busyRetry = Schedule.exponential("5 millis").pipe(
    Schedule.jittered,
    Schedule.upTo("30 seconds")
  )

  // Plain control flow on the common path: this runs once per command.
  const attemptAppend = (batch: EventLog.AppendBatch) =>
    Effect.suspend((): Effect.Effect<EventLog.AppendResult, Errors.RevisionConflict | Busy> => {
      try {
        const result = appendTx.immediate(batch)
        if (!result.duplicate) wake()
        return Effect.succeed(result)
      } catch (cause) {
        if (cause instanceof Conflict) return Effect.fail(cause.error)
        if (isBusy(cause)) return Effect.fail(new Busy(cause))
        return Effect.die(cause)
      }
    })

  const append: EventLog.EventLogShape["append"] = (batch) =>
    attemptAppend(batch).pipe(
      Effect.retry({ while: (e) => e instanceof Busy, schedule: busyRetry }),
      Effect.mapError((e): Errors.RevisionConflict | Errors.EventLogError =>
        e instanceof Busy ? fail("append")(e.cause) : e
      ),
      Effect.catchAllDefect((cause) => Effect.fail(fail("append")(cause)))
    )

  const page = (after: number, upTo: number) =>
    decodeRows(afterStmt.all(after, upTo, PAGE) as Array<EventRow>, "readAll")

  const readAll: EventLog.EventLogShape["readAll"] = ({ after, limit }) =>
    Stream.unwrap(
      Effect.try({ try: head, catch: fail("readAll") }).pipe(
        Effect.map((end) => {
          const upTo = limit === undefined ? end : Math.min(end, after + limit)
          return Stream.paginateChunkEffect(after, (cursor) =>
            Effect.try({
              try: () => page(cursor, upTo),
              catch: fail("readAll")
            }).pipe(
              Effect.map((events) => {
                const last = events[events.length - 1]
                return [
                  Chunk.unsafeFromArray(events),
                  last === undefined || last.position >= upTo
                    ? Option.none()
                    : Option.some(last.position)
                ] as const
              })
            ))
        })
      )
    )

  const subscribe: EventLog.EventLogShape["subscribe"] = (after) =>
    Stream.paginateChunkEffect(Math.max(0, after), (cursor) =>
      Effect.gen(function*() {
        while (true) {
          const events = yield* Effect.try({
            try: () => page(cursor, Number.MAX_SAFE_INTEGER),
            catch: fail("subscribe")
          })
          const last = events[events.length - 1]
          if (last !== undefined) {
            return [Chunk.unsafeFromArray(events), Option.some(last.position)] as const
          }
          yield* nextAppend
        }
      }))

  return EventLog.EventLog.of({
    append,
    lookup: (key) =>
      Effect.try({
        try: () =>
          Option.map(Option.fromNullable(commandStmt.get(key) as CommandRow | undefined), (r) =>
            toResult(r, false)),
        catch: fail("lookup")
      }),
    readStream: (asset, options) =>
      Effect.try({
        try: () =>
          decodeRows(
            streamStmt.all(
              asset.cloud,
              asset.resourceType,
              asset.type,
              asset.publicId,
              options?.fromRevision ?? 0,
              options?.toRevision ?? Number.MAX_SAFE_INTEGER
            ) as Array<EventRow>,
            "readStream"
          ),
        catch: fail("readStream")
      }),
    readAll,
    subscribe,
    head: Effect.try({ try: head, catch: fail("head") })
  })
}
