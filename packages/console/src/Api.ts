/**
 * The HTTP calls the console makes, all to the server that served it, with the session cookie.
 * Every request that is not a read carries the session's CSRF token. Field names mirror the
 * wire (`public_id`, `expected_revision`) because these types are the wire.
 */

/** A failed call: the HTTP status and the server's `error.message`. */
export class ApiError extends Error {
  readonly status: number
  readonly body: Readonly<Record<string, unknown>>

  constructor(status: number, message: string, body: Readonly<Record<string, unknown>> = {}) {
    super(message)
    this.name = "ApiError"
    this.status = status
    this.body = body
  }

  /** The revision the server holds, when a save met a newer one (409). */
  get actualRevision(): number | undefined {
    const value = this.body.actual_revision
    return typeof value === "number" ? value : undefined
  }
}

export interface Pair {
  readonly key: string
  readonly value: string
}

export interface AssetRef {
  readonly resource_type: string
  readonly type: string
  readonly public_id: string
}

export interface AssetView extends AssetRef {
  readonly cloud: string
  readonly revision: number
  readonly position: number
  readonly context: Readonly<Record<string, string>>
  /** The context in its order (an object's keys may be reordered by JavaScript). */
  readonly pairs: ReadonlyArray<Pair>
  readonly created_at: string
  readonly updated_at: string
}

export interface HistoryEvent {
  readonly event_id: string
  readonly kind: "AssetUploaded" | "ContextChanged" | "AssetDeleted"
  readonly revision: number
  readonly position: number
  readonly command_id: string
  readonly source: "api" | "ui"
  readonly actor: string
  readonly timestamp: string
  readonly context?: ReadonlyArray<Pair>
  readonly added: ReadonlyArray<Pair>
  readonly updated: ReadonlyArray<Pair & { readonly previous: string }>
  readonly removed: ReadonlyArray<{ readonly key: string; readonly previous: string }>
}

export interface SearchResource extends AssetRef {
  readonly revision: number
  readonly created_at: string
  readonly updated_at: string
  readonly context?: Readonly<Record<string, string>>
}

export interface SearchResult {
  readonly total_count: number
  readonly resources: ReadonlyArray<SearchResource>
  readonly next_cursor?: string
}

export interface CommandResult {
  readonly command_id: string
  readonly applied: ReadonlyArray<string>
  readonly changed: ReadonlyArray<string>
  readonly not_found: ReadonlyArray<string>
  readonly revisions: Readonly<Record<string, number>>
}

export type NotificationType = "resource_context_changed" | "upload" | "delete"

export interface Webhook {
  readonly url: string
  readonly types: ReadonlyArray<string>
  readonly created_at: string
  readonly enabled: boolean
  readonly disabled_at?: string
  readonly disabled_reason?: string
  readonly secret?: string
}

export interface DeadLetter {
  readonly url: string
  readonly position: number
  readonly notification_id: string
  readonly notification_type: string
  readonly attempts: number
  readonly error: string
  readonly failed_at: string
}

export interface Named {
  readonly name: string
  readonly value: string
}

/** One notification of the change stream, as product.md §6 describes it. */
export interface Notification {
  readonly notification_type: NotificationType
  readonly notification_id: string
  readonly cloud: string
  readonly source: "api" | "ui"
  readonly timestamp: string
  readonly request_id: string
  readonly resources: Readonly<
    Record<string, {
      readonly resource_type: string
      readonly type: string
      readonly revision: number
      readonly added: ReadonlyArray<Named>
      readonly updated: ReadonlyArray<Named & { readonly previous_value: string }>
      readonly removed: ReadonlyArray<Named>
      readonly context?: { readonly custom: Readonly<Record<string, string>> }
    }>
  >
  readonly notification_context: {
    readonly triggered_at: string
    readonly triggered_by: { readonly source: "api" | "ui"; readonly id: string }
  }
}

/** The session the server opened: the cloud of the key, and the token for writes. */
export interface Session {
  readonly cloud: string
  readonly api_key: string
  readonly csrf_token: string
}

const messageOf = (status: number, body: unknown, fallback: string): string => {
  if (typeof body === "object" && body !== null && "error" in body) {
    const error = (body as { error: unknown }).error
    if (typeof error === "object" && error !== null && "message" in error) {
      const message = (error as { message: unknown }).message
      if (typeof message === "string" && message !== "") return message
    }
  }
  return `${fallback} (HTTP ${status})`
}

const errorBody = (body: unknown): Readonly<Record<string, unknown>> =>
  typeof body === "object" && body !== null && "error" in body &&
    typeof (body as { error: unknown }).error === "object"
    ? (body as { error: Record<string, unknown> }).error
    : {}

/**
 * Sends a request and reads its JSON answer; a 4xx/5xx becomes an `ApiError` with the server's
 * message, and a network failure an `ApiError` with status 0.
 */
export const send = async <A>(
  method: string,
  path: string,
  options: { readonly body?: unknown; readonly csrf?: string | undefined } = {}
): Promise<A> => {
  const headers: Record<string, string> = { accept: "application/json" }
  if (options.body !== undefined) headers["content-type"] = "application/json"
  if (method !== "GET" && options.csrf !== undefined) headers["x-csrf-token"] = options.csrf
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
    })
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause)
    throw new ApiError(0, `The server cannot be reached: ${why}`)
  }
  const text = await response.text()
  let json: unknown = undefined
  if (text !== "") {
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      messageOf(response.status, json, response.statusText || "The request failed"),
      errorBody(json)
    )
  }
  return json as A
}

/** The path of an asset under a prefix: its id is one encoded segment, slashes and all. */
const assetPath = (asset: AssetRef) =>
  `${encodeURIComponent(asset.resource_type)}/${encodeURIComponent(asset.type)}/` +
  encodeURIComponent(asset.public_id)

/** The calls of one signed-in cloud. */
export interface Client {
  readonly session: Session
  readonly asset: (asset: AssetRef, asOf?: number) => Promise<AssetView>
  readonly history: (asset: AssetRef) => Promise<ReadonlyArray<HistoryEvent>>
  readonly command: (
    name: "upload" | "add" | "replace" | "remove_keys" | "remove_all" | "delete",
    body: Readonly<Record<string, unknown>>
  ) => Promise<CommandResult>
  readonly search: (
    expression: string,
    options?: { readonly cursor?: string | undefined; readonly maxResults?: number }
  ) => Promise<SearchResult>
  readonly keys: (prefix: string, limit?: number) => Promise<ReadonlyArray<string>>
  readonly webhooks: () => Promise<ReadonlyArray<Webhook>>
  readonly addWebhook: (url: string, types: ReadonlyArray<string>) => Promise<Webhook>
  readonly removeWebhook: (url: string) => Promise<void>
  readonly failed: () => Promise<ReadonlyArray<DeadLetter>>
  /** Sends the dead letters again: all of them, or those of one notification. */
  readonly redeliver: (notificationId?: string) => Promise<{
    readonly redelivered: ReadonlyArray<DeadLetter>
    readonly failed: ReadonlyArray<DeadLetter>
  }>
  readonly streamUrl: string
}

/**
 * The client of a session; `onSignedOut` runs, with the server's message, when the server no
 * longer knows the session (401).
 */
export const client = (
  session: Session,
  onSignedOut: (message: string) => void = () => {}
): Client => {
  const cloud = encodeURIComponent(session.cloud)
  const api = `/api/v1/${cloud}`
  const csrf = session.csrf_token
  const request = async <A>(
    method: string,
    path: string,
    options?: Parameters<typeof send>[2]
  ): Promise<A> => {
    try {
      return await send<A>(method, path, options)
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) onSignedOut(error.message)
      throw error
    }
  }
  return {
    session,
    asset: (asset, asOf) =>
      request<AssetView>(
        "GET",
        `${api}/assets/${assetPath(asset)}${asOf === undefined ? "" : `?as_of=${asOf}`}`
      ),
    history: async (asset) =>
      (await request<{ events: ReadonlyArray<HistoryEvent> }>(
        "GET",
        `${api}/history/${assetPath(asset)}`
      )).events,
    command: (name, body) =>
      request<CommandResult>("POST", `${api}/commands/${name}`, { body, csrf }),
    search: (expression, options = {}) =>
      request<SearchResult>("POST", `/v1_1/${cloud}/resources/search`, {
        csrf,
        body: {
          expression,
          sort_by: [{ public_id: "asc" }],
          max_results: options.maxResults ?? 25,
          with_field: ["context"],
          ...(options.cursor === undefined ? {} : { next_cursor: options.cursor })
        }
      }),
    keys: async (prefix, limit = 20) =>
      (await request<{ keys: ReadonlyArray<string> }>(
        "GET",
        `${api}/keys?prefix=${encodeURIComponent(prefix)}&limit=${limit}`
      )).keys,
    webhooks: async () =>
      (await request<{ webhooks: ReadonlyArray<Webhook> }>("GET", `${api}/webhooks`)).webhooks,
    addWebhook: (url, types) =>
      request<Webhook>("POST", `${api}/webhooks`, {
        csrf,
        body: types.length === 0 ? { url } : { url, types }
      }),
    removeWebhook: async (url) => {
      await request("DELETE", `${api}/webhooks`, { csrf, body: { url } })
    },
    failed: async () =>
      (await request<{ failed: ReadonlyArray<DeadLetter> }>("GET", `${api}/webhooks/failed`))
        .failed,
    redeliver: (notificationId) =>
      request("POST", `${api}/webhooks/redeliver`, {
        csrf,
        body: notificationId === undefined ? {} : { notification_id: notificationId }
      }),
    streamUrl: `/v1_1/${cloud}/context/stream`
  }
}
