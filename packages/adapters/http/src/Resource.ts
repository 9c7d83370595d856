/**
 * Assets as Cloudinary renders them: the resource objects of upload responses, Admin-API reads
 * and lists, and search results.
 *
 * @since 0.1.0
 */
import type { ProjectionStore } from "@ctxlog/core"
import { Context } from "@ctxlog/core"
import { createHash } from "node:crypto"

/**
 * How a resource's context is rendered: `custom` nests it (`context.custom.k`, as the Admin API
 * does), `flat` does not (as search does), `none` leaves it out.
 *
 * @since 0.1.0
 * @category models
 */
export type ContextStyle = "custom" | "flat" | "none"

/**
 * @since 0.1.0
 * @category models
 */
export interface RenderOptions {
  /** Where delivery URLs point, e.g. `https://res.cloudinary.com`. */
  readonly deliveryBase: string
  readonly context: ContextStyle
  /**
   * Known only at upload. Not yet: the log records no media properties, so later reads of the
   * resource have no `format` and report `bytes: 0`.
   */
  readonly format?: string | undefined
  readonly bytes?: number | undefined
}

/**
 * Cloudinary times: seconds, UTC, no fraction.
 *
 * @since 0.1.0
 * @category rendering
 */
export const time = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z")

/**
 * A stable 32-hex-digit id for an asset, as Cloudinary's `asset_id` is.
 *
 * @since 0.1.0
 * @category rendering
 */
export const assetId = (view: ProjectionStore.AssetView): string =>
  createHash("sha256").update(view.asset.key).digest("hex").slice(0, 32)

const encodePath = (publicId: string) => publicId.split("/").map(encodeURIComponent).join("/")

/**
 * @since 0.1.0
 * @category rendering
 */
export const render = (
  view: ProjectionStore.AssetView,
  options: RenderOptions
): Record<string, unknown> => {
  const { asset } = view
  const version = Math.floor(view.createdAt.getTime() / 1000)
  const file = encodePath(asset.publicId) + (options.format ? `.${options.format}` : "")
  const url = `${options.deliveryBase.replace(/\/+$/, "")}/${asset.cloud}/` +
    `${asset.resourceType}/${asset.type}/v${version}/${file}`
  const resource: Record<string, unknown> = {
    asset_id: assetId(view),
    public_id: asset.publicId,
    version,
    resource_type: asset.resourceType,
    type: asset.type,
    created_at: time(view.createdAt),
    updated_at: time(view.updatedAt),
    revision: view.revision,
    ...(options.format === undefined ? {} : { format: options.format }),
    bytes: options.bytes ?? 0,
    url: url.replace(/^https:/, "http:"),
    secure_url: url.replace(/^http:/, "https:")
  }
  if (options.context !== "none" && view.context.length > 0) {
    const record = Context.toRecord(view.context)
    resource.context = options.context === "custom" ? { custom: record } : record
  }
  return resource
}

const MAGIC: ReadonlyArray<readonly [string, ReadonlyArray<number>, number?]> = [
  ["png", [0x89, 0x50, 0x4e, 0x47]],
  ["jpg", [0xff, 0xd8, 0xff]],
  ["gif", [0x47, 0x49, 0x46, 0x38]],
  ["pdf", [0x25, 0x50, 0x44, 0x46]],
  ["webp", [0x57, 0x45, 0x42, 0x50], 8],
  ["mp4", [0x66, 0x74, 0x79, 0x70], 4],
  ["webm", [0x1a, 0x45, 0xdf, 0xa3]]
]

/**
 * The format of an uploaded file, from its first bytes, else from the extension of its name or
 * URL.
 *
 * @since 0.1.0
 * @category rendering
 */
export const formatOf = (head: Uint8Array | undefined, name: string | undefined) => {
  if (head !== undefined) {
    for (const [format, bytes, at = 0] of MAGIC) {
      if (bytes.every((b, i) => head[at + i] === b)) return format
    }
  }
  if (name === undefined) return undefined
  const path = name.replace(/[?#].*$/, "")
  const dot = path.lastIndexOf(".")
  const ext = dot === -1 ? "" : path.slice(dot + 1).toLowerCase()
  return /^[a-z0-9]{1,5}$/.test(ext) && dot > path.lastIndexOf("/") ? ext : undefined
}
