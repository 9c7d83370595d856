/**
 * Runs the asset projection: follows the log from the store's checkpoint, folds each run of
 * events into one atomic commit, and tells waiting readers how far it has got. A rebuild drops
 * the views and replays the log from position 0.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberHandle from "effect/FiberHandle"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { AssetId } from "./AssetId.js"
import * as AssetProjection from "./AssetProjection.js"
import type { EventLogError, ProjectionStoreError } from "./Errors.js"
import type { RecordedEvent } from "./Event.js"
import { EventLog } from "./EventLog.js"
import type { AssetView, ProjectionStoreShape } from "./ProjectionStore.js"
import { ProjectionStore } from "./ProjectionStore.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RebuildSummary {
  readonly events: number
  readonly position: number
  readonly assets: number
  readonly duration: Duration.Duration
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ProjectorShape {
  /** The position the views reflect. */
  readonly position: Effect.Effect<number>
  /** Waits until the views reflect `position`, or `timeout` passes; true when they do. */
  readonly awaitPosition: (
    position: number,
    timeout?: Duration.DurationInput
  ) => Effect.Effect<boolean>
  /**
   * Drops the views and replays the whole log; live projection resumes afterwards. `assets`
   * counts the streams the replay met, deleted ones included.
   */
  // Not yet: a rebuild fences out nothing in other processes. One that read the views just
  // before this rebuild dropped them and commits just after could leave views missing until the
  // next rebuild: run a rebuild while no other process catches up on the same store.
  readonly rebuild: (
    onProgress?: (done: number, total: number) => Effect.Effect<void>
  ) => Effect.Effect<RebuildSummary, EventLogError | ProjectionStoreError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Projector extends Context.Tag("@ctxlog/core/Projector")<Projector, ProjectorShape>() {}

/**
 * Large catch-up runs are committed in slices of this many events, so that one commit stays
 * small enough for any store's transaction.
 */
const SLICE = 1000

/** Views a run reads at once from a store that does not project inline, e.g. over a network. */
const READS = 16

/**
 * The views of `assets` as the store holds them now. A few workers share the list, so a
 * networked store has that many reads in flight instead of one round trip per asset after
 * another, while a store that answers at once costs a few fibers per run, not one per asset.
 */
const readViews = (
  store: ProjectionStoreShape,
  assets: ReadonlyArray<AssetId>
): Effect.Effect<Map<string, AssetView | undefined>, ProjectionStoreError> =>
  Effect.suspend(() => {
    const views = new Map<string, AssetView | undefined>()
    let next = 0
    const worker: Effect.Effect<void, ProjectionStoreError> = Effect.suspend(() => {
      if (next >= assets.length) return Effect.void
      const asset = assets[next++]!
      return Effect.flatMap(store.get(asset), (view) => {
        views.set(asset.key, Option.getOrUndefined(view))
        return worker
      })
    })
    // An inline store answers from its own process, where reads in flight gain nothing.
    const workers = Math.min(store.inline === true ? 1 : READS, assets.length)
    return Effect.all(Array.from({ length: workers }, () => worker), {
      concurrency: "unbounded",
      discard: true
    }).pipe(Effect.as(views))
  })

/**
 * Commits one run of events to the store.
 *
 * @since 0.1.0
 * @category projecting
 */
export const applyEvents = (events: ReadonlyArray<RecordedEvent>) =>
  Effect.gen(function*() {
    const store = yield* ProjectionStore
    const unique = new Map<string, AssetId>()
    for (const e of events) unique.set(e.asset.key, e.asset)
    const before = yield* readViews(store, Array.from(unique.values()))
    const commit = AssetProjection.project((asset) => before.get(asset.key), events)
    yield* store.commit(commit)
    return commit
  })

const slices = <A>(chunk: Chunk.Chunk<A>): Array<ReadonlyArray<A>> => {
  const all = Chunk.toReadonlyArray(chunk)
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < all.length; i += SLICE) out.push(all.slice(i, i + SLICE))
  return out
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** With a store that projects inline: how often to look for a lag to catch up on. */
  readonly lagCheckInterval?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const store = yield* ProjectionStore
    const inline = store.inline === true
    const reached = yield* SubscriptionRef.make(yield* store.checkpoint(AssetProjection.NAME))
    const live = yield* FiberHandle.make()
    const lock = yield* Effect.makeSemaphore(1)
    const catching = yield* Effect.makeSemaphore(1)

    const applyChunk = (chunk: Chunk.Chunk<RecordedEvent>) =>
      Effect.forEach(slices(chunk), (run) =>
        applyEvents(run).pipe(
          Effect.provideService(ProjectionStore, store),
          Effect.flatMap((commit) => SubscriptionRef.set(reached, commit.position))
        ), { discard: true })

    /**
     * Some stores project inside the append's own transaction; events they have projected already
     * are below the checkpoint, and only need to be acknowledged.
     */
    const followChunk = (chunk: Chunk.Chunk<RecordedEvent>) =>
      Effect.gen(function*() {
        const checkpoint = yield* store.checkpoint(AssetProjection.NAME)
        const fresh = Chunk.filter(chunk, (e) => e.position > checkpoint)
        if (Chunk.isEmpty(fresh)) {
          const last = Chunk.last(chunk)
          if (last._tag === "Some") {
            yield* SubscriptionRef.update(reached, (p) => Math.max(p, last.value.position))
          }
          return
        }
        yield* applyChunk(fresh)
      })

    const follow = Effect.suspend(() =>
      store.checkpoint(AssetProjection.NAME).pipe(
        Effect.flatMap((from) => log.subscribe(from).pipe(Stream.runForEachChunk(followChunk))),
        Effect.tapError((error) =>
          Effect.logWarning("asset projection stopped; retrying").pipe(
            Effect.annotateLogs({ error: error.message })
          )
        ),
        Effect.retry(
          Schedule.exponential("50 millis").pipe(
            Schedule.either(Schedule.spaced("5 seconds"))
          )
        )
      )
    )

    /**
     * Applies what the log has beyond the checkpoint, up to the head as it is now. It may run
     * while a rebuild does: both fold the same events onto the same views, and an event at or
     * below a view's revision changes nothing, so whichever commits first leaves the views right.
     */
    const catchUp = catching.withPermits(1)(
      Effect.gen(function*() {
        const from = yield* store.checkpoint(AssetProjection.NAME)
        const to = yield* log.head
        if (to > from) {
          // Positions can skip numbers, so the read is bounded by position, not by a count.
          yield* log.readAll({ after: from }).pipe(
            Stream.takeWhile((e) => e.position <= to),
            Stream.runForEachChunk(applyChunk)
          )
        }
        yield* SubscriptionRef.update(reached, (p) => Math.max(p, to))
      })
    )

    const watch = catchUp.pipe(
      Effect.zipRight(Effect.sleep(options.lagCheckInterval ?? "1 second")),
      Effect.forever,
      Effect.tapError((error) =>
        Effect.logWarning("asset projection catch-up failed; retrying").pipe(
          Effect.annotateLogs({ error: error.message })
        )
      ),
      Effect.retry(Schedule.spaced("1 second"))
    )

    const run = inline ? watch : follow
    yield* FiberHandle.run(live, run)

    const rebuild: ProjectorShape["rebuild"] = (onProgress) =>
      lock.withPermits(1)(
        Effect.gen(function*() {
          const start = yield* Clock.currentTimeMillis
          yield* FiberHandle.clear(live)
          yield* store.reset(AssetProjection.NAME)
          yield* SubscriptionRef.set(reached, 0)
          // Not yet: progress counts events against the head's position, so a log whose
          // positions skip numbers (NATS, after broken runs) ends a little below 100%.
          const total = yield* log.head
          let done = 0
          const assets = new Set<string>()
          yield* log.readAll({ after: 0 }).pipe(
            Stream.takeWhile((e) => e.position <= total),
            Stream.runForEachChunk((chunk) =>
              applyChunk(chunk).pipe(
                Effect.tap(() => {
                  done += Chunk.size(chunk)
                  for (const e of chunk) assets.add(e.asset.key)
                  return onProgress ? onProgress(done, total) : Effect.void
                })
              )
            )
          )
          const position = yield* SubscriptionRef.get(reached)
          yield* FiberHandle.run(live, run)
          const end = yield* Clock.currentTimeMillis
          return {
            events: done,
            position,
            assets: assets.size,
            duration: Duration.millis(end - start)
          }
        }).pipe(
          // A failed rebuild must not leave the projection stopped.
          Effect.onError(() => FiberHandle.run(live, run))
        )
      )

    const waitFor = (position: number, timeout: Duration.DurationInput) =>
      reached.changes.pipe(
        Stream.takeUntil((p) => p >= position),
        Stream.runLast,
        Effect.map(Option.exists((p) => p >= position)),
        Effect.timeoutTo({ duration: timeout, onTimeout: () => false, onSuccess: (ok) => ok })
      )

    return Projector.of({
      position: SubscriptionRef.get(reached),
      awaitPosition: (position, timeout = "30 seconds") =>
        Effect.flatMap(
          store.checkpoint(AssetProjection.NAME).pipe(Effect.orElseSucceed(() => 0)),
          (checkpoint) =>
            checkpoint >= position
              ? Effect.succeed(true)
              : inline
              ? catchUp.pipe(
                Effect.zipRight(store.checkpoint(AssetProjection.NAME)),
                Effect.map((p) => p >= position),
                Effect.orElseSucceed(() => false)
              )
              : waitFor(position, timeout)
        ),
      rebuild
    })
  })

/**
 * Starts the projector for the lifetime of the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<Projector, ProjectionStoreError, EventLog | ProjectionStore> =>
  Layer.scoped(Projector, make(options))
