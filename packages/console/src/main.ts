/**
 * The console's entry: asks the server whether this browser is signed in, then shows the
 * sign-in screen or the signed-in shell — a header with the cloud, the main navigation, the
 * state of the change stream and sign-out — and the screen the address names.
 */
import * as Announcer from "./Announcer.js"
import type { Session } from "./Api.js"
import * as Api from "./Api.js"
import * as AssetView from "./AssetView.js"
import { h, replace } from "./Dom.js"
import * as DraftStore from "./DraftStore.js"
import * as LiveStream from "./LiveStream.js"
import * as Router from "./Router.js"
import * as SearchView from "./SearchView.js"
import * as SessionApi from "./Session.js"
import * as SignInView from "./SignInView.js"
import * as Validation from "./Validation.js"
import type { View } from "./View.js"
import { messageOf } from "./View.js"
import * as WebhooksView from "./WebhooksView.js"

const main = document.getElementById("main")!
const top = document.getElementById("top")!

const STATE_TEXT: Record<LiveStream.State, string> = {
  connecting: "Connecting to live updates…",
  live: "Live",
  reconnecting: "Reconnecting…",
  stopped: "Live updates stopped"
}

let stopApp: (() => void) | undefined

const showSignIn = (notice?: string) => {
  stopApp?.()
  stopApp = undefined
  top.hidden = true
  replace(top)
  const screen = SignInView.make(start, notice)
  replace(main, screen.element)
  document.title = "Sign in · ctxlog console"
  screen.heading.focus()
  if (notice !== undefined) Announcer.status(notice)
}

const start = (session: Session) => {
  stopApp?.()
  let active = true
  const client = Api.client(session, (message) => {
    // Unsaved edits stay in this tab's storage and come back after signing in again.
    if (active) showSignIn(`Your session has ended; sign in again. (The server said: ${message})`)
  })
  const live = LiveStream.open(client.streamUrl)
  const env = { client, live, limits: Validation.fromSession(session) }

  const liveState = h(
    "span",
    { class: `live-state live-${live.state()}` },
    STATE_TEXT[live.state()]
  )
  const stopState = live.onState((state) => {
    liveState.className = `live-state live-${state}`
    liveState.textContent = STATE_TEXT[state]
    if (state === "stopped") Announcer.alert("Live updates stopped. Reload the page to resume.")
  })
  const links = {
    assets: h("a", { href: "#/assets" }, "Assets"),
    webhooks: h("a", { href: "#/webhooks" }, "Notification URLs")
  }
  const signOut = h("button", { type: "button", class: "sign-out" }, "Sign out")
  signOut.addEventListener("click", async () => {
    if (
      DraftStore.any(session.cloud) &&
      !window.confirm("Some assets have unsaved edits. Sign out and lose them?")
    ) return
    try {
      await SessionApi.signOut(session)
    } catch (e) {
      Announcer.alert(`Not signed out: ${messageOf(e)}`)
      return
    }
    DraftStore.clear()
    history.replaceState(null, "", "#/assets")
    showSignIn("You are signed out.")
  })
  replace(
    top,
    h("p", { class: "brand" }, h("span", { "aria-hidden": "true", class: "logo" }, "◆"), " ctxlog"),
    h(
      "nav",
      { "aria-label": "Main" },
      h("ul", {}, h("li", {}, links.assets), h("li", {}, links.webhooks))
    ),
    h(
      "div",
      { class: "who" },
      h("span", { class: "cloud" }, "Cloud ", h("strong", {}, session.cloud)),
      h("span", { class: "key" }, "Key ", h("code", {}, session.api_key)),
      liveState,
      signOut
    )
  )
  top.hidden = false

  let view: View | undefined
  let shown: Router.Route | undefined
  const show = () => {
    const route = Router.parse(location.hash)
    if (view !== undefined && shown !== undefined && Router.sameScreen(shown, route)) {
      view.update?.(route)
      shown = route
      return
    }
    view?.dispose()
    view = route.name === "asset"
      ? AssetView.make(env, route.asset, route.asOf)
      : route.name === "webhooks"
      ? WebhooksView.make(env)
      : SearchView.make(env, route.expression)
    shown = route
    for (const [name, link] of Object.entries(links)) {
      const here = name === route.name || (name === "assets" && route.name === "asset")
      if (here) link.setAttribute("aria-current", "page")
      else link.removeAttribute("aria-current")
    }
    document.title = `${
      route.name === "asset"
        ? route.asset.public_id
        : route.name === "webhooks"
        ? "Notification URLs"
        : "Assets"
    } · ${session.cloud} · ctxlog console`
    replace(main, view.element)
    view.heading.focus()
  }
  const onHash = () => {
    // The skip link's "#main" is not a route.
    if (location.hash === "#main") return
    show()
  }
  window.addEventListener("hashchange", onHash)
  const warn = (event: BeforeUnloadEvent) => {
    if (DraftStore.any(session.cloud)) event.preventDefault()
  }
  window.addEventListener("beforeunload", warn)
  show()

  stopApp = () => {
    active = false
    view?.dispose()
    view = undefined
    stopState()
    live.close()
    window.removeEventListener("hashchange", onHash)
    window.removeEventListener("beforeunload", warn)
  }
}

document.querySelector<HTMLAnchorElement>("a.skip")?.addEventListener("click", (event) => {
  event.preventDefault()
  main.focus()
})

const boot = async () => {
  try {
    const session = await SessionApi.current()
    if (session === undefined) showSignIn()
    else start(session)
  } catch (e) {
    replace(
      main,
      h("h1", {}, "ctxlog console"),
      h("p", { class: "error", role: "alert" }, `The server did not answer: ${messageOf(e)}`),
      h("button", { type: "button", onclick: () => void boot() }, "Try again")
    )
  }
}

void boot()
