import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests run against the sources, so that `pnpm test` needs no build first.
    alias: [
      {
        find: /^@ctxlog\/core\/testkit$/,
        replacement: src("./packages/core/src/testkit/index.ts")
      },
      { find: /^@ctxlog\/core$/, replacement: src("./packages/core/src/index.ts") },
      { find: /^@ctxlog\/sqlite$/, replacement: src("./packages/adapters/sqlite/src/index.ts") },
      { find: /^@ctxlog\/nats$/, replacement: src("./packages/adapters/nats/src/index.ts") },
      { find: /^@ctxlog\/http$/, replacement: src("./packages/adapters/http/src/index.ts") },
      {
        find: /^@ctxlog\/postgres$/,
        replacement: src("./packages/adapters/postgres/src/index.ts")
      },
      {
        find: /^@ctxlog\/rabbitmq$/,
        replacement: src("./packages/adapters/rabbitmq/src/index.ts")
      }
    ]
  },
  test: {
    include: ["packages/**/test/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    // Child-process tests run the compiled packages.
    globalSetup: ["test/support/build.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: "node_modules/.cache/vitest-results.json" }
  }
})
