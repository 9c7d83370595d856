/**
 * The web console as a person uses it: a real browser (the system's Chromium, driven by
 * playwright-core) on the page that `ctx serve` serves at /console, against a server of its own
 * on loopback, with webhook receivers beside it. Locators go by role and label, so a control
 * that has no accessible name cannot be found.
 *
 * `CTXLOG_SCREENSHOTS=1` also writes the screenshots of docs/console-*.png.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { chromium } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Running } from "../cli/support/ctx.js"
import { start, useBinary } from "../cli/support/ctx.js"
import type { Receiver } from "../http/support/receiver.js"
import { startReceiver } from "../http/support/receiver.js"
import { until } from "../support/until.js"

useBinary()

const root = fileURLToPath(new URL("../..", import.meta.url))
const built = join(root, "packages/console/dist/index.html")
const screenshots = process.env.CTXLOG_SCREENSHOTS === "1"

/** The person at the console, and a service that changes the same cloud through the API. */
const person = { key: "100000000000001", secret: "person-secret-abcdefghijklmn" }
const service = { key: "100000000000002", secret: "service-secret-abcdefghijklm" }
const stranger = { key: "200000000000001", secret: "other-secret-abcdefghijklmno" }

const chromiumPath = (): string => {
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim()
  } catch {
    throw new Error(
      "chromium is not installed (apt-get install chromium); no browser is downloaded"
    )
  }
}

interface Event {
  readonly revision: number
  readonly source: string
  readonly actor: string
}

let dir: string
let server: Running
let origin: string
let browser: Browser
let context: BrowserContext
let page: Page
let hook: Receiver
let failing: Receiver

const basic = (who: { key: string; secret: string }) =>
  `Basic ${Buffer.from(`${who.key}:${who.secret}`).toString("base64")}`

const api = async (
  method: string,
  path: string,
  body?: unknown,
  who: { key: string; secret: string } = service
): Promise<Record<string, unknown>> => {
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: {
      authorization: basic(who),
      ...(body === undefined ? {} : { "content-type": "application/json" })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const json = (await response.json()) as Record<string, unknown>
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

const command = (name: string, body: Record<string, unknown>, cloud = "demo") =>
  api("POST", `/api/v1/${cloud}/commands/${name}`, body, cloud === "demo" ? service : stranger)

const asset = async (publicId: string) =>
  (await api("GET", `/api/v1/demo/assets/image/upload/${encodeURIComponent(publicId)}`)) as {
    revision: number
    pairs: Array<{ key: string; value: string }>
  }

const shoot = async (target: Page, name: string) => {
  if (!screenshots) return
  // Animations and the caret would make every run's picture differ.
  await target.screenshot({
    path: join(root, "docs", `console-${name}.png`),
    fullPage: true,
    animations: "disabled",
    caret: "hide"
  })
}

const signIn = async (target: Page, who = person) => {
  await target.goto(`${origin}/console`)
  await target.getByLabel("API key").fill(who.key)
  await target.getByLabel("API secret").fill(who.secret)
  await target.getByLabel("API secret").press("Enter")
  await target.getByRole("heading", { name: "Assets", level: 1 }).waitFor()
}

const openAsset = async (target: Page, publicId: string) => {
  await target.goto(`${origin}/console/#/asset/image/upload/${encodeURIComponent(publicId)}`)
  await target.getByRole("heading", { name: publicId, level: 1 }).waitFor()
  await shown(target, /revision \d+ · updated/).waitFor()
}

interface AxeViolation {
  readonly id: string
  readonly impact: string
  readonly nodes: ReadonlyArray<string>
}

/** axe-core's script, which defines `axe` where it is evaluated. */
const axeSource = readFileSync(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8"
)

/** Text on the screen itself (the live regions outside `main` repeat some of it for readers). */
const shown = (target: Page, text: string | RegExp) => target.getByRole("main").getByText(text)

const valueOf = (target: Page, key: string) => target.getByLabel(`Value of ${key}`, { exact: true })

const received = (check: (n: Record<string, unknown>) => boolean) =>
  hook.received.map((r) => JSON.parse(r.body) as Record<string, unknown>).find(check)

beforeAll(async () => {
  if (!existsSync(built)) {
    throw new Error("the console is not built: run pnpm -F @ctxlog/console build first")
  }
  if (screenshots) mkdirSync(join(root, "docs"), { recursive: true })
  dir = mkdtempSync(join(tmpdir(), "ctx-console-"))
  const config = join(dir, "serve.json")
  writeFileSync(
    config,
    JSON.stringify({
      // Short, so that a refused delivery becomes a dead letter within the test.
      retry_schedule: ["50 millis", "50 millis"],
      webhook_timeout: "2 seconds"
    })
  )
  const keys = [
    `cloudinary://${person.key}:${person.secret}@demo`,
    `cloudinary://${service.key}:${service.secret}@demo`,
    `cloudinary://${stranger.key}:${stranger.secret}@other`
  ].join(" ")
  server = start(
    [
      "serve",
      "--port",
      "0",
      "--store",
      "memory:",
      "--config",
      config,
      "--allow-targets",
      "127.0.0.1/32"
    ],
    { env: { CTXLOG_KEYS: keys } }
  )
  const first = await server.nextLine()
  origin = /^ctxlog serving on (http:\/\/\S+)$/.exec(first)?.[1] ?? ""
  if (origin === "") throw new Error(`ctx serve printed ${first}`)
  hook = await startReceiver("/hook")
  failing = await startReceiver("/failing")
  failing.respond = () => 500

  await command("upload", { public_id: "shirt1", context: { caption: "New", product: "shirt" } })
  await command("upload", { public_id: "shirt2", context: { product: "shirt", color: "blue" } })
  await command("upload", { public_id: "hat1", context: { product: "hat" } })
  await command("upload", { public_id: "sale/summer hat", context: { product: "hat" } })
  for (let i = 0; i < 30; i++) {
    await command("upload", {
      public_id: `bulk/${String(i).padStart(2, "0")}`,
      context: "batch=b1"
    })
  }
  await command("upload", { public_id: "secret-of-other", context: "product=shirt" }, "other")

  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true })
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
  page = await context.newPage()
})

afterAll(async () => {
  await browser?.close()
  server?.child.kill("SIGTERM")
  await server?.exited
  await hook?.close()
  await failing?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe("the web console", () => {
  it("refuses a wrong secret and shows the server's message", async () => {
    const answer = await fetch(`${origin}/console/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key: person.key, api_secret: "not-the-secret" })
    })
    expect(answer.status).toBe(401)
    const message = ((await answer.json()) as { error: { message: string } }).error.message

    await page.goto(`${origin}/console`)
    await page.getByRole("heading", { name: "Sign in to ctxlog" }).waitFor()
    await shoot(page, "sign-in")
    await page.getByLabel("API key").fill(person.key)
    await page.getByLabel("API secret").fill("not-the-secret")
    await page.getByRole("button", { name: "Sign in" }).click()
    const alert = page.getByRole("alert").filter({ hasText: message })
    await alert.waitFor()
    expect(await page.getByLabel("API secret").getAttribute("aria-invalid")).toBe("true")
    expect(await page.getByRole("heading", { name: "Assets" }).count()).toBe(0)
  })

  it("can be used from the keyboard, with the fields in reading order", async () => {
    await page.reload()
    await page.getByRole("heading", { name: "Sign in to ctxlog" }).waitFor()
    const focused = () =>
      page.evaluate<string>(
        "document.activeElement?.textContent || " +
          "document.activeElement?.getAttribute('name') || ''"
      )
    await page.keyboard.press("Tab")
    expect(await focused()).toBe("api_key")
    await page.keyboard.press("Tab")
    expect(await focused()).toBe("api_secret")
    await page.keyboard.press("Tab")
    expect(await focused()).toBe("Sign in")
    // The focused control is outlined.
    const outline = await page.evaluate<string>(
      "getComputedStyle(document.activeElement).outlineStyle"
    )
    expect(outline).toBe("solid")
    await page.getByLabel("API key").fill(person.key)
  })

  it("signs in with a key and secret and lists only the key's cloud", async () => {
    await page.getByLabel("API secret").fill(person.secret)
    await page.getByLabel("API secret").press("Enter")
    await page.getByRole("heading", { name: "Assets", level: 1 }).waitFor()
    const header = page.getByRole("banner")
    expect(await header.getByText("Cloud demo").count()).toBe(1)
    await page.getByRole("banner").getByText("Live", { exact: true }).waitFor()

    await page.getByLabel("Search expression").fill("context.product=shirt")
    await page.getByLabel("Search expression").press("Enter")
    await shown(page, "2 assets match.").waitFor()
    const results = page.getByRole("table", { name: "Assets found" })
    expect(await results.getByRole("link").allTextContents()).toEqual(["shirt1", "shirt2"])
    // The other cloud's asset has the same context but is not this cloud's.
    expect(await page.getByRole("link", { name: "secret-of-other" }).count()).toBe(0)
    expect(await results.getByText("color").count()).toBe(1)
  })

  it("suggests context keys in use while a search is typed", async () => {
    const input = page.getByLabel("Search expression")
    await input.fill("context.product=hat AND context.co")
    const option = page.locator(
      "#search-keys option[value='context.product=hat AND context.color']"
    )
    await option.waitFor({ state: "attached" })
    await input.fill("ba")
    await page.locator("#search-keys option[value='context.batch']").waitFor({ state: "attached" })
  })

  it("pages through results with the next cursor", async () => {
    const input = page.getByLabel("Search expression")
    await input.fill("context.batch=b1")
    await page.getByRole("button", { name: "Search", exact: true }).click()
    await shown(page, "30 assets match, page 1.").waitFor()
    const links = page.getByRole("table", { name: "Assets found" }).getByRole("link")
    expect(await links.count()).toBe(25)
    expect(await links.first().textContent()).toBe("bulk/00")
    await page.getByRole("button", { name: "Next page" }).click()
    await shown(page, "30 assets match, page 2.").waitFor()
    expect(await links.allTextContents()).toEqual([
      "bulk/25",
      "bulk/26",
      "bulk/27",
      "bulk/28",
      "bulk/29"
    ])
    expect(await page.getByRole("button", { name: "Next page" }).isDisabled()).toBe(true)
    await page.getByRole("button", { name: "First page" }).click()
    await shown(page, "30 assets match, page 1.").waitFor()
  })

  it("updates listed rows and adds new matches as changes arrive", async () => {
    await page.getByLabel("Search expression").fill("context.product:hat")
    await page.getByLabel("Search expression").press("Enter")
    await shown(page, "2 assets match.").waitFor()
    await shoot(page, "assets")
    await command("add", { public_ids: ["hat1"], context: { color: "grey" } })
    const results = page.getByRole("table", { name: "Assets found" })
    const hat = results.getByRole("row").filter({ has: page.getByRole("link", { name: "hat1" }) })
    await hat.getByText("Updated").waitFor()
    expect(await hat.getByText("grey").count()).toBe(1)
    await command("upload", { public_id: "cap1", context: { product: "hat" } })
    const cap = results.getByRole("row").filter({ has: page.getByRole("link", { name: "cap1" }) })
    await cap.getByText("New", { exact: true }).waitFor()
    // Not a match, so not listed.
    await command("upload", { public_id: "sock1", context: { product: "sock" } })
    await command("add", { public_ids: ["hat1"], context: { size: "m" } })
    await hat.getByText("size").waitFor()
    expect(await page.getByRole("link", { name: "sock1" }).count()).toBe(0)
  })

  it("registers the receiver as a notification URL", async () => {
    await page.getByRole("link", { name: "Notification URLs" }).click()
    await page.getByRole("heading", { name: "Notification URLs", level: 1 }).waitFor()
    await page.getByLabel("URL", { exact: true }).fill(hook.url)
    await page.getByRole("button", { name: "Add URL" }).click()
    await shown(page, /whsec_/).waitFor()
    const table = page.getByRole("table", { name: "Registered notification URLs" })
    await table.getByText(hook.url).waitFor()
    const listed = (await api("GET", "/api/v1/demo/webhooks")) as {
      webhooks: Array<{ url: string; types: Array<string> }>
    }
    expect(listed.webhooks).toEqual([expect.objectContaining({ url: hook.url, types: ["all"] })])
  })

  it("saves an edit as one ui command whose notification names the key", async () => {
    await openAsset(page, "shirt1")
    await valueOf(page, "caption").fill("Hello from the console")
    await page.getByLabel("New key").fill("season")
    await page.getByLabel("New value").fill("summer")
    await page.getByLabel("New value").press("Enter")
    await valueOf(page, "season").waitFor()
    await page.getByRole("heading", { name: "Unsaved changes" }).waitFor()
    await shoot(page, "asset")
    // Enter in a field of the table saves.
    await valueOf(page, "caption").press("Enter")
    await shown(page, "Saved: revision 2.").waitFor()

    await until(() => received((n) => n.source === "ui") !== undefined, 10_000, "the ui webhook")
    const notification = received((n) => n.source === "ui") as {
      notification_type: string
      resources: Record<string, { added: unknown; updated: unknown; removed: unknown }>
      notification_context: { triggered_by: { source: string; id: string } }
    }
    expect(notification.notification_type).toBe("resource_context_changed")
    expect(notification.notification_context.triggered_by).toEqual({ source: "ui", id: person.key })
    expect(notification.resources.shirt1).toMatchObject({
      added: [{ name: "season", value: "summer" }],
      updated: [{ name: "caption", value: "Hello from the console", previous_value: "New" }],
      removed: []
    })
    expect(Object.keys(notification.resources)).toEqual(["shirt1"])
    expect((await asset("shirt1")).pairs).toEqual([
      { key: "caption", value: "Hello from the console" },
      { key: "product", value: "shirt" },
      { key: "season", value: "summer" }
    ])
  })

  it("shows a change made through the API on the open asset at once", async () => {
    await command("add", { public_ids: ["shirt1"], context: { color: "red" } })
    await valueOf(page, "color").waitFor()
    expect(await valueOf(page, "color").inputValue()).toBe("red")
    await shown(page, `Revision 3 by ${service.key} (API): color added.`).waitFor()
    await shown(page, "revision 3 · updated").waitFor()
  })

  it("shows the history with the console's and the API's entries", async () => {
    const history = page.getByRole("region", { name: "History" })
    const ui = history.getByRole("article", { name: "Revision 2: context changed" })
    await ui.waitFor()
    expect(await ui.textContent()).toContain(`by ${person.key} · UI`)
    expect(await ui.textContent()).toContain("Updated caption: New → Hello from the console")
    expect(await ui.textContent()).toContain("Added season = summer")
    const fromApi = history.getByRole("article", { name: "Revision 3: context changed" })
    expect(await fromApi.textContent()).toContain(`by ${service.key} · API`)
    expect(await fromApi.textContent()).toContain("Added color = red")
    const upload = history.getByRole("article", { name: "Revision 1: uploaded" })
    expect(await upload.textContent()).toContain(`by ${service.key} · API`)

    const events = (await api("GET", "/api/v1/demo/history/image/upload/shirt1")) as {
      events: Array<Event>
    }
    expect(events.events.map((e) => [e.revision, e.source, e.actor])).toEqual([
      [1, "api", service.key],
      [2, "ui", person.key],
      [3, "api", service.key]
    ])

    await upload.getByRole("button", { name: "Show the context as of revision 1" }).click()
    const then = page.getByRole("table", { name: "Context as of revision 1" })
    await then.waitFor()
    expect(await then.getByRole("cell").allTextContents()).toEqual([
      "caption",
      "New",
      "product",
      "shirt"
    ])
    expect(page.url()).toContain("as_of=1")
    await shoot(page, "history")
    await page.getByRole("button", { name: "Back to the current context" }).click()
    await then.waitFor({ state: "detached" })
    expect(page.url()).not.toContain("as_of")
  })

  it("checks the limits while typing and disables Save", async () => {
    const save = page.getByRole("button", { name: "Save" })
    await valueOf(page, "color").fill("r".repeat(300))
    await shown(page, /^The context would be \d+ characters; the limit is 255\.$/).waitFor()
    expect(await save.isDisabled()).toBe(true)
    await valueOf(page, "color").fill("")
    expect(await valueOf(page, "color").getAttribute("aria-invalid")).toBe("true")
    await shown(page, "A value must not be empty; remove the pair instead.").waitFor()
    await page.getByLabel("Key of color", { exact: true }).fill("caption")
    await shown(page, "This key is already in the context; use one row per key.").waitFor()
    await page.getByLabel("Key of color", { exact: true }).fill("k".repeat(1025))
    await shown(page, "The key is 1025 characters; the limit is 1024.").waitFor()
    expect(await save.isDisabled()).toBe(true)
    await page.getByRole("button", { name: "Discard changes" }).click()
    await shown(page, "No unsaved changes.").waitFor()
    expect(await valueOf(page, "color").inputValue()).toBe("red")
    expect(await page.getByLabel("Key of color", { exact: true }).getAttribute("aria-invalid"))
      .toBeNull()
  })

  it("keeps unsaved edits when someone else changes the asset, and re-applies them", async () => {
    await valueOf(page, "caption").fill("Mine")
    await page.getByRole("button", { name: "Remove season" }).click()
    await command("replace", {
      public_id: "shirt1",
      context: { caption: "Theirs", product: "shirt", season: "summer", color: "green" }
    })
    const conflict = page.getByRole("region", { name: "Someone else changed this asset" })
    await conflict.waitFor()
    expect(await conflict.textContent()).toContain("it is now at revision 4")
    expect(await conflict.textContent()).toContain(service.key)
    expect(await conflict.textContent()).toContain(
      "Updated caption: Hello from the console → Theirs"
    )
    // Nothing typed is lost, and nothing is saved behind the user's back.
    expect(await valueOf(page, "caption").inputValue()).toBe("Mine")
    expect(await page.getByRole("button", { name: "Save" }).isDisabled()).toBe(true)
    await shoot(page, "conflict")

    await conflict.getByRole("button", { name: "Re-apply my edits on revision 4" }).click()
    const clashes = page.getByRole("region", { name: "Your edits are on the new revision" })
    await clashes.waitFor()
    expect(await clashes.textContent()).toContain("caption: theirs Theirs, yours Mine")
    expect(await valueOf(page, "caption").inputValue()).toBe("Mine")
    expect(await valueOf(page, "color").inputValue()).toBe("green")
    await page.getByRole("button", { name: "Save" }).click()
    await shown(page, "Saved: revision 5.").waitFor()
    expect((await asset("shirt1")).pairs).toEqual([
      { key: "caption", value: "Mine" },
      { key: "product", value: "shirt" },
      { key: "color", value: "green" }
    ])
  })

  it("shows a save that met a newer revision (409) as a conflict and keeps the edits", async () => {
    // A second person whose page does not hear the change stream, so the save meets it first.
    const other = await browser.newContext({ viewport: { width: 1280, height: 860 } })
    await other.route("**/context/stream*", (route) => route.abort())
    const second = await other.newPage()
    await signIn(second)
    await openAsset(second, "shirt2")
    await valueOf(second, "color").fill("navy")
    await command("add", { public_ids: ["shirt2"], context: { fit: "slim" } })
    await second.getByRole("button", { name: "Save" }).click()
    const conflict = second.getByRole("region", { name: "Someone else changed this asset" })
    await conflict.waitFor()
    expect(await conflict.textContent()).toContain("Added fit = slim")
    expect(await valueOf(second, "color").inputValue()).toBe("navy")
    expect((await asset("shirt2")).revision).toBe(2)

    await conflict.getByRole("button", { name: "Discard my edits" }).click()
    await conflict.waitFor({ state: "hidden" })
    await shown(second, "No unsaved changes.").waitFor()
    expect(await valueOf(second, "color").inputValue()).toBe("blue")
    expect(await valueOf(second, "fit").inputValue()).toBe("slim")
    await other.close()
  })

  it("shows an asset deleted under unsaved edits, and keeps the edits", async () => {
    const other = await browser.newContext()
    await other.route("**/context/stream*", (route) => route.abort())
    const second = await other.newPage()
    await signIn(second)
    await openAsset(second, "hat1")
    await valueOf(second, "color").fill("black")
    await command("delete", { public_ids: ["hat1"] })
    await second.getByRole("button", { name: "Save" }).click()
    const conflict = second.getByRole("region", { name: "Someone else changed this asset" })
    await conflict.waitFor()
    expect(await conflict.textContent()).toContain(`It was deleted by ${service.key} (API).`)
    expect(await valueOf(second, "color").inputValue()).toBe("black")
    expect(await second.getByRole("button", { name: "Save" }).isDisabled()).toBe(true)
    await other.close()
  })

  it("shows the server's refusal when the session has ended, and keeps the edits", async () => {
    const other = await browser.newContext()
    const first = await other.newPage()
    await signIn(first)
    await openAsset(first, "shirt2")
    await valueOf(first, "color").fill("teal")
    // The same browser signs out in another tab.
    const tab = await other.newPage()
    await tab.goto(`${origin}/console`)
    await tab.getByRole("button", { name: "Sign out" }).click()
    await shown(tab, "You are signed out.").waitFor()

    const refusal = await first.evaluate<string>(
      "fetch('/api/v1/demo/assets/image/upload/shirt2').then((r) => r.json())" +
        ".then((j) => j.error.message)"
    )
    await first.getByRole("button", { name: "Save" }).click()
    await shown(first, `Your session has ended; sign in again. (The server said: ${refusal})`)
      .waitFor()
    expect((await asset("shirt2")).pairs.find((p) => p.key === "color")?.value).toBe("blue")

    await first.getByLabel("API key").fill(person.key)
    await first.getByLabel("API secret").fill(person.secret)
    await first.getByLabel("API secret").press("Enter")
    await first.getByRole("heading", { name: "shirt2", level: 1 }).waitFor()
    await shown(first, "Your unsaved edits are restored.").waitFor()
    expect(await valueOf(first, "color").inputValue()).toBe("teal")
    await first.getByRole("button", { name: "Save" }).click()
    await shown(first, "Saved: revision 3.").waitFor()
    expect((await asset("shirt2")).pairs.find((p) => p.key === "color")?.value).toBe("teal")
    await other.close()
  })

  it("removes everything in one command at the loaded revision", async () => {
    await openAsset(page, "shirt1")
    await page.getByRole("button", { name: "Remove all" }).click()
    await shown(page, "Saving removes the whole context of revision 5.").waitFor()
    await page.getByRole("button", { name: "Restore color" }).waitFor()
    await page.getByRole("button", { name: "Save" }).click()
    await shown(page, "Saved: revision 6.").waitFor()
    await shown(page, "No context yet. Add a pair below.").waitFor()
    expect((await asset("shirt1")).pairs).toEqual([])
    await until(
      () =>
        received((n) =>
          n.source === "ui" && n.request_id !== undefined &&
          JSON.stringify(n.resources).includes("\"revision\":6")
        ) !== undefined,
      10_000,
      "the webhook"
    )
    const notification = received((n) =>
      n.source === "ui" && JSON.stringify(n.resources).includes("\"revision\":6")
    ) as { resources: Record<string, { removed: Array<{ name: string }> }> }
    expect(notification.resources.shirt1!.removed.map((r) => r.name)).toEqual([
      "caption",
      "product",
      "color"
    ])
  })

  it("lists failed deliveries and redelivers them", async () => {
    await api("POST", "/api/v1/demo/webhooks", { url: failing.url, types: ["upload"] })
    await command("upload", { public_id: "late1", context: "a=1" })
    await command("upload", { public_id: "late2", context: "a=2" })
    const letters = async () =>
      ((await api("GET", "/api/v1/demo/webhooks/failed")) as {
        failed: Array<{ notification_id: string }>
      }).failed
    await until(async () => (await letters()).length === 2, 20_000, "two dead letters")
    const [first, second] = await letters()
    await page.getByRole("link", { name: "Notification URLs" }).click()
    const failed = page.getByRole("table", { name: "Failed deliveries" })
    await failed.getByText(second!.notification_id).waitFor()
    await failed.getByText(first!.notification_id).waitFor()
    expect(await failed.textContent()).toContain(failing.url)
    expect(await failed.textContent()).toContain("upload")
    await shoot(page, "webhooks")
    failing.respond = () => 200
    const before = failing.received.length
    // One letter first, by its own button; the other stays.
    await page.getByRole("button", { name: `Redeliver ${first!.notification_id}` }).click()
    await shown(page, "Redelivered 1; 0 still failing.").waitFor()
    await until(() => failing.received.length > before, 10_000, "the redelivery")
    await failed.getByText(first!.notification_id).waitFor({ state: "detached" })
    await failed.getByText(second!.notification_id).waitFor()
    expect((await letters()).map((l) => l.notification_id)).toEqual([second!.notification_id])
    // Then all that are left.
    await page.getByRole("button", { name: "Redeliver all" }).click()
    await shown(page, "No failed delivery.").waitFor()
    expect(await letters()).toEqual([])

    await page.getByRole("button", { name: `Remove ${failing.url}` }).click()
    await page.getByRole("table", { name: "Registered notification URLs" }).getByText(failing.url)
      .waitFor({ state: "detached" })
  })

  it("reflows on a 375-pixel screen", async () => {
    const narrow = await browser.newContext({ viewport: { width: 375, height: 760 } })
    const phone = await narrow.newPage()
    await signIn(phone)
    await phone.getByLabel("Search expression").fill("context.product=shirt")
    await phone.getByLabel("Search expression").press("Enter")
    await shown(phone, /^\d+ assets? match/).waitFor()
    await shoot(phone, "assets-375")
    await openAsset(phone, "shirt2")
    await valueOf(phone, "color").waitFor()
    // Nothing is wider than the screen: the page does not scroll sideways.
    const width = await phone.evaluate<number>("document.documentElement.scrollWidth")
    expect(width).toBeLessThanOrEqual(375)
    await shoot(phone, "asset-375")
    await narrow.close()
  })

  it("has no WCAG 2 A or AA violations that axe-core finds on its screens", async () => {
    const checked = await browser.newContext({ viewport: { width: 1280, height: 860 } })
    const tab = await checked.newPage()
    const problems: Array<string> = []
    const audit = async (screen: string) => {
      // Evaluated through the debugging protocol, which the page's CSP does not govern.
      await tab.evaluate(axeSource)
      const { passes, violations } = await tab.evaluate<{
        passes: number
        violations: Array<AxeViolation>
      }>(
        "axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })" +
          ".then((r) => ({ passes: r.passes.length, violations: r.violations.map((v) => " +
          "({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) })) }))"
      )
      // Rules that passed show that the audit ran over the screen at all.
      if (passes < 5) problems.push(`${screen}: only ${passes} rules were checked`)
      for (const v of violations) problems.push(`${screen}: ${v.id} (${v.impact}) at ${v.nodes}`)
    }
    await tab.goto(`${origin}/console`)
    await tab.getByLabel("API key").waitFor()
    await audit("sign-in")
    await signIn(tab)
    await tab.getByLabel("Search expression").fill("context.product=shirt")
    await tab.getByLabel("Search expression").press("Enter")
    await shown(tab, /^\d+ assets? match/).waitFor()
    await audit("assets")
    await openAsset(tab, "shirt1")
    await audit("asset")
    await tab.getByRole("link", { name: "Notification URLs" }).click()
    await tab.getByRole("heading", { name: "Notification URLs", level: 1 }).waitFor()
    await audit("notification URLs")
    await checked.close()
    expect(problems).toEqual([])
  })

  it("signs out", async () => {
    // Asked only if an edit is still unsaved.
    page.once("dialog", (dialog) => void dialog.accept())
    await page.getByRole("button", { name: "Sign out" }).click()
    await shown(page, "You are signed out.").waitFor()
    const after = await page.evaluate(async () => (await fetch("/console/session")).status)
    expect(after).toBe(401)
  })
})
