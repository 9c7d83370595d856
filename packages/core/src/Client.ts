/**
 * A Promise-based facade for hosts that do not use Effect: open a store, run commands, query,
 * subscribe with an async iterator, close. Failures reject with the same typed errors as the
 * Effect API (each an `Error` with a `_tag`).
 *
 * @example
 * ```ts
 * import { Client } from "@ctxlog/core"
 *
 * const ctx = await Client.open({ cloud: "demo" })
 * await ctx.upload("shirt1", "caption=New")
 * await ctx.add(["shirt1", "shirt2"], { product: "shirt" })
 * const shirt = await ctx.get("shirt1") // context: caption=New|product=shirt
 * await ctx.close()
 * ```
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import * as AssetId from "./AssetId.js"
import type * as Command from "./Command.js"
import type { CommandResult } from "./CommandResult.js"
import { decodeCommand } from "./CommandService.js"
import type * as Ctx from "./Context.js"
import * as ContextText from "./ContextText.js"
import * as Ctxlog from "./Ctxlog.js"
import { InvalidCommand } from "./Errors.js"
import type { RecordedEvent, Source } from "./Event.js"
import type { EventLog } from "./EventLog.js"
import * as InMemoryStore from "./InMemoryStore.js"
import type { Positioned } from "./Notification.js"
import type { NotificationSink } from "./NotificationSink.js"
import * as Notifier from "./Notifier.js"
import type { ProjectionStore } from "./ProjectionStore.js"
import type { AssetView } from "./ProjectionStore.js"
import type { RebuildSummary } from "./Projector.js"
import type * as Queries from "./Queries.js"

/**
 * An asset by public id (in the client's cloud, `image/upload`), or spelled out.
 *
 * @since 0.1.0
 * @category models
 */
export type AssetRef =
  | string
  | {
    readonly publicId: string
    readonly resourceType?: AssetId.ResourceType | undefined
    readonly type?: string | undefined
    readonly cloud?: string | undefined
  }

/**
 * Context as pipe text (`a=1|b=2`), an object, or ordered pairs.
 *
 * @since 0.1.0
 * @category models
 */
export type ContextInput = string | Readonly<Record<string, string>> | ReadonlyArray<Ctx.Pair>

/**
 * @since 0.1.0
 * @category models
 */
export interface CommandOptions {
  /** The idempotency key; a fresh one when absent. */
  readonly commandId?: string | undefined
  readonly source?: Source | undefined
  readonly actor?: string | undefined
  readonly timestamp?: Date | undefined
  /** For single-asset commands: fail with `RevisionConflict` unless the asset is at it. */
  readonly expectedRevision?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface OpenOptions extends Ctxlog.Options {
  /** The cloud of assets given by public id alone; `demo` when absent. */
  readonly cloud?: string | undefined
  readonly source?: Source | undefined
  /** Who the commands are attributed to; `library` when absent. */
  readonly actor?: string | undefined
  /** The event log and projection store; in memory when absent. */
  readonly store?: Layer.Layer<EventLog | ProjectionStore, unknown> | undefined
  /** Where notifications are delivered, besides `subscribe`. */
  readonly sink?: Layer.Layer<NotificationSink, unknown> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Client {
  readonly upload: (
    asset: AssetRef,
    context?: ContextInput,
    options?: CommandOptions
  ) => Promise<CommandResult>
  readonly add: (
    assets: AssetRef | ReadonlyArray<AssetRef>,
    context: ContextInput,
    options?: CommandOptions
  ) => Promise<CommandResult>
  readonly removeAll: (
    assets: AssetRef | ReadonlyArray<AssetRef>,
    options?: CommandOptions
  ) => Promise<CommandResult>
  readonly replace: (
    asset: AssetRef,
    context: ContextInput,
    options?: CommandOptions
  ) => Promise<CommandResult>
  readonly removeKeys: (
    assets: AssetRef | ReadonlyArray<AssetRef>,
    keys: ReadonlyArray<string>,
    options?: CommandOptions
  ) => Promise<CommandResult>
  readonly delete: (
    assets: AssetRef | ReadonlyArray<AssetRef>,
    options?: CommandOptions
  ) => Promise<CommandResult>
  readonly get: (asset: AssetRef, asOf?: Queries.AsOf) => Promise<AssetView>
  readonly history: (asset: AssetRef) => Promise<ReadonlyArray<RecordedEvent>>
  readonly byContext: (
    key: string,
    value?: string,
    options?: Omit<Queries.ByContextOptions, "cloud" | "key" | "value"> & { cloud?: string }
  ) => Promise<Queries.ResultPage>
  readonly list: (
    options?: Omit<Queries.ListOptions, "cloud"> & { cloud?: string }
  ) => Promise<Queries.ResultPage>
  /** Notifications after a position (0: all), then live ones, until the loop stops. */
  readonly subscribe: (options?: { readonly from?: number }) => AsyncIterable<Positioned>
  readonly rebuild: () => Promise<RebuildSummary>
  readonly close: () => Promise<void>
}

const newId = (): string => {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto
  if (crypto?.randomUUID) return crypto.randomUUID()
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
}

/**
 * Opens a store. Close it to stop its background work.
 *
 * @since 0.1.0
 * @category constructors
 */
export const open = async (options: OpenOptions = {}): Promise<Client> => {
  const cloud = options.cloud ?? "demo"
  const storeLayer = options.store ?? InMemoryStore.layer
  const core = Ctxlog.layer(options).pipe(Layer.provideMerge(storeLayer))
  const main = options.sink === undefined
    ? core
    : Layer.merge(core, Notifier.layer.pipe(Layer.provide(options.sink), Layer.provide(core)))
  const runtime = ManagedRuntime.make(main)
  const started = await runtime.runPromiseExit(Effect.void)
  if (Exit.isFailure(started)) {
    await runtime.dispose()
    throw Cause.squash(started.cause)
  }

  const run = <A, E>(effect: Effect.Effect<A, E, Ctxlog.Ctxlog>): Promise<A> =>
    runtime.runPromiseExit(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      // Reject with the typed error itself, so that callers can switch on its `_tag`.
      throw Cause.squash(exit.cause)
    })

  // Plain fields: the command decoder validates them once, naming the field that is wrong.
  const toAsset = (ref: AssetRef) =>
    Effect.succeed(
      typeof ref === "string"
        ? { cloud, resourceType: "image", type: "upload", publicId: ref }
        : {
          cloud: ref.cloud ?? cloud,
          resourceType: ref.resourceType ?? "image",
          type: ref.type ?? "upload",
          publicId: ref.publicId
        }
    )

  /** Queries take a validated identity. */
  const toAssetId = (ref: AssetRef) =>
    toAsset(ref).pipe(
      Effect.flatMap(AssetId.decode),
      Effect.mapError((e) => new InvalidCommand({ path: "asset", detail: e.message }))
    )

  const toAssets = (refs: AssetRef | ReadonlyArray<AssetRef>) =>
    Effect.forEach(isRefList(refs) ? refs : [refs], toAsset)

  const toPairs = (input: ContextInput): Effect.Effect<ReadonlyArray<Ctx.Pair>, unknown> =>
    typeof input === "string"
      ? Either.match(ContextText.parse(input), { onLeft: Effect.fail, onRight: Effect.succeed })
      : Effect.succeed(
        isPairList(input)
          ? input
          : Object.entries(input).map(([key, value]) => ({ key, value: String(value) }))
      )

  const meta = (o: CommandOptions | undefined) => ({
    commandId: o?.commandId ?? newId(),
    source: o?.source ?? options.source ?? "api",
    actor: o?.actor ?? options.actor ?? "library",
    timestamp: (o?.timestamp ?? new Date()).toISOString(),
    ...(o?.expectedRevision === undefined ? {} : { expectedRevision: o.expectedRevision })
  })

  const execute = (
    tag: Command.Command["_tag"],
    o: CommandOptions | undefined,
    fields: Effect.Effect<object, unknown>
  ) =>
    run(Effect.gen(function*() {
      const command = yield* decodeCommand({ _tag: tag, ...(yield* fields), ...meta(o) })
      return yield* (yield* Ctxlog.Ctxlog).execute(command)
    }))

  const query = <A>(f: (c: Ctxlog.CtxlogShape) => Effect.Effect<A, unknown>) =>
    run(Effect.flatMap(Ctxlog.Ctxlog, f))

  return {
    upload: (asset, context = [], o) =>
      execute("Upload", o, Effect.all({ asset: toAsset(asset), context: toPairs(context) })),
    add: (assets, context, o) =>
      execute("AddContext", o, Effect.all({ assets: toAssets(assets), pairs: toPairs(context) })),
    removeAll: (assets, o) =>
      execute("RemoveAllContext", o, Effect.all({ assets: toAssets(assets) })),
    replace: (asset, context, o) =>
      execute(
        "ReplaceContext",
        o,
        Effect.all({ asset: toAsset(asset), context: toPairs(context) })
      ),
    removeKeys: (assets, keys, o) =>
      execute(
        "RemoveKeys",
        o,
        Effect.all({ assets: toAssets(assets), keys: Effect.succeed(keys) })
      ),
    delete: (assets, o) => execute("DeleteAssets", o, Effect.all({ assets: toAssets(assets) })),
    get: (asset, asOf) => query((c) => Effect.flatMap(toAssetId(asset), (a) => c.get(a, asOf))),
    history: (asset) => query((c) => Effect.flatMap(toAssetId(asset), (a) => c.history(a))),
    byContext: (key, value, o) =>
      query((c) => c.byContext({ ...o, cloud: o?.cloud ?? cloud, key, value })),
    list: (o) => query((c) => c.list({ ...o, cloud: o?.cloud ?? cloud })),
    subscribe: (o) => ({
      async *[Symbol.asyncIterator]() {
        const rt = await runtime.runtime()
        const stream = Stream.unwrap(Effect.map(Ctxlog.Ctxlog, (c) => c.notifications(o?.from)))
        yield* Stream.toAsyncIterableRuntime(stream, rt)
      }
    }),
    rebuild: () => query((c) => c.rebuild()),
    close: () => runtime.dispose()
  }
}

const isRefList = (
  refs: AssetRef | ReadonlyArray<AssetRef>
): refs is ReadonlyArray<AssetRef> => Array.isArray(refs)

const isPairList = (input: ContextInput): input is ReadonlyArray<Ctx.Pair> => Array.isArray(input)
