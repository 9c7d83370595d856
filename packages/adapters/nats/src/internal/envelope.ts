/**
 * What one message of the event stream holds: one event, the batch it belongs to, the sequence
 * of the subject's previous message, and, on a batch's last message, the append's result.
 *
 * A batch of n events is n messages at consecutive stream sequences, each published with the
 * expectation that the one before it is the stream's last. The batch counts only when all n are
 * there; a batch whose run is broken by a message of another writer never happened.
 */
import { AssetId, type Event, EventCodec } from "@ctxlog/core"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

/** The part of a batch a message is. `id` tells attempts of one append apart. */
export interface Part {
  readonly id: string
  readonly index: number
  readonly size: number
}

/** A written stream's revision after an append, as a message keeps it. */
export interface StoredRevision {
  readonly cloud: string
  readonly resourceType: string
  readonly type: string
  readonly publicId: string
  readonly revision: number
}

/** What an append returned, kept on the batch's last message and in the command index. */
export interface StoredResult {
  readonly key: string
  readonly position: number
  readonly revisions: ReadonlyArray<StoredRevision>
  readonly receipt?: string | undefined
}

/** A message of the event stream, read. */
export interface Entry {
  readonly seq: number
  readonly key: string
  /** The sequence of the previous message on the same subject; 0 for the first. */
  readonly prev: number
  readonly part: Part
  readonly event: Event.RecordedEvent
  readonly result?: StoredResult | undefined
}

const VERSION = 1

const Wire = Schema.Struct({
  v: Schema.Literal(VERSION),
  key: Schema.String,
  prev: Schema.NonNegativeInt,
  part: Schema.Struct({
    id: Schema.String,
    index: Schema.NonNegativeInt,
    size: Schema.Int.pipe(Schema.positive())
  }),
  result: Schema.optional(Schema.Struct({
    revisions: Schema.Array(Schema.Struct({
      cloud: Schema.String,
      resourceType: Schema.String,
      type: Schema.String,
      publicId: Schema.String,
      revision: Schema.Int
    })),
    receipt: Schema.optional(Schema.String)
  })),
  event: Schema.Object
})

const decodeWire = Schema.decodeUnknownEither(Wire)

/**
 * The message's text. The event's position is the message's stream sequence, which is not known
 * before it is written; the stored event carries 0 and a reader puts the sequence in.
 */
export const encode = (input: {
  readonly key: string
  readonly prev: number
  readonly part: Part
  readonly event: Event.RecordedEvent
  readonly result?: Omit<StoredResult, "key" | "position"> | undefined
}): string =>
  JSON.stringify({
    v: VERSION,
    key: input.key,
    prev: input.prev,
    part: input.part,
    ...(input.result === undefined ? {} : { result: input.result }),
    event: input.event
  })

/** Reads a message of the stream, or says why it is not one that ctxlog wrote. */
export const decode = (seq: number, data: string): Either.Either<Entry, string> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch (cause) {
    return Either.left(`it is not JSON (${String(cause)})`)
  }
  return Either.flatMap(
    Either.mapLeft(decodeWire(parsed), (error) => error.message),
    (wire) =>
      Either.map(
        Either.mapLeft(
          EventCodec.decode({ ...wire.event, position: seq }),
          (error) => error.message
        ),
        (event): Entry => ({
          seq,
          key: wire.key,
          prev: wire.prev,
          part: wire.part,
          event,
          result: wire.result === undefined
            ? undefined
            : { key: wire.key, position: seq, ...wire.result }
        })
      )
  )
}

/** The revisions of an append as a message keeps them. */
export const storeRevisions = (
  revisions: ReadonlyArray<{ readonly asset: AssetId.AssetId; readonly revision: number }>
): ReadonlyArray<StoredRevision> =>
  revisions.map(({ asset, revision }) => ({
    cloud: asset.cloud,
    resourceType: asset.resourceType,
    type: asset.type,
    publicId: asset.publicId,
    revision
  }))

/** The revisions of an append, back as identities. */
export const loadRevisions = (
  revisions: ReadonlyArray<StoredRevision>
): ReadonlyArray<{ readonly asset: AssetId.AssetId; readonly revision: number }> =>
  revisions.map(({ revision, ...id }) => ({
    asset: new AssetId.AssetId(id as AssetId.AssetId),
    revision
  }))

const StoredResultJson = Schema.parseJson(Schema.Struct({
  key: Schema.String,
  position: Schema.NonNegativeInt,
  revisions: Schema.Array(Schema.Struct({
    cloud: Schema.String,
    resourceType: Schema.String,
    type: Schema.String,
    publicId: Schema.String,
    revision: Schema.Int
  })),
  receipt: Schema.optional(Schema.String)
}))

/** The command index's entry for an idempotency key. */
export const encodeResult = (result: StoredResult): string => JSON.stringify(result)

/** Reads an entry of the command index. */
export const decodeResult = (text: string): Either.Either<StoredResult, string> =>
  Either.mapLeft(Schema.decodeUnknownEither(StoredResultJson)(text), (error) => error.message)
