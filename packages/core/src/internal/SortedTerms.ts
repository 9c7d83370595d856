/**
 * A set of strings read in code point order, for range lookups over the distinct values or words
 * of an index. Like the identity lists, changes are noted as they happen and the order is
 * restored at the next read, so a replay that adds many terms between two reads sorts once.
 */
import { compareCodePoints } from "../AssetId.js"
import type { Bound } from "../SearchPlan.js"
import { inRange } from "../SearchPlan.js"

/** Up to this many changes are placed one by one; beyond it, one sort moves fewer elements. */
const FEW = 16

/**
 * The index of the first item of `items` (sorted by `compare`) not less than `item`.
 *
 * @internal
 */
export const lowerBound = <A>(
  items: ReadonlyArray<A>,
  item: A,
  compare: (a: A, b: A) => number
): number => {
  let lo = 0
  let hi = items.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compare(items[mid]!, item) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** @internal */
export class SortedTerms {
  private sorted: Array<string> = []
  private readonly placed = new Set<string>()
  private readonly removed = new Set<string>()
  private readonly added = new Set<string>()

  get size(): number {
    return this.placed.size - this.removed.size + this.added.size
  }

  add(term: string): void {
    if (this.placed.has(term)) this.removed.delete(term)
    else this.added.add(term)
  }

  remove(term: string): void {
    if (this.placed.has(term)) this.removed.add(term)
    else this.added.delete(term)
  }

  /** The terms between the bounds, in order; a missing bound is open. */
  *range(lower: Bound | undefined, upper: Bound | undefined): Generator<string> {
    this.settle()
    const terms = this.sorted
    for (
      let i = lower === undefined ? 0 : lowerBound(terms, lower.value, compareCodePoints);
      i < terms.length;
      i++
    ) {
      const term = terms[i]!
      if (upper !== undefined && !inRange(term, undefined, upper)) return
      if (inRange(term, lower, undefined)) yield term
    }
  }

  private settle(): void {
    if (this.removed.size > FEW) {
      this.sorted = this.sorted.filter((term) => !this.removed.has(term))
    } else {
      for (const term of this.removed) {
        this.sorted.splice(lowerBound(this.sorted, term, compareCodePoints), 1)
      }
    }
    for (const term of this.removed) this.placed.delete(term)
    this.removed.clear()
    if (this.added.size > FEW) {
      for (const term of this.added) this.sorted.push(term)
      this.sorted.sort(compareCodePoints)
    } else {
      for (const term of this.added) {
        this.sorted.splice(lowerBound(this.sorted, term, compareCodePoints), 0, term)
      }
    }
    for (const term of this.added) this.placed.add(term)
    this.added.clear()
  }
}
