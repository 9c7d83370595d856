/**
 * Opaque paging cursors. A cursor names the last asset of a page, so the next page starts after
 * it even while assets are added or removed; it is bound to the query that made it.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Schema from "effect/Schema"
import { AssetId } from "./AssetId.js"
import { InvalidQuery } from "./Errors.js"

const Payload = Schema.parseJson(Schema.Struct({ q: Schema.String, after: AssetId }))
const encodePayload = Schema.encodeSync(Payload)
const decodePayload = Schema.decodeEither(Payload)

/**
 * @since 0.1.0
 * @category encoding
 */
export const encode = (query: string, after: AssetId): string =>
  Encoding.encodeBase64Url(encodePayload({ q: query, after }))

/**
 * Reads a cursor made by `encode` for the same query.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (
  query: string,
  cursor: string,
  path = "next_cursor"
): Effect.Effect<AssetId, InvalidQuery> => {
  const invalid = (detail: string) => Effect.fail(new InvalidQuery({ path, detail }))
  return Either.match(Encoding.decodeBase64UrlString(cursor), {
    onLeft: () => invalid("not a cursor this server made"),
    onRight: (json) =>
      Either.match(decodePayload(json), {
        onLeft: () => invalid("not a cursor this server made"),
        onRight: ({ after, q }) =>
          q === query ? Effect.succeed(after) : invalid("the cursor belongs to another query")
      })
  })
}
