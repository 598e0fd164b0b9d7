/**
 * The page's build: `npm run build:web` writes edge/web/dist, which the Worker serves as static
 * assets (wrangler.toml [assets]). Everything is bundled — MapLibre, its worker and CSS — so the
 * page loads nothing from other origins; the built page carries a Content-Security-Policy that
 * forbids it. `npx vite edge/web` serves it for development with the API proxied to `npm start`'s
 * edge (127.0.0.1:8787).
 */
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // MapLibre loads the imagery from a blob: URL; its controls use inline styles.
  "img-src 'self' blob: data:",
  "connect-src 'self' blob:",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/** The CSP as a meta tag in the built page only (the dev server needs its own websocket). */
function contentSecurityPolicy(): Plugin {
  return {
    name: "lanesegnet-csp",
    apply: "build",
    transformIndexHtml: (html) =>
      html.replace(
        '<meta charset="utf-8" />',
        `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CSP}" />`,
      ),
  };
}

const API_ROUTES = ["/v1", "/analyze_road_infrastructure", "/health", "/openapi.json", "/docs"];
const EDGE = process.env.EDGE_URL ?? "http://127.0.0.1:8787";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [contentSecurityPolicy()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // MapLibre is one large module; it is the page's map and is meant to be loaded whole.
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
  },
  server: {
    proxy: Object.fromEntries(API_ROUTES.map((p) => [p, { target: EDGE, changeOrigin: true }])),
  },
});
