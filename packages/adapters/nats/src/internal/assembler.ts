/**
 * Turns the stream's messages, read in sequence order, into the events of whole batches: a
 * batch's events are held until its last message arrives, and dropped when another message
 * breaks its run (the append that wrote them failed, so they never happened).
 */
import type { Event } from "@ctxlog/core"
import type { Entry } from "./envelope.js"

/** A reader's view of one message: an event of a batch, or something that is not an event. */
export type Read =
  | { readonly _tag: "Entry"; readonly entry: Entry }
  | { readonly _tag: "Other"; readonly seq: number }

/**
 * A fresh assembler. The first message it is given may be in the middle of a batch (a reader
 * that starts after a position): its run is taken from there.
 */
export const make = () => {
  let held: Array<Entry> = []
  let first = true
  const none: ReadonlyArray<Event.RecordedEvent> = []

  const push = (read: Read): ReadonlyArray<Event.RecordedEvent> => {
    const start = first
    first = false
    if (read._tag === "Other") {
      held = []
      return none
    }
    const entry = read.entry
    const { index, size } = entry.part
    const last = held.at(-1)
    const continues = last !== undefined && last.part.id === entry.part.id &&
      last.part.index + 1 === index && last.seq + 1 === entry.seq
    if (continues) held.push(entry)
    else if (index === 0 || start) held = [entry]
    else {
      // A later part without the one before it: the run was broken before this message.
      held = []
      return none
    }
    if (index + 1 < size) return none
    const out = held.map((e) => e.event)
    held = []
    return out
  }

  return { push }
}
