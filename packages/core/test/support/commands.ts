import { Command, Context } from "@ctxlog/core"
import type { AssetId } from "@ctxlog/core"

let counter = 0
const at = new Date("2026-12-03T08:00:00.000Z")

const meta = (o: { commandId?: string; source?: "api" | "ui"; timestamp?: Date } = {}) => ({
  commandId: o.commandId ?? `test-${++counter}`,
  source: o.source ?? "api" as const,
  actor: "tester",
  timestamp: o.timestamp ?? at
})

type Meta = Parameters<typeof meta>[0] & { expectedRevision?: number }

const pairs = (record: Record<string, string>) =>
  Object.entries(record).map(([key, value]) => ({ key, value }))

export const upload = (asset: AssetId.AssetId, context: Record<string, string> = {}, o?: Meta) =>
  new Command.Upload({
    ...meta(o),
    asset,
    context: pairs(context),
    expectedRevision: o?.expectedRevision
  })

export const add = (
  assets: ReadonlyArray<AssetId.AssetId>,
  context: Record<string, string> | ReadonlyArray<Context.Pair>,
  o?: Meta
) =>
  new Command.AddContext({
    ...meta(o),
    assets,
    pairs: Array.isArray(context) ? context : pairs(context as Record<string, string>)
  })

export const removeAll = (assets: ReadonlyArray<AssetId.AssetId>, o?: Meta) =>
  new Command.RemoveAllContext({ ...meta(o), assets })

export const replace = (asset: AssetId.AssetId, context: Record<string, string>, o?: Meta) =>
  new Command.ReplaceContext({
    ...meta(o),
    asset,
    context: pairs(context),
    expectedRevision: o?.expectedRevision
  })

export const removeKeys = (
  assets: ReadonlyArray<AssetId.AssetId>,
  keys: ReadonlyArray<string>,
  o?: Meta
) => new Command.RemoveKeys({ ...meta(o), assets, keys })

export const remove = (assets: ReadonlyArray<AssetId.AssetId>, o?: Meta) =>
  new Command.DeleteAssets({ ...meta(o), assets })

export const ctx = (record: Record<string, string>): Context.Context => Context.fromRecord(record)
