/**
 * A set read in a given order, for the in-memory indexes: the identities of one index list, or
 * the distinct values, words and creation times that range lookups walk. Changes are only noted
 * when they happen and the order is restored at the next read: a replay adds thousands of items
 * between two reads, and inserting each into a sorted array as it came would move half the array
 * every time.
 */

/**
 * Up to this many changes since the last read are placed one by one into the sorted array;
 * beyond it, rebuilding the array in one pass moves fewer elements.
 */
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

/** Two sorted arrays of distinct items, as one. */
const merge = <A>(
  a: ReadonlyArray<A>,
  b: ReadonlyArray<A>,
  compare: (a: A, b: A) => number
): Array<A> => {
  const out = new Array<A>(a.length + b.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) out[k++] = compare(a[i]!, b[j]!) < 0 ? a[i++]! : b[j++]!
  while (i < a.length) out[k++] = a[i++]!
  while (j < b.length) out[k++] = b[j++]!
  return out
}

/** @internal */
export class SortedSet<A> {
  /** In order, as of the last read; may still hold items removed since. */
  private sorted: Array<A> = []
  /** The keys of `sorted`. */
  private readonly placed = new Set<string>()
  /** Keys of `sorted` removed since the last read. */
  private readonly removed = new Map<string, A>()
  /** Added since the last read, not in `sorted`. */
  private readonly added = new Map<string, A>()

  constructor(
    private readonly compare: (a: A, b: A) => number,
    /** What `add` and `remove` are given as the key of an item. */
    private readonly keyOf: (item: A) => string
  ) {}

  get size(): number {
    return this.placed.size - this.removed.size + this.added.size
  }

  /** `key` names the item; passed in so that the lists of one asset can share the string. */
  add(item: A, key: string): void {
    if (this.placed.has(key)) this.removed.delete(key)
    else this.added.set(key, item)
  }

  remove(item: A, key: string): void {
    if (this.placed.has(key)) this.removed.set(key, item)
    else this.added.delete(key)
  }

  /** Every item, in order. */
  items(): ReadonlyArray<A> {
    const compare = this.compare
    if (this.removed.size > FEW) {
      this.sorted = this.sorted.filter((item) => !this.removed.has(this.keyOf(item)))
    } else {
      for (const item of this.removed.values()) {
        this.sorted.splice(lowerBound(this.sorted, item, compare), 1)
      }
    }
    for (const key of this.removed.keys()) this.placed.delete(key)
    this.removed.clear()
    if (this.added.size > FEW) {
      this.sorted = merge(this.sorted, Array.from(this.added.values()).sort(compare), compare)
    } else {
      for (const item of this.added.values()) {
        this.sorted.splice(lowerBound(this.sorted, item, compare), 0, item)
      }
    }
    for (const key of this.added.keys()) this.placed.add(key)
    this.added.clear()
    return this.sorted
  }
}
