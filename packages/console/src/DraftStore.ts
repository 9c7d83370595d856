/**
 * Unsaved drafts, per asset, kept in this tab's session storage: leaving an asset, opening
 * another, or reloading the page keeps what was typed until it is saved or discarded.
 */
import type { AssetRef } from "./Api.js"
import * as ContextDraft from "./ContextDraft.js"

const keyOf = (cloud: string, asset: AssetRef) =>
  `ctxlog.draft:${cloud}:${asset.resource_type}/${asset.type}/${asset.public_id}`

const storage = (): Storage | undefined => {
  try {
    return window.sessionStorage
  } catch {
    return undefined
  }
}

export const load = (cloud: string, asset: AssetRef): ContextDraft.Draft | undefined => {
  const text = storage()?.getItem(keyOf(cloud, asset))
  return text === null || text === undefined ? undefined : ContextDraft.fromJson(text)
}

/** Keeps the draft while it differs from its base, and forgets it once it does not. */
export const keep = (cloud: string, asset: AssetRef, draft: ContextDraft.Draft): void => {
  const store = storage()
  if (store === undefined) return
  try {
    if (ContextDraft.isDirty(draft)) store.setItem(keyOf(cloud, asset), ContextDraft.toJson(draft))
    else store.removeItem(keyOf(cloud, asset))
  } catch {
    // Not yet: a full storage quota keeps the draft in this page only, not across a reload.
  }
}

export const forget = (cloud: string, asset: AssetRef): void => {
  storage()?.removeItem(keyOf(cloud, asset))
}

/** Whether any asset of the cloud has unsaved edits (to warn before the tab closes). */
export const any = (cloud: string): boolean => {
  const store = storage()
  if (store === undefined) return false
  for (let i = 0; i < store.length; i++) {
    if (store.key(i)?.startsWith(`ctxlog.draft:${cloud}:`)) return true
  }
  return false
}

/** Drops every draft (on sign-out: the next person at this browser must not see them). */
export const clear = (): void => {
  const store = storage()
  if (store === undefined) return
  for (let i = store.length - 1; i >= 0; i--) {
    const key = store.key(i)
    if (key?.startsWith("ctxlog.draft:")) store.removeItem(key)
  }
}
