/**
 * The OpenAPI 3.1 description of the native JSON API, served at `/openapi.json`. The
 * Cloudinary-compatible endpoints are described by Cloudinary's own documentation; they are
 * listed here only so that a reader knows they exist.
 *
 * @since 0.1.0
 */

const error = {
  description: "The request was refused; the message says why",
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } }
}

const errors = {
  "400": error,
  "401": error,
  "403": error,
  "404": error,
  "500": error
}

const ok = (schema: string, description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${schema}` } } }
})

const assetPath = [
  { name: "cloud", in: "path", required: true, schema: { type: "string" } },
  {
    name: "resource_type",
    in: "path",
    required: true,
    schema: { type: "string", enum: ["image", "video", "raw"] }
  },
  { name: "type", in: "path", required: true, schema: { type: "string", example: "upload" } },
  {
    name: "public_id",
    in: "path",
    required: true,
    description: "The public id; a `/` in it may be sent as `%2F` or as a path separator",
    schema: { type: "string" }
  }
]

const commandNames = ["upload", "add", "remove_all", "replace", "remove_keys", "delete"]

const contextSchema = {
  description: "Pipe text (`k=v|k2=v2`), an object of strings, or ordered pairs",
  oneOf: [
    { type: "string" },
    { type: "object", additionalProperties: { type: "string" } },
    { type: "array", items: { $ref: "#/components/schemas/Pair" } }
  ]
}

/**
 * @since 0.1.0
 * @category constants
 */
export const document = {
  openapi: "3.1.0",
  info: {
    title: "ctxlog native API",
    version: "0.1.0",
    description: "Contextual metadata of media assets as an event-sourced log: what the " +
      "Cloudinary-compatible API has no call for (history, reads as of a point, removing " +
      "single keys, expected revisions, idempotency keys)."
  },
  servers: [{ url: "/" }],
  security: [{ basic: [] }],
  paths: {
    "/api/v1/{cloud}/commands/{command}": {
      post: {
        summary: "Run a command",
        description: "Commands are idempotent by `command_id` or the `Idempotency-Key` header: " +
          "a repeat changes nothing and returns the first result with `duplicate: true`.",
        parameters: [
          { name: "cloud", in: "path", required: true, schema: { type: "string" } },
          {
            name: "command",
            in: "path",
            required: true,
            schema: { type: "string", enum: commandNames }
          },
          { name: "Idempotency-Key", in: "header", schema: { type: "string", maxLength: 200 } }
        ],
        requestBody: {
          required: true,
          content: { "application/json": { schema: { $ref: "#/components/schemas/Command" } } }
        },
        responses: {
          "200": ok("CommandResult", "The command's result"),
          ...errors,
          "409": {
            ...error,
            description: "The asset is not at `expected_revision`; nothing was changed"
          }
        }
      }
    },
    "/api/v1/{cloud}/assets/{resource_type}/{type}/{public_id}": {
      get: {
        summary: "An asset's context, now or as of a revision or a time",
        parameters: [
          ...assetPath,
          {
            name: "as_of",
            in: "query",
            description: "A revision (a whole number) or an ISO 8601 time",
            schema: { type: "string" }
          }
        ],
        responses: { "200": ok("Asset", "The asset"), ...errors }
      }
    },
    "/api/v1/{cloud}/transform/{resource_type}/{type}/{public_id}": {
      get: {
        summary: "The effective transformation of an asset, and its delivery URL",
        description: "Conditions on the asset's context (if_ctx:…, if_!key!_in_ctx, if_else, " +
          "if_end) are decided and context variables ($name_ctx:!key!) substituted.",
        parameters: [
          ...assetPath,
          { name: "transformation", in: "query", required: true, schema: { type: "string" } }
        ],
        responses: { "200": ok("Transformed", "The resolved transformation"), ...errors }
      }
    },
    "/api/v1/{cloud}/history/{resource_type}/{type}/{public_id}": {
      get: {
        summary: "An asset's events: who changed what, when and how",
        parameters: assetPath,
        responses: { "200": ok("History", "The events, oldest first"), ...errors }
      }
    },
    "/api/v1/{cloud}/assets": {
      get: {
        summary: "Assets by context key (and value), or by public-id prefix",
        parameters: [
          { name: "cloud", in: "path", required: true, schema: { type: "string" } },
          ...["key", "value", "prefix", "resource_type", "type", "next_cursor"].map((name) => ({
            name,
            in: "query",
            schema: { type: "string" }
          })),
          {
            name: "max_results",
            in: "query",
            schema: { type: "integer", minimum: 1, maximum: 500, default: 10 }
          }
        ],
        responses: { "200": ok("AssetPage", "One page of assets"), ...errors }
      }
    },
    "/api/v1/{cloud}/keys": {
      get: {
        summary: "The context keys in use in the cloud, in code point order (for suggestions)",
        parameters: [
          { name: "cloud", in: "path", required: true, schema: { type: "string" } },
          { name: "prefix", in: "query", schema: { type: "string" } },
          { name: "after", in: "query", schema: { type: "string" } },
          {
            name: "limit",
            in: "query",
            schema: { type: "integer", minimum: 1, maximum: 500, default: 100 }
          }
        ],
        responses: { "200": ok("Keys", "The keys"), ...errors }
      }
    },
    "/api/v1/{cloud}/head": {
      get: {
        summary: "The log position of the last event",
        parameters: [{ name: "cloud", in: "path", required: true, schema: { type: "string" } }],
        responses: { "200": ok("Head", "The head"), ...errors }
      }
    },
    "/v1_1/{cloud}/context/stream": {
      get: {
        summary: "Live notifications of the cloud, as server-sent events",
        description: "Each event's id is a log position; reconnect with `Last-Event-ID` (or " +
          "`from`) to continue after it. Authenticate with Basic, or sign the query with " +
          "`api_key`, `timestamp` and `signature` as for the Upload API.",
        parameters: [
          { name: "cloud", in: "path", required: true, schema: { type: "string" } },
          { name: "Last-Event-ID", in: "header", schema: { type: "string" } },
          { name: "from", in: "query", schema: { type: "integer", minimum: 0 } },
          {
            name: "types",
            in: "query",
            description: "Comma-separated: resource_context_changed, upload, delete",
            schema: { type: "string" }
          }
        ],
        responses: {
          "200": { description: "An event stream", content: { "text/event-stream": {} } },
          ...errors
        }
      }
    }
  },
  components: {
    securitySchemes: {
      basic: { type: "http", scheme: "basic", description: "api_key:api_secret of the cloud" }
    },
    schemas: {
      Error: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["message"],
            properties: {
              message: { type: "string" },
              expected_revision: { type: "integer" },
              actual_revision: { type: "integer" }
            }
          }
        }
      },
      Pair: {
        type: "object",
        required: ["key", "value"],
        properties: { key: { type: "string" }, value: { type: "string" } }
      },
      Command: {
        type: "object",
        properties: {
          public_id: { type: "string" },
          public_ids: { type: "array", items: { type: "string" }, maxItems: 1000 },
          resource_type: { type: "string", enum: ["image", "video", "raw"], default: "image" },
          type: { type: "string", default: "upload" },
          context: contextSchema,
          keys: { type: "array", items: { type: "string" }, description: "For remove_keys" },
          expected_revision: {
            type: "integer",
            minimum: 0,
            description: "For upload and replace: refuse with 409 unless the asset is at it " +
              "(0: the asset must not exist)"
          },
          command_id: { type: "string", maxLength: 200 },
          source: { type: "string", enum: ["api", "ui"], default: "api" }
        }
      },
      CommandResult: {
        type: "object",
        required: ["command_id", "duplicate", "position", "applied", "changed", "not_found"],
        properties: {
          command_id: { type: "string" },
          duplicate: { type: "boolean" },
          position: { type: "integer" },
          applied: { type: "array", items: { type: "string" } },
          changed: { type: "array", items: { type: "string" } },
          not_found: { type: "array", items: { type: "string" } },
          revisions: { type: "object", additionalProperties: { type: "integer" } }
        }
      },
      Asset: {
        type: "object",
        required: ["cloud", "resource_type", "type", "public_id", "revision", "context"],
        properties: {
          cloud: { type: "string" },
          resource_type: { type: "string" },
          type: { type: "string" },
          public_id: { type: "string" },
          revision: { type: "integer" },
          position: { type: "integer" },
          context: { type: "object", additionalProperties: { type: "string" } },
          pairs: { type: "array", items: { $ref: "#/components/schemas/Pair" } },
          created_at: { type: "string", format: "date-time" },
          updated_at: { type: "string", format: "date-time" }
        }
      },
      AssetPage: {
        type: "object",
        required: ["assets"],
        properties: {
          assets: { type: "array", items: { $ref: "#/components/schemas/Asset" } },
          next_cursor: { type: "string" }
        }
      },
      History: {
        type: "object",
        required: ["events"],
        properties: {
          events: {
            type: "array",
            items: {
              type: "object",
              properties: {
                event_id: { type: "string" },
                kind: { type: "string", enum: ["AssetUploaded", "ContextChanged", "AssetDeleted"] },
                revision: { type: "integer" },
                position: { type: "integer" },
                command_id: { type: "string" },
                source: { type: "string", enum: ["api", "ui"] },
                actor: { type: "string" },
                timestamp: { type: "string", format: "date-time" },
                context: { type: "array", items: { $ref: "#/components/schemas/Pair" } },
                added: { type: "array", items: { $ref: "#/components/schemas/Pair" } },
                updated: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: {
                      key: { type: "string" },
                      value: { type: "string" },
                      previous: { type: "string" }
                    }
                  }
                },
                removed: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: { key: { type: "string" }, previous: { type: "string" } }
                  }
                }
              }
            }
          }
        }
      },
      Head: { type: "object", properties: { position: { type: "integer" } } },
      Keys: {
        type: "object",
        required: ["keys"],
        properties: { keys: { type: "array", items: { type: "string" } } }
      },
      Transformed: {
        type: "object",
        required: ["transformation", "url"],
        properties: { transformation: { type: "string" }, url: { type: "string" } }
      }
    }
  }
} as const
