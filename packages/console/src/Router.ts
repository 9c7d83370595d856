/**
 * Hash routes, so that the server serves one page: `#/assets?q=<expression>`,
 * `#/asset/<resource_type>/<type>/<public_id>[?as_of=<revision>]` and `#/webhooks`.
 */
import type { AssetRef } from "./Api.js"

export type Route =
  | { readonly name: "assets"; readonly expression: string }
  | { readonly name: "asset"; readonly asset: AssetRef; readonly asOf: number | undefined }
  | { readonly name: "webhooks" }

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

export const parse = (hash: string): Route => {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?", 2)
  const params = new URLSearchParams(query)
  const segments = path.split("/").filter((s) => s !== "")
  if (segments[0] === "asset" && segments.length >= 4) {
    const asOf = Number(params.get("as_of") ?? "")
    return {
      name: "asset",
      asset: {
        resource_type: decode(segments[1]!),
        type: decode(segments[2]!),
        // Ids keep their slashes whether or not they were encoded.
        public_id: segments.slice(3).map(decode).join("/")
      },
      asOf: params.has("as_of") && Number.isSafeInteger(asOf) && asOf > 0 ? asOf : undefined
    }
  }
  if (segments[0] === "webhooks") return { name: "webhooks" }
  return { name: "assets", expression: params.get("q") ?? "" }
}

export const href = (route: Route): string => {
  switch (route.name) {
    case "assets":
      return route.expression === ""
        ? "#/assets"
        : `#/assets?${new URLSearchParams({ q: route.expression })}`
    case "asset": {
      const { asset } = route
      const path = `#/asset/${encodeURIComponent(asset.resource_type)}/` +
        `${encodeURIComponent(asset.type)}/${encodeURIComponent(asset.public_id)}`
      return route.asOf === undefined ? path : `${path}?as_of=${route.asOf}`
    }
    case "webhooks":
      return "#/webhooks"
  }
}

/** Whether two routes show the same screen (an as-of change does not leave the asset). */
export const sameScreen = (a: Route, b: Route): boolean => {
  if (a.name !== b.name) return false
  if (a.name === "asset" && b.name === "asset") {
    return a.asset.public_id === b.asset.public_id &&
      a.asset.resource_type === b.asset.resource_type && a.asset.type === b.asset.type
  }
  return a.name !== "assets" || b.name !== "assets" || a.expression === b.expression
}
