/**
 * `ctx transform`: the transformation an asset is delivered with, once its context has decided
 * the conditional parts, and the delivery URL.
 *
 * @since 0.1.0
 */
import type { Queries } from "@ctxlog/core"
import { Ctxlog, Transformation } from "@ctxlog/core"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as AssetOptions from "./AssetOptions.js"
import * as GlobalOptions from "./GlobalOptions.js"
import * as Help from "./Help.js"
import * as Output from "./Output.js"
import * as Session from "./Session.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Failure = Session.Failure | Queries.QueryError

/**
 * @since 0.1.0
 * @category commands
 */
export const transform = Command.make(
  "transform",
  {
    globals: GlobalOptions.options,
    placement: AssetOptions.options,
    publicId: Args.text({ name: "public_id" }).pipe(Args.withDescription("The asset.")),
    transformation: Args.text({ name: "transformation" }).pipe(
      Args.withDescription("A transformation string, e.g. if_ctx:!kind!_eq_!shoe!,w_200/if_end.")
    ),
    deliveryBase: Options.text("delivery-base").pipe(
      Options.withPseudoName("url"),
      Options.withDefault("https://res.cloudinary.com"),
      Options.withDescription("Where the delivery URL points.")
    )
  },
  ({ deliveryBase, globals, placement, publicId, transformation }): Effect.Effect<void, Failure> =>
    Effect.gen(function*() {
      const asset = yield* AssetOptions.decode(globals.cloud, placement, publicId)
      const effective = yield* Session.run(
        globals,
        Effect.flatMap(Ctxlog.Ctxlog, (c) => c.transform(asset, transformation))
      )
      const url = Transformation.deliveryUrl(deliveryBase, asset, effective)
      if (globals.json) return yield* Output.json({ transformation: effective, url })
      yield* Output.line(effective === "" ? Output.stdout().dim("(no transformation)") : effective)
      yield* Output.line(url)
    })
).pipe(Command.withDescription(Help.describe(
  "Resolve a transformation against the asset's context: conditions on context are decided and " +
    "context variables substituted; the rest is kept.",
  [
    ["a conditional crop", "ctx transform shoe1 'if_ctx:!kind!_eq_!shoe!/c_fill,w_200/if_end'"],
    ["a variable from context", "ctx transform shoe1 '$award_ctx:!award!/l_text:Arial_40:$(award)'"]
  ]
)))
