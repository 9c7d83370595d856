/**
 * Runs the built `ctx` binary as a user would, on stores in temporary folders. The workspace is
 * compiled once before all suites by the global setup (`test/support/build.ts`).
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process"
import { execFile, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { afterAll, vi } from "vitest"

const root = fileURLToPath(new URL("../../..", import.meta.url))

/** The binary, as `package.json` declares it. */
export const bin = join(root, "packages/cli/bin/ctx.js")

let base: string | undefined
const children = new Set<ChildProcessWithoutNullStreams>()

/**
 * Prepares the calling test file: afterwards, stops the processes its tests left running and
 * removes their stores.
 */
export const useBinary = (): void => {
  // A test runs several processes of about half a second each, next to other such tests.
  vi.setConfig({ testTimeout: 120_000 })
  afterAll(() => {
    for (const child of children) child.kill("SIGKILL")
    if (base !== undefined) rmSync(base, { recursive: true, force: true })
  })
}

/** A SQLite store in a fresh temporary folder. */
export const tempStore = (): { readonly dir: string; readonly url: string } => {
  base ??= mkdtempSync(join(tmpdir(), "ctx-cli-"))
  const dir = mkdtempSync(join(base, "store-"))
  return { dir, url: `sqlite:${join(dir, "x.db")}` }
}

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string>>
  readonly cwd?: string
}

/** An environment without the variables that change what ctx does. */
const baseEnv = (extra: Readonly<Record<string, string>> = {}) => {
  const env: Record<string, string | undefined> = { ...process.env }
  delete env.CTXLOG_STORE
  delete env.NO_COLOR
  delete env.FORCE_COLOR
  return { ...env, ...extra }
}

/** Runs `ctx` with arguments and resolves when it exits. */
export const ctx = (args: ReadonlyArray<string>, options: RunOptions = {}): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { cwd: options.cwd ?? root, env: baseEnv(options.env), timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(new Error(`ctx ${args.join(" ")} did not exit: ${error.message}\n${stderr}`))
          return
        }
        resolve({ code: child.exitCode, stdout, stderr })
      }
    )
  })

/** Runs `ctx` and parses its stdout as one JSON document. */
export const ctxJson = async (
  args: ReadonlyArray<string>,
  options?: RunOptions
): Promise<{ code: number | null; json: unknown; stderr: string }> => {
  const result = await ctx([...args, "--json"], options)
  let json: unknown
  try {
    json = JSON.parse(result.stdout)
  } catch {
    throw new Error(
      `ctx ${args.join(" ")} --json printed no JSON (exit ${result.code}):\n` +
        `${result.stdout}\n${result.stderr}`
    )
  }
  return { code: result.code, json, stderr: result.stderr }
}

/** A long-running `ctx` (e.g. `watch`) whose stdout is read line by line. */
export interface Running {
  readonly child: ChildProcessWithoutNullStreams
  /** Resolves with the next line of stdout; rejects if the process ends first. */
  readonly nextLine: () => Promise<string>
  /** Resolves with the exit code and the stderr once the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
}

export const start = (args: ReadonlyArray<string>, options: RunOptions = {}): Running => {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? root,
    env: baseEnv(options.env)
  })
  let stderr = ""
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
  const lines: Array<string> = []
  const waiting: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = []
  let ended = false
  createInterface({ input: child.stdout }).on("line", (line) => {
    const next = waiting.shift()
    if (next) next.resolve(line)
    else lines.push(line)
  })
  const exited = new Promise<{
    code: number | null
    signal: NodeJS.Signals | null
    stderr: string
  }>((resolve) => {
    child.on("close", (code, signal) => {
      ended = true
      children.delete(child)
      for (const w of waiting.splice(0)) {
        w.reject(new Error(`ctx ${args.join(" ")} ended (${code ?? signal}):\n${stderr}`))
      }
      resolve({ code, signal, stderr })
    })
  })
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const line = lines.shift()
      if (line !== undefined) resolve(line)
      else if (ended) reject(new Error(`ctx ${args.join(" ")} ended:\n${stderr}`))
      else waiting.push({ resolve, reject })
    })
  children.add(child)
  return { child, nextLine, exited }
}
