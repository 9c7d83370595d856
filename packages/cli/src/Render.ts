/**
 * What each command prints: the JSON documents of `--json` (snake_case, as the HTTP API spells
 * them) and the aligned text for people.
 *
 * @since 0.1.0
 */
import type { CommandResult, ProjectionStore, Projector, Queries } from "@ctxlog/core"
import { Context, ContextText, Event } from "@ctxlog/core"
import * as Duration from "effect/Duration"
import type { Style } from "./Output.js"
import { oneLine, table } from "./Output.js"

type AssetView = ProjectionStore.AssetView
type RecordedEvent = Event.RecordedEvent

/**
 * @since 0.1.0
 * @category json
 */
export const assetJson = (view: AssetView) => ({
  public_id: view.asset.publicId,
  resource_type: view.asset.resourceType,
  type: view.asset.type,
  revision: view.revision,
  context: Context.toRecord(view.context)
})

/**
 * The result of a write: `public_ids` lists the assets it applied to, changed or not.
 *
 * @since 0.1.0
 * @category json
 */
export const resultJson = (result: CommandResult.CommandResult) => ({
  public_ids: result.applied.map((a) => a.publicId),
  not_found: result.notFound.map((a) => a.publicId),
  changed: result.changed.map((a) => a.publicId),
  revisions: Object.fromEntries(result.revisions.map((r) => [r.asset.publicId, r.revision])),
  position: result.position,
  command_id: result.commandId,
  duplicate: result.duplicate
})

/**
 * @since 0.1.0
 * @category json
 */
export const eventJson = (e: RecordedEvent) => {
  const diff = Event.diffOf(e.event)
  return {
    revision: e.revision,
    position: e.position,
    timestamp: e.timestamp.toISOString(),
    source: e.source,
    actor: e.actor,
    command_id: e.commandId,
    type: e.event._tag,
    added: diff.added.map(({ key, value }) => ({ key, value })),
    updated: diff.updated.map(({ key, previous, value }) => ({ key, value, previous })),
    removed: diff.removed.map(({ key, previous }) => ({ key, previous }))
  }
}

/**
 * @since 0.1.0
 * @category json
 */
export const pageJson = (page: Queries.ResultPage) =>
  page.nextCursor === undefined
    ? { resources: page.resources.map(assetJson) }
    : { resources: page.resources.map(assetJson), next_cursor: page.nextCursor }

/**
 * @since 0.1.0
 * @category json
 */
export const summaryJson = (summary: Projector.RebuildSummary) => ({
  events: summary.events,
  assets: summary.assets,
  position: summary.position,
  duration_ms: Math.round(Duration.toMillis(summary.duration))
})

/**
 * What a write command did to each asset it named, one line each.
 *
 * @since 0.1.0
 * @category text
 */
export const resultText = (
  s: Style,
  verb: string,
  result: CommandResult.CommandResult
): Array<string> => {
  const revisions = new Map(result.revisions.map((r) => [r.asset.key, r.revision]))
  const changed = new Set(result.changed.map((a) => a.key))
  const rows = [
    ...result.applied.map((a) =>
      changed.has(a.key)
        ? [s.green(verb), a.path, s.dim(`revision ${revisions.get(a.key) ?? "?"}`)]
        : [s.dim("unchanged"), a.path, ""]
    ),
    ...result.notFound.map((a) => [s.red("not found"), a.path, ""])
  ]
  const lines = table(rows)
  if (result.duplicate) {
    lines.push(s.dim(`command ${result.commandId} was applied before; this is its first result`))
  }
  return lines
}

const contextRows = (s: Style, context: Context.Context) =>
  context.map(({ key, value }) => [`  ${s.cyan(oneLine(key))}`, oneLine(value)])

/**
 * @since 0.1.0
 * @category text
 */
export const assetText = (s: Style, view: AssetView, asOf: string | undefined): Array<string> => {
  const head = [
    s.bold(view.asset.path),
    s.dim(`revision ${view.revision}`),
    s.dim(asOf === undefined ? `updated ${view.updatedAt.toISOString()}` : `as of ${asOf}`)
  ].join("  ")
  return view.context.length === 0
    ? [head, s.dim("  (no context)")]
    : [head, ...table(contextRows(s, view.context))]
}

const changesText = (s: Style, e: RecordedEvent): string => {
  const diff = Event.diffOf(e.event)
  const parts = [
    ...diff.added.map(({ key, value }) => s.green(`+${oneLine(key)}=${oneLine(value)}`)),
    ...diff.updated.map(({ key, previous, value }) =>
      s.yellow(`~${oneLine(key)}=${oneLine(value)}`) + s.dim(` (was ${oneLine(previous)})`)
    ),
    ...diff.removed.map(({ key, previous }) =>
      s.red(`-${oneLine(key)}`) + s.dim(` (was ${oneLine(previous)})`)
    )
  ]
  return parts.length === 0 ? s.dim("(no change)") : parts.join(" ")
}

const eventNames: Record<RecordedEvent["event"]["_tag"], string> = {
  AssetUploaded: "uploaded",
  ContextChanged: "changed",
  AssetDeleted: "deleted"
}

/**
 * @since 0.1.0
 * @category text
 */
export const historyText = (s: Style, events: ReadonlyArray<RecordedEvent>): Array<string> =>
  table([
    ["REV", "POSITION", "TIME", "SOURCE", "ACTOR", "EVENT", "CHANGES"].map(s.bold),
    ...events.map((e) => [
      String(e.revision),
      String(e.position),
      e.timestamp.toISOString(),
      e.source,
      e.actor,
      eventNames[e.event._tag],
      changesText(s, e)
    ])
  ])

/**
 * @since 0.1.0
 * @category text
 */
export const assetsText = (s: Style, views: ReadonlyArray<AssetView>): Array<string> =>
  table([
    ["PUBLIC_ID", "RESOURCE_TYPE", "TYPE", "REVISION", "CONTEXT"].map(s.bold),
    ...views.map((v) => [
      oneLine(v.asset.publicId),
      v.asset.resourceType,
      v.asset.type,
      String(v.revision),
      oneLine(ContextText.encode(v.context))
    ])
  ])

/**
 * @since 0.1.0
 * @category text
 */
export const summaryText = (summary: Projector.RebuildSummary): string => {
  const { assets, duration_ms, events, position } = summaryJson(summary)
  return `replayed ${events} events of ${assets} assets up to position ${position} in ` +
    `${duration_ms} ms`
}
