import type { Expect } from "@ctxlog/core/testkit"
import { describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"

/**
 * Registers a contract suite with vitest. `layer` is built anew for every case, so each case
 * starts from an empty adapter.
 */
export const runContract = <R, E>(
  title: string,
  cases: ReadonlyArray<Expect.ContractCase<R>>,
  layer: Layer.Layer<R, E>
): void => {
  describe(title, () => {
    for (const contractCase of cases) {
      it.effect(contractCase.name, () => Effect.provide(contractCase.run, layer))
    }
  })
}
