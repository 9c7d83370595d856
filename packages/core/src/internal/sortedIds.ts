import type { AssetId } from "../AssetId.js"
import { order } from "../AssetId.js"

/** Identities kept in `AssetId.order`, for in-process indexes that page by "after". */
export class SortedIds {
  private readonly ids: Array<AssetId> = []

  get size(): number {
    return this.ids.length
  }

  /** The index of the first identity not less than `id`. */
  private lowerBound(id: AssetId): number {
    let lo = 0
    let hi = this.ids.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (order(this.ids[mid]!, id) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  add(id: AssetId): void {
    const i = this.lowerBound(id)
    const found = this.ids[i]
    if (found !== undefined && found.key === id.key) return
    this.ids.splice(i, 0, id)
  }

  remove(id: AssetId): void {
    const i = this.lowerBound(id)
    const found = this.ids[i]
    if (found !== undefined && found.key === id.key) this.ids.splice(i, 1)
  }

  /** Identities after `after` (all when absent), in order. */
  *from(after: AssetId | undefined): Generator<AssetId> {
    let i = 0
    if (after !== undefined) {
      i = this.lowerBound(after)
      if (this.ids[i]?.key === after.key) i++
    }
    for (; i < this.ids.length; i++) yield this.ids[i]!
  }
}
