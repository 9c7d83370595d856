/**
 * The sign-in screen: an API key and its secret. The cloud comes from the key, so there is
 * nothing else to choose; a refusal shows the server's message beside the form.
 */
import * as Announcer from "./Announcer.js"
import type { Session } from "./Api.js"
import { h } from "./Dom.js"
import * as SessionApi from "./Session.js"
import { messageOf } from "./View.js"

export const make = (
  onSignedIn: (session: Session) => void,
  notice?: string
): { readonly element: HTMLElement; readonly heading: HTMLElement } => {
  const heading = h("h1", { tabindex: -1 }, "Sign in to ctxlog")
  const key = h("input", {
    id: "sign-in-key",
    name: "api_key",
    autocomplete: "username",
    required: true,
    spellcheck: "false",
    autocapitalize: "off"
  })
  const secret = h("input", {
    id: "sign-in-secret",
    name: "api_secret",
    type: "password",
    autocomplete: "current-password",
    required: true
  })
  const error = h("p", { class: "error", role: "alert", id: "sign-in-error" })
  const button = h("button", { type: "submit", class: "primary" }, "Sign in")
  const form = h(
    "form",
    { class: "sign-in", "aria-describedby": "sign-in-error", novalidate: true },
    h("div", { class: "field" }, h("label", { for: key.id }, "API key"), key),
    h("div", { class: "field" }, h("label", { for: secret.id }, "API secret"), secret),
    error,
    button
  )
  form.addEventListener("submit", async (event) => {
    event.preventDefault()
    error.textContent = ""
    const missing = key.value.trim() === "" ? key : secret.value === "" ? secret : undefined
    if (missing !== undefined) {
      error.textContent = missing === key ? "Enter your API key." : "Enter your API secret."
      missing.setAttribute("aria-invalid", "true")
      missing.focus()
      return
    }
    key.removeAttribute("aria-invalid")
    secret.removeAttribute("aria-invalid")
    button.disabled = true
    button.textContent = "Signing in…"
    try {
      const session = await SessionApi.signIn(key.value.trim(), secret.value)
      Announcer.status(`Signed in to cloud ${session.cloud}.`)
      onSignedIn(session)
    } catch (e) {
      error.textContent = messageOf(e)
      secret.setAttribute("aria-invalid", "true")
      secret.select()
      secret.focus()
    } finally {
      button.disabled = false
      button.textContent = "Sign in"
    }
  })
  const element = h(
    "section",
    { class: "sign-in-screen", "aria-labelledby": "sign-in-title" },
    heading,
    h(
      "p",
      { class: "hint" },
      "Use an API key and secret of your cloud. The key decides the cloud you see."
    ),
    notice === undefined ? null : h("p", { class: "notice", role: "status" }, notice),
    form
  )
  heading.id = "sign-in-title"
  return { element, heading }
}
