/**
 * What the page shows when someone else changed an asset under unsaved edits: the changes made
 * since the revision the edits started from, who made them and through what, and the two ways
 * on — re-apply the edits on the new revision, or discard them. After re-applying, the keys
 * both sides changed are listed, so the user checks them before saving.
 */
import type { HistoryEvent } from "./Api.js"
import type { Clash } from "./ContextDraft.js"
import type { Child } from "./Dom.js"
import { h, time } from "./Dom.js"
import * as HistoryView from "./HistoryView.js"
import { sourceName } from "./LiveStream.js"

export interface Conflict {
  /** The revision the server holds now. */
  readonly revision: number
  /** What happened after the edits' revision. */
  readonly events: ReadonlyArray<HistoryEvent>
  /** Who deleted the asset, when it no longer exists. */
  readonly deletedBy?: string | undefined
}

export const TITLE_ID = "conflict-title"

/** The panel's content; its heading names the region (`aria-labelledby` = `TITLE_ID`). */
export const conflict = (
  c: Conflict,
  since: number,
  actions: { readonly reapply: () => void; readonly discard: () => void }
): ReadonlyArray<Child> => [
  h("h2", { id: TITLE_ID, tabindex: -1 }, "Someone else changed this asset"),
  h(
    "p",
    {},
    c.deletedBy !== undefined
      ? `It was deleted by ${c.deletedBy}. Your edits below are not saved.`
      : `You were editing revision ${since}; it is now at revision ${c.revision}. ` +
        "Your edits below are kept and not saved."
  ),
  c.events.length === 0 ? null : h(
    "ol",
    { class: "conflict-events" },
    c.events.map((e) =>
      h(
        "li",
        {},
        h(
          "p",
          {},
          `Revision ${e.revision} by `,
          h("strong", {}, e.actor),
          ` (${sourceName(e.source)}) · `,
          time(e.timestamp)
        ),
        HistoryView.changeList(e)
      )
    )
  ),
  h(
    "div",
    { class: "actions" },
    c.deletedBy !== undefined ? null : h("button", {
      type: "button",
      class: "primary",
      onclick: actions.reapply
    }, `Re-apply my edits on revision ${c.revision}`),
    h("button", { type: "button", onclick: actions.discard }, "Discard my edits")
  )
]

/** The keys both sides changed, after re-applying. */
export const clashes = (
  list: ReadonlyArray<Clash>,
  dismiss: () => void
): ReadonlyArray<Child> => [
  h("h2", { id: TITLE_ID, tabindex: -1 }, "Your edits are on the new revision"),
  h("p", {}, "These keys were also changed by someone else; your value is the one in the table:"),
  h(
    "ul",
    {},
    list.map((c) =>
      h(
        "li",
        {},
        h("code", {}, c.key),
        ": theirs ",
        c.theirs === undefined ? "removed it" : h("code", {}, c.theirs),
        ", yours ",
        c.mine === undefined ? "removes it" : h("code", {}, c.mine)
      )
    )
  ),
  h("button", { type: "button", onclick: dismiss }, "Dismiss")
]
