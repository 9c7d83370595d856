/**
 * The projection store on NATS KV buckets, so that a NATS deployment needs no other database.
 * Three buckets share a prefix (`ctxlog` unless set):
 *
 * - `<prefix>_views`: one entry per asset, `<cloud>.<resource_type>.<type>.<public id>`. A live
 *   asset's value is its view as JSON, plus `seqs`, the stream sequence of the put that wrote
 *   each of its index entries, and `retiring`, index entries it has dropped and not yet removed.
 *   A deleted asset's entry is its tombstone: a KV delete marker (other KV clients see no key)
 *   whose payload is `{"deleted": <position>}`, the position of the commit that deleted it, and
 *   `retiring` while its view's index entries are being removed.
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
 * Several processes may commit the same projection to one bucket set at once, at any speeds.
 * KV has no transaction over several keys, so each asset's entry in `_views` is the arbiter:
 * a commit writes it with compare-and-set on the KV revision it read, and on losing reads it
 * again and decides again. A change is written only if it is newer than what the entry holds:
 *
 * - a view replaces a view of lower revision, and a tombstone of lower position than its own;
 * - a delete in a commit at position P replaces a view whose position is at most P, raises a
 *   tombstone below P to P, and writes a tombstone where there is no entry. A commit at P that
 *   deletes an asset says that the asset's last event up to P deleted it: every view of it up to
 *   P is older, and an upload that brings it back comes after P, so the tombstone refuses a late
 *   replay of the old views without refusing the new upload.
 *
 * So a process that is behind never takes a view back, and one that replays from an old
 * checkpoint after a crash applies nothing twice. The checkpoint only moves forward, by
 * compare-and-set too.
 *
 * The index holds every entry of every current view at every moment, and at most some extras.
 * A writer puts the entries its view adds before it writes the view. The entries the view drops
 * are removed only by the writer whose compare-and-set succeeded, after it, and each removal
 * expects the sequence that the replaced view recorded for the entry: a later view that has the
 * entry again has put it again, under a newer sequence, so a removal however late can take only
 * a put no view relies on. The dropped entries travel in `retiring` until they are removed; a
 * writer that dies first leaves them to whichever writer reads the entry next, which removes
 * them or carries them on. A commit costs one read per asset, one put per added entry, one write
 * per asset, one removal per dropped entry and, for an asset that dropped some, one more write to
 * clear `retiring`. A query reads each view as it is then: during a commit it may see some
 * assets before it and others after.
 *
 * @since 0.1.0
 */
import { AssetId, Errors, ProjectionStore, SearchExpression, SearchPlan } from "@ctxlog/core"
import { StorageType } from "@nats-io/jetstream"
import type { KV, KvEntry } from "@nats-io/kv"
import { Kvm } from "@nats-io/kv"
import { headers } from "@nats-io/transport-node"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
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
 * A context's index entries without the cloud and identity that all of one asset's share,
 * `k.<key>` and `v.<key>.<value>`, in the context's order: the short form that a view's entry
 * keeps its index sequences and its retiring entries in.
 */
const indexParts = (context: ProjectionStore.AssetView["context"]): ReadonlyArray<string> => {
  const out = new Set<string>()
  for (const { key, value } of context) {
    out.add(`k.${indexToken(key)}`)
    out.add(`v.${indexToken(key)}.${indexToken(value)}`)
  }
  return [...out]
}

/** The index key of a part: the kind, the cloud, the part's tokens, the identity. */
const indexKeyOf = (asset: AssetId.AssetId, part: string) =>
  `${part.slice(0, 1)}.${encodeToken(asset.cloud)}${part.slice(1)}.${idTokens(asset)}`

/**
 * The index keys of a view: one per context key, one per pair.
 *
 * @since 0.1.0
 * @category encoding
 */
export const indexKeys = (view: ProjectionStore.AssetView): ReadonlyArray<string> =>
  indexParts(view.context).map((part) => indexKeyOf(view.asset, part))

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

/** An index entry that a view has dropped: its part, and the sequence of the put to remove. */
type Retiring = readonly [part: string, seq: number]

/**
 * An asset's entry in the views bucket as a commit reads it, with the KV revision it was read
 * at (0 for no entry), which a write of the entry expects.
 */
type Stored =
  | {
    readonly _tag: "View"
    readonly revision: number
    readonly view: ProjectionStore.AssetView
    /** The sequences of the view's index entries, in `indexParts` order; 0 where unknown. */
    readonly seqs: ReadonlyArray<number>
    readonly retiring: ReadonlyArray<Retiring>
  }
  | {
    readonly _tag: "Tombstone"
    readonly revision: number
    /** The position of the commit that deleted the asset; 0 when none did, or none said. */
    readonly position: number
    readonly retiring: ReadonlyArray<Retiring>
  }

const RetiringList = Schema.optionalWith(
  Schema.Array(Schema.Tuple(Schema.String, Schema.Int.pipe(Schema.positive()))),
  { default: () => [] }
)
/** What a view's entry holds besides the view; an entry without `seqs` predates them. */
const Bookkeeping = Schema.Struct({
  seqs: Schema.optional(Schema.Array(Schema.NonNegativeInt)),
  retiring: RetiringList
})
const TombstoneFields = Schema.Struct({ deleted: Schema.NonNegativeInt, retiring: RetiringList })
const decodeJson = Schema.decodeUnknownEither(Schema.parseJson())
const encodeViewFields = Schema.encodeSync(ProjectionStore.AssetView)
const decodeViewFields = Schema.decodeUnknownEither(ProjectionStore.AssetView)
const decodeBookkeeping = Schema.decodeUnknownEither(Bookkeeping)
const decodeTombstone = Schema.decodeUnknownEither(TombstoneFields)

const encodeStored = (stored: Stored): string => {
  const retiring = stored.retiring.length > 0 ? { retiring: stored.retiring } : {}
  return JSON.stringify(
    stored._tag === "View"
      ? { ...encodeViewFields(stored.view), seqs: stored.seqs, ...retiring }
      : { deleted: stored.position, ...retiring }
  )
}

/** The entry a read found, or why it is not one this store wrote. */
const decodeStored = (entry: KvEntry | null): Either.Either<Stored, string> => {
  if (entry === null) {
    return Either.right({ _tag: "Tombstone", revision: 0, position: 0, retiring: [] })
  }
  const revision = entry.revision
  if (entry.operation !== "PUT") {
    // A marker without a payload is a plain delete or purge: it says nothing of when.
    if (entry.value.length === 0) {
      return Either.right({ _tag: "Tombstone", revision, position: 0, retiring: [] })
    }
    return decodeJson(entry.string()).pipe(
      Either.flatMap(decodeTombstone),
      Either.mapLeft((e) => e.message),
      Either.map((t) => ({
        _tag: "Tombstone",
        revision,
        position: t.deleted,
        retiring: t.retiring
      }))
    )
  }
  return Either.gen(function*() {
    const json = yield* Either.mapLeft(decodeJson(entry.string()), (e) => e.message)
    const view = yield* Either.mapLeft(decodeViewFields(json), (e) => e.message)
    const book = yield* Either.mapLeft(decodeBookkeeping(json), (e) => e.message)
    const parts = indexParts(view.context).length
    // Not yet: a view written before `seqs` were kept has sequence 0 for every entry, and an
    // entry it drops is never removed: an extra until a rebuild, costing lookups a view read.
    const seqs = book.seqs ?? Array.from({ length: parts }, () => 0)
    if (seqs.length !== parts) {
      return yield* Either.left(`it has ${seqs.length} index sequences for ${parts} entries`)
    }
    return { _tag: "View", revision, view, seqs, retiring: book.retiring } as const
  })
}

/** What a commit asks of one asset. */
type Change =
  | {
    readonly _tag: "Upsert"
    readonly asset: AssetId.AssetId
    readonly view: ProjectionStore.AssetView
  }
  | { readonly _tag: "Delete"; readonly asset: AssetId.AssetId; readonly position: number }

/** The multi-writer rule of the module's comment: whether a change is newer than the entry. */
const supersedes = (change: Change, stored: Stored): boolean => {
  switch (change._tag) {
    case "Upsert":
      return stored._tag === "View"
        ? change.view.revision > stored.view.revision
        : change.view.position > stored.position
    case "Delete":
      return stored._tag === "View"
        ? stored.view.position <= change.position
        : change.position > stored.position
  }
}

/**
 * The index work of replacing an entry: the parts to put, the sequences carried over from the
 * replaced view, and what to retire — the replaced view's parts that the change drops, and the
 * retiring parts it leaves unfinished. An unknown sequence (0) is never retired.
 */
const planFor = (change: Change, stored: Stored) => {
  const had = new Map<string, number>()
  if (stored._tag === "View") {
    indexParts(stored.view.context).forEach((part, i) => had.set(part, stored.seqs[i]!))
  }
  const parts = change._tag === "Upsert" ? indexParts(change.view.context) : []
  const kept = new Set(parts)
  const retiring: Array<Retiring> = []
  for (const dropped of [...had, ...stored.retiring]) {
    if (!kept.has(dropped[0]) && dropped[1] > 0) retiring.push(dropped)
  }
  return { parts, added: parts.filter((part) => !had.has(part)), had, retiring }
}

/**
 * The entry that brings an asset to a change, given the sequences that the puts of its added
 * parts returned; its revision stays 0 until it is written.
 */
const entryFor = (
  change: Change,
  plan: ReturnType<typeof planFor>,
  put: ReadonlyMap<string, number>
): Stored => {
  if (change._tag === "Delete") {
    return { _tag: "Tombstone", revision: 0, position: change.position, retiring: plan.retiring }
  }
  const seqs = plan.parts.map((part) => plan.had.get(part) ?? put.get(part)!)
  return { _tag: "View", revision: 0, view: change.view, seqs, retiring: plan.retiring }
}

const storeError = (operation: string) => (cause: unknown) =>
  new Errors.ProjectionStoreError({ operation, detail: describe(cause), cause })

const attempt = <A>(operation: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: storeError(operation) })

/** A write that expects a sequence: none when another write came first. */
const guarded = <A>(operation: string, f: () => Promise<A>) =>
  attempt(operation, () =>
    f().then(Option.some<A>, (error: unknown) => {
      if (apiCode(error) === WRONG_LAST_SEQUENCE) return Option.none<A>()
      throw error
    }))

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

    const readStored = (operation: string, asset: AssetId.AssetId) =>
      attempt(operation, () => views.get(viewKey(asset))).pipe(
        Effect.flatMap((entry) =>
          Either.match(decodeStored(entry), {
            onRight: Effect.succeed,
            onLeft: (why) =>
              new Errors.ProjectionStoreError({
                operation,
                detail: `the entry ${viewKey(asset)} of bucket ${names.views} is neither a ` +
                  `view nor a tombstone: ${why}`
              })
          })
        )
      )

    const readView = (operation: string, asset: AssetId.AssetId) =>
      Effect.map(readStored(operation, asset), (s) => s._tag === "View" ? s.view : undefined)

    /** Writes an asset's entry if it is still at `expected`; its new revision, or none. */
    const writeStored = (operation: string, key: string, expected: number, next: Stored) =>
      guarded(operation, async () => {
        if (next._tag === "View") {
          // Not `create` for a missing entry: it would write over a tombstone unasked.
          return views.put(key, encodeStored(next), { previousSeq: expected })
        }
        // The client's delete writes no payload, and sends no expectation for revision 0, so
        // the marker is written as the KV protocol defines it: a message to `$KV.<bucket>.<key>`
        // with the header `KV-Operation: DEL`.
        const h = headers()
        h.set("KV-Operation", "DEL")
        const ack = await js.publish(`$KV.${names.views}.${key}`, encodeStored(next), {
          headers: h,
          expect: { lastSubjectSequence: expected }
        })
        return ack.seq
      })

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

    /** The identities in the keys under a filter: `length` tokens, the cloud's at `at`. */
    const identitiesUnder = (
      op: string,
      bucket: KV,
      name: string,
      filter: string,
      length: number,
      at: number
    ) =>
      Effect.flatMap(keysUnder(op, bucket, filter), (keys) => {
        const ids: Array<AssetId.AssetId> = []
        for (const key of keys) {
          const id = identityOf(key, length, at)
          if (id === undefined) return Effect.fail(foreignKey(op, name, key))
          ids.push(id)
        }
        return Effect.succeed(ids)
      })

    const byContext = (q: ProjectionStore.ByContextQuery) =>
      Effect.gen(function*() {
        if (q.limit <= 0) return []
        const op = "byContext"
        const cloud = encodeToken(q.cloud)
        const filter = q.value === undefined
          ? `k.${cloud}.${indexToken(q.key)}.${scopeFilter(q)}`
          : `v.${cloud}.${indexToken(q.key)}.${indexToken(q.value)}.${scopeFilter(q)}`
        const length = q.value === undefined ? 6 : 7
        const ids = yield* identitiesUnder(op, index, names.index, filter, length, 1)
        return yield* page(op, q, ids, (view) =>
          view.context.some((p) =>
            p.key === q.key && (q.value === undefined || p.value === q.value)
          ))
      })

    const list = (q: ProjectionStore.ListQuery) =>
      Effect.gen(function*() {
        if (q.limit <= 0) return []
        const op = "list"
        const filter = `${encodeToken(q.cloud)}.${scopeFilter(q)}`
        const listed = yield* identitiesUnder(op, views, names.views, filter, 4, 0)
        // Subject wildcards match whole tokens only, so the prefix is checked here.
        const ids = q.prefix === undefined
          ? listed
          : listed.filter((id) => id.publicId.startsWith(q.prefix!))
        return yield* page(op, q, ids, () => true)
      })

    /**
     * The identities a plan may hold, read from index keys alone, or "all" when subjects cannot
     * bound it. Subject filters match whole tokens, so exact values and keys are filtered by the
     * server; a range of values, a public id prefix and the words of public ids are decided here
     * from the tokens of the keys listed (no view is read for them); words of context values
     * have no index here, so they are bounded by the key when it is known and by the whole cloud
     * when it is not, and creation times are only in the views.
     */
    // Not yet: a word index. Word entries would change how many index sequences a stored view
    // holds, and views written without them would fail to read; that needs a format migration.
    const cloudIds = (op: string, cloud: string) =>
      identitiesUnder(op, views, names.views, `${encodeToken(cloud)}.*.*.*`, 4, 0)

    const candidateIds = (
      op: string,
      cloud: string,
      plan: SearchPlan.Plan
    ): Effect.Effect<ReadonlyArray<AssetId.AssetId> | "all", Errors.ProjectionStoreError> =>
      Effect.gen(function*() {
        const c = encodeToken(cloud)
        const listed = (bucket: KV, name: string, filter: string, length: number, at: number) =>
          identitiesUnder(op, bucket, name, filter, length, at)
        const ofKey = (key: string) =>
          listed(index, names.index, `k.${c}.${indexToken(key)}.*.*.*`, 6, 1)
        switch (plan._tag) {
          case "Value":
            return yield* listed(
              index,
              names.index,
              `v.${c}.${indexToken(plan.key)}.${indexToken(plan.value)}.*.*.*`,
              7,
              1
            )
          case "Key":
            return yield* ofKey(plan.key)
          case "Range": {
            const keys = yield* keysUnder(op, index, `v.${c}.${indexToken(plan.key)}.*.*.*.*`)
            const ids: Array<AssetId.AssetId> = []
            for (const key of keys) {
              const id = identityOf(key, 7, 1)
              if (id === undefined) return yield* foreignKey(op, names.index, key)
              const token = key.split(".")[3]!
              const value = token.startsWith("_h") ? Option.none() : decodeToken(token)
              // A hashed value is kept and decided when its view is read.
              if (Option.isNone(value) || SearchPlan.inRange(value.value, plan.lower, plan.upper)) {
                ids.push(id)
              }
            }
            return ids
          }
          case "Word":
            if (plan.field._tag === "Context") return yield* ofKey(plan.field.key)
            if (plan.field._tag === "Any") return "all"
            return (yield* cloudIds(op, cloud)).filter((id) => {
              const words = SearchExpression.words(id.publicId)
              return plan.prefix
                ? words.some((w) => w.startsWith(plan.word))
                : words.includes(plan.word)
            })
          case "CreatedAt":
            // Creation times are inside the views only.
            return "all"
          case "PublicId":
            return (yield* cloudIds(op, cloud)).filter((id) =>
              plan.prefix ? id.publicId.startsWith(plan.value) : id.publicId === plan.value
            )
          case "And": {
            let narrowest: ReadonlyArray<AssetId.AssetId> | "all" = "all"
            for (const part of plan.plans) {
              const ids = yield* candidateIds(op, cloud, part)
              if (ids !== "all" && (narrowest === "all" || ids.length < narrowest.length)) {
                narrowest = ids
              }
            }
            return narrowest
          }
          case "Or": {
            const all = new Map<string, AssetId.AssetId>()
            for (const part of plan.plans) {
              const ids = yield* candidateIds(op, cloud, part)
              if (ids === "all") return "all"
              for (const id of ids) all.set(id.key, id)
            }
            return [...all.values()]
          }
        }
      })

    const search = (q: ProjectionStore.SearchQuery) =>
      Effect.gen(function*() {
        const op = "search"
        const found = yield* candidateIds(op, q.cloud, q.plan)
        const ids = found !== "all" ? found : yield* cloudIds(op, q.cloud)
        const unique = [...new Map(ids.map((id) => [id.key, id])).values()]
        const read = yield* Effect.forEach(unique, (id) => readView(op, id), { concurrency })
        return read.filter((view): view is ProjectionStore.AssetView =>
          view !== undefined && SearchPlan.matches(q.plan, view)
        )
      })

    /**
     * Subjects have no distinct-token listing, so the keys are found by listing every key entry
     * of the cloud (O(pairs), without values); a key long enough to be written as its hash is
     * read from a view that has it.
     */
    const keys = (q: ProjectionStore.KeysQuery) =>
      Effect.gen(function*() {
        const op = "keys"
        if (q.limit <= 0) return []
        const listed = yield* keysUnder(op, index, `k.${encodeToken(q.cloud)}.*.*.*.*`)
        const found = new Map<string, AssetId.AssetId | undefined>()
        for (const key of listed) {
          const token = key.split(".")[2]!
          if (found.has(token)) continue
          found.set(token, token.startsWith("_h") ? identityOf(key, 6, 1) : undefined)
        }
        const out = new Set<string>()
        for (const [token, id] of found) {
          if (id === undefined) {
            const text = decodeToken(token)
            if (Option.isSome(text)) out.add(text.value)
            continue
          }
          const view = yield* readView(op, id)
          for (const pair of view?.context ?? []) {
            if (indexToken(pair.key) === token) out.add(pair.key)
          }
        }
        const prefix = q.prefix ?? ""
        return [...out]
          .filter((key) =>
            key.startsWith(prefix) &&
            (q.after === undefined || AssetId.compareCodePoints(key, q.after) > 0)
          )
          .sort(AssetId.compareCodePoints)
          .slice(0, q.limit)
      })

    const readAll = (operation: string, changes: ReadonlyArray<Change>) =>
      Effect.forEach(changes, (change) => readStored(operation, change.asset), { concurrency })

    /**
     * Commits in phases, each over every asset at once: read the entries; put the index entries
     * of the changes that are newer; write those entries; read again where another writer came
     * first, and go round again with those; then remove what the written entries retire, and
     * write them again settled.
     */
    const commit = (c: ProjectionStore.Commit) =>
      Effect.gen(function*() {
        const op = "commit"
        if (c.position <= (yield* readCheckpoint(op, c.projection))) return
        const changes = new Map<string, Change>()
        for (const asset of c.deletes) {
          changes.set(asset.key, { _tag: "Delete", asset, position: c.position })
        }
        for (const view of c.upserts) {
          changes.set(view.asset.key, { _tag: "Upsert", asset: view.asset, view })
        }

        /** Entries written with parts to retire: the revision written, and the settled entry. */
        const retirements: Array<{
          readonly asset: AssetId.AssetId
          readonly revision: number
          readonly settled: Stored
          readonly retiring: ReadonlyArray<Retiring>
        }> = []
        const retireAfter = (asset: AssetId.AssetId, revision: number, stored: Stored) => {
          if (stored.retiring.length === 0) return
          retirements.push({
            asset,
            revision,
            settled: { ...stored, retiring: [] },
            retiring: stored.retiring
          })
        }

        let round = [...changes.values()]
        let found = yield* readAll(op, round)
        while (round.length > 0) {
          const attempts: Array<{
            readonly change: Change
            readonly stored: Stored
            readonly plan: ReturnType<typeof planFor>
            readonly put: Map<string, number>
          }> = []
          round.forEach((change, i) => {
            const stored = found[i]!
            if (supersedes(change, stored)) {
              attempts.push({ change, stored, plan: planFor(change, stored), put: new Map() })
            } else {
              // Applied already, maybe by another process: finish what its writer left.
              retireAfter(change.asset, stored.revision, stored)
            }
          })
          const puts = attempts.flatMap((a) => a.plan.added.map((part) => ({ a, part })))
          yield* Effect.forEach(puts, ({ a, part }) =>
            attempt(op, () => index.put(indexKeyOf(a.change.asset, part), "")).pipe(
              Effect.map((seq) => a.put.set(part, seq))
            ), { concurrency, discard: true })
          const entries = attempts.map(({ change, plan, put }) =>
            entryFor(change, plan, put)
          )
          const written = yield* Effect.forEach(
            attempts,
            ({ change, stored }, i) =>
              writeStored(op, viewKey(change.asset), stored.revision, entries[i]!),
            { concurrency }
          )
          round = []
          attempts.forEach(({ change }, i) => {
            const revision = written[i]!
            if (Option.isSome(revision)) retireAfter(change.asset, revision.value, entries[i]!)
            // Another writer came first: what it wrote decides whether the change still applies.
            // Not yet: the entries put above stay if it does not, extras until a rebuild purges
            // them; each costs a lookup under its key or value one more view read.
            else round.push(change)
          })
          found = yield* readAll(op, round)
        }

        // Not yet: a removed entry leaves a delete marker until a reset purges the bucket, and
        // listings under its key or value still pass over it; a periodic purge would trim them.
        const removals = retirements.flatMap(({ asset, retiring }) =>
          retiring.map(([part, seq]) => ({ key: indexKeyOf(asset, part), seq }))
        )
        const remove = ({ key, seq }: { key: string; seq: number }) =>
          guarded(op, () => index.delete(key, { previousSeq: seq }))
        yield* Effect.forEach(removals, remove, { concurrency, discard: true })
        // If another writer wrote an entry meanwhile, it read the list and took it over.
        yield* Effect.forEach(
          retirements,
          ({ asset, revision, settled }) => writeStored(op, viewKey(asset), revision, settled),
          { concurrency, discard: true }
        )
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
      search,
      keys,
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
