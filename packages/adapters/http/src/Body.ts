/**
 * The fields of a request, whichever way the client sent them: a multipart form (what the SDK
 * sends, chunked), a urlencoded form, JSON, or the query string. Repeated `name[]` fields become
 * one list under `name`. A file part is counted, not kept: ctxlog records assets, not their bytes.
 *
 * @since 0.1.0
 */
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Multipart from "@effect/platform/Multipart"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as ApiError from "./ApiError.js"
import type * as Signature from "./Signature.js"

/**
 * A file part: its name, type, size and first bytes (enough to tell its format).
 *
 * @since 0.1.0
 * @category models
 */
export interface FilePart {
  readonly filename: string
  readonly contentType: string
  readonly bytes: number
  readonly head: Uint8Array
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Body {
  readonly fields: Signature.Fields
  readonly file?: FilePart | undefined
  /** The body itself, when it was JSON. */
  readonly json?: Readonly<Record<string, unknown>> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Limits {
  /** The largest urlencoded or JSON body, and the largest text field of a form, in bytes. */
  readonly maxFieldBytes: number
  /** The largest file part, in bytes. */
  readonly maxFileBytes: number
  readonly maxParts: number
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultLimits: Limits = {
  maxFieldBytes: 1024 * 1024,
  maxFileBytes: 100 * 1024 * 1024,
  maxParts: 2100
}

type Mutable = Record<string, Signature.Value>

const put = (fields: Mutable, rawName: string, value: string) => {
  const list = rawName.endsWith("[]")
  const name = list ? rawName.slice(0, -2) : rawName
  const known = fields[name]
  if (list || Array.isArray(known)) {
    const items = Array.isArray(known) ? known : typeof known === "string" ? [known] : []
    fields[name] = [...items, value]
  } else {
    fields[name] = value
  }
}

const fromParams = (params: Iterable<readonly [string, string]>): Mutable => {
  const fields: Mutable = {}
  for (const [name, value] of params) put(fields, name, value)
  return fields
}

/**
 * Context as an object, as newer clients send it in JSON: the SDK's own text encoding, so that
 * the signature is computed over the same text the client signed.
 */
const contextText = (record: Readonly<Record<string, unknown>>): string =>
  Object.entries(record).map(([key, value]) => {
    const text = typeof value === "string" ? value : JSON.stringify(value)
    return `${key}=${text.replace(/([=|])/g, "\\$1")}`
  }).join("|")

const fromJson = (json: unknown): Effect.Effect<Mutable, ApiError.ApiError> => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return Effect.fail(ApiError.badRequest("the JSON body must be an object"))
  }
  const fields: Mutable = {}
  for (const [rawName, value] of Object.entries(json)) {
    const name = rawName.endsWith("[]") ? rawName.slice(0, -2) : rawName
    if (value === null || value === undefined) continue
    if (
      typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ) {
      fields[name] = value
    } else if (Array.isArray(value)) {
      // Lists of objects (a search's `sort_by`) are read from the JSON itself, not as fields.
      if (value.every((v) => ["string", "number", "boolean"].includes(typeof v))) {
        fields[name] = value as Array<string | number | boolean>
      }
    } else if (name === "context" || name === "metadata") {
      fields[name] = contextText(value as Record<string, unknown>)
    }
  }
  return Effect.succeed(fields)
}

const tooLarge = (limits: Limits) =>
  ApiError.badRequest(`the request body is larger than ${limits.maxFieldBytes} bytes`)

const fileTooLarge = (limits: Limits) =>
  ApiError.badRequest(`the file is larger than ${limits.maxFileBytes} bytes`)

const multipart = (request: HttpServerRequest.HttpServerRequest, limits: Limits) =>
  Effect.gen(function*() {
    if (!/;\s*boundary=/i.test(request.headers["content-type"] ?? "")) {
      return yield* ApiError.badRequest("the multipart/form-data content type has no boundary")
    }
    const fields: Mutable = {}
    let file: FilePart | undefined
    yield* request.multipartStream.pipe(
      Multipart.withLimitsStream({
        maxParts: Option.some(limits.maxParts),
        maxFieldSize: limits.maxFieldBytes,
        // Files are measured below, where the error can say what was too large.
        maxFileSize: Option.none()
      }),
      Stream.runForEach((part) =>
        part._tag === "Field"
          ? Effect.sync(() => put(fields, part.key, part.value))
          : Effect.gen(function*() {
            let bytes = 0
            let head = new Uint8Array(0)
            yield* Stream.runForEach(part.content, (chunk) =>
              Effect.suspend(() => {
                if (bytes + chunk.length > limits.maxFileBytes) {
                  return Effect.fail(fileTooLarge(limits))
                }
                if (head.length < 32) {
                  const next = new Uint8Array(Math.min(32, head.length + chunk.length))
                  next.set(head)
                  next.set(chunk.subarray(0, next.length - head.length), head.length)
                  head = next
                }
                bytes += chunk.length
                return Effect.void
              }))
            if (part.key === "file") {
              file = { filename: part.name, contentType: part.contentType, bytes, head }
            }
          })
      ),
      Effect.mapError((error) => {
        if (error._tag === "ApiError") return error
        switch (error.reason) {
          case "FileTooLarge":
            return fileTooLarge(limits)
          case "FieldTooLarge":
            return ApiError.badRequest(`a form field is larger than ${limits.maxFieldBytes} bytes`)
          case "TooManyParts":
            return ApiError.badRequest(`the form has more than ${limits.maxParts} parts`)
          case "BodyTooLarge":
            return ApiError.badRequest("the request body is too large")
          default:
            return ApiError.badRequest(`the multipart body is malformed: ${error.message}`)
        }
      }),
      // The parser throws on some malformed input; that is the client's mistake, not a crash.
      Effect.catchAllDefect((defect) =>
        Effect.fail(ApiError.badRequest(`the multipart body is malformed: ${String(defect)}`))
      )
    )
    return { fields, file }
  })

const exceeded = (cause: unknown): boolean =>
  cause instanceof Error && cause.message === "maxBytes exceeded"

const text = (request: HttpServerRequest.HttpServerRequest, limits: Limits) => {
  // A declared length over the limit is refused before reading, so the client hears why; a
  // chunked body that grows past it is cut off where it crosses the limit.
  const declared = Number(request.headers["content-length"] ?? "0")
  if (declared > limits.maxFieldBytes) return Effect.fail(tooLarge(limits))
  return request.text.pipe(
    HttpIncomingMessage.withMaxBodySize(Option.some(limits.maxFieldBytes)),
    Effect.mapError((error) =>
      exceeded(error.cause)
        ? tooLarge(limits)
        : ApiError.badRequest(`the request body cannot be read: ${error.message}`)
    )
  )
}

/**
 * Reads the fields of a request: the query string, then the body's fields over it. A GET or
 * HEAD body is not read, though the SDK announces a form on every request.
 *
 * @since 0.1.0
 * @category reading
 */
export const read = (
  request: HttpServerRequest.HttpServerRequest,
  limits: Limits = defaultLimits
): Effect.Effect<Body, ApiError.ApiError> =>
  Effect.gen(function*() {
    const url = new URL(request.url, "http://localhost")
    const query = fromParams(url.searchParams)
    if (request.method === "GET" || request.method === "HEAD") return { fields: query }
    const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
    if (type === "multipart/form-data") {
      const body = yield* multipart(request, limits)
      return { fields: { ...query, ...body.fields }, file: body.file }
    }
    const raw = yield* text(request, limits)
    if (raw.trim() === "") return { fields: query }
    if (type === "application/json" || type.endsWith("+json")) {
      const json = yield* Effect.try({
        try: () => JSON.parse(raw) as unknown,
        catch: (e) =>
          ApiError.badRequest(`the JSON body is malformed: ${e instanceof Error ? e.message : e}`)
      })
      const fields = yield* fromJson(json)
      return { fields: { ...query, ...fields }, json: json as Record<string, unknown> }
    }
    if (type === "application/x-www-form-urlencoded" || type === "") {
      return { fields: { ...query, ...fromParams(new URLSearchParams(raw)) } }
    }
    return yield* ApiError.badRequest(
      `the body's content type ${type} is not multipart/form-data, ` +
        "application/x-www-form-urlencoded or application/json"
    )
  })

/**
 * A field as text; a list or a missing field gives `undefined`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const string = (fields: Signature.Fields, name: string): string | undefined => {
  const value = fields[name]
  return typeof value === "string"
    ? value
    : typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : undefined
}

/**
 * A field as a list: a single value is a list of one.
 *
 * @since 0.1.0
 * @category accessors
 */
export const strings = (fields: Signature.Fields, name: string): ReadonlyArray<string> => {
  const value = fields[name]
  if (Array.isArray(value)) return value.map(String)
  const one = string(fields, name)
  return one === undefined || one === "" ? [] : [one]
}
