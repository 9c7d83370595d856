/**
 * The stored form of events, for adapters that keep them outside the process. Every stored event
 * carries the schema version it was written with; decoding upcasts older versions to the current
 * model, so a log written by an earlier release stays readable.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { AssetId } from "./AssetId.js"
import * as Ctx from "./Context.js"
import * as Event from "./Event.js"

/**
 * A stored event that no version of the codec can read.
 *
 * @since 0.1.0
 * @category errors
 */
export class EventDecodeError extends Schema.TaggedError<EventDecodeError>()("EventDecodeError", {
  schemaVersion: Schema.Unknown,
  detail: Schema.String
}) {
  override get message(): string {
    return `cannot decode a stored event of schema version ${String(this.schemaVersion)}: ` +
      this.detail
  }
}

/**
 * The JSON form of the current version.
 *
 * @since 0.1.0
 * @category models
 */
export type Stored = typeof Event.RecordedEvent.Encoded

const encodeCurrent = Schema.encodeSync(Event.RecordedEvent)
const decodeCurrent = Schema.decodeUnknownEither(Event.RecordedEvent)

/**
 * Version 1 wrote one event per command (no batch), knew no sources other than the API, and kept
 * a change as a single list of set keys (`previous` present when the key existed) plus removals;
 * an upload carried the context it replaced.
 */
const V1Pair = Schema.Struct({
  key: Schema.String,
  value: Schema.String,
  previous: Schema.optional(Schema.String)
})
const V1 = Schema.Struct({
  schemaVersion: Schema.Literal(1),
  eventId: Schema.String,
  asset: AssetId,
  revision: Schema.Int.pipe(Schema.positive()),
  position: Schema.Int.pipe(Schema.positive()),
  commandId: Schema.String,
  actor: Schema.String,
  timestamp: Schema.DateFromString,
  event: Schema.Union(
    Schema.TaggedStruct("AssetUploaded", {
      context: Ctx.Context,
      previous: Schema.optional(Ctx.Context)
    }),
    Schema.TaggedStruct("ContextChanged", {
      set: Schema.Array(V1Pair),
      removed: Schema.Array(Ctx.Removed)
    }),
    Schema.TaggedStruct("AssetDeleted", { removed: Schema.Array(Ctx.Removed) })
  )
})
const decodeV1 = Schema.decodeUnknownEither(V1)

const upcastV1 = (old: typeof V1.Type): Event.RecordedEvent => {
  const e = old.event
  let event: Event.DomainEvent
  switch (e._tag) {
    case "AssetUploaded": {
      const change = Ctx.diff(e.previous ?? Ctx.empty, e.context)
      event = new Event.AssetUploaded({ context: e.context, ...change })
      break
    }
    case "ContextChanged": {
      const added: Array<Ctx.Pair> = []
      const updated: Array<Ctx.Updated> = []
      for (const { key, previous, value } of e.set) {
        if (previous === undefined) added.push({ key, value })
        else updated.push({ key, value, previous })
      }
      event = new Event.ContextChanged({ added, updated, removed: e.removed })
      break
    }
    case "AssetDeleted":
      event = new Event.AssetDeleted({ removed: e.removed })
  }
  return new Event.RecordedEvent({
    eventId: old.eventId,
    asset: old.asset,
    commandId: old.commandId,
    source: "api",
    actor: old.actor,
    timestamp: old.timestamp,
    batch: { index: 0, size: 1 },
    event,
    revision: old.revision,
    position: old.position,
    schemaVersion: 1
  })
}

/**
 * @since 0.1.0
 * @category encoding
 */
export const encode = (event: Event.RecordedEvent): Stored => encodeCurrent(event)

type Json = Record<string, unknown>

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null

const strings = (u: unknown, fields: ReadonlyArray<string>): boolean =>
  Array.isArray(u) &&
  u.every((item) => isObject(item) && fields.every((f) => typeof item[f] === "string"))

const positive = (u: unknown): u is number => Number.isSafeInteger(u) && (u as number) > 0

const resourceTypes: ReadonlyArray<unknown> = ["image", "video", "raw"]

/** The domain event of a current-version record, if its shape is right. */
const fastDomain = (u: unknown): Event.DomainEvent | undefined => {
  if (!isObject(u)) return undefined
  const { added, removed, updated } = u
  if (!strings(removed, ["key", "previous"])) return undefined
  const r = removed as Array<Ctx.Removed>
  if (u._tag === "AssetDeleted") return new Event.AssetDeleted({ removed: r }, Event.trusted)
  if (!strings(added, ["key", "value"]) || !strings(updated, ["key", "value", "previous"])) {
    return undefined
  }
  const a = added as Array<Ctx.Pair>
  const up = updated as Array<Ctx.Updated>
  if (u._tag === "ContextChanged") {
    return new Event.ContextChanged({ added: a, updated: up, removed: r }, Event.trusted)
  }
  if (u._tag === "AssetUploaded" && strings(u.context, ["key", "value"])) {
    return new Event.AssetUploaded({
      context: u.context as Array<Ctx.Pair>,
      added: a,
      updated: up,
      removed: r
    }, Event.trusted)
  }
  return undefined
}

/**
 * A current-version record checked by hand, field by field, without the schema: replay decodes
 * every event of the log, and the schema costs several times the JSON parse. Anything this does
 * not accept goes to the schema, which says precisely what is wrong.
 */
const fastCurrent = (u: Json): Event.RecordedEvent | undefined => {
  const { asset, batch } = u
  if (
    typeof u.eventId !== "string" || typeof u.commandId !== "string" ||
    typeof u.actor !== "string" || (u.source !== "api" && u.source !== "ui") ||
    typeof u.timestamp !== "string" || !positive(u.revision) || !positive(u.position) ||
    !isObject(asset) || typeof asset.cloud !== "string" || typeof asset.type !== "string" ||
    typeof asset.publicId !== "string" || !resourceTypes.includes(asset.resourceType) ||
    !isObject(batch) || !Number.isSafeInteger(batch.index) || (batch.index as number) < 0 ||
    !positive(batch.size)
  ) return undefined
  const timestamp = new Date(u.timestamp)
  if (Number.isNaN(timestamp.getTime())) return undefined
  const event = fastDomain(u.event)
  if (event === undefined) return undefined
  return new Event.RecordedEvent({
    eventId: u.eventId,
    asset: new AssetId({
      cloud: asset.cloud as AssetId["cloud"],
      resourceType: asset.resourceType as AssetId["resourceType"],
      type: asset.type as AssetId["type"],
      publicId: asset.publicId as AssetId["publicId"]
    }, Event.trusted),
    commandId: u.commandId,
    source: u.source,
    actor: u.actor,
    timestamp,
    batch: { index: batch.index as number, size: batch.size as number },
    event,
    revision: u.revision,
    position: u.position,
    schemaVersion: Event.CURRENT_SCHEMA_VERSION
  }, Event.trusted)
}

/**
 * Decodes a stored event of any known version into the current model.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (input: unknown): Either.Either<Event.RecordedEvent, EventDecodeError> => {
  if (isObject(input) && input.schemaVersion === Event.CURRENT_SCHEMA_VERSION) {
    const fast = fastCurrent(input)
    if (fast !== undefined) return Either.right(fast)
  }
  const version = typeof input === "object" && input !== null && "schemaVersion" in input
    ? (input as { schemaVersion: unknown }).schemaVersion
    : undefined
  const fail = (error: ParseResult.ParseError) =>
    new EventDecodeError({
      schemaVersion: version,
      detail: ParseResult.TreeFormatter.formatErrorSync(error)
    })
  switch (version) {
    case 1:
      return Either.map(Either.mapLeft(decodeV1(input), fail), upcastV1)
    case Event.CURRENT_SCHEMA_VERSION:
      return Either.mapLeft(decodeCurrent(input), fail)
    default:
      return Either.left(
        new EventDecodeError({
          schemaVersion: version,
          detail: typeof version === "number" && version > Event.CURRENT_SCHEMA_VERSION
            ? `this release reads versions up to ${Event.CURRENT_SCHEMA_VERSION}; ` +
              "the event was written by a newer one"
            : "the record has no known schemaVersion"
        })
      )
  }
}

/**
 * @since 0.1.0
 * @category encoding
 */
export const toJson = (event: Event.RecordedEvent): string =>
  // The encoded form differs from the model only in dates, which JSON.stringify writes as ISO
  // strings just as the schema does; skipping the schema keeps the append path cheap.
  JSON.stringify(event)

/**
 * @since 0.1.0
 * @category decoding
 */
export const fromJson = (json: string): Either.Either<Event.RecordedEvent, EventDecodeError> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch (cause) {
    return Either.left(new EventDecodeError({ schemaVersion: undefined, detail: String(cause) }))
  }
  return decode(parsed)
}
