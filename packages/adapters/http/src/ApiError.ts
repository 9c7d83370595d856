/**
 * What the HTTP API answers when a request cannot be served: a status and a message, rendered as
 * Cloudinary renders its errors, `{"error":{"message":"..."}}`. Core errors are mapped to the
 * status a Cloudinary client expects for the same mistake.
 *
 * @since 0.1.0
 */
import type { Errors } from "@ctxlog/core"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category errors
 */
export class ApiError extends Schema.TaggedError<ApiError>()("ApiError", {
  status: Schema.Number,
  detail: Schema.String,
  /** Fields added beside `message` in the error body, such as the revisions of a conflict. */
  extra: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const badRequest = (detail: string): ApiError => new ApiError({ status: 400, detail })

/**
 * @since 0.1.0
 * @category constructors
 */
export const unauthorized = (detail: string): ApiError => new ApiError({ status: 401, detail })

/**
 * @since 0.1.0
 * @category constructors
 */
export const forbidden = (detail: string): ApiError => new ApiError({ status: 403, detail })

/**
 * @since 0.1.0
 * @category constructors
 */
export const notFound = (detail: string): ApiError => new ApiError({ status: 404, detail })

/**
 * The errors of the core, each with the status that says whose mistake it was.
 *
 * @since 0.1.0
 * @category models
 */
export type CoreError =
  | Errors.AssetNotFound
  | Errors.RevisionConflict
  | Errors.InvalidCommand
  | Errors.InvalidQuery
  | Errors.EventLogError
  | Errors.ProjectionStoreError
  | { readonly _tag: "PolicyViolation"; readonly message: string }
  | { readonly _tag: "ContextParseError"; readonly message: string }

/**
 * @since 0.1.0
 * @category mapping
 */
export const fromCore = (error: CoreError): ApiError => {
  switch (error._tag) {
    case "AssetNotFound":
      return new ApiError({ status: 404, detail: error.message })
    case "RevisionConflict":
      return new ApiError({
        status: 409,
        detail: error.message,
        extra: { expected_revision: error.expected, actual_revision: error.actual }
      })
    case "InvalidCommand":
    case "InvalidQuery":
    case "PolicyViolation":
    case "ContextParseError":
      return new ApiError({ status: 400, detail: error.message })
    case "EventLogError":
    case "ProjectionStoreError":
      // The store failed, not the caller. 503 would say so better, but the SDK's upload client
      // shows the message of a 500 only.
      return new ApiError({ status: 500, detail: error.message })
  }
}

/**
 * @since 0.1.0
 * @category rendering
 */
export const toResponse = (error: ApiError): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(
    { error: { message: error.detail, ...error.extra } },
    { status: error.status }
  )
