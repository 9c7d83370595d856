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

type Json = Record<string, unknown>

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null

const natural = (u: unknown): u is number => Number.isSafeInteger(u) && (u as number) >= 0

const isRevision = (u: unknown): boolean =>
  isObject(u) && typeof u.cloud === "string" && typeof u.resourceType === "string" &&
  typeof u.type === "string" && typeof u.publicId === "string" && natural(u.revision)

/**
 * The envelope's fields, checked by hand: this runs for every event a reader reads, where a
 * schema would cost more than the JSON parse. The event inside goes to the event codec.
 */
const checkWire = (u: unknown): string | undefined => {
  if (!isObject(u)) return "it is not an object"
  if (u.v !== VERSION) return `its envelope version is ${JSON.stringify(u.v)}, not ${VERSION}`
  if (typeof u.key !== "string") return "it has no idempotency key"
  if (!natural(u.prev)) return "it has no previous sequence"
  const part = u.part
  if (
    !isObject(part) || typeof part.id !== "string" || !natural(part.index) ||
    !natural(part.size) || part.size === 0 || (part.index as number) >= part.size
  ) return "its batch part is malformed"
  const result = u.result
  if (result !== undefined) {
    if (!isObject(result)) return "its result is malformed"
    if (result.revisions !== undefined) {
      if (!Array.isArray(result.revisions) || !result.revisions.every(isRevision)) {
        return "the revisions of its result are malformed"
      }
    }
    if (result.receipt !== undefined && typeof result.receipt !== "string") {
      return "the receipt of its result is not text"
    }
  }
  if (!isObject(u.event)) return "it holds no event"
  return undefined
}

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
}): string => {
  const result = input.result
  // A batch of one event writes one stream, whose identity and revision the event has already.
  const own = result !== undefined && input.part.size === 1
  return JSON.stringify({
    v: VERSION,
    key: input.key,
    prev: input.prev,
    part: input.part,
    ...(result === undefined
      ? {}
      : { result: own ? { receipt: result.receipt } : result }),
    event: input.event
  })
}

/** Reads a message of the stream, or says why it is not one that ctxlog wrote. */
export const decode = (seq: number, data: string): Either.Either<Entry, string> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch (cause) {
    return Either.left(`it is not JSON (${String(cause)})`)
  }
  const wrong = checkWire(parsed)
  if (wrong !== undefined) return Either.left(wrong)
  const wire = parsed as {
    readonly key: string
    readonly prev: number
    readonly part: Part
    readonly event: Json
    readonly result?: {
      readonly revisions?: ReadonlyArray<StoredRevision>
      readonly receipt?: string
    }
  }
  wire.event.position = seq
  return Either.map(
    Either.mapLeft(EventCodec.decode(wire.event), (error) => error.message),
    (event): Entry => ({
      seq,
      key: wire.key,
      prev: wire.prev,
      part: wire.part,
      event,
      result: wire.result === undefined ? undefined : {
        key: wire.key,
        position: seq,
        revisions: wire.result.revisions ?? storeRevisions([{
          asset: event.asset,
          revision: event.revision
        }]),
        receipt: wire.result.receipt
      }
    })
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
