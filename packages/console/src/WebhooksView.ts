/**
 * Notification URLs of the cloud: the ones registered (with their types and whether delivery
 * to them is disabled), a form to add one for some types or all, removal, and the deliveries
 * that were given up on, with a button that sends them again.
 */
import * as Announcer from "./Announcer.js"
import type { DeadLetter, Webhook } from "./Api.js"
import { h, replace, time } from "./Dom.js"
import type { Env, View } from "./View.js"
import { messageOf } from "./View.js"

const TYPES = [
  { value: "resource_context_changed", label: "Context changes (resource_context_changed)" },
  { value: "upload", label: "Uploads (upload)" },
  { value: "delete", label: "Deletions (delete)" }
] as const

export const make = (env: Env): View => {
  const { client } = env
  const heading = h("h1", { tabindex: -1 }, "Notification URLs")
  const listBody = h("div", {}, h("p", { class: "muted" }, "Loading…"))
  const listError = h("p", { class: "error", role: "alert" })
  const failedBody = h("div", {}, h("p", { class: "muted" }, "Loading…"))
  const failedStatus = h("p", { class: "error", role: "alert" })
  const failedResult = h("p", { class: "ok", role: "status" })
  const url = h("input", {
    id: "webhook-url",
    type: "url",
    required: true,
    autocomplete: "url",
    spellcheck: "false",
    placeholder: "https://example.com/hook",
    "aria-describedby": "webhook-url-error"
  })
  const urlError = h("p", { class: "field-error", id: "webhook-url-error" })
  const all = h("input", { type: "checkbox", id: "type-all", checked: true })
  const boxes = TYPES.map((t) => ({
    type: t.value,
    input: h("input", { type: "checkbox", id: `type-${t.value}`, value: t.value }),
    label: t.label
  }))
  all.addEventListener("change", () => {
    if (all.checked) { for (const b of boxes) b.input.checked = false }
  })
  for (const b of boxes) {
    b.input.addEventListener("change", () => {
      all.checked = !boxes.some((x) => x.input.checked)
    })
  }
  const added = h("div", { class: "secret", role: "status" })
  const addButton = h("button", { type: "submit", class: "primary" }, "Add URL")
  const form = h(
    "form",
    { class: "add-webhook", novalidate: true },
    h(
      "div",
      { class: "field" },
      h("label", { for: url.id }, "URL"),
      url,
      urlError
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Notification types"),
      h("div", { class: "check" }, all, h("label", { for: all.id }, "All types")),
      boxes.map((b) =>
        h("div", { class: "check" }, b.input, h("label", { for: b.input.id }, b.label))
      )
    ),
    addButton
  )
  const redeliverButton = h("button", { type: "button" }, "Redeliver all")
  const refreshButton = h("button", { type: "button" }, "Refresh")
  const element = h(
    "div",
    { class: "webhooks-screen" },
    heading,
    h(
      "section",
      { "aria-labelledby": "registered-title" },
      h("h2", { id: "registered-title" }, "Registered URLs"),
      listError,
      listBody
    ),
    h(
      "section",
      { "aria-labelledby": "add-url-title" },
      h("h2", { id: "add-url-title" }, "Add a URL"),
      form,
      added
    ),
    h(
      "section",
      { "aria-labelledby": "failed-title" },
      h("h2", { id: "failed-title" }, "Failed deliveries"),
      h(
        "p",
        { class: "hint" },
        "Notifications whose retries ran out. Redeliver sends each of them again, once."
      ),
      h("div", { class: "actions" }, redeliverButton, refreshButton),
      failedStatus,
      failedResult,
      failedBody
    )
  )
  let disposed = false

  const renderList = (hooks: ReadonlyArray<Webhook>) =>
    hooks.length === 0
      ? h("p", { class: "muted" }, "No notification URL is registered.")
      : h(
        "div",
        { class: "table-scroll" },
        h(
          "table",
          { class: "webhooks" },
          h("caption", { class: "visually-hidden" }, "Registered notification URLs"),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, "URL"),
              h("th", { scope: "col" }, "Types"),
              h("th", { scope: "col" }, "State"),
              h("th", { scope: "col" }, "Registered"),
              h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions"))
            )
          ),
          h(
            "tbody",
            {},
            hooks.map((hook) =>
              h(
                "tr",
                {},
                h(
                  "th",
                  { scope: "row", "data-label": "URL" },
                  h("code", { class: "url" }, hook.url)
                ),
                h("td", { "data-label": "Types" }, hook.types.join(", ")),
                h(
                  "td",
                  { "data-label": "State" },
                  hook.enabled
                    ? "enabled"
                    : [
                      h("strong", {}, "disabled"),
                      hook.disabled_reason === undefined ? "" : `: ${hook.disabled_reason}`
                    ]
                ),
                h("td", { "data-label": "Registered" }, time(hook.created_at)),
                h(
                  "td",
                  { class: "row-actions" },
                  h("button", {
                    type: "button",
                    class: "danger",
                    "aria-label": `Remove ${hook.url}`,
                    onclick: () => void remove(hook.url)
                  }, "Remove")
                )
              )
            )
          )
        )
      )

  const renderFailed = (letters: ReadonlyArray<DeadLetter>) =>
    letters.length === 0
      ? h("p", { class: "muted" }, "No failed delivery.")
      : h(
        "div",
        { class: "table-scroll" },
        h(
          "table",
          { class: "failed" },
          h("caption", { class: "visually-hidden" }, "Failed deliveries"),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, "URL"),
              h("th", { scope: "col" }, "Notification"),
              h("th", { scope: "col" }, "Attempts"),
              h("th", { scope: "col" }, "Last error"),
              h("th", { scope: "col" }, "Failed"),
              h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions"))
            )
          ),
          h(
            "tbody",
            {},
            letters.map((l) =>
              h(
                "tr",
                {},
                h("td", { "data-label": "URL" }, h("code", { class: "url" }, l.url)),
                h(
                  "td",
                  { "data-label": "Notification" },
                  `${l.notification_type} `,
                  h("code", { class: "id" }, l.notification_id)
                ),
                h("td", { "data-label": "Attempts" }, String(l.attempts)),
                h("td", { "data-label": "Last error" }, l.error),
                h("td", { "data-label": "Failed" }, time(l.failed_at)),
                h("td", {}, redeliverOne(l))
              )
            )
          )
        )
      )

  /** Sends the letters of one notification again, and says what came of it. */
  const redeliver = async (notificationId?: string) => {
    failedStatus.textContent = ""
    try {
      const result = await client.redeliver(notificationId)
      const text = `Redelivered ${result.redelivered.length}; ` +
        `${result.failed.length} still failing.`
      failedResult.textContent = text
      Announcer.status(text)
      await loadFailed()
    } catch (e) {
      failedStatus.textContent = messageOf(e)
    }
  }

  const redeliverOne = (letter: DeadLetter) => {
    const button = h(
      "button",
      { type: "button", "aria-label": `Redeliver ${letter.notification_id}` },
      "Redeliver"
    )
    button.addEventListener("click", async () => {
      button.disabled = true
      await redeliver(letter.notification_id)
      button.disabled = false
    })
    return button
  }

  const loadList = async () => {
    try {
      const hooks = await client.webhooks()
      if (!disposed) {
        listError.textContent = ""
        replace(listBody, renderList(hooks))
      }
    } catch (e) {
      if (!disposed) listError.textContent = messageOf(e)
    }
  }

  const loadFailed = async () => {
    try {
      const letters = await client.failed()
      if (!disposed) replace(failedBody, renderFailed(letters))
      redeliverButton.disabled = letters.length === 0
    } catch (e) {
      if (!disposed) failedStatus.textContent = messageOf(e)
    }
  }

  const remove = async (target: string) => {
    listError.textContent = ""
    try {
      await client.removeWebhook(target)
      Announcer.status(`${target} is removed.`)
      await loadList()
      heading.focus()
    } catch (e) {
      listError.textContent = `Not removed: ${messageOf(e)}`
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault()
    const target = url.value.trim()
    const wrong = target === ""
      ? "Enter the URL to send notifications to."
      : !/^https?:\/\/[^\s]+$/i.test(target)
      ? "The URL must start with http:// or https://."
      : undefined
    urlError.textContent = wrong ?? ""
    if (wrong !== undefined) {
      url.setAttribute("aria-invalid", "true")
      url.focus()
      return
    }
    url.removeAttribute("aria-invalid")
    const types = all.checked ? [] : boxes.filter((b) => b.input.checked).map((b) => b.type)
    addButton.disabled = true
    try {
      const hook = await client.addWebhook(target, types)
      url.value = ""
      replace(
        added,
        h("p", {}, `Registered ${hook.url} for ${hook.types.join(", ")}.`),
        hook.secret === undefined ? null : h(
          "p",
          {},
          "Signing secret (Standard Webhooks), shown once: ",
          h("code", { class: "secret-value" }, hook.secret)
        )
      )
      await loadList()
    } catch (e) {
      urlError.textContent = messageOf(e)
      url.setAttribute("aria-invalid", "true")
      url.focus()
    } finally {
      addButton.disabled = false
    }
  })

  redeliverButton.addEventListener("click", async () => {
    redeliverButton.disabled = true
    await redeliver()
    redeliverButton.disabled = false
  })
  refreshButton.addEventListener("click", () => {
    void loadList()
    void loadFailed()
  })

  void loadList()
  void loadFailed()
  return {
    element,
    heading,
    dispose: () => {
      disposed = true
    }
  }
}
