import type { Expect } from "@ctxlog/core/testkit"
import { describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"

/**
 * Registers a contract suite with vitest. `layer` is built anew for every case, so each case
 * starts from an empty adapter. An adapter that waits on real time (a network, a retry schedule)
 * runs `live`, on the real clock; the others run on the test clock.
 */
export const runContract = <R, E>(
  title: string,
  cases: ReadonlyArray<Expect.ContractCase<R>>,
  layer: Layer.Layer<R, E>,
  options: { readonly live?: boolean } = {}
): void => {
  const run = options.live === true ? it.live : it.effect
  describe(title, () => {
    for (const contractCase of cases) {
      run(contractCase.name, () => Effect.provide(contractCase.run, layer))
    }
  })
}
