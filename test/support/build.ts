import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))

/**
 * Compiles the workspace, for tests that run built code in child processes. `tsc -b` is
 * incremental, so this costs little when nothing changed.
 */
export default function setup(): void {
  execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, "-b"], {
    cwd: root,
    stdio: "inherit"
  })
}
