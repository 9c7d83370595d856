import effect from "@effect/eslint-plugin"
import js from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  {
    ignores: ["**/dist/**", "**/node_modules/**", "**/.ctxlog/**", "coverage/**"]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...effect.configs.dprint,
  {
    languageOptions: {
      parser: tseslint.parser,
      ecmaVersion: 2022,
      sourceType: "module"
    },
    rules: {
      "no-console": "error",
      "no-fallthrough": "off",
      "no-irregular-whitespace": "off",
      "object-shorthand": "error",
      "@typescript-eslint/array-type": ["error", { default: "generic", readonly: "generic" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/no-empty-object-type": "off",
      "@typescript-eslint/no-unused-vars": ["error", {
        argsIgnorePattern: "^_",
        varsIgnorePattern: "^_"
      }],
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 100,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }]
    }
  },
  {
    files: ["**/*.mjs", "*.config.ts", "bench/**/*.ts"],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        URL: "readonly",
        URLSearchParams: "readonly",
        Buffer: "readonly",
        fetch: "readonly",
        setTimeout: "readonly",
        performance: "readonly"
      }
    }
  },
  {
    // The web console runs in the browser.
    files: ["packages/console/src/**/*.ts"],
    languageOptions: {
      globals: Object.fromEntries(
        (
          "window document location history navigator fetch Response EventSource MessageEvent " +
          "Event BeforeUnloadEvent CSS crypto Storage Node HTMLElement HTMLInputElement " +
          "HTMLAnchorElement HTMLTimeElement HTMLUListElement URLSearchParams setTimeout " +
          "clearTimeout"
        ).split(" ").map((name) => [name, "readonly"])
      )
    }
  },
  {
    // The command line, the benchmarks and the examples print to the terminal by design.
    files: ["packages/cli/**/*.ts", "bench/**", ".ci/**/*.mjs", "examples/**/*.mjs"],
    rules: { "no-console": "off" }
  }
)
