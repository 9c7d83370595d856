/**
 * An asset's context as it was at one revision, read-only, with who saved that revision.
 */
import type { HistoryEvent, Pair } from "./Api.js"
import type { Child } from "./Dom.js"
import { h, time } from "./Dom.js"
import { sourceName } from "./LiveStream.js"

export const render = (
  revision: number,
  pairs: ReadonlyArray<Pair>,
  event: HistoryEvent | undefined
): ReadonlyArray<Child> => [
  event === undefined ? null : h(
    "p",
    { class: "meta" },
    "Saved by ",
    h("strong", {}, event.actor),
    ` (${sourceName(event.source)}) · `,
    time(event.timestamp)
  ),
  pairs.length === 0
    ? h("p", { class: "muted" }, "No context at this revision.")
    : h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "as-of-table" },
        h("caption", { class: "visually-hidden" }, `Context as of revision ${revision}`),
        h(
          "thead",
          {},
          h("tr", {}, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Value"))
        ),
        h(
          "tbody",
          {},
          pairs.map((p) =>
            h(
              "tr",
              {},
              h("td", { "data-label": "Key" }, h("code", {}, p.key)),
              h("td", { "data-label": "Value" }, p.value)
            )
          )
        )
      )
    )
]
