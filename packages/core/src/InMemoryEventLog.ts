/**
 * An event log in process memory, for tests and for hosts that keep nothing.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as AssetProjection from "./AssetProjection.js"
import { RevisionConflict } from "./Errors.js"
import * as Event from "./Event.js"
import type { AppendResult, EventLogShape } from "./EventLog.js"
import { EventLog } from "./EventLog.js"
import type * as InMemoryProjectionStore from "./InMemoryProjectionStore.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<EventLogShape> = Effect.suspend(() => makeWith())

/**
 * A log that, given a store's synchronous operations, projects each append into the store when
 * the store is caught up, as a database adapter does in its transaction.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWith = (inline?: InMemoryProjectionStore.Inline) =>
  Effect.gen(function*() {
    const events: Array<Event.RecordedEvent> = []
    const streams = new Map<string, Array<Event.RecordedEvent>>()
    const keys = new Map<string, AppendResult>()
    const head = yield* SubscriptionRef.make(0)

    const revisionOf = (key: string): number => streams.get(key)?.length ?? 0

    const append: EventLogShape["append"] = (batch) =>
      Effect.suspend(() => {
        const known = keys.get(batch.idempotencyKey)
        if (known) return Effect.succeed({ ...known, duplicate: true })
        for (const write of batch.writes) {
          const actual = revisionOf(write.asset.key)
          if (actual !== write.expectedRevision) {
            return Effect.fail(
              new RevisionConflict({
                asset: write.asset.toString(),
                expected: write.expectedRevision,
                actual
              })
            )
          }
        }
        const before = events.length
        const revisions: Array<{ asset: typeof batch.writes[number]["asset"]; revision: number }> =
          []
        for (const write of batch.writes) {
          let stream = streams.get(write.asset.key)
          if (!stream) streams.set(write.asset.key, stream = [])
          for (const pending of write.events) {
            const recorded = Event.record(pending, {
              revision: stream.length + 1,
              position: events.length + 1
            })
            stream.push(recorded)
            events.push(recorded)
          }
          revisions.push({ asset: write.asset, revision: stream.length })
        }
        const projected = inline !== undefined &&
          inline.checkpoint(AssetProjection.NAME) === before
        if (projected) inline.commit(AssetProjection.project(inline.get, events.slice(before)))
        const result: AppendResult = {
          duplicate: false,
          position: events.length,
          revisions,
          receipt: batch.receipt,
          projected
        }
        keys.set(batch.idempotencyKey, result)
        return SubscriptionRef.set(head, events.length).pipe(Effect.as(result))
      })

    const slice = (from: number, to: number) => Chunk.unsafeFromArray(events.slice(from, to))

    const subscribe: EventLogShape["subscribe"] = (after) =>
      Stream.suspend(() => {
        let cursor = Math.max(0, after)
        return head.changes.pipe(
          Stream.mapConcatChunk((position) => {
            const chunk = slice(cursor, position)
            cursor = Math.max(cursor, position)
            return chunk
          })
        )
      })

    return EventLog.of({
      append,
      lookup: (key) => Effect.sync(() => Option.fromNullable(keys.get(key))),
      readStream: (asset, options) =>
        Effect.sync(() => {
          const stream = streams.get(asset.key) ?? []
          const from = Math.max(0, options?.fromRevision ?? 0)
          const to = options?.toRevision === undefined
            ? stream.length
            : Math.max(0, options.toRevision)
          return stream.slice(from, Math.max(from, to))
        }),
      readAll: ({ after, limit }) =>
        Stream.suspend(() => {
          const from = Math.max(0, after)
          const to = limit === undefined ? events.length : Math.min(events.length, from + limit)
          return Stream.fromChunk(slice(from, to))
        }),
      subscribe,
      head: Effect.sync(() => events.length)
    })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<EventLog> = Layer.effect(EventLog, make)
