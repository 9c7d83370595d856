import { AssetId, Event, EventCodec } from "@ctxlog/core"
import { describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { expect } from "vitest"

const shirt = AssetId.make({ cloud: "demo", publicId: "folder/shirt 1" })
const timestamp = new Date("2026-12-03T08:00:00.123Z")

const recorded = (event: Event.DomainEvent) =>
  Event.record(
    new Event.PendingEvent({
      eventId: "e1",
      asset: shirt,
      commandId: "c1",
      source: "ui",
      actor: "key1",
      timestamp,
      batch: { index: 1, size: 2 },
      event
    }),
    { revision: 3, position: 9 }
  )

const v1 = (event: unknown) => ({
  schemaVersion: 1,
  eventId: "old",
  asset: { cloud: "demo", resourceType: "image", type: "upload", publicId: "folder/shirt 1" },
  revision: 2,
  position: 5,
  commandId: "c0",
  actor: "key0",
  timestamp: "2024-01-01T00:00:00.000Z",
  event
})

describe("EventCodec", () => {
  it("round-trips every event of the current version through JSON", () => {
    for (
      const event of [
        new Event.AssetUploaded({
          context: [{ key: "a", value: "1" }],
          added: [{ key: "a", value: "1" }],
          updated: [],
          removed: [{ key: "b", previous: "2" }]
        }),
        new Event.ContextChanged({
          added: [],
          updated: [{ key: "k", value: "new", previous: "old" }],
          removed: []
        }),
        new Event.AssetDeleted({ removed: [{ key: "k", previous: "v" }] })
      ]
    ) {
      const original = recorded(event)
      const json = EventCodec.toJson(original)
      expect(JSON.parse(json).schemaVersion).toBe(Event.CURRENT_SCHEMA_VERSION)
      expect(Either.getOrThrow(EventCodec.fromJson(json))).toStrictEqual(original)
    }
  })

  it("upcasts a version 1 change, splitting set keys into added and updated", () => {
    const decoded = Either.getOrThrow(EventCodec.decode(v1({
      _tag: "ContextChanged",
      set: [{ key: "new", value: "1" }, { key: "old", value: "2", previous: "1" }],
      removed: [{ key: "gone", previous: "x" }]
    })))
    expect(decoded.event).toEqual(
      new Event.ContextChanged({
        added: [{ key: "new", value: "1" }],
        updated: [{ key: "old", value: "2", previous: "1" }],
        removed: [{ key: "gone", previous: "x" }]
      })
    )
    expect(decoded.source).toBe("api")
    expect(decoded.batch).toEqual({ index: 0, size: 1 })
    expect(decoded.schemaVersion).toBe(1)
    expect([decoded.revision, decoded.position, decoded.asset.key]).toEqual([2, 5, shirt.key])
  })

  it("upcasts a version 1 upload, deriving its diff from the context it replaced", () => {
    const decoded = Either.getOrThrow(EventCodec.decode(v1({
      _tag: "AssetUploaded",
      context: [{ key: "a", value: "2" }],
      previous: [{ key: "a", value: "1" }, { key: "b", value: "1" }]
    })))
    expect(decoded.event).toEqual(
      new Event.AssetUploaded({
        context: [{ key: "a", value: "2" }],
        added: [],
        updated: [{ key: "a", value: "2", previous: "1" }],
        removed: [{ key: "b", previous: "1" }]
      })
    )
  })

  it("upcasts a version 1 delete", () => {
    const decoded = Either.getOrThrow(EventCodec.decode(v1({ _tag: "AssetDeleted", removed: [] })))
    expect(decoded.event).toEqual(new Event.AssetDeleted({ removed: [] }))
  })

  it("refuses an event written by a newer release, saying so", () => {
    const result = EventCodec.decode({
      ...EventCodec.encode(recorded(new Event.AssetDeleted({ removed: [] }))),
      schemaVersion: 3
    })
    expect(Either.isLeft(result) && result.left.message).toBe(
      "cannot decode a stored event of schema version 3: this release reads versions up to 2; " +
        "the event was written by a newer one"
    )
  })

  it("refuses malformed records with a typed error naming the problem", () => {
    const bad = EventCodec.decode({ schemaVersion: 2, eventId: 1 })
    expect(Either.isLeft(bad) && bad.left._tag).toBe("EventDecodeError")
    expect(Either.isLeft(bad) && bad.left.detail).toContain("eventId")
    const notJson = EventCodec.fromJson("{nope")
    expect(Either.isLeft(notJson) && notJson.left._tag).toBe("EventDecodeError")
    const noVersion = EventCodec.decode({})
    expect(Either.isLeft(noVersion) && noVersion.left.detail).toBe(
      "the record has no known schemaVersion"
    )
  })
})
