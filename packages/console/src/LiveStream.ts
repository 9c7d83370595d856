/**
 * The cloud's change stream, open while the page is: one `EventSource` on
 * `/v1_1/<cloud>/context/stream` (the cookie authenticates it), shared by every view. The
 * browser reconnects by itself with `Last-Event-ID`, and the server resumes right after the last
 * notification seen, so nothing is missed across a dropped connection.
 */
import type { Notification, NotificationType } from "./Api.js"

export type State = "connecting" | "live" | "reconnecting" | "stopped"

export interface LiveStream {
  /** Calls `listener` with every notification from now on; returns the way to stop. */
  readonly subscribe: (listener: (n: Notification) => void) => () => void
  readonly onState: (listener: (state: State) => void) => () => void
  readonly state: () => State
  readonly close: () => void
}

const TYPES: ReadonlyArray<NotificationType> = ["resource_context_changed", "upload", "delete"]

const isNotification = (value: unknown): value is Notification =>
  typeof value === "object" && value !== null && "notification_type" in value &&
  "resources" in value && typeof (value as { resources: unknown }).resources === "object"

export const open = (url: string): LiveStream => {
  const listeners = new Set<(n: Notification) => void>()
  const stateListeners = new Set<(s: State) => void>()
  let state: State = "connecting"
  const setState = (next: State) => {
    if (next === state) return
    state = next
    for (const l of stateListeners) l(state)
  }
  const source = new EventSource(url)
  const onEvent = (event: MessageEvent<string>) => {
    let data: unknown
    try {
      data = JSON.parse(event.data)
    } catch {
      return
    }
    if (!isNotification(data)) return
    for (const l of listeners) l(data)
  }
  // The server names each event by its notification type, so `onmessage` alone sees none.
  for (const type of TYPES) source.addEventListener(type, onEvent)
  source.addEventListener("message", onEvent)
  source.addEventListener("open", () => setState("live"))
  source.addEventListener("error", () =>
    // CLOSED: the server refused (signed out, say); the browser will not try again.
    setState(source.readyState === EventSource.CLOSED ? "stopped" : "reconnecting"))
  return {
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    onState: (listener) => {
      stateListeners.add(listener)
      return () => stateListeners.delete(listener)
    },
    state: () => state,
    close: () => {
      source.close()
      setState("stopped")
    }
  }
}

/** The change a notification brings to one asset, if it names it. */
export const changeOf = (
  n: Notification,
  asset: { readonly resource_type: string; readonly type: string; readonly public_id: string }
) => {
  const change = n.resources[asset.public_id]
  return change !== undefined && change.resource_type === asset.resource_type &&
      change.type === asset.type
    ? change
    : undefined
}

/** Who made a change and how: "1234 (API)". */
export const who = (n: Notification): string =>
  `${n.notification_context.triggered_by.id} (${sourceName(n.source)})`

export const sourceName = (source: string): string =>
  source === "ui" ? "UI" : source === "api" ? "API" : source
