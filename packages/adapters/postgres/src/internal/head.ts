/**
 * The part of a long text that an index holds. A B-tree entry holds at most about 2.7 kB, which a
 * word or a value within the configurable limits can exceed, so the indexes that order text
 * (ranges, prefixes) key on its first `HEAD` code points: at most 800 bytes of UTF-8.
 *
 * Truncating keeps the order (a ≤ b implies head(a) ≤ head(b)), so a range over the text gives a
 * range over the heads that holds every match; the lookup then compares the whole text as well.
 * PostgreSQL's `left` counts code points, as ctxlog's limits do.
 */

/** How many code points of a text an ordered index keeps. */
export const HEAD = 200

/** The indexed head of `column`, as SQL; the queries must spell it as the index does. */
export const head = (column: string): string => `left(${column}, ${HEAD})`
