import { Decider } from "@ctxlog/core"
import type { AssetId, Command, Event, Policy } from "@ctxlog/core"
import * as Either from "effect/Either"
import { expect } from "vitest"

/**
 * Decider specifications in the given / when / then form: given the asset's past events, when a
 * command is decided, then these events, or this refusal.
 */
export const DeciderSpecification = (limits?: Policy.Limits) => {
  const decider = Decider.make(limits)
  return {
    given: (asset: AssetId.AssetId, events: ReadonlyArray<Event.DomainEvent> = []) => ({
      when: (command: Command.Command) => {
        const state = events.reduce(decider.evolve, decider.initialState(asset))
        const decision = decider.decide(command, state)
        return {
          then: (expected: ReadonlyArray<Event.DomainEvent>) => {
            if (Either.isLeft(decision)) {
              throw new Error(`expected events, got the refusal: ${decision.left.message}`)
            }
            expect(decision.right).toEqual(expected)
          },
          thenFails: <T extends Decider.Refusal["_tag"]>(
            tag: T,
            check: (error: Extract<Decider.Refusal, { _tag: T }>) => void = () => {}
          ) => {
            if (Either.isRight(decision)) {
              throw new Error(`expected ${tag}, got events: ${JSON.stringify(decision.right)}`)
            }
            expect(decision.left._tag).toBe(tag)
            check(decision.left as Extract<Decider.Refusal, { _tag: T }>)
          }
        }
      }
    })
  }
}
