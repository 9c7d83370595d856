// Where the built console lives, for a server to serve: `vite build` writes it to dist/.
import { fileURLToPath, URL } from "node:url"

export const directory = fileURLToPath(new URL("./dist/", import.meta.url))
