/** FNV-1a, 32 bits, over the UTF-16 code units, seeded differently for each lane. */
const fnv1a32 = (text: string, seed: number): number => {
  let h = seed >>> 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    h = Math.imul(h ^ (unit & 0xff), 0x01000193)
    h = Math.imul(h ^ (unit >>> 8), 0x01000193)
  }
  return h >>> 0
}

const SEEDS = [0x811c9dc5, 0x050c5d1f, 0x9e3779b9, 0x7f4a7c15] as const

/**
 * A stable 128-bit digest, hex encoded, for ids derived from other ids. Not a cryptographic hash:
 * it only has to be the same on every run and every machine, and collide rarely. It runs on every
 * command, so it stays in 32-bit integer arithmetic.
 */
export const stableId = (text: string): string => {
  let out = ""
  for (const seed of SEEDS) out += fnv1a32(text, seed).toString(16).padStart(8, "0")
  return out
}
