/**
 * Waits until a condition holds, polling, or fails after `ms`.
 */
export const until = async (
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = "the condition"
): Promise<void> => {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
