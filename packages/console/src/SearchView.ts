/**
 * The asset list: a search in the expression language, key suggestions that complete
 * `context.<key>`, pages through `next_cursor`, and each asset's context. While it is open,
 * changes from the change stream update the rows they touch, and assets that start to match
 * appear at the top, marked new.
 */
import * as Announcer from "./Announcer.js"
import type { AssetRef, Notification, SearchResource } from "./Api.js"
import { h, replace, time } from "./Dom.js"
import * as LiveStream from "./LiveStream.js"
import * as Router from "./Router.js"
import type { Env, View } from "./View.js"
import { messageOf } from "./View.js"

const PAGE_SIZE = 25

type Mark = "new" | "updated" | "deleted"

interface Row {
  resource: SearchResource
  mark?: { readonly kind: Mark; readonly by: string } | undefined
}

const refOf = (r: AssetRef): string => `${r.resource_type}/${r.type}/${r.public_id}`

/** A search term that matches exactly one asset, for checking whether a new asset belongs. */
const quote = (text: string) => `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`

const exactly = (asset: AssetRef) =>
  `public_id=${quote(asset.public_id)} AND resource_type=${quote(asset.resource_type)} ` +
  `AND type=${quote(asset.type)}`

/**
 * The key being typed at the caret, if the text there can be a context key: after `context.`,
 * or a bare word that may become one.
 */
export const keyAtCaret = (
  text: string,
  caret: number
): { readonly start: number; readonly prefix: string; readonly explicit: boolean } | undefined => {
  const before = text.slice(0, caret)
  const match = /(^|[\s(])(-?)((?:context\.)?)([^\s=:<>()"]*)$/.exec(before)
  if (match === null) return undefined
  const [, lead = "", negation = "", dotted = "", prefix = ""] = match
  if (["AND", "OR", "NOT"].includes(prefix)) return undefined
  const start = match.index + lead.length + negation.length
  return { start, prefix, explicit: dotted !== "" }
}

const pairsList = (context: Readonly<Record<string, string>> | undefined) => {
  const entries = Object.entries(context ?? {})
  return entries.length === 0
    ? h("span", { class: "muted" }, "no context")
    : h(
      "ul",
      { class: "pairs" },
      entries.map(([key, value]) =>
        h(
          "li",
          {},
          h("span", { class: "k" }, key),
          h("span", { class: "eq" }, "="),
          h("span", {
            class: "v"
          }, value)
        )
      )
    )
}

/** Applies a notification's diff to a listed resource. */
const applied = (
  resource: SearchResource,
  change: NonNullable<ReturnType<typeof LiveStream.changeOf>>,
  at: string
): SearchResource => {
  const context: Record<string, string> = change.context?.custom === undefined
    ? { ...resource.context }
    : { ...change.context.custom }
  if (change.context?.custom === undefined) {
    for (const { name } of change.removed) delete context[name]
    for (const { name, value } of [...change.added, ...change.updated]) context[name] = value
  }
  return { ...resource, revision: change.revision, updated_at: at, context }
}

export const make = (env: Env, initial: string): View => {
  const { client, live } = env
  const heading = h("h1", { tabindex: -1 }, "Assets")
  const input = h("input", {
    id: "search-expression",
    type: "search",
    name: "expression",
    list: "search-keys",
    autocomplete: "off",
    spellcheck: "false",
    autocapitalize: "off",
    "aria-describedby": "search-help",
    value: initial,
    placeholder: "context.product=shirt AND NOT context.color:blue"
  })
  const datalist = h("datalist", { id: "search-keys" })
  const summary = h("p", { class: "summary", id: "search-summary" })
  const error = h("p", { class: "error", role: "alert" })
  const tbody = h("tbody")
  const table = h(
    "table",
    { class: "results", "aria-describedby": "search-summary" },
    h("caption", { class: "visually-hidden" }, "Assets found"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Public ID"),
        h("th", { scope: "col" }, "Type"),
        h("th", { scope: "col" }, "Revision"),
        h("th", { scope: "col" }, "Context"),
        h("th", { scope: "col" }, "Updated")
      )
    ),
    tbody
  )
  const first = h("button", { type: "button", disabled: true }, "First page")
  const next = h("button", { type: "button", disabled: true }, "Next page")
  const form = h(
    "form",
    { role: "search", class: "search" },
    h("label", { for: input.id }, "Search expression"),
    h(
      "div",
      { class: "inline" },
      input,
      h("button", { type: "submit", class: "primary" }, "Search")
    ),
    datalist,
    h(
      "p",
      { id: "search-help", class: "hint" },
      "Fields: context.<key>, public_id, resource_type, type. ",
      h("code", {}, "="),
      " is exact, ",
      h("code", {}, ":"),
      " matches words, ",
      h("code", {}, "v*"),
      " is a prefix, ",
      h("code", {}, "context.k:*"),
      " asks that the key exist; combine with AND, OR, NOT and parentheses. ",
      "Leave it empty to list every asset."
    )
  )
  const element = h(
    "section",
    { class: "search-screen", "aria-labelledby": "assets-title" },
    heading,
    form,
    summary,
    error,
    h("div", { class: "table-scroll", tabindex: 0, "aria-label": "Assets found" }, table),
    h("nav", { class: "pager", "aria-label": "Result pages" }, first, next)
  )
  heading.id = "assets-title"

  let expression = initial
  let cursor: string | undefined
  let nextCursor: string | undefined
  let page = 1
  let rows: Array<Row> = []
  let disposed = false

  const renderRow = (row: Row) => {
    const r = row.resource
    const link = h("a", {
      href: Router.href({ name: "asset", asset: r, asOf: undefined })
    }, r.public_id)
    const mark = row.mark === undefined ? null : h("span", {
      class: `badge badge-${row.mark.kind}`,
      title: `by ${row.mark.by}`
    }, row.mark.kind === "new" ? "New" : row.mark.kind === "updated" ? "Updated" : "Deleted")
    return h(
      "tr",
      { class: row.mark === undefined ? "" : `mark-${row.mark.kind}`, "data-ref": refOf(r) },
      h("th", { scope: "row", "data-label": "Public ID" }, link, mark === null ? null : " ", mark),
      h("td", { "data-label": "Type" }, `${r.resource_type}/${r.type}`),
      h("td", { "data-label": "Revision" }, String(r.revision)),
      h("td", { "data-label": "Context" }, pairsList(r.context)),
      h("td", { "data-label": "Updated" }, time(r.updated_at))
    )
  }

  const render = () => {
    replace(
      tbody,
      rows.length === 0
        ? h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No asset matches."))
        : rows.map(renderRow)
    )
  }

  const run = async (from: string | undefined, announce: boolean) => {
    error.textContent = ""
    summary.textContent = "Searching…"
    try {
      const result = await client.search(expression, { cursor: from, maxResults: PAGE_SIZE })
      if (disposed) return
      cursor = from
      nextCursor = result.next_cursor
      rows = result.resources.map((resource) => ({ resource }))
      const count = result.total_count
      summary.textContent = `${count} ${count === 1 ? "asset matches" : "assets match"}` +
        (count > PAGE_SIZE ? `, page ${page}` : "") + "."
      next.disabled = nextCursor === undefined
      first.disabled = cursor === undefined
      render()
      if (announce) Announcer.status(summary.textContent)
    } catch (e) {
      if (disposed) return
      summary.textContent = ""
      error.textContent = messageOf(e)
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault()
    expression = input.value.trim()
    page = 1
    // Keeps the search in the address, so that Back returns to it.
    history.replaceState(null, "", Router.href({ name: "assets", expression }))
    void run(undefined, true)
  })
  next.addEventListener("click", () => {
    if (nextCursor === undefined) return
    page++
    void run(nextCursor, true)
  })
  first.addEventListener("click", () => {
    page = 1
    void run(undefined, true)
  })

  // Suggestions: the keys in use that start with what is typed, each as the whole expression
  // completed there, since a datalist option replaces the whole input.
  let suggestTimer: number | undefined
  let asked = ""
  const suggest = () => {
    window.clearTimeout(suggestTimer)
    suggestTimer = window.setTimeout(async () => {
      const caret = input.selectionStart ?? input.value.length
      const text = input.value
      const at = keyAtCaret(text, caret)
      if (at === undefined) return replace(datalist)
      const question = `${at.prefix}\u0000${text}`
      if (question === asked) return
      asked = question
      try {
        const keys = await client.keys(at.prefix, 20)
        if (disposed || asked !== question) return
        const end = caret + (/^[^\s=:<>()"]*/.exec(text.slice(caret))?.[0].length ?? 0)
        replace(
          datalist,
          keys.map((key) =>
            h("option", {
              value: `${text.slice(0, at.start)}context.${key}${text.slice(end)}`,
              label: `context.${key}`
            })
          )
        )
      } catch {
        // Suggestions are a help; a failed look-up leaves the list as it was.
      }
    }, 120)
  }
  input.addEventListener("input", suggest)
  input.addEventListener("focus", suggest)

  const onNotification = async (n: Notification) => {
    const by = LiveStream.who(n)
    const unseen: Array<AssetRef> = []
    const messages: Array<string> = []
    for (const [publicId, change] of Object.entries(n.resources)) {
      const ref = { public_id: publicId, resource_type: change.resource_type, type: change.type }
      const index = rows.findIndex((r) => refOf(r.resource) === refOf(ref))
      if (index === -1) {
        if (n.notification_type !== "delete") unseen.push(ref)
        continue
      }
      const row = rows[index]!
      if (n.notification_type === "delete") {
        row.mark = { kind: "deleted", by }
        messages.push(`${publicId} was deleted by ${by}.`)
      } else if (change.revision > row.resource.revision) {
        row.resource = applied(row.resource, change, n.timestamp)
        row.mark = { kind: row.mark?.kind === "new" ? "new" : "updated", by }
        messages.push(`${publicId} was changed by ${by}.`)
      }
      const old = tbody.querySelector(`tr[data-ref="${CSS.escape(refOf(ref))}"]`)
      old?.replaceWith(renderRow(row))
    }
    // An asset not listed is shown if it matches the search (on the first page only: on later
    // pages it would belong somewhere before them).
    if (cursor === undefined) {
      for (const ref of unseen) {
        const wanted = expression === "" ? exactly(ref) : `(${expression}) AND ${exactly(ref)}`
        try {
          const found = await client.search(wanted, { maxResults: 1 })
          const resource = found.resources[0]
          if (disposed || resource === undefined) continue
          if (rows.some((r) => refOf(r.resource) === refOf(resource))) continue
          rows.unshift({ resource, mark: { kind: "new", by } })
          messages.push(`${resource.public_id} now matches, from ${by}.`)
        } catch {
          // Not shown if the check fails; a new search shows it.
        }
      }
      if (unseen.length > 0) render()
    }
    if (messages.length > 0) Announcer.status(messages.join(" "))
  }
  const unsubscribe = live.subscribe((n) => void onNotification(n))

  void run(undefined, false)
  return {
    element,
    heading,
    dispose: () => {
      disposed = true
      unsubscribe()
      window.clearTimeout(suggestTimer)
    }
  }
}
