/**
 * The identity of an asset: `(cloud, resource_type, type, public_id)`. Each asset is one event
 * stream, so its identity is also the name of that stream.
 *
 * @since 0.1.0
 */
import * as Order from "effect/Order"
import * as Schema from "effect/Schema"

/**
 * A tenant; Cloudinary calls it the cloud name.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Cloud = Schema.String.pipe(
  Schema.pattern(/^[a-z0-9_-]{1,64}$/, {
    message: () => "a cloud name is 1 to 64 characters of a-z, 0-9, _ and -"
  }),
  Schema.brand("Cloud")
)

/**
 * @since 0.1.0
 * @category models
 */
export type Cloud = typeof Cloud.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const ResourceType = Schema.Literal("image", "video", "raw")

/**
 * @since 0.1.0
 * @category models
 */
export type ResourceType = typeof ResourceType.Type

/**
 * Delivery types. The three that Cloudinary documents for context are listed; others follow the
 * same lexical rule so that a host can add its own without a schema change.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DeliveryType = Schema.String.pipe(
  Schema.pattern(/^[a-z][a-z0-9_]{0,31}$/, {
    message: () => "a delivery type is 1 to 32 characters of a-z, 0-9 and _, starting with a letter"
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type DeliveryType = typeof DeliveryType.Type

/**
 * Counts code points, not UTF-16 units, so that a limit means the same thing to every client.
 *
 * @since 0.1.0
 * @category utils
 */
export const codePointLength = (text: string): number => {
  let n = 0
  for (const _ of text) n++
  return n
}

/**
 * Any non-empty, well-formed UTF-8 string of up to 255 characters.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PublicId = Schema.String.pipe(
  Schema.filter((s) => {
    if (s.length === 0) return "a public id must not be empty"
    if (!s.isWellFormed()) return "a public id must be well-formed Unicode (no lone surrogates)"
    const n = codePointLength(s)
    return n <= 255 || `a public id is at most 255 characters, got ${n}`
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export class AssetId extends Schema.Class<AssetId>("AssetId")({
  cloud: Cloud,
  resourceType: ResourceType,
  type: DeliveryType,
  publicId: PublicId
}) {
  /**
   * The path form people read in messages, e.g. `image/upload/shirt1`.
   *
   * @since 0.1.0
   */
  get path(): string {
    return `${this.resourceType}/${this.type}/${this.publicId}`
  }

  /**
   * A single string that identifies the stream; used as a map key by in-process adapters.
   *
   * @since 0.1.0
   */
  get key(): string {
    return `${this.cloud}\u0000${this.resourceType}\u0000${this.type}\u0000${this.publicId}`
  }

  /**
   * @since 0.1.0
   */
  override toString(): string {
    return `${this.cloud}:${this.path}`
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: {
  readonly cloud: string
  readonly publicId: string
  readonly resourceType?: ResourceType | undefined
  readonly type?: string | undefined
}): AssetId =>
  new AssetId({
    cloud: Cloud.make(input.cloud),
    resourceType: input.resourceType ?? "image",
    type: input.type ?? "upload",
    publicId: input.publicId
  })

/**
 * Decodes an identity from untrusted input, failing with a `ParseError` that names the field.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = Schema.decodeUnknown(AssetId)

/**
 * Compares strings by code point, which is also the byte order of their UTF-8 encodings. Every
 * adapter sorts identities this way, so that a cursor means the same position in each of them.
 *
 * @since 0.1.0
 * @category ordering
 */
export const compareCodePoints = (a: string, b: string): -1 | 0 | 1 => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (D800-DFFF) encode code points above FFFF, which sort after E000-FFFF.
    const xs = x >= 0xd800 && x <= 0xdfff
    const ys = y >= 0xd800 && y <= 0xdfff
    if (xs !== ys) return xs ? 1 : -1
    return x < y ? -1 : 1
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

/**
 * Orders identities by cloud, resource type, type and public id.
 *
 * @since 0.1.0
 * @category ordering
 */
export const order: Order.Order<AssetId> = Order.make((a, b) =>
  compareCodePoints(a.cloud, b.cloud) ||
  compareCodePoints(a.resourceType, b.resourceType) ||
  compareCodePoints(a.type, b.type) ||
  compareCodePoints(a.publicId, b.publicId)
)

/**
 * @since 0.1.0
 * @category equivalence
 */
export const equals = (a: AssetId, b: AssetId): boolean => a.key === b.key
