/**
 * Where a webhook may be sent. A notification URL names a host that the server resolves and
 * connects to, so an unchecked URL would let a caller reach the server's own network: by
 * default, loopback, private, link-local, carrier-grade NAT, multicast and reserved addresses
 * are refused, and an allow-list of CIDR ranges opens the ones a deployment needs. The address
 * that was checked is the one connected to, so a DNS answer that changes in between cannot
 * redirect the request.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Dns from "node:dns/promises"
import * as Net from "node:net"

/**
 * @since 0.1.0
 * @category errors
 */
export class WebhookTargetError extends Schema.TaggedError<WebhookTargetError>()(
  "WebhookTargetError",
  { url: Schema.String, detail: Schema.String }
) {
  override get message(): string {
    return `the webhook URL ${this.url} is refused: ${this.detail}`
  }
}

/**
 * A range of addresses, such as `10.0.0.0/8` or `::1/128`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Cidr {
  readonly text: string
  readonly family: 4 | 6
  readonly bits: bigint
  readonly prefix: number
}

const toBits = (address: string): { family: 4 | 6; bits: bigint } | undefined => {
  if (Net.isIPv4(address)) {
    const parts = address.split(".").map(Number)
    return { family: 4, bits: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) }
  }
  if (!Net.isIPv6(address)) return undefined
  // An IPv4-mapped address (::ffff:10.0.0.1) is the IPv4 address it maps.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return toBits(mapped[1]!)
  const [head, tail = ""] = address.split("::")
  const left = head === "" ? [] : head!.split(":")
  const right = tail === "" ? [] : tail.split(":")
  const groups = address.includes("::")
    ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right]
    : left
  return {
    family: 6,
    bits: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n)
  }
}

/**
 * Reads `a.b.c.d/n`, `x::y/n`, or a single address.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseCidr = (text: string): Either.Either<Cidr, string> => {
  const [address = "", length] = text.trim().split("/")
  const parsed = toBits(address)
  if (parsed === undefined) {
    return Either.left(`${JSON.stringify(text)} is not an IP address or CIDR`)
  }
  const max = parsed.family === 4 ? 32 : 128
  const prefix = length === undefined ? max : Number(length)
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    return Either.left(`${JSON.stringify(text)} has a prefix length outside 0..${max}`)
  }
  return Either.right({ text: text.trim(), family: parsed.family, bits: parsed.bits, prefix })
}

/**
 * Reads a comma-separated list of ranges.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseCidrs = (text: string): Either.Either<ReadonlyArray<Cidr>, string> => {
  const out: Array<Cidr> = []
  for (const item of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const cidr = parseCidr(item)
    if (Either.isLeft(cidr)) return Either.left(cidr.left)
    out.push(cidr.right)
  }
  return Either.right(out)
}

const contains = (cidr: Cidr, address: { family: 4 | 6; bits: bigint }) => {
  if (cidr.family !== address.family) return false
  const width = BigInt(cidr.family === 4 ? 32 : 128)
  const shift = width - BigInt(cidr.prefix)
  return (cidr.bits >> shift) === (address.bits >> shift)
}

const BLOCKED: ReadonlyArray<Cidr> = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "224.0.0.0/4",
  "240.0.0.0/4",
  "::/128",
  "::1/128",
  "fc00::/7",
  "fe80::/10",
  "ff00::/8"
].map((text) => Either.getOrThrow(parseCidr(text)))

/**
 * Why an address may not be a target, or `undefined` when it may.
 *
 * @since 0.1.0
 * @category checking
 */
export const refusal = (address: string, allow: ReadonlyArray<Cidr>): string | undefined => {
  const bits = toBits(address)
  if (bits === undefined) return `${address} is not an IP address`
  if (allow.some((cidr) => contains(cidr, bits))) return undefined
  const blocked = BLOCKED.find((cidr) => contains(cidr, bits))
  return blocked === undefined
    ? undefined
    : `${address} is in ${blocked.text}, a private or reserved range; allow it with ` +
      "--allow-targets"
}

/**
 * A checked target: the URL and the address to connect to.
 *
 * @since 0.1.0
 * @category models
 */
export interface Target {
  readonly url: URL
  readonly address: string
  readonly family: 4 | 6
}

/**
 * Checks a URL's form without resolving it: http or https, a host, no credentials.
 *
 * @since 0.1.0
 * @category checking
 */
export const checkUrl = (raw: string): Either.Either<URL, WebhookTargetError> => {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return Either.left(new WebhookTargetError({ url: raw, detail: "it is not a URL" }))
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Either.left(new WebhookTargetError({ url: raw, detail: "it is not http or https" }))
  }
  if (url.username !== "" || url.password !== "") {
    return Either.left(
      new WebhookTargetError({ url: raw, detail: "credentials in the URL would be sent in clear" })
    )
  }
  if (url.hash !== "") {
    return Either.left(new WebhookTargetError({ url: raw, detail: "it has a #fragment" }))
  }
  return Either.right(url)
}

/**
 * Resolves a URL's host and checks every address it resolves to.
 *
 * @since 0.1.0
 * @category checking
 */
export const resolve = (
  raw: string,
  allow: ReadonlyArray<Cidr>
): Effect.Effect<Target, WebhookTargetError> =>
  Effect.gen(function*() {
    const url = yield* Either.match(checkUrl(raw), { onLeft: Effect.fail, onRight: Effect.succeed })
    const host = url.hostname.replace(/^\[|\]$/g, "")
    const addresses = Net.isIP(host) !== 0
      ? [{ address: host, family: Net.isIP(host) as 4 | 6 }]
      : yield* Effect.tryPromise({
        try: () => Dns.lookup(host, { all: true, verbatim: true }),
        catch: (cause) =>
          new WebhookTargetError({
            url: raw,
            detail: `its host does not resolve: ${cause instanceof Error ? cause.message : cause}`
          })
      })
    // Every answer must be allowed: the connection could otherwise land on any of them.
    for (const { address } of addresses) {
      const why = refusal(address, allow)
      if (why !== undefined) return yield* new WebhookTargetError({ url: raw, detail: why })
    }
    const first = addresses[0]
    if (first === undefined) {
      return yield* new WebhookTargetError({ url: raw, detail: "its host has no address" })
    }
    return { url, address: first.address, family: first.family === 6 ? 6 : 4 }
  })
