/**
 * Progress of a long run on stderr: a bar that redraws itself on a terminal, plain lines at
 * most once a second otherwise (logs and pipes gain nothing from redraws).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Output from "./Output.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Progress {
  readonly update: (done: number, total: number) => Effect.Effect<void>
  /** Clears the bar, if one is drawn. */
  readonly finish: Effect.Effect<void>
}

const BAR = 30

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (what: string): Progress => {
  const tty = process.stderr.isTTY === true
  const s = Output.stderr()
  const interval = tty ? 100 : 1000
  let last = 0
  let drawn = false

  const update = (done: number, total: number) =>
    Effect.suspend(() => {
      const now = Date.now()
      if (now - last < interval && done < total) return Effect.void
      last = now
      const ratio = total === 0 ? 1 : Math.min(1, done / total)
      const percent = `${Math.floor(ratio * 100)}%`.padStart(4)
      if (!tty) return Output.errorLine(`${what}: ${done} of ${total} events (${percent.trim()})`)
      const full = Math.round(ratio * BAR)
      drawn = true
      return Output.errorRaw(
        `\r\x1b[K${what} ${s.green("█".repeat(full))}${s.dim("░".repeat(BAR - full))} ` +
          `${percent}  ${done}/${total} events`
      )
    })

  return {
    update,
    finish: Effect.suspend(() => drawn ? Output.errorRaw("\r\x1b[K") : Effect.void)
  }
}
