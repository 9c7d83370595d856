/**
 * Help text: a command's description followed by worked examples.
 *
 * @since 0.1.0
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"

/**
 * A description whose first paragraph is the summary listed under the parent's commands.
 *
 * @since 0.1.0
 * @category constructors
 */
export const describe = (
  summary: string,
  examples: ReadonlyArray<readonly [what: string, command: string]>
): HelpDoc.HelpDoc =>
  HelpDoc.blocks([
    HelpDoc.p(summary),
    HelpDoc.p(Span.strong(examples.length === 1 ? "Example" : "Examples")),
    ...examples.flatMap(([what, command]) => [
      HelpDoc.p(Span.weak(`# ${what}`)),
      HelpDoc.p(Span.code(`$ ${command}`))
    ])
  ])
