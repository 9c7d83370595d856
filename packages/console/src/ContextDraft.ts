/**
 * The user's edits of one asset's context, kept apart from what the server holds: the revision
 * and context they started from (the base) and the rows as edited. From these come the change
 * to save, the checks to show, and, when someone else saved first, the same edits re-applied
 * on the newer revision.
 */
import type { AssetRef, Pair } from "./Api.js"
import type { Limits } from "./Validation.js"
import * as Validation from "./Validation.js"

export interface Row {
  readonly id: number
  key: string
  value: string
  /** The pair as loaded; absent for a pair the user added. */
  readonly original?: Pair | undefined
  removed: boolean
}

export interface Draft {
  /** The revision the edits apply to: the save expects the asset to be still at it. */
  readonly revision: number
  readonly base: ReadonlyArray<Pair>
  readonly rows: Array<Row>
}

export interface Diff {
  readonly added: ReadonlyArray<Pair>
  readonly updated: ReadonlyArray<Pair & { readonly previous: string }>
  readonly removed: ReadonlyArray<{ readonly key: string; readonly previous: string }>
}

let nextId = 0

const row = (key: string, value: string, original?: Pair): Row => ({
  id: ++nextId,
  key,
  value,
  original,
  removed: false
})

export const make = (revision: number, base: ReadonlyArray<Pair>): Draft => ({
  revision,
  base,
  rows: base.map((p) => row(p.key, p.value, p))
})

/** Adds a pair at the end, as the user typed it. */
export const addRow = (draft: Draft, key: string, value: string): Row => {
  const added = row(key, value)
  draft.rows.push(added)
  return added
}

/** The context the draft would save, in order. */
export const pairsOf = (draft: Draft): ReadonlyArray<Pair> =>
  draft.rows.filter((r) => !r.removed).map(({ key, value }) => ({ key, value }))

/** What changes from one context to another, by key. */
export const diff = (before: ReadonlyArray<Pair>, after: ReadonlyArray<Pair>): Diff => {
  const old = new Map(before.map((p) => [p.key, p.value]))
  const now = new Map(after.map((p) => [p.key, p.value]))
  const added: Array<Pair> = []
  const updated: Array<Pair & { previous: string }> = []
  for (const [key, value] of now) {
    const previous = old.get(key)
    if (previous === undefined) added.push({ key, value })
    else if (previous !== value) updated.push({ key, value, previous })
  }
  const removed = [...old].filter(([key]) => !now.has(key)).map(([key, previous]) => ({
    key,
    previous
  }))
  return { added, updated, removed }
}

export const isEmpty = (d: Diff): boolean =>
  d.added.length === 0 && d.updated.length === 0 && d.removed.length === 0

export const changes = (draft: Draft): Diff => diff(draft.base, pairsOf(draft))

/** Whether anything was typed that the server does not have: a pending row counts too. */
export const isDirty = (draft: Draft): boolean =>
  !isEmpty(changes(draft)) ||
  draft.rows.some((r) =>
    r.original === undefined
      ? !r.removed
      : r.removed || r.key !== r.original.key || r.value !== r.original.value
  )

export interface Problems {
  /** By row id: what is wrong with its key and with its value. */
  readonly rows: ReadonlyMap<number, { readonly key?: string; readonly value?: string }>
  readonly context?: string | undefined
}

export const problems = (draft: Draft, limits: Limits): Problems => {
  const rows = new Map<number, { key?: string; value?: string }>()
  const seen = new Set<string>()
  for (const r of draft.rows) {
    if (r.removed) continue
    const key = Validation.checkKey(limits, r.key) ??
      (seen.has(r.key) ? "This key is already in the context; use one row per key." : undefined)
    const value = Validation.checkValue(limits, r.value)
    seen.add(r.key)
    if (key !== undefined || value !== undefined) {
      rows.set(r.id, {
        ...(key === undefined ? {} : { key }),
        ...(value === undefined ? {} : { value })
      })
    }
  }
  return { rows, context: Validation.checkContext(limits, pairsOf(draft)) }
}

export const isValid = (p: Problems): boolean => p.rows.size === 0 && p.context === undefined

export interface Save {
  readonly name: "replace"
  readonly body: Readonly<Record<string, unknown>>
}

/**
 * The one command that saves the draft, expecting the asset to be at the draft's revision:
 * `replace` with the whole context, in the order shown. One command is one event and one
 * notification, and the expected revision makes a concurrent change a 409, never a merge the
 * user did not see — which is also why `add` plus `remove_keys` is not used.
 *
 * Removing everything is `replace` with no pairs, not `remove_all`: `remove_all` is a
 * multi-asset command that carries no expected revision (the native API answers 400 to one),
 * and the event and notification of both are the same `ContextChanged` with every key removed.
 */
export const save = (draft: Draft, asset: AssetRef): Save => ({
  name: "replace",
  body: {
    resource_type: asset.resource_type,
    type: asset.type,
    public_id: asset.public_id,
    context: pairsOf(draft),
    expected_revision: draft.revision
  }
})

/** A key both the user and someone else changed since the base, to different values. */
export interface Clash {
  readonly key: string
  /** What the other change left (absent: they removed the key). */
  readonly theirs: string | undefined
  /** What the user wants (absent: the user removed the key). */
  readonly mine: string | undefined
}

/**
 * The user's edits re-applied on a newer revision: every key they set is set, every key they
 * removed is removed, everything else is as the other change left it. Where both touched the
 * same key, the user's edit wins in the draft and the key is reported, so the user sees it
 * before saving.
 */
export const rebase = (
  draft: Draft,
  revision: number,
  theirs: ReadonlyArray<Pair>
): { readonly draft: Draft; readonly clashes: ReadonlyArray<Clash> } => {
  const mine = changes(draft)
  const before = new Map(draft.base.map((p) => [p.key, p.value]))
  const after = new Map(theirs.map((p) => [p.key, p.value]))
  const next = make(revision, theirs)
  const clashes: Array<Clash> = []
  const touchedByThem = (key: string) => before.get(key) !== after.get(key)
  for (const { key, value } of [...mine.added, ...mine.updated]) {
    const existing = next.rows.find((r) => r.key === key)
    if (existing) existing.value = value
    else addRow(next, key, value)
    if (touchedByThem(key) && after.get(key) !== value) {
      clashes.push({ key, theirs: after.get(key), mine: value })
    }
  }
  for (const { key } of mine.removed) {
    const existing = next.rows.find((r) => r.key === key)
    if (existing) existing.removed = true
    if (touchedByThem(key) && after.has(key)) {
      clashes.push({ key, theirs: after.get(key), mine: undefined })
    }
  }
  // A pair the diff cannot express (a key typed twice) still comes along: nothing typed is lost.
  for (const r of draft.rows) {
    const carried = next.rows.some((n) => !n.removed && n.key === r.key && n.value === r.value)
    if (r.original === undefined && !r.removed && !carried) addRow(next, r.key, r.value)
  }
  return { draft: next, clashes }
}

/** A draft as JSON, to keep it across a reload of the page. */
export const toJson = (draft: Draft): string =>
  JSON.stringify({
    revision: draft.revision,
    base: draft.base,
    rows: draft.rows.map(({ key, value, original, removed }) => ({ key, value, original, removed }))
  })

export const fromJson = (text: string): Draft | undefined => {
  try {
    const raw = JSON.parse(text) as {
      revision: number
      base: Array<Pair>
      rows: Array<{ key: string; value: string; original?: Pair; removed: boolean }>
    }
    if (!Number.isSafeInteger(raw.revision) || !Array.isArray(raw.base)) return undefined
    return {
      revision: raw.revision,
      base: raw.base,
      rows: raw.rows.map((r) => ({ ...row(r.key, r.value, r.original), removed: r.removed }))
    }
  } catch {
    return undefined
  }
}
