// The console is served by `ctx serve` under /console: index.html at /console/, everything else
// under /console/assets/, all from dist/ — nothing is fetched from anywhere else.
import { defineConfig } from "vite"

export default defineConfig({
  base: "/console/",
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    target: "es2022",
    // One small script and one stylesheet; no inlined data URLs to keep the CSP simple.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false }
  }
})
