/**
 * An asset's history as a timeline, newest first: who (the actor), when, through what (the
 * console or the API) and what changed — pairs added, values updated from old to new, keys
 * removed. Each entry opens the context as it was at that revision.
 */
import type { HistoryEvent } from "./Api.js"
import { h, time } from "./Dom.js"
import { sourceName } from "./LiveStream.js"

const KINDS: Record<HistoryEvent["kind"], string> = {
  AssetUploaded: "uploaded",
  ContextChanged: "context changed",
  AssetDeleted: "deleted"
}

const code = (text: string) => h("code", {}, text)

/** The lines of what one event changed. */
export const changeList = (event: {
  readonly added: ReadonlyArray<{ readonly key: string; readonly value: string }>
  readonly updated: ReadonlyArray<
    { readonly key: string; readonly value: string; readonly previous: string }
  >
  readonly removed: ReadonlyArray<{ readonly key: string; readonly previous: string }>
}): HTMLUListElement | null => {
  const items = [
    ...event.added.map((p) =>
      h(
        "li",
        { class: "added" },
        h("span", { class: "op" }, "Added "),
        code(p.key),
        " = ",
        code(
          p.value
        )
      )
    ),
    ...event.updated.map((p) =>
      h(
        "li",
        { class: "updated" },
        h("span", { class: "op" }, "Updated "),
        code(p.key),
        ": ",
        h("del", {}, code(p.previous)),
        " → ",
        h("ins", {}, code(p.value))
      )
    ),
    ...event.removed.map((p) =>
      h(
        "li",
        { class: "removed" },
        h("span", { class: "op" }, "Removed "),
        code(p.key),
        " (was ",
        code(p.previous),
        ")"
      )
    )
  ]
  return items.length === 0 ? null : h("ul", { class: "changes" }, items)
}

export const render = (
  events: ReadonlyArray<HistoryEvent>,
  options: {
    readonly selected: number | undefined
    readonly onSelect: (revision: number) => void
  }
): HTMLElement => {
  if (events.length === 0) return h("p", { class: "muted" }, "No history.")
  const newest = [...events].sort((a, b) => b.revision - a.revision)
  return h(
    "ol",
    { class: "timeline", reversed: true },
    newest.map((event) => {
      const titleId = `history-${event.revision}`
      const selected = options.selected === event.revision
      return h(
        "li",
        { class: `entry source-${event.source}${selected ? " selected" : ""}` },
        h(
          "article",
          { "aria-labelledby": titleId },
          h("h3", { id: titleId }, `Revision ${event.revision}: ${KINDS[event.kind]}`),
          h(
            "p",
            { class: "meta" },
            "by ",
            h("strong", { class: "actor" }, event.actor),
            " · ",
            h("span", { class: `source source-${event.source}` }, sourceName(event.source)),
            " · ",
            time(event.timestamp)
          ),
          changeList(event) ??
            h("p", { class: "muted" }, event.kind === "AssetUploaded" ? "no context" : "no change"),
          event.kind === "AssetDeleted" ? null : h(
            "button",
            {
              type: "button",
              class: "link",
              "aria-pressed": selected ? "true" : "false",
              onclick: () => options.onSelect(event.revision)
            },
            `Show the context as of revision ${event.revision}`
          )
        )
      )
    })
  )
}
