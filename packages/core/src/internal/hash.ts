const MASK = (1n << 64n) - 1n
const PRIME = 0x100000001b3n

/** FNV-1a over the UTF-16 code units, low byte first. */
const fnv1a64 = (text: string, seed: bigint): bigint => {
  let h = seed
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    h = ((h ^ BigInt(unit & 0xff)) * PRIME) & MASK
    h = ((h ^ BigInt(unit >>> 8)) * PRIME) & MASK
  }
  return h
}

/**
 * A stable 128-bit digest, hex encoded, for ids derived from other ids. Not a cryptographic hash:
 * it only has to be the same on every run and every machine, and collide rarely.
 */
export const stableId = (text: string): string => {
  const a = fnv1a64(text, 0xcbf29ce484222325n)
  const b = fnv1a64(text, 0x84222325cbf29ce4n)
  return a.toString(16).padStart(16, "0") + b.toString(16).padStart(16, "0")
}
