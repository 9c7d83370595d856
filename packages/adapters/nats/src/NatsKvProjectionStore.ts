/**
 * The projection store on NATS KV buckets, so that a NATS deployment needs no other database.
 * Three buckets share a prefix (`ctxlog` unless set):
 *
 * - `<prefix>_views`: one entry per asset, `<cloud>.<resource_type>.<type>.<public id>`, whose
 *   value is the view as JSON.
 * - `<prefix>_index`: empty entries whose keys are the index, `k.<cloud>.<key>.<rt>.<type>.<id>`
 *   for every context key and `v.<cloud>.<key>.<value>.<rt>.<type>.<id>` for every pair.
 * - `<prefix>_checkpoints`: one entry per projection, its position as text.
 *
 * Identities are written with the token encoding of subjects (`Subject.encodeToken`), so any
 * public id is a key. A context key or value whose token would pass 64 characters is written as
 * `_h` and 40 hex digits of its SHA-256 instead (the encoding never writes `_h`), which keeps the
 * longest index key near 3500 bytes, under the server's subject limit; a lookup confirms every
 * index hit against the view, so neither a collision nor a stale entry can give a wrong answer.
 *
 * A commit is idempotent but not atomic in the strict sense: KV has no transaction over several
 * keys. It writes in an order that makes every torn commit harmless and repaired by replaying
 * from the old checkpoint: new index entries, then removal of the stale ones, then the views,
 * then the checkpoint. A replay reads the views as the torn commit left them and finishes the
 * same work. While a commit is under way, a query may miss an asset whose pair is being removed.
 * One projector writes a bucket set at a time; two writing at once could interleave their views.
 *
 * @since 0.1.0
 */
import { AssetId, Errors, ProjectionStore } from "@ctxlog/core"
import { StorageType } from "@nats-io/jetstream"
import type { KV, KvEntry } from "@nats-io/kv"
import { Kvm } from "@nats-io/kv"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { createHash } from "node:crypto"
import { apiCode, describe, WRONG_LAST_SEQUENCE } from "./internal/failure.js"
import * as NatsConnection from "./NatsConnection.js"
import { decodeToken, encodeToken } from "./Subject.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Names the buckets `<prefix>_views`, `_index` and `_checkpoints`; `ctxlog` unless set. */
  readonly bucketPrefix?: string | undefined
  /** 1 on a single server; 3 on a cluster. Applies to buckets this store creates. */
  readonly replicas?: 1 | 3 | undefined
  /** KV operations one call keeps in flight; 64 unless set. */
  readonly concurrency?: number | undefined
}

/**
 * The bucket names for a prefix.
 *
 * @since 0.1.0
 * @category constants
 */
export const bucketNames = (prefix: string) => ({
  views: `${prefix}_views`,
  index: `${prefix}_index`,
  checkpoints: `${prefix}_checkpoints`
})

const TOKEN_LIMIT = 64

/**
 * The token of a context key or value in index keys: its encoding when short, else its hash.
 *
 * @since 0.1.0
 * @category encoding
 */
export const indexToken = (text: string): string => {
  const token = encodeToken(text)
  return token.length > 0 && token.length <= TOKEN_LIMIT
    ? token
    : `_h${createHash("sha256").update(text).digest("hex").slice(0, 40)}`
}

const idTokens = (asset: AssetId.AssetId) =>
  `${encodeToken(asset.resourceType)}.${encodeToken(asset.type)}.${encodeToken(asset.publicId)}`

/**
 * The key of an asset's view.
 *
 * @since 0.1.0
 * @category encoding
 */
export const viewKey = (asset: AssetId.AssetId): string =>
  `${encodeToken(asset.cloud)}.${idTokens(asset)}`

/**
 * The index keys of a view: one per context key, one per pair.
 *
 * @since 0.1.0
 * @category encoding
 */
export const indexKeys = (view: ProjectionStore.AssetView): ReadonlyArray<string> => {
  const cloud = encodeToken(view.asset.cloud)
  const id = idTokens(view.asset)
  const out = new Set<string>()
  for (const { key, value } of view.context) {
    out.add(`k.${cloud}.${indexToken(key)}.${id}`)
    out.add(`v.${cloud}.${indexToken(key)}.${indexToken(value)}.${id}`)
  }
  return [...out]
}

const trusted = { disableValidation: true } as const

/**
 * The identity in a key: its cloud token at `cloudAt`, its resource type, type and public id in
 * the last three tokens; none for a key of another shape.
 */
const identityOf = (key: string, length: number, cloudAt: number) => {
  const tokens = key.split(".")
  if (tokens.length !== length) return undefined
  const parts: Array<string> = []
  for (const token of [tokens[cloudAt]!, ...tokens.slice(-3)]) {
    const text = decodeToken(token)
    if (Option.isNone(text)) return undefined
    parts.push(text.value)
  }
  const [cloud, resourceType, type, publicId] = parts as [string, string, string, string]
  return new AssetId.AssetId({
    cloud: AssetId.Cloud.make(cloud, trusted),
    resourceType: resourceType as AssetId.ResourceType,
    type,
    publicId
  }, trusted)
}

const ViewJson = Schema.parseJson(ProjectionStore.AssetView)
const encodeView = Schema.encodeSync(ViewJson)
const decodeView = Schema.decodeUnknownEither(ViewJson)

const storeError = (operation: string) => (cause: unknown) =>
  new Errors.ProjectionStoreError({ operation, detail: describe(cause), cause })

const attempt = <A>(operation: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: storeError(operation) })

const live = (entry: KvEntry | null): entry is KvEntry =>
  entry !== null && entry.operation === "PUT"

/**
 * The store on a connection; creates its buckets when they are missing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  ProjectionStore.ProjectionStoreShape,
  Errors.ProjectionStoreError,
  NatsConnection.NatsConnection
> =>
  Effect.gen(function*() {
    const prefix = options.bucketPrefix ?? "ctxlog"
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(prefix)) {
      return yield* new Errors.ProjectionStoreError({
        operation: "open",
        detail: `the bucket prefix ${JSON.stringify(prefix)} is not 1 to 32 characters of ` +
          "A-Z, a-z, 0-9, _ and -"
      })
    }
    const concurrency = options.concurrency ?? 64
    const { js, jsm } = yield* NatsConnection.NatsConnection
    const kvm = new Kvm(js)
    const names = bucketNames(prefix)
    // Not yet: an existing bucket is used as it is; its replicas and history are not checked
    // against these options the way the notification stream is.
    const open = (name: string) =>
      attempt("open", () =>
        kvm.create(name, {
          history: 1,
          storage: StorageType.File,
          replicas: options.replicas ?? 1
        })).pipe(
          Effect.mapError((e) =>
            new Errors.ProjectionStoreError({
              operation: e.operation,
              detail: `bucket ${name}: ${e.detail}`,
              cause: e.cause
            })
          )
        )
    const views: KV = yield* open(names.views)
    const index: KV = yield* open(names.index)
    const checkpoints: KV = yield* open(names.checkpoints)

    const readView = (operation: string, asset: AssetId.AssetId) =>
      attempt(operation, () => views.get(viewKey(asset))).pipe(
        Effect.flatMap((entry) => {
          if (!live(entry)) return Effect.succeed(undefined)
          const decoded = decodeView(entry.string())
          return decoded._tag === "Right"
            ? Effect.succeed(decoded.right)
            : Effect.fail(
              new Errors.ProjectionStoreError({
                operation,
                detail: `the entry ${entry.key} of bucket ${names.views} is not a view: ` +
                  decoded.left.message
              })
            )
        })
      )

    const positionOf = (entry: KvEntry) => {
      const position = Number(entry.string())
      if (Number.isSafeInteger(position) && position >= 0) return position
      throw new Error(
        `the checkpoint ${entry.key} of bucket ${names.checkpoints} holds ` +
          `${JSON.stringify(entry.string())}, not a position`
      )
    }

    const readCheckpoint = (operation: string, projection: string) =>
      attempt(operation, async () => {
        const entry = await checkpoints.get(encodeToken(projection))
        return live(entry) ? positionOf(entry) : 0
      })

    /** Moves a checkpoint forward, never back, with compare-and-set against other writers. */
    const advance = (operation: string, projection: string, position: number) =>
      attempt(operation, async () => {
        const key = encodeToken(projection)
        for (;;) {
          const entry = await checkpoints.get(key)
          const current = live(entry) ? entry : undefined
          if (current !== undefined && positionOf(current) >= position) return
          try {
            if (current === undefined) await checkpoints.create(key, String(position))
            else await checkpoints.update(key, String(position), current.revision)
            return
          } catch (error) {
            if (apiCode(error) !== WRONG_LAST_SEQUENCE) throw error
          }
        }
      })

    const keysUnder = (operation: string, bucket: KV, filter: string) =>
      attempt(operation, async () => {
        const out: Array<string> = []
        for await (const key of await bucket.keys(filter)) out.push(key)
        return out
      })

    const foreignKey = (operation: string, bucket: string, key: string) =>
      new Errors.ProjectionStoreError({
        operation,
        detail: `the key ${JSON.stringify(key)} of bucket ${bucket} was not written by ctxlog`
      })

    /**
     * One page of the identities a filter lists, in `AssetId.order` after the cursor. KV lists
     * keys in the order they were last written, not in key order, so every page lists all the
     * keys under its filter (the server sends them without values) and sorts them here: a page
     * costs O(n log n) for the n keys under the filter plus one read per view it returns, and
     * walking all n in pages of p costs O(n²/p). That is fine for thousands of assets per key or
     * cloud; a scope of millions needs a store with ordered keys.
     */
    const page = (
      operation: string,
      q: ProjectionStore.Page,
      listed: ReadonlyArray<AssetId.AssetId>,
      keep: (view: ProjectionStore.AssetView) => boolean
    ) =>
      Effect.gen(function*() {
        const after = q.after
        const sorted = (after === undefined ? [...listed] : listed.filter((id) =>
          AssetId.order(id, after) > 0
        )).sort(AssetId.order)
        const out: Array<ProjectionStore.AssetView> = []
        let next = 0
        while (out.length < q.limit && next < sorted.length) {
          const chunk = sorted.slice(next, next + q.limit - out.length)
          next += chunk.length
          const found = yield* Effect.forEach(chunk, (id) => readView(operation, id), {
            concurrency
          })
          for (const view of found) if (view !== undefined && keep(view)) out.push(view)
        }
        return out
      })

    const scopeFilter = (q: ProjectionStore.Scope) =>
      `${q.resourceType === undefined ? "*" : encodeToken(q.resourceType)}.` +
      `${q.type === undefined ? "*" : encodeToken(q.type)}.*`

    const byContext = (q: ProjectionStore.ByContextQuery) =>
      Effect.gen(function*() {
        if (q.limit <= 0) return []
        const op = "byContext"
        const cloud = encodeToken(q.cloud)
        const filter = q.value === undefined
          ? `k.${cloud}.${indexToken(q.key)}.${scopeFilter(q)}`
          : `v.${cloud}.${indexToken(q.key)}.${indexToken(q.value)}.${scopeFilter(q)}`
        const keys = yield* keysUnder(op, index, filter)
        const ids: Array<AssetId.AssetId> = []
        for (const key of keys) {
          const id = identityOf(key, q.value === undefined ? 6 : 7, 1)
          if (id === undefined) return yield* foreignKey(op, names.index, key)
          ids.push(id)
        }
        return yield* page(op, q, ids, (view) =>
          view.context.some((p) =>
            p.key === q.key && (q.value === undefined || p.value === q.value)
          ))
      })

    const list = (q: ProjectionStore.ListQuery) =>
      Effect.gen(function*() {
        if (q.limit <= 0) return []
        const op = "list"
        const keys = yield* keysUnder(op, views, `${encodeToken(q.cloud)}.${scopeFilter(q)}`)
        const ids: Array<AssetId.AssetId> = []
        for (const key of keys) {
          const id = identityOf(key, 4, 0)
          if (id === undefined) return yield* foreignKey(op, names.views, key)
          // Subject wildcards match whole tokens only, so the prefix is checked here.
          if (q.prefix === undefined || id.publicId.startsWith(q.prefix)) ids.push(id)
        }
        return yield* page(op, q, ids, () => true)
      })

    const commit = (c: ProjectionStore.Commit) =>
      Effect.gen(function*() {
        const op = "commit"
        if (c.position <= (yield* readCheckpoint(op, c.projection))) return
        const upserts = new Map<string, ProjectionStore.AssetView>()
        for (const view of c.upserts) upserts.set(view.asset.key, view)
        const deletes = c.deletes.filter((asset) => !upserts.has(asset.key))
        const touched = [...[...upserts.values()].map((v) => v.asset), ...deletes]
        const before = new Map<string, ProjectionStore.AssetView>()
        yield* Effect.forEach(touched, (asset) =>
          readView(op, asset).pipe(
            Effect.tap((view) => view !== undefined && before.set(asset.key, view))
          ), { concurrency, discard: true })

        const added: Array<string> = []
        const removed: Array<string> = []
        for (const view of upserts.values()) {
          const old = before.get(view.asset.key)
          const was = new Set(old === undefined ? [] : indexKeys(old))
          const now = new Set(indexKeys(view))
          for (const key of now) if (!was.has(key)) added.push(key)
          for (const key of was) if (!now.has(key)) removed.push(key)
        }
        const gone: Array<AssetId.AssetId> = []
        for (const asset of deletes) {
          const old = before.get(asset.key)
          if (old === undefined) continue
          removed.push(...indexKeys(old))
          gone.push(asset)
        }

        // The order that makes a torn commit harmless: see the module's comment.
        yield* Effect.forEach(added, (key) => attempt(op, () => index.put(key, "")), {
          concurrency,
          discard: true
        })
        // Not yet: a removed entry leaves a delete marker until a reset purges the bucket, and
        // listings under its key or value still pass over it; a periodic purge would trim them.
        yield* Effect.forEach(removed, (key) => attempt(op, () => index.delete(key)), {
          concurrency,
          discard: true
        })
        yield* Effect.forEach(
          upserts.values(),
          (view) => attempt(op, () => views.put(viewKey(view.asset), encodeView(view))),
          { concurrency, discard: true }
        )
        yield* Effect.forEach(gone, (asset) => attempt(op, () => views.delete(viewKey(asset))), {
          concurrency,
          discard: true
        })
        yield* advance(op, c.projection, c.position)
      })

    const reset = (projection: string) =>
      Effect.gen(function*() {
        // The checkpoint goes first: views left behind by a torn reset are replayed over, while
        // a checkpoint left behind would hide the missing views from the projector.
        yield* attempt("reset", () => checkpoints.purge(encodeToken(projection)))
        // A KV bucket is the stream `KV_<bucket>`; purging it drops entries and markers alike.
        yield* attempt("reset", () => jsm.streams.purge(`KV_${names.views}`))
        yield* attempt("reset", () => jsm.streams.purge(`KV_${names.index}`))
      })

    return ProjectionStore.ProjectionStore.of({
      get: (asset) => Effect.map(readView("get", asset), Option.fromNullable),
      byContext,
      list,
      commit,
      checkpoint: (projection) => readCheckpoint("checkpoint", projection),
      saveCheckpoint: (projection, position) => advance("saveCheckpoint", projection, position),
      reset
    })
  })

/**
 * The store with a connection of its own, closed when the layer is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options & NatsConnection.Options
): Layer.Layer<
  ProjectionStore.ProjectionStore,
  Errors.ProjectionStoreError | NatsConnection.NatsConnectionError
> =>
  Layer.effect(ProjectionStore.ProjectionStore, make(options)).pipe(
    Layer.provide(NatsConnection.layer(options))
  )

/**
 * The store on a connection the host provides, to share one connection across the adapter.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithConnection = (
  options: Options = {}
): Layer.Layer<
  ProjectionStore.ProjectionStore,
  Errors.ProjectionStoreError,
  NatsConnection.NatsConnection
> => Layer.effect(ProjectionStore.ProjectionStore, make(options))
