import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))

/**
 * Compiles the workspace and builds the web console, for tests that run built code in child
 * processes. `tsc -b` is incremental, so it costs little when nothing changed; the console's
 * build takes a second or two.
 */
export default function setup(): void {
  execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, "-b"], {
    cwd: root,
    stdio: "inherit"
  })
  execFileSync(process.execPath, [
    `${root}/packages/console/node_modules/vite/bin/vite.js`,
    "build"
  ], {
    cwd: `${root}/packages/console`,
    stdio: ["ignore", "ignore", "inherit"]
  })
}
