/**
 * ctxlog over HTTP: a Cloudinary-compatible API, a native JSON API and live change streams.
 *
 * @since 0.1.0
 */
export * as AdminApi from "./AdminApi.js"
export * as ApiEnv from "./ApiEnv.js"
export * as ApiError from "./ApiError.js"
export * as Body from "./Body.js"
export * as ChangeStream from "./ChangeStream.js"
export * as Console from "./Console.js"
export * as ConsoleSessions from "./ConsoleSessions.js"
export * as Credentials from "./Credentials.js"
export * as HttpApi from "./HttpApi.js"
export * as NativeApi from "./NativeApi.js"
export * as OpenApi from "./OpenApi.js"
export * as Resource from "./Resource.js"
export * as SearchApi from "./SearchApi.js"
export * as Server from "./Server.js"
export * as Signature from "./Signature.js"
export * as UploadApi from "./UploadApi.js"
export * as WebhookApi from "./WebhookApi.js"
export * as WebhookDispatcher from "./WebhookDispatcher.js"
export * as WebhookEndpoints from "./WebhookEndpoints.js"
export * as WebhookSender from "./WebhookSender.js"
export * as WebhookSignature from "./WebhookSignature.js"
export * as WebhookTarget from "./WebhookTarget.js"
