/**
 * One asset: its context as an editable table, checked as the user types and saved as one
 * command at the revision it was loaded at; its history; and its context as of any revision.
 *
 * While it is open, changes from the change stream are followed. Without unsaved edits the
 * table takes the new context and marks what changed and who changed it. With unsaved edits,
 * or when a save meets a newer revision (409), the page shows what happened and by whom, keeps
 * every edit, and lets the user re-apply them on the new revision or discard them.
 */
import * as Announcer from "./Announcer.js"
import type { AssetRef, AssetView as Asset, HistoryEvent, Notification } from "./Api.js"
import { ApiError } from "./Api.js"
import * as AsOfView from "./AsOfView.js"
import * as ConflictView from "./ConflictView.js"
import * as ContextDraft from "./ContextDraft.js"
import { h, replace, time } from "./Dom.js"
import * as DraftStore from "./DraftStore.js"
import * as HistoryView from "./HistoryView.js"
import * as LiveStream from "./LiveStream.js"
import * as Router from "./Router.js"
import * as Validation from "./Validation.js"
import type { Env, View } from "./View.js"
import { messageOf } from "./View.js"

/** A command id of our own, to tell our saves from other people's changes on the stream. */
const commandId = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return `ui-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

export const make = (env: Env, asset: AssetRef, initialAsOf: number | undefined): View => {
  const { client, live, limits } = env
  const cloud = client.session.cloud
  const route = (asOf: number | undefined) => Router.href({ name: "asset", asset, asOf })

  let current: Asset | undefined
  let draft: ContextDraft.Draft = ContextDraft.make(0, [])
  let problems: ContextDraft.Problems = { rows: new Map() }
  let conflict: ConflictView.Conflict | undefined
  let clashes: ReadonlyArray<ContextDraft.Clash> = []
  let events: ReadonlyArray<HistoryEvent> = []
  let asOf: number | undefined
  let saving = false
  let loaded = false
  let missing = false
  let disposed = false
  /** Keys the last change from someone else touched, and who made it. */
  let changedBy: { readonly keys: ReadonlySet<string>; readonly by: string } | undefined
  const ours = new Set<string>()
  const waiting: Array<Notification> = []

  // Layout.
  const heading = h("h1", { tabindex: -1, class: "asset-title" }, asset.public_id)
  const meta = h("p", { class: "meta" }, `${asset.resource_type} / ${asset.type}`)
  const notice = h("div", { class: "notice-area", role: "status" })
  const conflictBox = h("section", {
    class: "conflict",
    "aria-labelledby": ConflictView.TITLE_ID,
    hidden: true
  })
  const tbody = h("tbody")
  const editForm = h(
    "form",
    { id: "context-form", class: "context-form", novalidate: true },
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "context-table" },
        h("caption", { class: "visually-hidden" }, `Context of ${asset.public_id}, editable`),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Key"),
            h("th", { scope: "col" }, "Value"),
            h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions"))
          )
        ),
        tbody
      )
    )
  )
  const newKey = h("input", {
    id: "new-key",
    autocomplete: "off",
    spellcheck: "false",
    list: "known-keys",
    "aria-describedby": "new-key-error"
  })
  const newValue = h("input", {
    id: "new-value",
    autocomplete: "off",
    "aria-describedby": "new-value-error"
  })
  const newKeyError = h("p", { class: "field-error", id: "new-key-error" })
  const newValueError = h("p", { class: "field-error", id: "new-value-error" })
  const knownKeys = h("datalist", { id: "known-keys" })
  const addForm = h(
    "form",
    { class: "add-pair", "aria-labelledby": "add-title", novalidate: true },
    h("h3", { id: "add-title" }, "Add a pair"),
    h(
      "div",
      { class: "add-fields" },
      h("div", { class: "field" }, h("label", { for: newKey.id }, "New key"), newKey, newKeyError),
      h(
        "div",
        { class: "field" },
        h("label", { for: newValue.id }, "New value"),
        newValue,
        newValueError
      ),
      h("button", { type: "submit" }, "Add pair")
    ),
    knownKeys
  )
  const size = h("p", { class: "size", id: "context-size" })
  const contextError = h("p", { class: "error", "aria-live": "polite", id: "context-error" })
  const pending = h("div", { class: "pending", id: "pending-changes" })
  const saveHelp = h("p", { class: "hint", id: "save-help" })
  const saveButton = h("button", {
    type: "submit",
    form: "context-form",
    class: "primary",
    "aria-describedby": "save-help"
  }, "Save")
  const discardButton = h("button", { type: "button" }, "Discard changes")
  const removeAllButton = h("button", { type: "button", class: "danger" }, "Remove all")
  const serverError = h("p", { class: "error", role: "alert", id: "save-error" })
  const historyBody = h("div", { class: "history-body" }, h("p", { class: "muted" }, "Loading…"))
  const asOfTitle = h("h2", { id: "as-of-title", tabindex: -1 }, "Context as of a revision")
  const asOfBody = h("div", {})
  const asOfBox = h(
    "section",
    { class: "as-of", "aria-labelledby": "as-of-title", hidden: true },
    asOfTitle,
    asOfBody,
    h("button", {
      type: "button",
      onclick: () => closeAsOf(true)
    }, "Back to the current context")
  )
  const editor = h(
    "section",
    { class: "editor", "aria-labelledby": "context-title" },
    h("h2", { id: "context-title" }, "Context"),
    editForm,
    addForm,
    size,
    contextError,
    pending,
    h("div", { class: "actions" }, saveButton, discardButton, removeAllButton),
    saveHelp,
    serverError
  )
  const element = h(
    "div",
    { class: "asset-screen" },
    h(
      "nav",
      { class: "crumbs", "aria-label": "Breadcrumb" },
      h("a", { href: "#/assets" }, "Assets")
    ),
    heading,
    meta,
    notice,
    conflictBox,
    h(
      "div",
      { class: "asset-columns" },
      editor,
      h(
        "div",
        { class: "side" },
        asOfBox,
        h(
          "section",
          { class: "history", "aria-labelledby": "history-title" },
          h("h2", { id: "history-title" }, "History"),
          historyBody
        )
      )
    )
  )

  /** How a row is named to a screen reader: by its key as loaded, or as typed. */
  const rowName = (row: ContextDraft.Row) =>
    row.original?.key ??
      (row.key.trim() !== ""
        ? row.key
        : `new pair ${draft.rows.filter((r) => !r.original).indexOf(row) + 1}`)

  const rowState = (row: ContextDraft.Row): string | undefined => {
    if (row.removed) return "removed"
    if (row.original === undefined) return "new"
    if (row.key !== row.original.key || row.value !== row.original.value) return "edited"
    return undefined
  }

  const stateText: Record<string, string> = {
    removed: "to be removed",
    new: "new, not saved",
    edited: "edited, not saved"
  }

  const renderRow = (row: ContextDraft.Row) => {
    const name = rowName(row)
    const keyId = `key-${row.id}`
    const valueId = `value-${row.id}`
    const key = h("input", {
      id: keyId,
      value: row.key,
      autocomplete: "off",
      spellcheck: "false",
      disabled: row.removed,
      "aria-describedby": `${keyId}-error`
    })
    const value = h("input", {
      id: valueId,
      value: row.value,
      autocomplete: "off",
      disabled: row.removed,
      "aria-describedby": `${valueId}-error ${valueId}-state`
    })
    key.addEventListener("input", () => {
      row.key = key.value
      refresh()
    })
    value.addEventListener("input", () => {
      row.value = value.value
      refresh()
    })
    const toggle = h("button", {
      type: "button",
      class: row.removed ? "" : "danger",
      onclick: () => {
        if (row.removed) row.removed = false
        else if (row.original === undefined) draft.rows.splice(draft.rows.indexOf(row), 1)
        else row.removed = true
        renderRows()
        refresh()
        const again = document.getElementById(row.removed ? `toggle-${row.id}` : valueId) ??
          newKey
        again.focus()
        Announcer.status(
          row.removed ? `${name} will be removed when you save.` : `${name} is kept.`
        )
      },
      id: `toggle-${row.id}`
    }, row.removed ? `Restore ${name}` : `Remove ${name}`)
    const by = changedBy !== undefined && changedBy.keys.has(row.key) && rowState(row) === undefined
      ? h("span", { class: "badge badge-updated" }, `changed by ${changedBy.by}`)
      : null
    return h(
      "tr",
      { "data-row": row.id, class: `row-${rowState(row) ?? "same"}${by ? " flash" : ""}` },
      h(
        "td",
        { "data-label": "Key" },
        h("label", { for: keyId, class: "visually-hidden" }, `Key of ${name}`),
        key,
        h("p", { class: "field-error", id: `${keyId}-error` })
      ),
      h(
        "td",
        { "data-label": "Value" },
        h("label", { for: valueId, class: "visually-hidden" }, `Value of ${name}`),
        value,
        h("p", { class: "field-error", id: `${valueId}-error` }),
        h(
          "p",
          { class: "row-state", id: `${valueId}-state` },
          stateText[rowState(row) ?? ""] ?? ""
        ),
        by
      ),
      h("td", { class: "row-actions" }, toggle)
    )
  }

  const renderRows = () => {
    replace(
      tbody,
      draft.rows.length === 0
        ? h(
          "tr",
          {},
          h("td", { colspan: 3, class: "muted" }, "No context yet. Add a pair below.")
        )
        : draft.rows.map(renderRow)
    )
  }

  const setError = (input: HTMLElement | null, text: string | undefined) => {
    if (input === null) return
    const box = document.getElementById(`${input.id}-error`)
    if (text === undefined) input.removeAttribute("aria-invalid")
    else input.setAttribute("aria-invalid", "true")
    if (box !== null && box.textContent !== (text ?? "")) box.textContent = text ?? ""
  }

  const canSave = () =>
    loaded && !missing && !saving && conflict === undefined && ContextDraft.isValid(problems) &&
    ContextDraft.isDirty(draft)

  /** Updates everything that depends on what is typed, without touching the inputs. */
  const refresh = () => {
    problems = ContextDraft.problems(draft, limits)
    for (const row of draft.rows) {
      const wrong = problems.rows.get(row.id)
      setError(element.querySelector<HTMLElement>(`#key-${row.id}`), wrong?.key)
      setError(element.querySelector<HTMLElement>(`#value-${row.id}`), wrong?.value)
      const tr = element.querySelector<HTMLElement>(`tr[data-row="${row.id}"]`)
      if (tr !== null) {
        const state = rowState(row)
        tr.className = `row-${state ?? "same"}${tr.classList.contains("flash") ? " flash" : ""}`
        const label = element.querySelector(`#value-${row.id}-state`)
        if (label !== null) label.textContent = stateText[state ?? ""] ?? ""
      }
    }
    const length = Validation.codePoints(Validation.encode(ContextDraft.pairsOf(draft)))
    size.textContent = `Context size: ${length} of ${limits.maxContextLength} characters` +
      ` · ${plural(ContextDraft.pairsOf(draft).length, "pair", "pairs")}`
    size.classList.toggle("over", length > limits.maxContextLength)
    if (contextError.textContent !== (problems.context ?? "")) {
      contextError.textContent = problems.context ?? ""
    }
    const diff = ContextDraft.changes(draft)
    replace(
      pending,
      ContextDraft.isEmpty(diff) ? null : [
        h("h3", {}, "Unsaved changes"),
        HistoryView.changeList(diff)
      ]
    )
    saveButton.disabled = !canSave()
    discardButton.disabled = !ContextDraft.isDirty(draft) || saving
    removeAllButton.disabled = saving || missing || draft.rows.every((r) => r.removed)
    saveHelp.textContent = !loaded
      ? "Loading…"
      : missing
      ? "This asset does not exist (any more); its history is below."
      : saving
      ? "Saving…"
      : conflict !== undefined
      ? "Someone else changed this asset: re-apply or discard your edits first (see above)."
      : !ContextDraft.isValid(problems)
      ? `Fix ${
        plural(problems.rows.size + (problems.context ? 1 : 0), "problem", "problems")
      } before saving.`
      : !ContextDraft.isDirty(draft)
      ? "No unsaved changes."
      : draft.rows.every((r) => r.removed)
      ? `Saving removes the whole context of revision ${draft.revision}.`
      : `Saving replaces the context of revision ${draft.revision}.`
    if (current !== undefined) DraftStore.keep(cloud, asset, draft)
  }

  const renderMeta = () => {
    if (current === undefined) return
    replace(
      meta,
      `${asset.resource_type} / ${asset.type} · revision ${current.revision} · updated `,
      time(current.updated_at)
    )
  }

  const renderConflict = () => {
    conflictBox.hidden = conflict === undefined && clashes.length === 0
    replace(
      conflictBox,
      conflict !== undefined
        ? ConflictView.conflict(conflict, draft.revision, {
          reapply: () => reapply(),
          discard: () => void discard()
        })
        : clashes.length === 0
        ? null
        : ConflictView.clashes(clashes, () => {
          clashes = []
          renderConflict()
        })
    )
  }

  const renderAll = () => {
    renderMeta()
    renderRows()
    renderConflict()
    refresh()
  }

  const loadHistory = async () => {
    try {
      events = await client.history(asset)
      if (disposed) return
      replace(
        historyBody,
        HistoryView.render(events, { selected: asOf, onSelect: (r) => void openAsOf(r, true) })
      )
    } catch (e) {
      if (!disposed) replace(historyBody, h("p", { class: "error" }, messageOf(e)))
    }
  }

  const openAsOf = async (revision: number, focus: boolean) => {
    asOf = revision
    history.replaceState(null, "", route(revision))
    asOfBox.hidden = false
    asOfTitle.textContent = `Context as of revision ${revision}`
    replace(asOfBody, h("p", { class: "muted" }, "Loading…"))
    void loadHistory()
    if (focus) asOfTitle.focus()
    try {
      const then = await client.asset(asset, revision)
      if (disposed || asOf !== revision) return
      const event = events.find((e) => e.revision === revision)
      replace(asOfBody, AsOfView.render(revision, then.pairs, event))
      Announcer.status(`Showing the context as of revision ${revision}.`)
    } catch (e) {
      if (!disposed) replace(asOfBody, h("p", { class: "error", role: "alert" }, messageOf(e)))
    }
  }

  const closeAsOf = (focus: boolean) => {
    const was = asOf
    asOf = undefined
    asOfBox.hidden = true
    history.replaceState(null, "", route(undefined))
    void loadHistory().then(() => {
      if (!focus || was === undefined) return
      historyBody.querySelector<HTMLElement>(`#history-${was} ~ button, #history-${was}`)?.focus()
    })
  }

  /** Takes the server's current context as the draft (the user has nothing unsaved). */
  const take = (view: Asset) => {
    current = view
    draft = ContextDraft.make(view.revision, view.pairs)
    DraftStore.forget(cloud, asset)
  }

  const showConflict = async () => {
    try {
      const all = await client.history(asset)
      let view: Asset | undefined
      try {
        view = await client.asset(asset)
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) throw e
      }
      if (disposed) return
      const last = all.at(-1)
      missing = view === undefined
      if (view !== undefined) current = view
      events = all
      const first = conflict === undefined
      conflict = {
        revision: all.reduce((m, e) => Math.max(m, e.revision), current?.revision ?? 0),
        events: all.filter((e) => e.revision > draft.revision),
        deletedBy: view !== undefined
          ? undefined
          : last?.kind === "AssetDeleted"
          ? `${last.actor} (${LiveStream.sourceName(last.source)})`
          : "someone"
      }
      clashes = []
      replace(notice)
      renderMeta()
      renderConflict()
      refresh()
      replace(
        historyBody,
        HistoryView.render(events, { selected: asOf, onSelect: (r) => void openAsOf(r, true) })
      )
      if (first) {
        Announcer.alert(
          `${asset.public_id} was ${missing ? "deleted" : "changed"} by someone else while you ` +
            "were editing. Your edits are kept."
        )
      }
    } catch (e) {
      serverError.textContent = messageOf(e)
    }
  }

  const reapply = () => {
    if (current === undefined || conflict === undefined) return
    const rebased = ContextDraft.rebase(draft, current.revision, current.pairs)
    draft = rebased.draft
    clashes = rebased.clashes
    conflict = undefined
    renderAll()
    Announcer.status(
      `Your edits are re-applied on revision ${draft.revision}. Check them, then save.`
    )
    if (saveButton.disabled) conflictBox.querySelector<HTMLElement>("h2")?.focus()
    else saveButton.focus()
  }

  const discard = async () => {
    conflict = undefined
    clashes = []
    DraftStore.forget(cloud, asset)
    try {
      take(await client.asset(asset))
      missing = false
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        missing = true
        draft = ContextDraft.make(events.at(-1)?.revision ?? draft.revision, [])
      } else {
        serverError.textContent = messageOf(e)
        if (current !== undefined) take(current)
      }
    }
    if (disposed) return
    renderAll()
    Announcer.status("Your edits are discarded.")
    heading.focus()
  }

  const save = async () => {
    if (!canSave()) return
    const command = ContextDraft.save(draft, asset)
    const id = commandId()
    ours.add(id)
    saving = true
    serverError.textContent = ""
    refresh()
    try {
      await client.command(command.name, { ...command.body, command_id: id })
      const view = await client.asset(asset)
      if (disposed) return
      take(view)
      changedBy = undefined
      clashes = []
      saving = false
      renderAll()
      replace(notice, h("p", { class: "ok" }, `Saved: revision ${view.revision}.`))
      Announcer.status(`Saved ${asset.public_id}: revision ${view.revision}.`)
      void loadHistory()
    } catch (e) {
      saving = false
      if (e instanceof ApiError && e.status === 409) {
        await showConflict()
        conflictBox.querySelector<HTMLElement>("h2")?.focus()
      } else {
        serverError.textContent = `Not saved: ${messageOf(e)}`
        refresh()
      }
    } finally {
      saving = false
      refresh()
      for (const n of waiting.splice(0)) void follow(n)
    }
  }

  /** A notification about this asset. */
  const follow = async (n: Notification) => {
    const change = LiveStream.changeOf(n, asset)
    if (change === undefined) return
    if (saving) {
      waiting.push(n)
      return
    }
    const known = Math.max(draft.revision, current?.revision ?? 0)
    if (change.revision <= known && n.notification_type !== "delete") return
    if (ours.has(n.request_id)) return void loadHistory()
    const by = LiveStream.who(n)
    if (n.notification_type === "delete") {
      missing = true
      if (ContextDraft.isDirty(draft)) await showConflict()
      replace(notice, h("p", { class: "warning" }, `Deleted by ${by}.`))
      Announcer.alert(`${asset.public_id} was deleted by ${by}.`)
      refresh()
      void loadHistory()
      return
    }
    missing = false
    if (ContextDraft.isDirty(draft) || conflict !== undefined) {
      await showConflict()
      return
    }
    try {
      const view = await client.asset(asset)
      if (disposed) return
      take(view)
      changedBy = {
        keys: new Set([...change.added, ...change.updated].map((p) => p.name)),
        by
      }
      renderAll()
      const what = [
        ...change.added.map((p) => `${p.name} added`),
        ...change.updated.map((p) => `${p.name} changed to ${p.value}`),
        ...change.removed.map((p) => `${p.name} removed`)
      ].join(", ")
      replace(
        notice,
        h("p", { class: "live-change" }, `Revision ${view.revision} by ${by}: ${what || "saved"}.`)
      )
      Announcer.status(`${asset.public_id}: ${what || "saved"}, by ${by}.`)
      void loadHistory()
      if (asOf !== undefined) void openAsOf(asOf, false)
    } catch (e) {
      serverError.textContent = messageOf(e)
    }
  }

  editForm.addEventListener("submit", (event) => {
    event.preventDefault()
    if (canSave()) {
      void save()
      return
    }
    // Enter on a wrong field goes to the first problem.
    const first = element.querySelector<HTMLElement>("[aria-invalid=true]")
    first?.focus()
  })
  discardButton.addEventListener("click", () => void discard())
  removeAllButton.addEventListener("click", () => {
    // Marked, not dropped: each row can be restored, the ones typed here too.
    for (const r of draft.rows) r.removed = true
    renderRows()
    refresh()
    Announcer.status("Every pair will be removed when you save.")
  })

  const checkNew = (): { key?: string; value?: string } => {
    const key = Validation.checkKey(limits, newKey.value) ??
      (draft.rows.some((r) => !r.removed && r.key === newKey.value)
        ? "This key is already in the context; change its value in the table."
        : undefined)
    const value = Validation.checkValue(limits, newValue.value)
    return { ...(key ? { key } : {}), ...(value ? { value } : {}) }
  }
  let triedAdd = false
  const showNew = () => {
    const wrong = checkNew()
    // Before the first try, only what is already typed is judged: an empty field is not wrong.
    setError(newKey, triedAdd || newKey.value !== "" ? wrong.key : undefined)
    setError(newValue, triedAdd || newValue.value !== "" ? wrong.value : undefined)
    return wrong
  }
  newKey.addEventListener("input", () => void showNew())
  newValue.addEventListener("input", () => void showNew())
  addForm.addEventListener("submit", (event) => {
    event.preventDefault()
    triedAdd = true
    const wrong = showNew()
    if (wrong.key !== undefined || wrong.value !== undefined) {
      const wrongField = wrong.key !== undefined ? newKey : newValue
      wrongField.focus()
      return
    }
    const removed = draft.rows.find((r) => r.removed && r.key === newKey.value)
    if (removed !== undefined) {
      removed.removed = false
      removed.value = newValue.value
    } else {
      ContextDraft.addRow(draft, newKey.value, newValue.value)
    }
    const added = newKey.value
    newKey.value = ""
    newValue.value = ""
    triedAdd = false
    renderRows()
    refresh()
    newKey.focus()
    Announcer.status(`${added} added; not saved yet.`)
  })

  const load = async () => {
    try {
      const view = await client.asset(asset)
      if (disposed) return
      current = view
      const kept = DraftStore.load(cloud, asset)
      if (kept !== undefined && ContextDraft.isDirty(kept)) {
        draft = kept
        replace(notice, h("p", { class: "ok" }, "Your unsaved edits are restored."))
      } else {
        take(view)
      }
      loaded = true
      renderAll()
      if (draft.revision !== view.revision) await showConflict()
    } catch (e) {
      if (disposed) return
      loaded = true
      if (e instanceof ApiError && e.status === 404) {
        missing = true
        replace(notice, h("p", { class: "warning" }, messageOf(e)))
      } else {
        serverError.textContent = messageOf(e)
      }
      renderAll()
    }
    void loadHistory()
    if (initialAsOf !== undefined) void openAsOf(initialAsOf, false)
    try {
      const keys = await client.keys("", 100)
      if (!disposed) replace(knownKeys, keys.map((k) => h("option", { value: k })))
    } catch {
      // Suggestions are a help only.
    }
  }

  const unsubscribe = live.subscribe((n) => void follow(n))
  renderAll()
  void load()

  return {
    element,
    heading,
    update: (next) => {
      if (next.name !== "asset") return
      if (next.asOf === undefined && asOf !== undefined) closeAsOf(false)
      else if (next.asOf !== undefined && next.asOf !== asOf) void openAsOf(next.asOf, true)
    },
    dispose: () => {
      disposed = true
      unsubscribe()
    }
  }
}
